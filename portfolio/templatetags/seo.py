"""What the <head> of a public page tells search engines and link previews (templates/_meta.html).

Every text is computed here from objects the view has already fetched: no query of its own.
"""

from html.parser import HTMLParser
from urllib.parse import urljoin

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.translation import get_language, gettext, to_locale

register = template.Library()

DESCRIPTION_LENGTH = 160

# Elements whose end ends a run of text: "<p>a</p><p>b</p>" must read "a b", not "ab".
_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "div", "blockquote", "dd", "dt", "br", "tr", "td", "th"}
# Elements whose text is no sentence: code blocks and tables go whole (inline code stays).
_SKIPPED = {"pre", "table", "script", "style"}

# Open Graph wants language_TERRITORY; a bare language code gets its usual territory.
_TERRITORIES = {
    "ar": "ar_AR",
    "cs": "cs_CZ",
    "da": "da_DK",
    "el": "el_GR",
    "ca": "ca_ES",
    "en": "en_US",
    "fa": "fa_IR",
    "he": "he_IL",
    "hi": "hi_IN",
    "ja": "ja_JP",
    "ko": "ko_KR",
    "nb": "nb_NO",
    "pt": "pt_PT",
    "sl": "sl_SI",
    "sr": "sr_RS",
    "sv": "sv_SE",
    "uk": "uk_UA",
    "vi": "vi_VN",
    "zh": "zh_CN",
    "zh-hans": "zh_CN",
    "zh-hant": "zh_TW",
}


def summary(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    """Plain text on one line, at most `limit` characters: a long text is cut at a word, with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    at_word = cut.rpartition(" ")[0]
    if len(at_word) >= limit // 2:  # one very long word (or no spaces at all): cut inside it
        cut = at_word
    return cut.rstrip(" ,.;:·-") + "…"


class _TextReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        if tag in _BLOCKS or tag in _SKIPPED:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_text(markup: str) -> str:
    """The text a reader would take from sanitized HTML: no tags, no code blocks, no tables."""
    reader = _TextReader()
    reader.feed(markup or "")
    reader.close()
    return "".join(reader.parts)


def html_summary(markup: str, limit: int = DESCRIPTION_LENGTH) -> str:
    """Sanitized HTML as a `summary`: tags, code blocks and tables go, character references are decoded.

    The result is text, not HTML; the template escapes it once, like any other text.
    """
    return summary(html_text(markup), limit)


@register.filter
def profile_description(profile) -> str:
    """The home page's description: the profile notice's text, else the bio, else the site title."""
    return html_summary(profile.intro_html) or summary(profile.bio) or profile.site_title


@register.filter
def card_description(card) -> str:
    """A model page's description: the card's summary, else its write-up's text, else a sentence naming the model."""
    return (
        html_summary(card.summary_html)
        or html_summary(card.description_html)
        or gettext("%(title)s on the Hugging Face Hub") % {"title": card.title}
    )


@register.simple_tag
def share_title(name: str, site_title: str) -> str:
    """A page's title in link previews: "<name> · <site title>", or the site title alone if there is no other name."""
    name = " ".join((name or "").split())
    if not name or name == site_title:
        return site_title
    return f"{name} · {site_title}"


@register.filter
def share_image(profile, card=None) -> str:
    """The picture of a link preview (a path; _meta.html makes it absolute with `absolute_url`).

    The card's cover, else the owner's avatar, else the site's default image.
    """
    if card is not None and card.cover_image:
        return card.cover_image.url
    if profile.avatar:
        return profile.avatar.url
    return static("og-default.png")


@register.simple_tag
def absolute_url(location: str) -> str:
    """`location` (a path or a full URL) as a full URL on the site's own address (SITE_URL).

    Never on the Host a request named: a page is cached and shown to everyone, and a
    crawler must not learn another address from a forged header.
    """
    return urljoin(settings.SITE_URL + "/", location)


@register.simple_tag
def og_locale() -> str:
    """The page language as Open Graph spells it: ko -> ko_KR, pt-br -> pt_BR, fr -> fr_FR."""
    language = (get_language() or "en").lower()
    if language in _TERRITORIES:
        return _TERRITORIES[language]
    base, _, region = language.partition("-")
    if len(region) == 2:
        return to_locale(language)
    return _TERRITORIES.get(base, f"{base}_{base.upper()}")
