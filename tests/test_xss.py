"""Cross-site scripting: the payloads of tests/xss_payloads.py against every way content reaches a page.

- markdown fields are rendered and sanitized (portfolio/markdown.py): no executable markup survives,
  in render_markdown itself, on the public pages and in the admin's live preview;
- plain-text fields are escaped by the templates: the payload shows as text, never as markup.

`assert_no_executable_markup` parses the HTML the way a browser tokenizes it (html.parser), so an
attribute value such as `alt="<script>"` is not mistaken for a tag, and `jav&#x09;ascript:` is
decoded before it is judged.
"""

from html.parser import HTMLParser

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from contributions.models import Contribution, ContributionGroup
from models_showcase.models import Badge, DatasetCard, EvalResult, ModelCard, SpaceCard
from models_showcase.rendering import refresh_card_html
from portfolio.markdown import render_inline_markdown, render_markdown
from portfolio.models import Profile, ProfileLink
from tests.builders import make_badge, make_card, make_contribution, make_group, make_profile
from tests.xss_payloads import PAYLOADS

pytestmark = pytest.mark.django_db

# Elements that run script, load active content, change where the page's links or forms go,
# or are known mutation-XSS vehicles. The sanitizer allows none of them.
EXECUTABLE_ELEMENTS = frozenset({
    "script", "style", "iframe", "object", "embed", "base", "meta", "form", "svg", "math", "link",
    "noscript", "template", "frame", "frameset", "applet", "portal", "noembed", "noframes", "xmp",
    "plaintext", "xml", "import",
})  # fmt: skip
FORBIDDEN_ATTRIBUTES = frozenset({"style", "srcdoc", "formaction", "xlink:href"})
# Attributes whose value a browser loads or navigates to.
URL_ATTRIBUTES = frozenset({
    "href", "src", "action", "formaction", "xlink:href", "background", "lowsrc", "dynsrc", "poster",
    "data", "cite", "longdesc", "codebase", "ping", "manifest", "icon",
})  # fmt: skip
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")


def normalise_url(value: str) -> str:
    """An attribute value as a browser reads its scheme.

    html.parser has already decoded character references in the value (`&#x6A;` -> `j`, `&Tab;`
    -> a tab), exactly once, as a browser does. Browsers then drop ASCII tabs and newlines anywhere
    in a URL and trim leading and trailing control characters and spaces; old ones ignored NULs
    too. To err on the strict side every C0 control character and DEL is removed wherever it is.
    A space inside the scheme is kept: `java script:` is a relative URL, not a script.
    """
    kept = "".join(ch for ch in value if ord(ch) >= 0x20 and ord(ch) != 0x7F)
    return kept.strip().lower()


# What the site's own <head> carries (templates/base.html, templates/_meta.html): allowed only
# inside <head>, only with exactly these attributes, and only when checking a whole page.
_SHARE_URL_KEYS = frozenset({"og:url", "og:image", "twitter:image"})


def _is_site_head_markup(tag: str, attrs: dict[str, str | None]) -> bool:
    if tag == "meta":
        if attrs == {"charset": "utf-8"}:
            return True
        # Description, viewport, Open Graph and Twitter card tags are inert text for crawlers and
        # link previews; http-equiv (refresh) never matches. Their URLs must be absolute http(s).
        if attrs.keys() == {"name", "content"}:
            key = attrs["name"] or ""
            allowed = key in {"viewport", "description"} or key.startswith("twitter:")
        elif attrs.keys() == {"property", "content"}:
            key = attrs["property"] or ""
            allowed = key.startswith("og:")
        else:
            return False
        content = attrs["content"] or ""
        return allowed and (key not in _SHARE_URL_KEYS or content.startswith(("http://", "https://")))
    if tag == "link":
        href = attrs.get("href") or ""
        if attrs.keys() == {"rel", "href"} and attrs["rel"] == "stylesheet":
            return href.startswith("/static/")
        if attrs.keys() == {"rel", "href", "type"} and attrs["rel"] == "icon":
            return href.startswith("/static/") and attrs["type"] == "image/svg+xml"
        if attrs.keys() == {"rel", "href"} and attrs["rel"] == "canonical":
            return href.startswith(("http://", "https://"))
    if tag == "script":
        # The site's own deferred file (progressive enhancement); never inline, never from elsewhere.
        src = attrs.get("src") or ""
        return attrs.keys() == {"src", "defer"} and src.startswith("/static/js/") and src.endswith(".js")
    return False


class _MarkupAuditor(HTMLParser):
    def __init__(self, *, whole_page: bool):
        super().__init__(convert_charrefs=True)
        self.whole_page = whole_page
        self.in_head = False
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "head":
            self.in_head = True
        elif tag == "body":
            self.in_head = False
        attributes = dict(attrs)
        local_name = tag.rpartition(":")[2]  # <svg:script> is a script too
        executable = tag in EXECUTABLE_ELEMENTS or local_name in EXECUTABLE_ELEMENTS
        if executable and not (self.whole_page and self.in_head and _is_site_head_markup(tag, attributes)):
            self.problems.append(f"<{tag}> element {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name in FORBIDDEN_ATTRIBUTES:
                self.problems.append(f"{name}={value!r} on <{tag}>")
            if name in URL_ATTRIBUTES and value and normalise_url(value).startswith(UNSAFE_SCHEMES):
                self.problems.append(f"unsafe URL {name}={value!r} on <{tag}>")

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def assert_no_executable_markup(page: str, *, whole_page: bool = False) -> None:
    """Fail if the HTML holds anything a browser would execute or that redirects the page.

    `whole_page` allows the site's own <meta charset>, <meta name=viewport|description|twitter:*>,
    <meta property=og:*>, and stylesheet, icon and canonical <link>, in <head> only; an HTML
    fragment may hold none of them.
    """
    auditor = _MarkupAuditor(whole_page=whole_page)
    auditor.feed(page)
    auditor.close()
    assert not auditor.problems, "executable markup:\n  " + "\n  ".join(auditor.problems) + f"\nin:\n{page}"


# ---- The helper itself fails on executable markup, so a pass means something ----

KNOWN_BAD_HTML = [
    pytest.param('<a href="jav&#x09;ascript:alert(1)">x</a>', id="entity-tab-in-scheme"),
    pytest.param('<a href="&#x6A;avascript:alert(1)">x</a>', id="hex-entity"),
    pytest.param('<a href="&#0000106avascript:alert(1)">x</a>', id="padded-decimal-no-semicolon"),
    pytest.param('<a href="javascript&colon;alert(1)">x</a>', id="named-colon"),
    pytest.param('<a HREF=" JaVaScRiPt:alert(1)">x</a>', id="mixed-case-leading-space"),
    pytest.param('<a href="java\x00script:alert(1)">x</a>', id="null-byte"),
    pytest.param('<a href="java\nscript:alert(1)">x</a>', id="newline"),
    pytest.param('<a href=" &#14; javascript:alert(1)">x</a>', id="leading-control"),
    pytest.param('<a href="vbscript:msgbox(1)">x</a>', id="vbscript"),
    pytest.param('<img src="data:image/svg+xml;base64,PHN2Zz4=">', id="data-img"),
    pytest.param('<img src="DATA:text/html,x">', id="data-upper"),
    pytest.param('<form action="javascript:alert(1)"></form>', id="form"),
    pytest.param('<p><button formaction="javascript:alert(1)">x</button></p>', id="formaction"),
    pytest.param('<a xlink:href="javascript:alert(1)">x</a>', id="xlink-href"),
    pytest.param("<img src=x onerror=alert(1)>", id="onerror"),
    pytest.param('<a href="x" title="x"onmouseover=alert(1)>y</a>', id="handler-without-space"),
    pytest.param("<P ONCLICK=alert(1)>x</P>", id="handler-upper"),
    pytest.param("<svg onload=alert(1)>", id="svg-onload"),
    pytest.param("<svg><polyline points='0,0'/></svg>", id="svg-inert"),
    pytest.param("<math><mi>x</mi></math>", id="math"),
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("<ScRiPt>alert(1)</ScRiPt>", id="script-mixed-case"),
    pytest.param("<svg:script>alert(1)</svg:script>", id="prefixed-script"),
    pytest.param("<style>p{}</style>", id="style-element"),
    pytest.param('<p style="color:red">x</p>', id="style-attribute"),
    pytest.param('<iframe srcdoc="x"></iframe>', id="iframe"),
    pytest.param('<img srcdoc="x">', id="srcdoc"),
    pytest.param("<object></object>", id="object"),
    pytest.param("<embed>", id="embed"),
    pytest.param('<base href="https://evil.example/">', id="base"),
    pytest.param('<meta http-equiv="refresh" content="0;url=https://evil.example/">', id="meta"),
    pytest.param('<link rel="stylesheet" href="/static/css/site.css">', id="link-in-fragment"),
    pytest.param("<noscript></noscript>", id="noscript"),
    pytest.param("<template></template>", id="template"),
]


@pytest.mark.parametrize("bad", KNOWN_BAD_HTML)
def test_helper_fails_on_known_bad_html(bad):
    with pytest.raises(AssertionError):
        assert_no_executable_markup(bad)
    # Wrapped in a page, as the page tests check it.
    with pytest.raises(AssertionError):
        assert_no_executable_markup(f"<!doctype html><html><head></head><body>{bad}</body></html>", whole_page=True)


SITE_HEAD = (
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
    '<title>t</title><meta name="description" content="&lt;script&gt;">'
    '<link rel="canonical" href="https://example.com/"><meta property="og:title" content="&lt;b&gt;">'
    '<meta property="og:image" content="https://example.com/static/og-default.png">'
    '<meta name="twitter:card" content="summary">'
    '<link rel="stylesheet" href="/static/css/site.css">'
    '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml"></head>'
)


@pytest.mark.parametrize(
    "bad_page",
    [
        pytest.param(
            '<html><head><meta http-equiv="refresh" content="0;url=javascript:alert(1)"></head></html>',
            id="meta-refresh-in-head",
        ),
        pytest.param(
            '<html><head><meta name="description" content="x" http-equiv="refresh"></head></html>',
            id="meta-extra-attribute-in-head",
        ),
        pytest.param(
            '<html><head><link rel="stylesheet" href="https://evil.example/x.css"></head></html>',
            id="foreign-stylesheet-in-head",
        ),
        pytest.param('<html><head><link rel="import" href="/static/x.html"></head></html>', id="link-import-in-head"),
        pytest.param(f'<html>{SITE_HEAD}<body><meta charset="utf-8"></body></html>', id="meta-in-body"),
        pytest.param(f"<html>{SITE_HEAD}<body><script>alert(1)</script></body></html>", id="script-in-body"),
        pytest.param("<html><head><script>alert(1)</script></head></html>", id="script-in-head"),
        pytest.param(
            '<html><head><meta property="og:image" content="javascript:alert(1)"></head></html>',
            id="og-image-not-http",
        ),
        pytest.param(
            '<html><head><meta property="refresh" content="0;url=https://evil.example/"></head></html>',
            id="meta-property-not-og",
        ),
        pytest.param(
            '<html><head><link rel="canonical" href="javascript:alert(1)"></head></html>', id="canonical-not-http"
        ),
        pytest.param(
            '<html><head><link rel="icon" href="https://evil.example/x.svg" type="image/svg+xml"></head></html>',
            id="foreign-icon-in-head",
        ),
        pytest.param(
            f'<html>{SITE_HEAD}<body><meta property="og:title" content="x"></body></html>', id="og-meta-in-body"
        ),
        pytest.param(
            '<html><head><script src="https://evil.example/x.js" defer></script></head></html>',
            id="foreign-script-in-head",
        ),
        pytest.param(
            '<html><head><script src="/static/js/x.js"></script></head></html>', id="own-script-without-defer"
        ),
        pytest.param(
            f'<html>{SITE_HEAD}<body><script src="/static/js/x.js" defer></script></body></html>',
            id="own-script-in-body",
        ),
    ],
)
def test_helper_allows_only_the_sites_own_head_markup(bad_page):
    with pytest.raises(AssertionError):
        assert_no_executable_markup(bad_page, whole_page=True)


@pytest.mark.parametrize(
    "good",
    [
        pytest.param('<p><a href="https://ok.example" target="_blank" rel="noopener noreferrer">x</a></p>', id="link"),
        pytest.param("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", id="escaped-script"),
        pytest.param("<p>javascript:alert(1) onerror=alert(1) style=x</p>", id="dangerous-words-as-text"),
        pytest.param('<img alt="<script>alert(1)</script>" src="/media/a.png" loading="lazy">', id="tag-in-attr"),
        pytest.param('<abbr title="x&quot; onmouseover=&quot;alert(1)">HTML</abbr>', id="handler-in-title"),
        pytest.param('<a href="java script:alert(1)">x</a>', id="space-in-scheme-is-relative"),
        pytest.param('<a href="&amp;#106;avascript:alert(1)">x</a>', id="double-encoded-is-literal"),
        pytest.param('<a href="mailto:me@example.com">me</a><a href="/models/a/b/">b</a>', id="mailto-and-relative"),
        pytest.param(f"<!doctype html><html>{SITE_HEAD}<body><p>x</p></body></html>", id="site-head"),
    ],
)
def test_helper_passes_inert_html(good):
    assert_no_executable_markup(good, whole_page="<html" in good)


# ---- 1. The renderer ----


# Code blocks are highlighted (Pygments classes kept on span, div, pre and code), so the corpus
# also goes through them: inside a fence, as a fence's language or options, and as raw markup.
CODE_PAYLOADS = [
    pytest.param(f"```python\n{param.values[0]}\n```", id=f"fenced-{param.id}") for param in PAYLOADS[:12]
] + [
    pytest.param('```python" onmouseover="alert(1)\nx\n```', id="fence-language-breakout"),
    pytest.param('```{.python #x onclick="alert(1)" style="color:red"}\nx\n```', id="fence-options"),
    pytest.param("```{.python full=true cssfile=x.css}\nx\n```", id="fence-pygments-options"),
    pytest.param("```html\n</code></pre></div><script>alert(1)</script>\n```", id="fence-closing-tags"),
    pytest.param('<div class="codehilite" style="position:fixed" onclick="alert(1)">x</div>', id="raw-codehilite"),
    pytest.param('<span class="k" onmouseover="alert(1)">x</span>', id="raw-highlight-span"),
    pytest.param("    <script>alert(1)</script>", id="indented-code"),
]


@pytest.mark.parametrize("payload", PAYLOADS + CODE_PAYLOADS)
def test_render_markdown_leaves_nothing_executable(payload):
    assert_no_executable_markup(render_markdown(payload))


@pytest.mark.parametrize("payload", PAYLOADS + CODE_PAYLOADS)
def test_render_inline_markdown_leaves_nothing_executable(payload):
    html = render_inline_markdown(payload)
    assert_no_executable_markup(html)
    assert "class=" not in html  # a summary keeps no class at all


def test_the_corpus_is_large_and_its_ids_unique():
    ids = [param.id for param in PAYLOADS]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)


# ---- 2. Markdown fields on the public pages ----


def get_page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode("utf-8")


def skip_nul_on_postgresql(payload: str) -> None:
    # PostgreSQL text cannot hold NUL; the admin's forms reject it (ProhibitNullCharactersValidator).
    if "\x00" in payload and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL cannot store NUL characters")


def test_the_sites_own_markup_passes(client):
    """The pages with ordinary content: the site itself has no inline script, style or handler."""
    make_profile(bio="Researcher.", intro="Hello **world**, [my models](https://huggingface.co/tester).")
    card = make_card(description="A *model*.", badges=[make_badge("SOTA", emoji="🏆")])
    make_contribution(writeup="- fixed [a bug](https://github.com/example/project/pull/1)")
    assert_no_executable_markup(get_page(client, reverse("portfolio:home")), whole_page=True)
    assert_no_executable_markup(get_page(client, card.get_absolute_url()), whole_page=True)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_fields_are_sanitized_on_the_public_pages(client, payload):
    skip_nul_on_postgresql(payload)
    make_profile(intro=payload)
    card = make_card(description=payload, summary=payload)
    make_contribution(group=make_group(intro=payload), writeup=payload)

    expected = render_markdown(payload)
    stored = [
        Profile.objects.get().intro_html,
        ModelCard.objects.get().description_html,
        ContributionGroup.objects.get().intro_html,
        Contribution.objects.get().writeup_html,
    ]
    assert stored == [expected] * 4
    expected_summary = render_inline_markdown(payload)
    assert ModelCard.objects.get().summary_html == expected_summary

    home = get_page(client, reverse("portfolio:home"))
    detail = get_page(client, card.get_absolute_url())
    assert_no_executable_markup(home, whole_page=True)
    assert_no_executable_markup(detail, whole_page=True)
    if expected.strip():  # the pages show the sanitized HTML: the profile, group and contribution; the write-up
        assert home.count(expected) >= 3
        assert expected in detail
    if expected_summary:  # the summary: on the card and at the top of the model page
        assert f'<p class="model-card__description">{expected_summary}</p>' in home
        assert f'<p class="model-detail__summary">{expected_summary}</p>' in detail


# ---- 3. Plain-text fields are escaped, not sanitized ----

# (model, field, marker, where it is shown). The marker tells the fields apart on the page.
PLAIN_TEXT_FIELDS = [
    (Profile, "display_name", "[dn]", ("home", "detail")),
    (Profile, "bio", "[bio]", ("home", "detail")),
    (Profile, "site_title", "[st]", ("home", "detail")),
    (Profile, "notice_title", "[nt]", ("home",)),
    (Profile, "models_heading", "[mh]", ("home",)),
    (Profile, "contributions_heading", "[ch]", ("home",)),
    (Profile, "datasets_heading", "[dh]", ("home",)),
    (Profile, "spaces_heading", "[sh]", ("home",)),
    (ProfileLink, "label", "[ll]", ("home", "detail")),
    (Badge, "label", "[bl]", ("home", "detail")),
    (ModelCard, "title", "[ct]", ("home", "detail")),
    (ContributionGroup, "title", "[gt]", ("home",)),
    (Contribution, "title", "[pt]", ("home",)),
]


def plain_value(model, field: str, marker: str, payload: str) -> str:
    return (marker + payload)[: model._meta.get_field(field).max_length]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_plain_text_fields_are_escaped_on_the_public_pages(client, payload):
    skip_nul_on_postgresql(payload)
    values = {
        (model, field): plain_value(model, field, marker, payload) for model, field, marker, _ in PLAIN_TEXT_FIELDS
    }
    profile = make_profile(**{field: value for (model, field), value in values.items() if model is Profile})
    ProfileLink.objects.create(profile=profile, url="https://example.com/", label=values[ProfileLink, "label"])
    emoji = payload[: Badge._meta.get_field("emoji").max_length]
    badge = make_badge(values[Badge, "label"], emoji=emoji)
    card = make_card(title=values[ModelCard, "title"], badges=[badge])
    DatasetCard.objects.create(repo_id="tester/a-dataset", is_published=True)  # under their headings
    SpaceCard.objects.create(repo_id="tester/a-space", is_published=True)
    make_contribution(group=make_group(values[ContributionGroup, "title"]), title=values[Contribution, "title"])

    pages = {
        "home": get_page(client, reverse("portfolio:home")),
        "detail": get_page(client, card.get_absolute_url()),
    }
    for page in pages.values():
        assert_no_executable_markup(page, whole_page=True)

    shown = {(model, field): values[model, field] for model, field, _, _ in PLAIN_TEXT_FIELDS}
    shown[Badge, "label"] = str(badge)  # the pill shows "emoji label"
    for model, field, _, where in PLAIN_TEXT_FIELDS:
        value = shown[model, field]
        for name in where:
            page = pages[name]
            assert escape(value) in page, f"{model.__name__}.{field} not shown escaped on {name}: {value!r}"
            if escape(value) != value:
                assert value not in page, f"{model.__name__}.{field} shown unescaped on {name}: {value!r}"


# ---- 3b. What sync_hub stores from the Hub is plain text too ----

HUB_TEXT_FIELDS = [("pipeline_tag", "[task]"), ("library_name", "[lib]"), ("license", "[lic]")]
HUB_LIST_FIELDS = [("languages", "[lang]"), ("datasets", "[ds]"), ("base_models", "[base]"), ("tags", "[tag]")]
EVAL_TEXT_FIELDS = [
    ("task_name", "[evt]"),
    ("dataset_name", "[evd]"),
    ("dataset_split", "[evs]"),
    ("metric_name", "[evm]"),
    ("dataset_config", "[evc]"),
    ("source_name", "[evn]"),
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hub_metadata_is_escaped_on_the_model_page(client, payload):
    """Model metadata on the Hub (tags, licence, model-index names) is written by whoever edits the repo."""
    skip_nul_on_postgresql(payload)
    make_profile()
    card = make_card()
    shown = {field: plain_value(ModelCard, field, marker, payload) for field, marker in HUB_TEXT_FIELDS} | {
        field: marker + payload for field, marker in HUB_LIST_FIELDS
    }
    ModelCard.objects.filter(pk=card.pk).update(
        synced_at=timezone.now(),
        downloads=1,
        likes=1,
        **{field: value for field, value in shown.items() if field in dict(HUB_TEXT_FIELDS)},
        **{field: [value] for field, value in shown.items() if field in dict(HUB_LIST_FIELDS)},
    )
    evaluation = {field: plain_value(EvalResult, field, marker, payload) for field, marker in EVAL_TEXT_FIELDS}
    result = EvalResult.objects.create(card=card, metric_value=0.5, source_url="https://example.com/", **evaluation)
    # The owner's headline repeats the result's words on the stored home-page card.
    ModelCard.objects.filter(pk=card.pk).update(headline_metric=result)
    refresh_card_html([card.pk])

    page = get_page(client, card.get_absolute_url())
    assert_no_executable_markup(page, whole_page=True)
    for field, value in (shown | evaluation).items():
        assert escape(value) in page, f"{field} not shown escaped: {value!r}"
        if escape(value) != value:
            assert value not in page, f"{field} shown unescaped: {value!r}"
    home = get_page(client, reverse("portfolio:home"))
    assert_no_executable_markup(home, whole_page=True)
    for field in ["dataset_name", "metric_name"]:
        assert escape(evaluation[field]) in home, f"{field} not shown escaped in the headline"


# ---- 4. The admin's live preview ----


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """staff_client creates a superuser per test; the default hasher would dominate the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_admin_preview_is_sanitized(staff_client, payload):
    response = staff_client.post(reverse("markdownx_markdownify"), {"content": payload})
    assert response.status_code == 200
    preview = response.content.decode("utf-8")
    assert preview == render_markdown(payload)
    assert_no_executable_markup(preview)


def test_admin_preview_is_for_staff_only(client):
    response = client.post(reverse("markdownx_markdownify"), {"content": "<b>x</b>"})
    assert response.status_code in {302, 403}
