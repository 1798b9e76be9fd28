"""The admin's Hub sync: queued by the action, run by its own process, followed on the model card list."""

import time
from datetime import timedelta
from functools import partial
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from huggingface_hub import HfApi, constants

from models_showcase.hub import sync_listed
from models_showcase.models import ModelCard
from portfolio.models import SyncRun
from portfolio.syncing import runs as sync_runs
from portfolio.syncing.locking import sync_lock
from tests.builders import make_card
from tests.fakehub import FakeHub, seed_models, slow
from tests.sync_process import point_sync_processes_at, wait_for_run

pytestmark = pytest.mark.django_db(transaction=True)

BGE, RERANKER, SNOWFLAKE = (
    "dragonkue/BGE-m3-ko",
    "dragonkue/bge-reranker-v2-m3-ko",
    "dragonkue/snowflake-arctic-embed-l-v2.0-ko",
)
CHANGELIST = "admin:models_showcase_modelcard_changelist"
STATUS = "admin:models_showcase_modelcard_sync_status"


@pytest.fixture
def hub(monkeypatch):
    with FakeHub(seed_models()) as fake:
        monkeypatch.setattr(constants, "ENDPOINT", fake.url)
        yield fake


@pytest.fixture
def api(hub):
    return HfApi(endpoint=hub.url, token=False)


@pytest.fixture
def cards():
    return [make_card(repo, sort_order=number) for number, repo in enumerate([BGE, RERANKER, SNOWFLAKE], start=1)]


@pytest.fixture
def lock_file(settings, tmp_path):
    settings.SYNC_LOCK_DIR = tmp_path
    return settings.SYNC_LOCK_DIR


@pytest.fixture
def started(monkeypatch, lock_file):
    """The runs whose process the action would start: recorded, not started (tests call `execute`)."""
    runs = []
    monkeypatch.setattr(sync_runs, "start", runs.append)
    return runs


def execute(run_id, **options):
    """What `sync_hub --run-id` does, in this process, against the fake Hub."""
    return sync_runs.execute("sync_hub", run_id, partial(sync_listed, **options))


def sync_action(client, cards, **options):
    return client.post(
        reverse(CHANGELIST),
        {"action": "sync_selected", "_selected_action": [card.pk for card in cards]},
        **options,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# ---- the action ----


def test_the_action_returns_at_once_and_its_process_syncs_the_cards(
    hub, cards, staff_client, lock_file, monkeypatch, tmp_path
):
    """For real: the action starts `manage.py sync_hub --run-id`, which reaches the (slow) fake Hub."""
    point_sync_processes_at(monkeypatch, hub_url=hub.url, tmp_path=tmp_path)
    hub.script("list:dragonkue", slow(2))

    began = time.monotonic()
    response = sync_action(staff_client, cards[:2], follow=True)
    took = time.monotonic() - began

    assert took < 1.5, f"the action waited {took:.1f} s for the sync"
    assert messages_of(response) == [
        f"Hub sync queued for 2 items: {BGE}, {RERANKER}. Its progress shows above the list."
    ]
    run = SyncRun.objects.get()
    assert run.items == [BGE, RERANKER] and run.total == 2
    assert run.started_by.get_username() == "owner"

    run = wait_for_run()
    assert run.status == SyncRun.Status.DONE, run.summary
    assert (run.done, run.synced_count, run.unchanged_count, run.failed_count) == (2, 2, 0, 0)
    assert run.started_at and run.finished_at and run.finished_at - run.started_at >= timedelta(seconds=2)
    assert run.summary.startswith("synced 2, unchanged 0, failed 0 in ")
    assert ModelCard.objects.get(repo_id=BGE).downloads == 18342
    assert ModelCard.objects.get(repo_id=SNOWFLAKE).downloads is None  # not selected


def test_running_a_queued_run_records_progress_counts_errors_and_warnings(hub, api, cards, staff_client, started):
    hub.remove(SNOWFLAKE)
    hub.update(RERANKER, likes="many")
    sync_action(staff_client, cards)
    [run] = started
    assert SyncRun.objects.get().status == SyncRun.Status.QUEUED

    seen = []

    def watching(items, progress, timeout):
        def progress_and_look(done, total, result):
            progress(done, total, result)
            row = SyncRun.objects.get(pk=run.pk)
            seen.append((row.status, row.done, row.total))

        return sync_listed(items, progress_and_look, timeout, api=api)

    run = sync_runs.execute("sync_hub", run.pk, watching)

    assert seen == [("running", 1, 3), ("running", 2, 3), ("running", 3, 3)]
    assert run.status == SyncRun.Status.DONE
    assert (run.synced_count, run.unchanged_count, run.failed_count, run.warning_count) == (2, 0, 1, 1)
    assert run.errors == [
        {"item": SNOWFLAKE, "error": "not found on the Hub (or private: set HF_TOKEN)", "kind": "not_found"}
    ]
    [warning] = run.warnings
    assert warning["item"] == RERANKER and "likes" in warning["warning"]
    assert ModelCard.objects.get(repo_id=BGE).downloads == 18342


def test_cards_are_named_exactly_as_written(hub, api, staff_client, started):
    """Not lower-cased: the owner reads the ids as the list shows them."""
    written = make_card("dragonkue/Not-On-The-Hub")
    response = sync_action(staff_client, [written], follow=True)
    assert messages_of(response) == [
        "Hub sync queued for 1 item: dragonkue/Not-On-The-Hub. Its progress shows above the list."
    ]
    run = execute(started[0].pk, api=api)
    assert [error["item"] for error in run.errors] == ["dragonkue/Not-On-The-Hub"]
    page = staff_client.get(reverse(CHANGELIST)).content.decode()
    assert "dragonkue/Not-On-The-Hub: not found on the Hub" in page


def test_many_cards_are_named_the_first_three_and_a_count(staff_client, started):
    many = [make_card(f"tester/model-{number}") for number in range(5)]
    response = sync_action(staff_client, many, follow=True)
    assert messages_of(response) == [
        "Hub sync queued for 5 items: tester/model-0, tester/model-1, tester/model-2 and 2 more. "
        "Its progress shows above the list."
    ]


def test_a_second_action_while_one_is_queued_or_running_is_refused(cards, staff_client, started):
    sync_action(staff_client, cards[:1], follow=True)
    for status in (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING):
        SyncRun.objects.update(status=status, started_at=timezone.now())
        response = sync_action(staff_client, cards, follow=True)
        assert messages_of(response) == [
            "This sync is already running: its progress shows above the list. Try again when it is done."
        ]
    assert SyncRun.objects.count() == 1 and len(started) == 1


def test_the_action_is_refused_while_crons_sync_holds_the_lock(cards, staff_client, started):
    other = connections.create_connection("default")  # another process's connection, as far as the lock sees
    try:
        with sync_lock("sync_hub", connection=other):
            response = sync_action(staff_client, cards, follow=True)
    finally:
        other.close()
    assert "This sync is already running" in messages_of(response)[0]
    assert not SyncRun.objects.exists() and not started
    sync_action(staff_client, cards)  # released: the next one is queued
    assert SyncRun.objects.count() == 1


def test_a_run_that_finds_the_lock_held_fails_without_syncing(hub, api, cards, staff_client, started):
    sync_action(staff_client, cards)
    other = connections.create_connection("default")
    try:
        with sync_lock("sync_hub", connection=other):
            run = execute(started[0].pk, api=api)
    finally:
        other.close()
    assert run.status == SyncRun.Status.FAILED and run.summary == sync_runs.LOCK_HELD
    assert hub.count() == 0


def test_a_run_is_run_once(hub, api, cards, staff_client, started):
    sync_action(staff_client, cards)
    execute(started[0].pk, api=api)
    with pytest.raises(sync_runs.NotQueued):
        execute(started[0].pk, api=api)


def test_runs_whose_process_died_are_marked_failed_and_free_the_action(cards, staff_client, started):
    sync_action(staff_client, cards)
    SyncRun.objects.update(queued_at=timezone.now() - sync_runs.QUEUED_GRACE - timedelta(seconds=1))
    response = sync_action(staff_client, cards, follow=True)
    assert "Hub sync queued for 3 items" in messages_of(response)[0]
    old, new = SyncRun.objects.order_by("pk")
    assert old.status == SyncRun.Status.FAILED and old.summary == sync_runs.NOT_STARTED
    assert new.status == SyncRun.Status.QUEUED

    SyncRun.objects.filter(pk=new.pk).update(
        status=SyncRun.Status.RUNNING, started_at=timezone.now() - sync_runs.RUNNING_GRACE - timedelta(seconds=1)
    )
    assert sync_runs.latest("sync_hub").summary == sync_runs.VANISHED


def test_the_action_needs_the_change_permission(cards, client, django_user_model, started):
    viewer = django_user_model.objects.create_user("viewer", password="a-long-test-passphrase", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_modelcard"))
    client.force_login(viewer)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "sync_selected" not in page
    sync_action(client, cards)
    assert not SyncRun.objects.exists() and not started


# ---- the status line and its endpoint ----


def test_the_changelist_shows_the_latest_runs_status_line(hub, api, cards, staff_client, started):
    page = staff_client.get(reverse(CHANGELIST)).content.decode()
    assert 'id="sync-status"' in page and "Hub sync" not in page.split('id="sync-status"')[1].split("</div>")[0]

    sync_action(staff_client, cards)
    page = staff_client.get(reverse(CHANGELIST)).content.decode()
    assert "Hub sync of 3 items queued" in page and "sync-status__line--queued" in page
    assert "portfolio_admin/sync_status.js" in page

    SyncRun.objects.update(status=SyncRun.Status.RUNNING, started_at=timezone.now(), done=1)
    page = staff_client.get(reverse(CHANGELIST)).content.decode()
    assert "Hub sync running: 1 of 3 done" in page and "sync-status__line--running" in page

    hub.remove(SNOWFLAKE)
    SyncRun.objects.update(status=SyncRun.Status.QUEUED)
    execute(started[0].pk, api=api)
    page = staff_client.get(reverse(CHANGELIST)).content.decode()
    assert "sync-status__line--done" in page
    assert "Hub sync finished" in page and "synced 2, unchanged 0, failed 1" in page
    assert f"{SNOWFLAKE}: not found on the Hub" in page
    assert "(started by owner)" in page


def test_a_failed_run_says_why(cards, staff_client, started):
    sync_action(staff_client, cards)
    SyncRun.objects.update(status=SyncRun.Status.FAILED, summary=sync_runs.LOCK_HELD, finished_at=timezone.now())
    page = staff_client.get(reverse(CHANGELIST)).content.decode()
    assert "Hub sync failed: Another run of this sync was going on" in page


def test_what_a_run_records_is_shown_escaped(cards, staff_client, started):
    sync_action(staff_client, cards)
    SyncRun.objects.update(
        status=SyncRun.Status.DONE,
        finished_at=timezone.now(),
        failed_count=1,
        errors=[{"item": "a/<b>x</b>", "error": "<script>alert(1)</script>", "kind": "not_found"}],
        warnings=[{"item": "", "warning": "<img src=x onerror=alert(1)>"}],
    )
    for url in (reverse(CHANGELIST), reverse(STATUS), reverse("admin:portfolio_syncrun_changelist")):
        page = staff_client.get(url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>x</b>" not in page
    page = staff_client.get(reverse(CHANGELIST)).content.decode()
    assert "a/&lt;b&gt;x&lt;/b&gt;: &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "the run: &lt;img src=x onerror=alert(1)&gt;" in page


def test_the_status_endpoint_answers_json_for_the_poller(cards, staff_client, started):
    assert staff_client.get(reverse(STATUS)).json() == {
        "run": None, "status": None, "active": False, "done": None, "total": None, "html": "\n",
    }  # fmt: skip
    sync_action(staff_client, cards)
    status = staff_client.get(reverse(STATUS)).json()
    assert (status["status"], status["active"], status["done"], status["total"]) == ("queued", True, 0, 3)
    assert "Hub sync of 3 items queued" in status["html"]


def test_the_status_endpoint_is_for_staff_only(client, django_user_model):
    response = client.get(reverse(STATUS))
    assert response.status_code == 302 and "/login/" in response.url
    user = django_user_model.objects.create_user("visitor", password="a-long-test-passphrase")
    client.force_login(user)
    assert client.get(reverse(STATUS)).status_code == 302  # not staff: the admin's login page
    user.is_staff = True
    user.save()
    assert client.get(reverse(STATUS)).status_code == 403  # staff, but may not see model cards


# ---- the runs' own list ----


def test_runs_are_listed_newest_first_and_read_only(hub, api, cards, staff_client, started):
    sync_action(staff_client, cards[:1])
    execute(started[0].pk, api=api)
    sync_action(staff_client, cards[1:])
    page = staff_client.get(reverse("admin:portfolio_syncrun_changelist")).content.decode()
    rows = page[page.index('id="result_list"') :]
    assert rows.index(f"{RERANKER}, {SNOWFLAKE}") < rows.index(BGE)
    assert "synced 1, unchanged 0, failed 0" in page and "0 of 2 done" in page
    old = SyncRun.objects.last()
    detail = staff_client.get(reverse("admin:portfolio_syncrun_change", args=[old.pk])).content.decode()
    assert "synced 1, unchanged 0, failed 0 in " in detail and 'name="_save"' not in detail
    assert staff_client.get(reverse("admin:portfolio_syncrun_add")).status_code == 403
    assert staff_client.get(reverse("admin:portfolio_syncrun_delete", args=[old.pk])).status_code == 403


# ---- the command the process runs ----


def test_the_command_runs_a_queued_run(hub, cards, staff_client, started):
    sync_action(staff_client, cards)
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("sync_hub", "--run-id", str(started[0].pk), stdout=out, stderr=err)
    assert exit_.value.code == 0, err.getvalue()
    assert f"sync_hub run {started[0].pk}: synced 3, unchanged 0, failed 0" in out.getvalue()


@pytest.mark.parametrize("extra", [["--only", BGE], ["--dry-run"], ["--discover"]])
def test_the_command_takes_a_runs_cards_from_the_run(cards, staff_client, started, extra):
    sync_action(staff_client, cards)
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("sync_hub", "--run-id", str(started[0].pk), *extra, stderr=err)
    assert exit_.value.code == 2 and "--run-id takes its items from the run" in err.getvalue()
