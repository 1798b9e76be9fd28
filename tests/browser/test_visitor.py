"""The public page as a visitor meets it, in Chromium: desktop, phone, dark mode, keyboard, screen reader."""

from datetime import timedelta

import pytest
from django.utils import timezone

from models_showcase.models import EvalResult, HubSnapshot, ModelCard
from models_showcase.rendering import refresh_card_html
from portfolio.demo import load_demo
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.test_evals import load_model_index

pytestmark = pytest.mark.django_db(transaction=True)

SEED_CARDS = [
    "dragonkue/snowflake-arctic-embed-l-v2.0-ko",
    "dragonkue/BGE-m3-ko",
    "dragonkue/bge-reranker-v2-m3-ko",
]


@pytest.fixture
def seed():
    """The demo content, with Hub statistics and a month of history on every card."""
    load_demo()
    today = timezone.localdate()
    for index, card in enumerate(ModelCard.objects.all()):
        ModelCard.objects.filter(pk=card.pk).update(
            downloads=12000 + index * 3000, downloads_all_time=56000, likes=40 + index,
            library_name="sentence-transformers", pipeline_tag="sentence-similarity", license="apache-2.0",
            languages=["ko"], tags=["ko"],
            parameters=567754752, synced_at=timezone.now(),
        )  # fmt: skip
        for days_ago in (30, 20, 10, 0):
            HubSnapshot.objects.create(
                card=card, date=today - timedelta(days=days_ago), downloads=9000 + 100 * (30 - days_ago), likes=40
            )
        result = EvalResult.objects.create(card=card, task_type="Retrieval", dataset_name="MTEB 한국어",
                                           metric_name="NDCG@10", metric_value=0.74, verified=True)  # fmt: skip
        ModelCard.objects.filter(pk=card.pk).update(headline_metric=result)
    refresh_card_html(ModelCard.objects.values_list("pk", flat=True))  # as sync_hub does after writing


def card_boxes(page):
    cards = page.locator(".model-card--model")
    return [cards.nth(i).bounding_box() for i in range(cards.count())]


def test_desktop_shows_the_three_seed_cards_in_one_row(open_page, seed):
    page = open_page("/", viewport=DESKTOP)
    boxes = card_boxes(page)
    assert len(boxes) == 3
    assert len({round(box["y"]) for box in boxes}) == 1
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]
    screenshot(page, "desktop")


def test_phone_is_one_column_without_horizontal_scrolling(open_page, seed):
    page = open_page("/", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    boxes = card_boxes(page)
    assert len({round(box["x"]) for box in boxes}) == 1
    assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Readable without zooming: body text at 16 px or more.
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
    # Tap targets: every link that stands on its own (not inside a sentence) is at least 44 px high.
    small = page.evaluate(
        """() => [...document.querySelectorAll(
              '.author__links a, .model-card__link, .model-card__more a, .notice a, .breadcrumbs a')]
            .map(a => [a.textContent.trim(), a.getBoundingClientRect()])
            .filter(([, r]) => r.height < 44 || r.width < 24)
            .map(([text, r]) => `${text}: ${Math.round(r.width)}x${Math.round(r.height)}`)"""
    )
    assert small == []
    screenshot(page, "phone")
    detail = open_page(f"/models/{SEED_CARDS[1]}/", viewport=PHONE, is_mobile=True)
    assert detail.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_korean_is_drawn_with_a_font_that_has_hangul(open_page, seed):
    page = open_page("/")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#models-heading"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    hangul = sum(1 for char in "모델들" if char)
    families = {font["familyName"]: font["glyphCount"] for font in fonts}
    assert any(("CJK" in name or "KR" in name) and count >= hangul for name, count in families.items()), families


def test_external_links_open_safely_in_a_new_tab_and_go_to_the_right_place(open_page, seed):
    page = open_page("/")
    links = page.evaluate("[...document.querySelectorAll('a[href^=\"http\"]')].map(a => [a.href, a.target, a.rel])")
    assert links
    for href, target, rel in links:
        assert target == "_blank", href
        assert {"noopener", "noreferrer"} <= set(rel.split()), href
    hrefs = {href for href, _, _ in links}
    assert "https://huggingface.co/dragonkue" in hrefs
    assert {f"https://huggingface.co/{repo}" for repo in SEED_CARDS} <= hrefs
    assert "https://github.com/UKPLab/sentence-transformers/pull/2946" in hrefs
    assert "https://github.com/UKPLab/sentence-transformers/pull/3299" in hrefs


def test_dark_mode_follows_the_system(open_page, seed):
    light = open_page("/", color_scheme="light")
    dark = open_page("/", color_scheme="dark")
    background = "getComputedStyle(document.body).backgroundColor"
    assert light.evaluate(background) == "rgb(255, 255, 255)"
    assert dark.evaluate(background) == "rgb(15, 20, 25)"
    screenshot(dark, "dark")


def test_every_link_is_reachable_with_tab_and_shows_focus(open_page, seed):
    page = open_page("/")
    # What a visitor can see: a link inside a folded <details> (an abstract, a BibTeX entry) is not
    # reachable until the details are opened, as the browser intends.
    focusable = (
        "[...document.querySelectorAll('a[href], button, input, select, textarea, summary')]"
        ".filter(e => e.checkVisibility())"
    )
    expected = page.evaluate(f"{focusable}.length")
    reached, unfocused_looking = set(), []
    for _ in range(expected + 5):
        page.keyboard.press("Tab")
        index, outline = page.evaluate(
            f"""() => {{ const el = document.activeElement, s = getComputedStyle(el);
                        return [{focusable}.indexOf(el),
                                s.outlineStyle === 'none' || s.outlineWidth === '0px' ? el.outerHTML.slice(0, 80) : ''];
                     }}"""
        )
        if index < 0:
            continue  # past the last link focus leaves the page for the browser's own controls
        if index in reached:
            break  # went round
        reached.add(index)
        if outline:
            unfocused_looking.append(outline)
    assert reached == set(range(expected))
    assert unfocused_looking == []


def _axe_violations(open_page, axe_source, path, **options):
    # axe is injected as an inline script: only this test's browser context bypasses the CSP for it.
    page = open_page(path, bypass_csp=True, **options)
    page.add_script_tag(content=axe_source)
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("path", ["/", *(f"/models/{repo}/" for repo in SEED_CARDS)])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations(open_page, axe_source, seed, path, scheme):
    assert _axe_violations(open_page, axe_source, path, color_scheme=scheme) == []


def test_nothing_is_loaded_from_another_origin(browser, live_server, seed):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    for path in ["/", f"/models/{SEED_CARDS[0]}/"]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    context.close()
    assert requested
    assert [url for url in requested if not url.startswith(live_server.url)] == []


def test_last_synced_reads_as_time_ago(open_page, seed):
    page = open_page("/")
    element = page.locator(".model-card__synced time").first
    # The stored card carries the date; the page's script turns it into words in the page's language,
    # once the page has loaded and the browser is idle (nothing of it on the critical path).
    page.wait_for_selector(".model-card__synced time[title]")
    assert element.get_attribute("title") == element.get_attribute("datetime")[:10]
    text = element.inner_text()
    assert text in {"now", "지금"} or text.endswith(("ago", "전")), text


@pytest.fixture
def mteb_page(seed):
    """BGE-m3-ko with the 1,424 results of an MTEB model-index."""
    card = ModelCard.objects.get(repo_id=SEED_CARDS[1])
    card.eval_results.all().delete()
    load_model_index(card)
    return f"/models/{card.repo_id}/"


def test_evaluation_results_fold_and_fit_a_phone(open_page, mteb_page):
    page = open_page(mteb_page, viewport=PHONE, is_mobile=True, has_touch=True)
    assert page.locator("details.evals__dataset").count() == 22
    assert page.locator("details[open]").count() == 0
    assert not page.locator(".evals__metrics").first.is_visible()
    heights = page.evaluate("[...document.querySelectorAll('summary')].map(s => s.getBoundingClientRect().height)")
    assert min(heights) >= 44  # each summary is a tap target
    page.locator("summary").first.click()
    assert page.locator(".evals__metrics").first.is_visible()
    # A wide metric table scrolls inside itself; the page never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "phone-evaluation-results")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_evaluation_results_are_accessible_when_open(open_page, axe_source, mteb_page, scheme):
    page = open_page(mteb_page, bypass_csp=True, color_scheme=scheme)
    page.evaluate("document.querySelector('details.evals__dataset').open = true")
    page.add_script_tag(content=axe_source)
    result = page.evaluate("async () => (await axe.run(document)).violations")
    assert [v["id"] for v in result if v["impact"] in ("serious", "critical")] == []


# ---- Drafts, as staff preview them ----


@pytest.fixture
def staff_cookie(django_user_model, live_server):
    """A signed-in superuser's session cookie, for a browser context on the live server."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(django_user_model.objects.create_superuser("owner", "owner@example.com", "a-long-passphrase"))
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url}  # fmt: skip


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_staff_preview_a_draft_with_a_visible_banner(browser, live_server, seed, staff_cookie, axe_source, scheme):
    draft = ModelCard.objects.create(repo_id="dragonkue/draft-model", summary="아직 *공개 전* 모델", is_published=False)
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url, color_scheme=scheme, bypass_csp=True)
    context.add_cookies([staff_cookie])
    page = context.new_page()
    try:
        assert page.goto(draft.get_absolute_url()).status == 200
        banner = page.locator(".draft-banner")
        assert banner.is_visible()
        assert "Draft — not public" in banner.inner_text()
        assert page.evaluate("getComputedStyle(document.querySelector('.draft-banner')).borderTopStyle") == "dashed"
        page.goto("/")
        assert page.locator(".model-grid > .draft .draft-banner").is_visible()
        assert page.locator(".model-grid > .draft .model-card").count() == 1
        screenshot(page, f"staff-draft-preview-{scheme}")
        page.add_script_tag(content=axe_source)
        result = page.evaluate("async () => (await axe.run(document)).violations")
        assert [v["id"] for v in result if v["impact"] in ("serious", "critical")] == []
    finally:
        context.close()
    visitor = browser.new_context(base_url=live_server.url)
    try:
        assert visitor.new_page().goto(draft.get_absolute_url()).status == 404
    finally:
        visitor.close()


# ---- A model's write-up: highlighted code and wide tables ----

WRITE_UP = """## 사용법

```python
from sentence_transformers import SentenceTransformer

# 한국어 검색에 맞춘 모델
model = SentenceTransformer("dragonkue/BGE-m3-ko", trust_remote_code=True, device="cuda")
embeddings = model.encode(["질문", "문서"], batch_size=32, normalize_embeddings=True)
```

| Model | MTEB-ko NDCG@10 | AutoRAG MRR@10 | Parameters | Context length | Licence | Base model |
|:--|--:|--:|--:|--:|:--|:--|
| dragonkue/BGE-m3-ko | 0.7431 | 0.6712 | 568M | 8192 | apache-2.0 | BAAI/bge-m3 |
"""


@pytest.fixture
def write_up_page(seed):
    card = ModelCard.objects.get(repo_id=SEED_CARDS[1])
    card.description = WRITE_UP
    card.save()
    return card.get_absolute_url()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_highlighted_code_is_readable_in_light_and_dark(open_page, axe_source, write_up_page, scheme):
    page = open_page(write_up_page, bypass_csp=True, color_scheme=scheme)
    code = page.locator(".prose .codehilite pre")
    assert code.is_visible()
    colours = page.evaluate(
        """() => Object.fromEntries(['.kn', '.kc', '.s2', '.c1', '.n'].map(sel => {
               const el = document.querySelector('.prose .codehilite ' + sel);
               return [sel, el ? getComputedStyle(el).color : null];
           }))"""
    )
    assert None not in colours.values(), colours
    text = page.evaluate("getComputedStyle(document.body).color")
    assert colours[".kn"] != text and colours[".s2"] != text and colours[".c1"] != text  # highlighted, not plain
    assert len({colours[".kn"], colours[".s2"], colours[".c1"]}) == 3
    background = page.evaluate("getComputedStyle(document.querySelector('.prose .codehilite pre')).backgroundColor")
    assert background == {"light": "rgb(238, 241, 244)", "dark": "rgb(31, 38, 46)"}[scheme]
    screenshot(page, f"code-{scheme}")
    page.add_script_tag(content=axe_source)
    result = page.evaluate("async () => (await axe.run(document, {runOnly: ['color-contrast']})).violations")
    assert [node["target"] for v in result for node in v["nodes"]] == []


def test_highlighting_differs_between_light_and_dark(open_page, write_up_page):
    keyword = "getComputedStyle(document.querySelector('.prose .codehilite .kn')).color"
    light = open_page(write_up_page, color_scheme="light").evaluate(keyword)
    dark = open_page(write_up_page, color_scheme="dark").evaluate(keyword)
    assert light != dark


def test_wide_code_and_tables_scroll_inside_themselves_on_a_phone(open_page, write_up_page):
    page = open_page(write_up_page, viewport=PHONE, is_mobile=True, has_touch=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for selector in [".prose .codehilite pre", ".prose table"]:
        box = page.evaluate(
            f"""() => {{ const el = document.querySelector('{selector}'), r = el.getBoundingClientRect();
                        return [el.scrollWidth, el.clientWidth, r.right]; }}"""
        )
        scroll_width, client_width, right = box
        assert scroll_width > client_width, selector  # wider than the phone: it scrolls...
        assert right <= PHONE["width"], selector  # ...inside its own box
    screenshot(page, "phone-write-up")
