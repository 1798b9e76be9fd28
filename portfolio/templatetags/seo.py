"""What the <head> of a public page tells search engines and link previews (templates/_meta.html).

Every text is computed here from objects the view has already fetched: no query of its own.
"""

import html
import re

from django import template
from django.templatetags.static import static
from django.utils.translation import get_language, to_locale

register = template.Library()

DESCRIPTION_LENGTH = 160

# Block-level ends: "<p>a</p><p>b</p>" must read "a b", not "ab".
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|div|blockquote|pre|tr|td|th|dd|dt)\s*>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")

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


def html_summary(markup: str, limit: int = DESCRIPTION_LENGTH) -> str:
    """Sanitized HTML as a `summary`: tags go and character references are decoded.

    The result is text, not HTML; the template escapes it once, like any other text.
    """
    text = _TAG.sub("", _BLOCK_END.sub(" ", markup or ""))
    return summary(html.unescape(text), limit)


@register.filter
def profile_description(profile) -> str:
    """The home page's description: the profile notice's text, else the bio, else the site title."""
    return html_summary(profile.intro_html) or summary(profile.bio) or profile.site_title


@register.filter
def card_description(card) -> str:
    """A model page's description: the card's text, else a sentence naming the model."""
    return html_summary(card.description_html) or f"{card.title} on the Hugging Face Hub"


@register.filter
def share_image(profile, card=None) -> str:
    """The picture of a link preview (a path; _meta.html makes it absolute).

    The card's cover, else the owner's avatar, else the site's default image.
    """
    if card is not None and card.cover_image:
        return card.cover_image.url
    if profile.avatar:
        return profile.avatar.url
    return static("og-default.png")


@register.simple_tag(takes_context=True)
def absolute_uri(context, location: str) -> str:
    """`location` (a path or a full URL) as a full URL on the host the page was asked for."""
    return context["request"].build_absolute_uri(location)


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
