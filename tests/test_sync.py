"""sync_hub against a fake Hub: the real huggingface_hub client over real HTTP on 127.0.0.1."""

import json
from datetime import UTC, datetime, timedelta

import huggingface_hub.utils._http
import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from huggingface_hub import HfApi, constants

from models_showcase import hub as hub_module
from models_showcase.hub import sync_cards
from models_showcase.locking import sync_lock
from models_showcase.models import HubSnapshot, ModelCard
from tests.builders import make_card, make_profile
from tests.fakehub import (
    FakeHub,
    bare_not_found,
    gated,
    hub_model,
    malformed_json,
    not_found,
    rate_limited,
    server_error,
    slow,
    unauthorized,
)

pytestmark = pytest.mark.django_db(transaction=True)

REPOS = ["dragonkue/BGE-m3-ko", "dragonkue/bge-reranker-v2-m3-ko", "dragonkue/snowflake-arctic-embed-l-v2.0-ko"]


class FakeTime:
    """A clock that only moves when the code under test sleeps: backoff is checked, never waited."""

    def __init__(self, tick: float = 0.0):
        self.now = 1000.0
        self.tick = tick  # how far each look at the clock moves it: the time requests take
        self.sleeps: list[float] = []

    def clock(self) -> float:
        self.now += self.tick
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def hub():
    with FakeHub([hub_model(repo) for repo in REPOS]) as fake:
        yield fake


@pytest.fixture
def api(hub):
    return HfApi(endpoint=hub.url, token=False)


@pytest.fixture
def cards():
    return [make_card(repo, title=f"My {repo}", description="내 설명") for repo in REPOS]


@pytest.fixture
def fake_time():
    return FakeTime()


def sync(api, fake_time=None, **options):
    fake_time = fake_time or FakeTime()
    return sync_cards(api=api, clock=fake_time.clock, sleep=fake_time.sleep, **options)


def card(repo_id: str) -> ModelCard:
    return ModelCard.objects.get(repo_id=repo_id)


# ---- what is pulled ----


def test_first_sync_fills_every_field(api, cards):
    report = sync(api)
    assert report.exit_code == 0
    assert report.count("updated") == 3
    bge = card("dragonkue/BGE-m3-ko")
    assert (bge.downloads, bge.downloads_all_time, bge.likes, bge.trending_score) == (1234, 56789, 42, 3.0)
    assert bge.hub_last_modified == datetime(2025, 1, 15, 8, 30, tzinfo=UTC)
    assert bge.hub_created_at == datetime(2024, 11, 2, 14, 5, 12, tzinfo=UTC)
    assert (bge.pipeline_tag, bge.library_name, bge.license) == (
        "sentence-similarity",
        "sentence-transformers",
        "apache-2.0",
    )
    assert bge.languages == ["ko", "en"]
    assert bge.datasets == ["nlpai-lab/ko-triplet-v1.0"]
    assert bge.base_models == ["BAAI/bge-m3"]
    assert bge.parameters == 567754752
    assert "sentence-transformers" in bge.tags
    assert (bge.gated, bge.private, bge.disabled) == ("", False, False)
    assert len(bge.sha) == 40
    assert bge.synced_at is not None and bge.sync_error == ""
    [result] = bge.eval_results.all()
    assert (result.task_type, result.dataset_name, result.dataset_split) == (
        "Retrieval",
        "MTEB Ko-Retrieval (한국어 검색)",
        "test",
    )
    assert (result.metric_name, result.metric_value, result.verified) == ("NDCG@10", 0.7431, False)
    [snapshot] = bge.snapshots.all()
    assert (snapshot.date, snapshot.downloads, snapshot.likes) == (timezone.localdate(), 1234, 42)


def test_sync_never_touches_what_the_owner_wrote(api, cards):
    before = card(REPOS[0])
    sync(api)
    after = card(REPOS[0])
    assert (after.title, after.description, after.updated_at) == (before.title, before.description, before.updated_at)


def test_gated_and_private_states_are_recorded(hub, api, cards):
    hub.update(REPOS[0], gated="manual")
    sync(api)
    assert card(REPOS[0]).gated == "manual"


def test_second_sync_with_no_change_reports_unchanged(api, cards):
    sync(api)
    before = list(ModelCard.objects.values(*hub_module.HUB_FIELDS))
    report = sync(api)
    assert (report.count("updated"), report.count("unchanged"), len(report.failed)) == (0, 3, 0)
    assert list(ModelCard.objects.values(*hub_module.HUB_FIELDS)) == before
    assert HubSnapshot.objects.count() == 3  # still one per card per day
    assert report.summary().startswith("synced 0, unchanged 3, failed 0 in ")


def test_a_change_on_the_hub_is_reported_and_today_snapshot_follows(hub, api, cards):
    sync(api)
    hub.update(REPOS[1], likes=50, downloads=2000)
    report = sync(api)
    [changed] = [result for result in report.results if result.status == "updated"]
    assert changed.repo_id == REPOS[1]
    assert set(changed.changed) == {"likes", "downloads"}
    snapshot = HubSnapshot.objects.get(card__repo_id=REPOS[1])
    assert (snapshot.likes, snapshot.downloads) == (50, 2000)


def test_korean_card_data_round_trips(hub, api, cards):
    hub.update(REPOS[0], cardData={**hub_model(REPOS[0])["cardData"], "datasets": ["한국어/데이터셋"]})
    sync(api)
    assert card(REPOS[0]).datasets == ["한국어/데이터셋"]


# ---- efficient at any number of cards ----


def test_one_paginated_listing_per_author_covers_every_card(hub, api):
    hub.page_size = 100
    repos = [f"prolific/model-{i:03d}" for i in range(250)]
    hub.add(*[hub_model(repo) for repo in repos])
    for repo in repos:
        make_card(repo)
    make_card(REPOS[0])
    hub.reset_requests()
    report = sync(api)
    assert report.exit_code == 0 and report.count("updated") == 251
    # prolific: 3 pages of 100; dragonkue: 1 page. No per-card model_info.
    assert hub.count("/api/models") == 4
    assert report.requests == 4
    assert not [r for r in hub.requests if r.path.startswith("/api/models/")]


def test_model_info_only_for_cards_the_listing_missed(hub, api, cards):
    hub.script("list:dragonkue", bare_not_found())
    hub.reset_requests()
    report = sync(api)
    assert report.exit_code == 0
    assert sorted(r.path for r in hub.requests if r.path.startswith("/api/models/")) == sorted(
        f"/api/models/{repo}" for repo in REPOS
    )


# ---- failures keep what was there ----


@pytest.mark.parametrize(
    ("scripted", "kind"),
    [
        (not_found, "not_found"),
        (gated, "gated"),
        (unauthorized, "unauthorized"),
        (malformed_json, "invalid_response"),
        (bare_not_found, "not_found"),
    ],
)
def test_a_failing_card_keeps_its_numbers_and_records_why(hub, api, cards, scripted, kind):
    sync(api)
    hub.update(REPOS[0], likes=999)  # would change, but the card will fail
    hub.update(REPOS[1], likes=77)
    hub.remove(REPOS[0])  # not in the listing any more: asked for by model_info, which fails
    hub.add(hub_model(REPOS[0], author="someone-else", likes=999))
    hub.script(REPOS[0], *[scripted()] * 4)
    report = sync(api)
    assert report.exit_code == 1
    [failed] = report.failed
    assert (failed.repo_id, failed.error_kind) == (REPOS[0], kind)
    failing = card(REPOS[0])
    assert failing.likes == 42 and failing.eval_results.count() == 1  # previous statistics kept
    assert failing.sync_error_kind == kind and failing.sync_error
    assert card(REPOS[1]).likes == 77  # the others went on


def test_a_card_that_recovers_clears_its_error(hub, api, cards):
    hub.remove(REPOS[0])
    sync(api)
    assert card(REPOS[0]).sync_error_kind == "not_found"
    hub.add(hub_model(REPOS[0]))
    report = sync(api)
    assert report.exit_code == 0
    assert card(REPOS[0]).sync_error_kind == ""


def _off_listing(hub, repo_id):
    """Make the listing miss a card, so that it goes through model_info and our retries."""
    hub.remove(repo_id)
    hub.add(hub_model(repo_id, author="elsewhere"))


def test_429_is_retried_after_the_time_the_hub_asks(hub, api, cards, fake_time):
    _off_listing(hub, REPOS[0])
    hub.script(REPOS[0], rate_limited(retry_after=7))
    report = sync(api, fake_time)
    assert report.exit_code == 0
    assert fake_time.sleeps == [7.0]


def test_5xx_is_retried_with_backoff_then_succeeds(hub, api, cards, fake_time):
    _off_listing(hub, REPOS[0])
    hub.script(REPOS[0], server_error(500), server_error(503))
    report = sync(api, fake_time)
    assert report.exit_code == 0
    assert fake_time.sleeps == [1.0, 2.0]


def test_retries_are_bounded(hub, api, cards, fake_time):
    _off_listing(hub, REPOS[0])
    hub.script(REPOS[0], *[server_error(502)] * 10)
    report = sync(api, fake_time)
    assert [r.error_kind for r in report.failed] == ["server_error"]
    assert len(fake_time.sleeps) == hub_module.MAX_ATTEMPTS - 1


def test_a_slow_answer_times_out_and_is_retried(hub, api, cards, settings):
    settings.HUB_REQUEST_TIMEOUT = 0.3
    _off_listing(hub, REPOS[0])
    hub.script(REPOS[0], slow(2))
    report = sync(api)
    assert report.exit_code == 0
    hub.script(REPOS[0], *[slow(2)] * hub_module.MAX_ATTEMPTS)
    report = sync(api)
    assert [r.error_kind for r in report.failed] == ["timeout"]


def test_a_wait_past_the_deadline_fails_fast(hub, api, cards, fake_time):
    _off_listing(hub, REPOS[0])
    hub.script(REPOS[0], rate_limited(retry_after=600))
    report = sync(api, fake_time, timeout=60)
    assert fake_time.sleeps == []
    [failed] = report.failed
    assert failed.error_kind == "rate_limited" and "past --timeout" in failed.error


def test_the_whole_run_is_bounded_by_its_timeout(hub, api, cards):
    for repo in REPOS:
        _off_listing(hub, repo)
    slow_hub = FakeTime(tick=4.0)  # every step takes 4 s of (fake) time
    report = sync(api, slow_hub, timeout=15)
    assert report.exit_code == 1
    statuses = [(r.repo_id, r.status, r.error_kind) for r in report.results]
    assert statuses[0] == (REPOS[0], "updated", "")
    assert [kind for _, _, kind in statuses[1:]] == ["deadline", "deadline"]
    assert card(REPOS[2]).sync_error_kind == "deadline"
    assert card(REPOS[0]).downloads == 1234


def test_a_crash_half_way_leaves_each_card_fully_old_or_fully_new(api, cards, monkeypatch):
    real = HubSnapshot.objects.update_or_create
    calls = []

    def crash_on_second_card(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real(**kwargs)

    monkeypatch.setattr(HubSnapshot.objects, "update_or_create", crash_on_second_card)
    with pytest.raises(RuntimeError):
        sync(api)
    done, crashed, untouched = (card(repo) for repo in REPOS)
    assert done.downloads == 1234 and done.eval_results.count() == 1
    assert crashed.downloads is None and crashed.eval_results.count() == 0 and crashed.synced_at is None
    assert untouched.downloads is None


# ---- discovery ----


def test_discover_creates_drafts_for_the_owners_new_models(hub, api, cards):
    make_profile(hub_username="dragonkue")
    hub.add(hub_model("dragonkue/brand-new-model", likes=3))
    report = sync(api, discover=True)
    assert report.count("created") == 1
    draft = card("dragonkue/brand-new-model")
    assert not draft.is_published and draft.likes == 3 and draft.title == "brand-new-model"
    assert sync(api, discover=True).count("created") == 0


def test_dry_run_writes_nothing(hub, api, cards):
    make_profile(hub_username="dragonkue")
    hub.add(hub_model("dragonkue/brand-new-model"))
    report = sync(api, dry_run=True, discover=True)
    assert report.count("updated") == 3 and report.count("created") == 1
    assert "downloads" in report.results[0].changed
    assert not ModelCard.objects.filter(synced_at__isnull=False).exists()
    assert not ModelCard.objects.filter(repo_id="dragonkue/brand-new-model").exists()
    assert report.summary().startswith("dry run: would sync 4, unchanged 0, failed 0")


# ---- the command ----


@pytest.fixture
def hub_endpoint(hub, monkeypatch):
    """The command builds its own HfApi from HF_ENDPOINT, read by huggingface_hub at import."""
    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    return hub


def run_command(*args):
    """Call sync_hub as cron would; returns (exit code, stdout, stderr)."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("sync_hub", *args, stdout=out, stderr=err)
    return exit_.value.code, out.getvalue(), err.getvalue()


def test_command_exit_0_and_one_summary_line(hub_endpoint, cards):
    code, out, err = run_command()
    assert code == 0, err
    [line] = out.strip().splitlines()
    assert line.startswith("sync_hub: synced 3, unchanged 0, failed 0 in ")


def test_command_exit_1_names_each_failed_card(hub_endpoint, cards):
    _off_listing(hub_endpoint, REPOS[2])
    hub_endpoint.script(REPOS[2], not_found())
    code, out, err = run_command()
    assert code == 1
    assert f"FAILED {REPOS[2]}: not found on the Hub" in err
    assert "synced 2, unchanged 0, failed 1" in out


def test_command_verbose_and_json(hub_endpoint, cards):
    code, out, _ = run_command("-v", "2", "--only", REPOS[0])
    assert code == 0
    assert f"updated   {REPOS[0]} (downloads," in out
    code, out, _ = run_command("--json")
    report = json.loads(out)
    assert report["exit_code"] == 0 and report["requests"] == 1
    assert (report["counts"]["unchanged"], report["counts"]["updated"]) == (1, 2)
    assert {c["repo_id"] for c in report["cards"]} == set(REPOS)


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--only", "dragonkue/typo"], "no card for dragonkue/typo"), (["--timeout", "0"], "--timeout must be")],
)
def test_command_exit_2_on_bad_arguments(hub_endpoint, cards, args, message):
    code, _, err = run_command(*args)
    assert code == 2 and message in err
    assert hub_endpoint.count() == 0


def test_command_exit_2_when_the_hub_cannot_be_reached(cards, monkeypatch):
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setattr(huggingface_hub.utils._http.time, "sleep", lambda seconds: None)  # the listing's own backoff
    code, out, _ = run_command("--timeout", "20")
    assert code == 2
    assert "could not be reached" in out
    assert card(REPOS[0]).sync_error_kind == "network"
    # the listing (one request and huggingface_hub's 5 retries), then nothing more per card
    assert json.loads(run_command("--json")[1])["requests"] == 6


def test_overlapping_run_is_refused(hub_endpoint, cards, tmp_path, settings):
    settings.SYNC_LOCK_FILE = tmp_path / "sync.lock"
    other = connections.create_connection("default")  # another process's connection, as far as the lock sees
    try:
        with sync_lock(connection=other):
            code, _, err = run_command()
    finally:
        other.close()
    assert code == 2
    assert "another sync_hub is running" in err
    assert hub_endpoint.count() == 0
    assert run_command()[0] == 0  # released: the next run goes ahead


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        call_command("sync_hub", "--help")
    text = capsys.readouterr().out
    assert "0  every card synced" in text and "2  could not run" in text and "HF_TOKEN" in text


# ---- the admin action ----


def test_admin_action_syncs_the_selected_cards(hub_endpoint, cards, staff_client):
    from django.urls import reverse

    selected = ModelCard.objects.filter(repo_id__in=REPOS[:2])
    response = staff_client.post(
        reverse("admin:models_showcase_modelcard_changelist"),
        {"action": "sync_selected", "_selected_action": [c.pk for c in selected]},
        follow=True,
    )
    assert "Hub sync: synced 2, unchanged 0, failed 0" in response.content.decode()
    assert card(REPOS[0]).downloads == 1234
    assert card(REPOS[2]).downloads is None
    page = staff_client.get(reverse("admin:models_showcase_modelcard_changelist"), {"sync": "ok"}).content.decode()
    assert "1.2k" in page and REPOS[0] in page and REPOS[2] not in page


def test_snapshots_make_history_one_per_day(api, cards, monkeypatch):
    real_now = timezone.now()
    for days_ago in (2, 1, 0):
        monkeypatch.setattr(hub_module.timezone, "now", lambda days_ago=days_ago: real_now - timedelta(days=days_ago))
        sync(api)
    assert HubSnapshot.objects.filter(card__repo_id=REPOS[0]).count() == 3


def test_a_terminal_gets_a_progress_line(hub_endpoint, cards, monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    code, out, _ = run_command()
    assert code == 0
    assert f"[3/3] {REPOS[2]}: updated" in terminal.getvalue()
    assert "synced 3" in out
