"""The profile notice's totals and the dataset and Space sections, in Chromium: desktop and phones, light and dark."""

import pytest
from django.utils import timezone

from models_showcase.models import DatasetCard, HubCard, ModelCard, SpaceCard
from models_showcase.rendering import refresh_card_html
from portfolio.demo import load_demo
from tests.browser.conftest import DESKTOP, screenshot
from tests.browser.test_contribution_notice import CONTRAST, OUTSIDE_THEIR_NOTICE, shown_text

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
NARROW = {"width": 360, "height": 740}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE, "narrow": NARROW}
STAGES = {"RUNNING": "running", "SLEEPING": "sleeping", "BUILDING": "building", "RUNTIME_ERROR": "error"}
TOTALS = "3 models · 1 dataset · 4 Spaces · 6 papers · 1.2M downloads in the last 30 days · 2.3k likes"


@pytest.fixture
def site():
    """The demo page, synced: Hub numbers on every card, and a Space in each runtime stage."""
    load_demo()
    now = timezone.now()
    ModelCard.objects.update(downloads=400_000, likes=700, synced_at=now)
    DatasetCard.objects.update(downloads=12_345, likes=155, synced_at=now)
    SpaceCard.objects.update(runtime_stage="RUNNING", likes=40, synced_at=now)
    for stage in list(STAGES)[1:]:
        space = SpaceCard.objects.create(repo_id=f"dragonkue/demo-{stage.lower()}", is_published=True, sdk="gradio")
        SpaceCard.objects.filter(pk=space.pk).update(runtime_stage=stage, likes=15, synced_at=now, hardware="cpu-basic")
    refresh_card_html(HubCard.objects.values_list("pk", flat=True))  # as sync_hub does after writing


def open_home(open_page, viewport: str, **options):
    return open_page("/", viewport=VIEWPORTS[viewport], is_mobile=viewport != "desktop", **options)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=str)
def test_totals_and_sections_fit_and_read_well(open_page, site, viewport, scheme):
    page = open_home(open_page, viewport, color_scheme=scheme)
    totals = page.locator(".notice--primary .totals")
    assert totals.is_visible()
    assert " · ".join(shown_text(item) for item in totals.locator("li").all()) == TOTALS
    assert totals.get_attribute("aria-label") == "Totals"

    headings = page.locator("h2.section__title").all_inner_texts()
    assert headings == ["🏆 SOTA 모델들", "Datasets", "Spaces", "Publications", "GitHub 기여"]
    dataset = page.locator("#datasets-heading + .model-grid .model-card")
    assert dataset.count() == 1 and dataset.locator(".model-card__facts").is_visible()
    spaces = page.locator("#spaces-heading + .model-grid .model-card")
    assert spaces.count() == 4
    running = page.locator("#space-dragonkue--BGE-m3-ko-demo")
    assert shown_text(running.locator(".stage")) == "Running"
    demo = running.locator(".model-card__demo a")
    assert demo.is_visible() and shown_text(demo) == "Open the demo"
    assert demo.get_attribute("href") == "https://huggingface.co/spaces/dragonkue/BGE-m3-ko-demo"

    # Nothing wider than the screen, nothing out of its notice or its card.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(OUTSIDE_THEIR_NOTICE) == []
    outside_cards = page.evaluate(
        """() => [...document.querySelectorAll('.model-card')].flatMap(card => {
            const box = card.getBoundingClientRect();
            return [...card.querySelectorAll('*')].filter(e => !e.closest('.visually-hidden'))
                .map(e => [e, e.getBoundingClientRect()])
                .filter(([, r]) => r.width && (r.left < box.left - 0.5 || r.right > box.right + 0.5))
                .map(([e]) => `${card.id}: ${e.className || e.tagName}`);
        })"""
    )
    assert outside_cards == []
    # A pill is one line, never squeezed into two.
    heights = page.evaluate("[...document.querySelectorAll('.stage')].map(p => p.clientHeight)")
    assert len(heights) == 4 and max(heights) < 2 * min(heights)

    # Readable: the totals, each stage's pill, the demo link, at 4.5:1 or more.
    ratios = {"totals": min(item.evaluate(CONTRAST) for item in totals.locator("li, strong").all())}
    for stage in STAGES.values():
        ratios[f"stage {stage}"] = page.locator(f".stage--{stage}").evaluate(CONTRAST)
    ratios["demo link"] = min(link.evaluate(CONTRAST) for link in page.locator(".model-card__demo a").all())
    assert {name: round(ratio, 2) for name, ratio in ratios.items() if ratio < 4.5} == {}
    screenshot(page, f"home-sections-{viewport}-{scheme}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations(open_page, axe_source, site, scheme):
    page = open_page("/", bypass_csp=True, color_scheme=scheme)
    page.add_script_tag(content=axe_source)
    result = page.evaluate(
        """async () => (await axe.run({include: [['.notice--primary'], ['#datasets-heading'],
                                                 ['section[aria-labelledby=datasets-heading]'],
                                                 ['section[aria-labelledby=spaces-heading]']]})).violations"""
    )
    assert [f"{v['id']}: {v['nodes'][0]['target']}" for v in result if v["impact"] in ("serious", "critical")] == []


def test_sections_follow_the_owners_order_in_the_browser(open_page, site):
    from portfolio.models import Profile

    profile = Profile.objects.get()
    profile.sections = [{"key": "spaces", "shown": True}, {"key": "contributions", "shown": True},
                        {"key": "models", "shown": False}]  # fmt: skip
    profile.save()
    page = open_home(open_page, "phone")
    assert page.locator("h2.section__title").all_inner_texts() == ["Spaces", "GitHub 기여", "Datasets", "Publications"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_owner_arranges_the_sections_in_the_admin(signed_in, site, live_server):
    page = signed_in()
    page.goto(live_server.url + "/admin/portfolio/profile/")
    table = page.locator("table.home-sections")
    assert table.locator("tbody th").all_inner_texts() == [
        "Models", "Datasets", "Spaces", "Publications", "GitHub contributions"
    ]  # fmt: skip
    page.get_by_label("Models", exact=True).uncheck()
    page.get_by_label("Position of GitHub contributions").fill("1")
    page.get_by_label("Position of Models").fill("5")
    table.scroll_into_view_if_needed()
    screenshot(page, "admin-home-sections")
    page.locator("input[name=_continue]").click()
    page.wait_for_selector(".messagelist .success")
    rows = page.locator("table.home-sections tbody th").all_inner_texts()
    assert rows == ["GitHub contributions", "Datasets", "Spaces", "Publications", "Models"]
    assert not page.get_by_label("Models", exact=True).is_checked()
    home = page.context.new_page()
    home.goto(live_server.url + "/")
    assert home.locator("h2.section__title").all_inner_texts() == ["GitHub 기여", "Datasets", "Spaces", "Publications"]
