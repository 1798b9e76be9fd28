"""Sharing and search: the <head> of the public pages, robots.txt, the sitemap and the favicon."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone, translation
from PIL import Image

from models_showcase.models import ModelCard
from portfolio.models import Profile
from portfolio.templatetags.seo import DESCRIPTION_LENGTH, html_summary, og_locale, share_title, summary
from tests.builders import make_badge, make_card, make_contribution, make_profile
from tests.test_home import HOME_QUERIES

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
SITE = "https://portfolio.example.com"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


class _HeadReader(HTMLParser):
    """The <meta> and <link> tags of the page's <head>, as a browser (or a crawler) reads them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_head = False
        self.meta: dict[str, list[str]] = {}
        self.links: dict[str, list[dict]] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "head":
            self.in_head = True
        elif tag == "body":
            self.in_head = False
        elif self.in_head and tag == "meta" and "content" in attributes:
            key = attributes.get("property") or attributes.get("name")
            self.meta.setdefault(key, []).append(attributes["content"])
        elif self.in_head and tag == "link":
            self.links.setdefault(attributes["rel"], []).append(attributes)

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


class Head:
    def __init__(self, page: str):
        reader = _HeadReader()
        reader.feed(page)
        reader.close()
        self.raw = page.split("</head>", 1)[0]
        self._meta, self._links = reader.meta, reader.links

    def meta(self, key: str) -> str:
        """The content of the one <meta> named `key` (name= or property=)."""
        values = self._meta.get(key, [])
        assert len(values) == 1, f"{key}: {values}"
        return values[0]

    def link(self, rel: str) -> dict:
        values = self._links.get(rel, [])
        assert len(values) == 1, f"{rel}: {values}"
        return values[0]


def get_head(client, url: str) -> Head:
    response = client.get(url)
    assert response.status_code == 200, url
    return Head(response.content.decode("utf-8"))


SHARED_KEYS = [
    "description",
    "og:type",
    "og:title",
    "og:description",
    "og:url",
    "og:image",
    "og:site_name",
    "og:locale",
    "twitter:card",
    "twitter:title",
    "twitter:description",
    "twitter:image",
]


# ---- The home page ----


def test_home_head_has_every_tag_with_absolute_urls(client, settings):
    settings.LANGUAGE_CODE = "ko"
    make_profile(site_title="My Portfolio", intro="Korean **retrieval** models.")
    make_card()
    head = get_head(client, "/")
    for key in SHARED_KEYS:
        head.meta(key)  # present, exactly once
    assert head.link("canonical")["href"] == f"{SITE}/"
    assert head.meta("og:url") == f"{SITE}/"
    assert head.meta("og:type") == "website"
    assert head.meta("og:title") == head.meta("twitter:title") == "Test Owner · My Portfolio"
    assert head.meta("og:site_name") == "My Portfolio"
    assert head.meta("og:locale") == "ko_KR"
    assert head.meta("description") == "Korean retrieval models."
    assert head.meta("og:description") == head.meta("twitter:description") == head.meta("description")
    assert head.meta("og:image") == head.meta("twitter:image") == f"{SITE}/static/og-default.png"
    assert head.meta("twitter:card") == "summary"
    icon = head.link("icon")
    assert (icon["href"], icon["type"]) == ("/static/favicon.svg", "image/svg+xml")


# ---- Absolute URLs come from SITE_URL, never from the request (a cached page is everyone's) ----

FORGED = [
    {"HTTP_HOST": "127.0.0.1:6666"},
    {"HTTP_HOST": "portfolio.example.com."},  # a trailing dot
    {"HTTP_HOST": "PORTFOLIO.example.com:8443"},
    {"HTTP_X_FORWARDED_PROTO": "http", "HTTP_X_FORWARDED_HOST": "evil.example"},
    {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "evil.example:444"},
    {"HTTP_HOST": "localhost", "wsgi.url_scheme": "https"},
]


@pytest.fixture
def any_host(settings):
    """Every Host is allowed and proxy headers are believed: only SITE_URL may decide the URLs."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.USE_X_FORWARDED_HOST = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def expected_head_urls(card) -> dict[str, str]:
    return {
        "/": f"{SITE}/",
        card.get_absolute_url(): f"{SITE}{card.get_absolute_url()}",
    }


@pytest.mark.parametrize("headers", FORGED)
@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_page_urls_never_follow_the_requests_host_port_or_scheme(client, any_host, headers, cache):
    make_profile()
    card = make_card(cover_image="covers/wide.png")
    for path, url in expected_head_urls(card).items():
        if cache == "warm":
            client.get(path)  # a plain request fills the page cache first
        response = client.get(path, **headers)
        assert response.status_code == 200
        head = Head(response.content.decode())
        assert head.link("canonical")["href"] == head.meta("og:url") == url
        assert head.meta("og:image").startswith(f"{SITE}/")
        assert head.meta("twitter:image") == head.meta("og:image")
        # And the next, ordinary visitor gets the same page (cold: the forged request filled the cache).
        assert client.get(path).content == response.content


@pytest.mark.parametrize("headers", FORGED)
def test_robots_and_sitemap_never_follow_the_requests_host(client, any_host, headers):
    card = make_card()
    robots = client.get("/robots.txt", **headers).content.decode()
    assert f"Sitemap: {SITE}/sitemap.xml" in robots.splitlines()
    response = client.get("/sitemap.xml", **headers)
    root = ET.fromstring(response.content)  # noqa: S314 (the site's own output)
    locations = {url.findtext("sm:loc", namespaces=SITEMAP_NS) for url in root.findall("sm:url", SITEMAP_NS)}
    assert locations == {f"{SITE}/", f"{SITE}{card.get_absolute_url()}"}


@pytest.mark.parametrize(
    ("site_url", "home"),
    [("http://127.0.0.1:8000", "http://127.0.0.1:8000/"), ("https://example.org:8443", "https://example.org:8443/")],
)
def test_urls_follow_site_url(client, settings, site_url, home):
    settings.SITE_URL = site_url
    make_profile(avatar="profile/me.png")
    head = get_head(client, "/")
    assert head.link("canonical")["href"] == home
    assert head.meta("og:image") == f"{home}media/profile/me.png"


def test_home_description_is_the_intro_as_plain_text_and_escaped(client):
    make_profile(
        intro='Our **best** "model" beats <b>raw</b> tags; see `<b>` and A&B.\n\nA second   paragraph\nover two lines.',
        bio="Not the bio.",
    )
    head = get_head(client, "/")
    expected = 'Our best "model" beats raw tags; see <b> and A&B. A second paragraph over two lines.'
    assert head.meta("description") == expected
    # In the HTML: escaped exactly once, so the quote cannot end the attribute and no tag appears.
    escaped = "Our best &quot;model&quot; beats raw tags; see &lt;b&gt; and A&amp;B. A second paragraph over two lines."
    assert f'<meta name="description" content="{escaped}">' in head.raw
    assert f'<meta property="og:description" content="{escaped}">' in head.raw
    assert "<b>" not in head.raw
    assert "&amp;lt;" not in head.raw  # not escaped twice


def test_a_long_intro_is_cut_at_a_word(client):
    make_profile(intro="word " * 100)
    description = get_head(client, "/").meta("description")
    assert len(description) <= DESCRIPTION_LENGTH
    assert description.endswith("word…")


def test_home_description_falls_back_to_the_bio_then_the_site_title(client):
    profile = make_profile(bio='A  "researcher"\nin <Seoul>.', site_title="Site title")
    assert get_head(client, "/").meta("description") == 'A "researcher" in <Seoul>.'
    profile.bio = ""
    profile.save()
    assert get_head(client, "/").meta("description") == "Site title"


def test_home_before_any_profile_exists(client):
    head = get_head(client, "/")
    default_title = Profile._meta.get_field("site_title").default
    assert head.meta("description") == head.meta("og:site_name") == default_title
    assert head.meta("og:image") == f"{SITE}/static/og-default.png"


# ---- A model page ----


def test_model_page_head_has_every_tag_with_absolute_urls(client):
    make_profile(site_title="My Portfolio")
    card = make_card("dragonkue/BGE-m3-ko", title="BGE-m3-ko", description="The **best** Korean embedding model.")
    head = get_head(client, card.get_absolute_url())
    for key in SHARED_KEYS:
        head.meta(key)
    url = f"{SITE}/models/dragonkue/BGE-m3-ko/"
    assert head.link("canonical")["href"] == url
    assert head.meta("og:url") == url
    assert head.meta("og:type") == "article"
    assert head.meta("og:title") == head.meta("twitter:title") == "BGE-m3-ko · My Portfolio"
    assert head.meta("og:site_name") == "My Portfolio"
    assert head.meta("description") == "The best Korean embedding model."
    assert head.meta("og:description") == head.meta("twitter:description") == "The best Korean embedding model."


def test_og_title_is_the_pages_name_then_the_site_title_on_every_page(client):
    make_profile(display_name='Kim "dragonkue"', site_title="Portfolio <3")
    card = make_card("dragonkue/BGE-m3-ko", title="BGE-m3-ko <b>")
    draft = make_card("dragonkue/draft", title="Draft title", is_published=False)
    for url, expected in [
        ("/", 'Kim "dragonkue" · Portfolio <3'),
        (card.get_absolute_url(), "BGE-m3-ko <b> · Portfolio <3"),
    ]:
        head = get_head(client, url)
        assert head.meta("og:title") == head.meta("twitter:title") == expected
        assert head.meta("og:site_name") == "Portfolio <3"
    assert "<b>" not in Head(client.get(card.get_absolute_url()).content.decode()).raw  # escaped
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_share_title():
    assert share_title("BGE-m3-ko", "My Portfolio") == "BGE-m3-ko · My Portfolio"
    assert share_title("  two\n words ", "Site") == "two words · Site"
    assert share_title("", "Site") == share_title("Site", "Site") == "Site"


def test_model_page_description_is_the_summary_not_the_write_up(client):
    card = make_card(
        summary="The **best** Korean `embedding` [model](https://example.com).",
        description="## Results\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nLong write-up text.",
    )
    head = get_head(client, card.get_absolute_url())
    assert head.meta("description") == head.meta("og:description") == "The best Korean embedding model."


def test_without_a_summary_the_write_ups_text_without_code_or_tables(client):
    card = make_card(
        description="## Results\n\n| model | score |\n|---|---|\n| bge | 0.91 |\n\n"
        "```python\nprint('code')\n```\n\nUse `encode()` on <b>Korean</b> text.\n\n![chart](https://example.com/c.png)"
    )
    head = get_head(client, card.get_absolute_url())
    assert head.meta("og:description") == "Results Use encode() on Korean text."


def test_the_canonical_url_is_the_hubs_spelling(client):
    card = make_card("dragonkue/BGE-m3-ko")
    head = get_head(client, "/models/dragonkue/BGE-m3-ko/?utm_source=x")
    assert head.link("canonical")["href"] == f"{SITE}{card.get_absolute_url()}"


def test_model_page_without_a_description_names_the_model(client):
    card = make_card("tester/quiet", title='<i>Quiet</i> "model"')
    head = get_head(client, card.get_absolute_url())
    assert head.meta("description") == '<i>Quiet</i> "model" on the Hugging Face Hub'
    assert "&lt;i&gt;Quiet&lt;/i&gt; &quot;model&quot; on the Hugging Face Hub" in head.raw
    assert "<i>" not in head.raw


# ---- The preview image: cover, else avatar, else the default ----


def test_share_image_falls_back_from_cover_to_avatar_to_default(client):
    profile = make_profile()
    with_cover = make_card(cover_image="covers/wide.png")
    without_cover = make_card()

    head = get_head(client, with_cover.get_absolute_url())
    assert head.meta("og:image") == head.meta("twitter:image") == f"{SITE}/media/covers/wide.png"
    assert head.meta("twitter:card") == "summary_large_image"

    head = get_head(client, without_cover.get_absolute_url())
    assert head.meta("og:image") == f"{SITE}/static/og-default.png"
    assert head.meta("twitter:card") == "summary"

    profile.avatar = "profile/me.png"
    profile.save()
    for url in ["/", without_cover.get_absolute_url()]:
        head = get_head(client, url)
        assert head.meta("og:image") == head.meta("twitter:image") == f"{SITE}/media/profile/me.png"
        assert head.meta("twitter:card") == "summary"
    assert get_head(client, with_cover.get_absolute_url()).meta("og:image") == f"{SITE}/media/covers/wide.png"


def test_default_share_image_is_1200_by_630():
    path = finders.find("og-default.png")
    assert path
    with Image.open(path) as image:
        assert (image.format, image.size) == ("PNG", (1200, 630))


# ---- The meta tags cost no query ----


@pytest.mark.parametrize("cards", [0, 3, 60])
def test_meta_tags_add_no_query_to_the_home_page(client, django_assert_num_queries, cards):
    """The same count as tests/test_home.py pins, with every source of the meta tags filled in."""
    profile = make_profile(intro="An **intro**.", bio="A bio.", avatar="profile/me.png")
    profile.links.create(kind="website", url="https://example.com")
    badges = [make_badge(), make_badge()]
    for _ in range(cards):
        make_card(badges=badges, cover_image="covers/wide.png", description="A *card*.")
    for _ in range(cards // 3):
        make_contribution()
    with django_assert_num_queries(HOME_QUERIES - 1):  # as without meta tags (tests/test_home.py; no papers)
        head = get_head(client, "/")
    assert head.meta("description") == "An intro."


# ---- robots.txt ----


def test_robots_txt_keeps_crawlers_out_of_the_admin_and_names_the_sitemap(client, settings):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert f"Disallow: /{settings.ADMIN_URL}" in lines
    assert "Disallow: /markdownx/" in lines
    assert f"Sitemap: {SITE}/sitemap.xml" in lines
    # Nothing else is disallowed: the public pages are open.
    assert [line for line in lines if line.startswith("Disallow:")] == ["Disallow: /admin/", "Disallow: /markdownx/"]


def test_robots_txt_never_reveals_a_moved_admin(client, settings):
    settings.ADMIN_URL = "back-office-7f3a/"
    text = client.get("/robots.txt").content.decode()
    assert "back-office" not in text
    assert "Disallow: /markdownx/" in text


# ---- sitemap.xml ----


def sitemap_entries(client) -> dict[str, str | None]:
    """{location: lastmod} of /sitemap.xml."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    root = ET.fromstring(response.content)  # noqa: S314 (the site's own output)
    return {
        url.findtext("sm:loc", namespaces=SITEMAP_NS): url.findtext("sm:lastmod", namespaces=SITEMAP_NS)
        for url in root.findall("sm:url", SITEMAP_NS)
    }


def day(moment) -> str:
    return timezone.localtime(moment).date().isoformat()


def card_dated(repo_id: str, *, updated, synced, is_published=True) -> ModelCard:
    """A card last edited at `updated` and last synced at `synced` (auto_now bypassed)."""
    card = make_card(repo_id, is_published=is_published)
    ModelCard.objects.filter(pk=card.pk).update(updated_at=updated, synced_at=synced)
    return card


def test_sitemap_lists_home_and_published_cards_only_with_lastmod(client):
    now = timezone.now()
    make_profile()
    Profile.objects.update(updated_at=now - timedelta(days=30))
    card_dated("tester/synced", updated=now - timedelta(days=20), synced=now - timedelta(days=2))
    card_dated("tester/edited", updated=now - timedelta(days=5), synced=now - timedelta(days=9))
    card_dated("tester/draft", updated=now, synced=now + timedelta(days=3), is_published=False)

    entries = sitemap_entries(client)
    assert entries == {
        # The home page shows every published card: the latest change of any of them.
        f"{SITE}/": day(now - timedelta(days=2)),
        f"{SITE}/models/tester/synced/": day(now - timedelta(days=2)),  # synced after the edit
        f"{SITE}/models/tester/edited/": day(now - timedelta(days=5)),  # edited after the sync
    }


def test_sitemap_home_lastmod_follows_the_profile(client):
    now = timezone.now()
    make_profile()
    Profile.objects.update(updated_at=now + timedelta(days=4))
    card = card_dated("tester/never-synced", updated=now - timedelta(days=1), synced=None)
    entries = sitemap_entries(client)
    assert entries[f"{SITE}/"] == day(now + timedelta(days=4))
    assert entries[f"{SITE}{card.get_absolute_url()}"] == day(now - timedelta(days=1))


def test_sitemap_of_an_empty_site_has_the_home_page(client):
    assert sitemap_entries(client) == {f"{SITE}/": None}


# ---- The favicon ----


def test_favicon_ico_leads_to_the_svg_which_is_served(client, settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/ without collectstatic, as in development
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"
    svg = client.get(response["Location"])
    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    content = b"".join(svg.streaming_content).decode()
    assert content.startswith("<svg") and "#2c5aa0" in content
    # An icon with no script, no text and nothing from elsewhere.
    assert not re.search(r"<script|<text|\bon\w+=|href=", content)


# ---- The helpers ----


@pytest.mark.parametrize(
    ("language", "locale"),
    [("ko", "ko_KR"), ("en", "en_US"), ("en-gb", "en_GB"), ("pt-br", "pt_BR"), ("fr", "fr_FR"), ("zh-hans", "zh_CN")],
)
def test_og_locale(language, locale):
    with translation.override(language):
        assert og_locale() == locale


def test_summaries():
    assert html_summary("<p>one</p><p>two</p>") == "one two"
    assert html_summary("<p>a <strong>b</strong>c</p>") == "a bc"
    assert html_summary("<p>&lt;script&gt; &amp;amp;</p>") == "<script> &amp;"
    assert summary("x" * 200) == "x" * (DESCRIPTION_LENGTH - 1) + "…"
    assert summary("  spaced \n out  ") == "spaced out"
    assert summary("") == html_summary("") == ""
    # Code blocks, highlighted or not, and tables are no sentence; inline code is.
    assert (
        html_summary(
            '<p>a</p><div class="codehilite"><pre><span></span><code><span class="k">x</span></code></pre></div>'
            "<table><tr><td>1</td></tr></table><p>b <code>c</code><br>d</p>"
        )
        == "a b c d"
    )
