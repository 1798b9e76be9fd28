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
    return [page.locator(".model-card").nth(i).bounding_box() for i in range(page.locator(".model-card").count())]


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
    focusable = "a[href], button, input, select, textarea"
    expected = page.evaluate(f"document.querySelectorAll('{focusable}').length")
    reached, unfocused_looking = set(), []
    for _ in range(expected + 5):
        page.keyboard.press("Tab")
        index, outline = page.evaluate(
            f"""() => {{ const el = document.activeElement, s = getComputedStyle(el);
                        return [[...document.querySelectorAll('{focusable}')].indexOf(el),
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
    # The stored card carries the date; the page's script turns it into words in the page's language.
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
