"""The model card list in Chromium, under the site's CSP: a Hub sync followed on the page, rows dragged into order.

The sync runs for real: the action starts `manage.py sync_hub --run-id`, a process of its own,
pointed at the test database and at a fake Hub started here.
"""

import pytest
from django.utils import timezone
from huggingface_hub import constants

from contributions.models import ContributionGroup
from models_showcase.models import ModelCard
from portfolio.demo import load_demo
from portfolio.models import SyncRun
from tests.browser.conftest import screenshot
from tests.fakehub import FakeHub, seed_models, slow
from tests.sync_process import point_sync_processes_at

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "/admin/models_showcase/modelcard/"


@pytest.fixture
def hub(monkeypatch, settings, tmp_path):
    settings.SYNC_LOCK_DIR = tmp_path
    with FakeHub(seed_models()) as fake:
        monkeypatch.setattr(constants, "ENDPOINT", fake.url)
        point_sync_processes_at(monkeypatch, hub_url=fake.url, tmp_path=tmp_path)
        yield fake


@pytest.fixture
def owner_page(signed_in):
    """The admin, logged in, with the demo's cards."""
    load_demo()
    return signed_in()


def list_order(page) -> list[str]:
    return page.locator("#result_list tbody .field-hub_id a").all_inner_texts()


def test_owner_syncs_from_the_list_and_sees_the_outcome_appear(owner_page, hub):
    page = owner_page
    hub.script("list:dragonkue", slow(2))  # long enough to see it running
    page.goto(CHANGELIST)
    page.check("#action-toggle")
    page.select_option("select[name=action]", "sync_selected")
    page.click("button[name=index]")

    page.wait_for_selector(".messagelist .success")
    message = page.inner_text(".messagelist")
    assert message.startswith("Hub sync queued for 3 items: ") and "dragonkue/BGE-m3-ko" in message
    line = page.locator("#sync-status")
    assert "Hub sync" in line.inner_text() and SyncRun.objects.get().is_active

    # The page asks every 2 seconds while the run goes on; the outcome replaces the line.
    page.wait_for_selector(".sync-status__line--done", timeout=30_000)
    assert "synced 3, unchanged 0, failed 0" in line.inner_text()
    reload = page.locator(".sync-status__reload")
    assert reload.is_visible()
    screenshot(page, "admin-sync-done")
    reload.click()
    page.wait_for_selector(".field-sync_state .sync-state--ok")
    assert page.locator(".field-sync_state .sync-state--ok").count() == 3
    assert "18.3k" in page.inner_text("#result_list")
    assert not page.locator(".sync-status__reload").is_visible()  # a fresh page has the new numbers


def test_the_card_list_fits_a_1280_px_screen(owner_page):
    page = owner_page
    ModelCard.objects.update(downloads=183_420, likes=1_044, synced_at=timezone.now())  # the widest numbers
    ModelCard.objects.filter(pk=ModelCard.objects.first().pk).update(sync_error_kind="not_found", sync_error="gone")
    page.goto(CHANGELIST)
    assert page.is_visible("#nav-sidebar")  # the admin's menu open, as it is by default
    for box in ("document.documentElement", "document.querySelector('#changelist-form .results')"):
        scroll, client = page.evaluate(f"[{box}.scrollWidth, {box}.clientWidth]")
        assert scroll <= client, f"{box} scrolls sideways: {scroll} px wide in {client} px"
    assert page.locator("#result_list tbody tr").first.locator(".field-sync_state .sync-state").is_visible()
    screenshot(page, "admin-model-cards")


def test_dragging_a_card_to_the_top_persists(owner_page):
    page = owner_page
    page.goto(CHANGELIST)
    before = list_order(page)
    assert len(before) == 3
    last = page.locator("#result_list tbody tr").nth(2).locator(".drag.handle")
    first = page.locator("#result_list tbody tr").nth(0)
    with page.expect_response(lambda r: "adminsortable2_update" in r.url and r.status == 200):
        last.drag_to(first, target_position={"x": 20, "y": 2})
    assert list_order(page) == [before[2], before[0], before[1]]

    page.reload()
    assert list_order(page) == [before[2], before[0], before[1]]
    assert list(ModelCard.objects.values_list("repo_id", flat=True)) == [before[2], before[0], before[1]]
    page.goto("/")
    titles = page.locator(".model-card").evaluate_all("cards => cards.map(c => c.id)")
    assert titles[0] == ModelCard.objects.get(repo_id=before[2]).anchor


def test_badge_colours_are_picked_among_swatches(owner_page):
    page = owner_page
    page.goto("/admin/models_showcase/badge/add/")
    page.fill("#id_label", "Brand new")
    page.click("label:has(input[name=color][value=violet])")
    assert page.is_checked("input[name=color][value=violet]")
    swatch = page.locator("input[name=color][value=violet]")
    assert swatch.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(179, 157, 219)"  # #b39ddb
    screenshot(page, "admin-badge-swatches")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    row = page.locator("#result_list tr:has-text('Brand new')")
    assert row.locator(".swatch.badge--violet").count() == 1


def test_pull_requests_are_dragged_into_order_within_their_group(owner_page):
    page = owner_page
    group = max(ContributionGroup.objects.all(), key=lambda group: group.contributions.count())
    before = list(group.contributions.order_by("sort_order").values_list("title", flat=True))
    assert len(before) >= 2
    page.goto(f"/admin/contributions/contributiongroup/{group.pk}/change/")
    rows = page.locator("fieldset.sortable tbody tr.has_original")
    rows.nth(1).locator("td.original p").drag_to(
        rows.nth(0).locator("td.original p"), target_position={"x": 10, "y": 2}
    )
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    after = list(group.contributions.order_by("sort_order").values_list("title", flat=True))
    assert after == [before[1], before[0], *before[2:]]
