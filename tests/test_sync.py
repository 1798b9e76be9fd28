"""sync_hub against the strict fake Hub: the real huggingface_hub request parts over real HTTP on 127.0.0.1."""

import json
import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from huggingface_hub import HfApi, constants

from models_showcase import hub as hub_module
from models_showcase.hub import sync_cards
from models_showcase.models import HubSnapshot, ModelCard
from portfolio.syncing.budget import MAX_ATTEMPTS
from portfolio.syncing.locking import sync_lock
from tests.builders import Terminal, make_card, make_profile
from tests.fakehub import (
    FakeHub,
    bare_not_found,
    disabled,
    hub_model,
    malformed_json,
    rate_limited,
    seed_models,
    seed_papers,
    server_error,
    slow,
    truncated,
)

pytestmark = pytest.mark.django_db(transaction=True)

BGE, RERANKER, SNOWFLAKE = (
    "dragonkue/BGE-m3-ko",
    "dragonkue/bge-reranker-v2-m3-ko",
    "dragonkue/snowflake-arctic-embed-l-v2.0-ko",
)
REPOS = [BGE, RERANKER, SNOWFLAKE]  # the three the seed page shows; the author has five


class FakeTime:
    """A clock that only moves when the code under test sleeps: backoff is checked, never waited."""

    def __init__(self, tick: float = 0.0):
        self.now = 1000.0
        self.tick = tick  # how far each look at the clock moves it: the time requests take
        self.sleeps: list[float] = []

    def clock(self) -> float:
        self.now += self.tick
        return self.now

    def read(self) -> float:
        return self.now  # the fake Hub's view of the same time, without ticking

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def hub():
    with FakeHub(seed_models(), tokens={"hf_valid"}) as fake:
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


# ---- what is pulled, from real-shaped answers ----


def test_first_sync_fills_every_field_from_one_listing(hub, api, cards):
    hub.reset_requests()
    report = sync(api)
    assert report.exit_code == 0, report.as_dict()
    assert report.count("updated") == 3 and report.warning_count == 0
    assert hub.count() == 1 and report.requests == 1  # one listing, nothing per card
    [listing] = hub.requests
    assert "baseModels" not in listing.query["expand"]  # the listing refuses it (400)
    assert set(listing.query["expand"]) == set(hub_module.LIST_EXPAND)

    bge = card(BGE)
    assert (bge.downloads, bge.downloads_all_time, bge.likes) == (18342, 287519, 44)
    assert bge.hub_last_modified == datetime(2025, 2, 11, 7, 12, 41, tzinfo=UTC)
    assert (bge.pipeline_tag, bge.library_name, bge.license) == (
        "sentence-similarity",
        "sentence-transformers",
        "apache-2.0",
    )
    assert bge.base_models == []  # BGE-m3-ko declares no base model
    assert bge.languages == ["ko", "en"]
    assert len(bge.sha) == 40 and bge.hub_object_id == "66e907f0a8c3b2d1e4f56a17"
    assert bge.eval_results.count() == 30  # its sentence-transformers model-index, dataset "Unknown"
    [snapshot] = bge.snapshots.all()
    assert (snapshot.date, snapshot.downloads, snapshot.likes) == (timezone.localdate(), 18342, 44)

    reranker = card(RERANKER)
    assert reranker.pipeline_tag == "text-ranking"
    assert reranker.base_models == ["BAAI/bge-reranker-v2-m3"]  # from the base_model: tags / the list in cardData
    assert reranker.eval_results.count() == 0
    assert card(SNOWFLAKE).eval_results.count() == 0 and card(SNOWFLAKE).base_models


def test_sync_never_touches_what_the_owner_wrote(api, cards):
    before = card(BGE)
    sync(api)
    after = card(BGE)
    assert (after.title, after.description, after.updated_at) == (before.title, before.description, before.updated_at)


def test_a_gated_model_syncs_normally_and_shows_its_mark(hub, api, cards):
    hub.update(RERANKER, gated="manual")
    report = sync(api)
    assert report.exit_code == 0
    reranker = card(RERANKER)
    assert reranker.gated == "manual" and reranker.sync_error_kind == "" and reranker.downloads == 4312


def test_second_sync_with_no_change_reports_unchanged_and_rewrites_nothing(hub, api, cards):
    sync(api)
    before = list(ModelCard.objects.values())
    ids = list(card(BGE).eval_results.values_list("pk", flat=True))
    report = sync(api)
    assert (report.count("updated"), report.count("unchanged"), len(report.failed)) == (0, 3, 0)
    after = list(ModelCard.objects.values())
    for row in before + after:
        row.pop("synced_at")
        # "updated <time>" follows synced_at by design (to the second): the rest of the card is as it was.
        row["card_html"] = re.sub(r'datetime="[^"]+"', 'datetime=""', row["card_html"])
    assert after == before
    assert list(card(BGE).eval_results.values_list("pk", flat=True)) == ids
    assert HubSnapshot.objects.count() == 3  # still one per card per day
    assert report.summary().startswith("synced 0, unchanged 3, failed 0 in ")


def test_a_change_on_the_hub_is_reported_and_today_snapshot_follows(hub, api, cards):
    sync(api)
    hub.update(RERANKER, likes=50, downloads=2000)
    report = sync(api)
    [changed] = [result for result in report.results if result.status == "updated"]
    assert changed.key == RERANKER and set(changed.changed) == {"likes", "downloads"}
    snapshot = HubSnapshot.objects.get(card__repo_id=RERANKER)
    assert (snapshot.likes, snapshot.downloads) == (50, 2000)


def test_korean_card_data_round_trips(hub, api, cards):
    bge = next(model for model in seed_models() if model["id"] == BGE)
    hub.update(BGE, cardData={**bge["cardData"], "datasets": ["한국어/데이터셋"]})
    sync(api)
    assert card(BGE).datasets == ["한국어/데이터셋"]


def test_eval_results_are_read_too(hub, api, cards):
    hle = {"dataset": {"id": "cais/hle", "task_id": "default"}, "value": 20.9}
    gpqa = {
        "dataset": {"id": "Idavidrein/gpqa", "task_id": "gpqa_diamond"},
        "value": 0.412,
        "source": {"url": "https://example.org/logs", "name": "Eval logs"},
        "verifyToken": "x",
    }
    entries = [
        {"filename": ".eval_results/hle.yaml", "data": hle},
        {"filename": ".eval_results/bad.yaml", "error": "Invalid schema"},
        gpqa,
    ]
    hub.update(SNOWFLAKE, evalResults=entries)
    report = sync(api)
    rows = list(
        card(SNOWFLAKE).eval_results.order_by("position").values_list("dataset_name", "metric_value", "verified")
    )
    assert rows == [("cais/hle", 20.9, False), ("Idavidrein/gpqa", 0.412, True)]
    [result] = [r for r in report.results if r.key == SNOWFLAKE]
    assert result.warnings == ["evaluation results: skipped 1 unreadable .eval_results entries"]


# ---- requests that fit the quota ----


def test_one_paginated_listing_per_author_covers_every_card(hub, api):
    repos = [f"prolific/model-{i:03d}" for i in range(250)]
    hub.add(*[hub_model(repo) for repo in repos])
    for repo in repos:
        make_card(repo)
    make_card(BGE)
    hub.reset_requests()
    report = sync(api)
    assert report.exit_code == 0 and report.count("updated") == 251
    assert hub.count() == 4  # prolific: 3 pages of 100; dragonkue: 1 page. No per-card model_info.
    assert report.requests == 4
    hub.reset_requests()
    assert sync(api).count("unchanged") == 251 and hub.count() == 4


def test_model_info_only_for_cards_the_listing_does_not_contain(hub, api, cards):
    hub.remove(SNOWFLAKE)
    hub.add(hub_model(SNOWFLAKE, author="elsewhere"))  # asked by id, but its author's listing misses it
    hub.reset_requests()
    report = sync(api)
    assert report.exit_code == 0
    [info] = [r for r in hub.requests if r.path.startswith("/api/models/")]
    assert info.path == f"/api/models/{SNOWFLAKE}"
    assert set(info.query["expand"]) == set(hub_module.DETAIL_EXPAND)  # baseModels: accepted there
    assert card(SNOWFLAKE).base_models == ["BAAI/bge-m3"]


def test_a_failed_listing_fails_its_cards_without_asking_each(hub, api, cards):
    hub.script("list:dragonkue", *[server_error(503)] * MAX_ATTEMPTS)
    hub.reset_requests()
    report = sync(api)
    assert report.exit_code == 1
    assert {r.error_kind for r in report.failed} == {"server_error"} and len(report.failed) == 3
    assert hub.count() == MAX_ATTEMPTS  # the listing's tries, no model_info per card


def test_the_client_slows_down_before_the_quota_runs_out(fake_time):
    repos = [f"author-{i:02d}/model" for i in range(30)]  # 30 authors: 30 listings
    with FakeHub([hub_model(repo) for repo in repos], quota=20, window=300, clock=fake_time.read) as hub:
        for repo in repos:
            make_card(repo)
        report = sync(HfApi(endpoint=hub.url, token=False), fake_time, timeout=3600)
    assert report.exit_code == 0 and report.count("updated") == 30
    assert len(fake_time.sleeps) == 1 and fake_time.sleeps[0] > 0  # waited for the next window, once
    assert report.quota_wait == fake_time.sleeps[0]
    assert "waited" in report.summary()


def test_a_quota_that_would_outlast_the_timeout_fails_fast(fake_time):
    repos = [f"author-{i:02d}/model" for i in range(30)]
    with FakeHub([hub_model(repo) for repo in repos], quota=20, window=300, clock=fake_time.read) as hub:
        for repo in repos:
            make_card(repo)
        report = sync(HfApi(endpoint=hub.url, token=False), fake_time, timeout=60)
    assert fake_time.sleeps == []
    assert report.count("updated") >= 15
    assert {r.error_kind for r in report.failed} == {"rate_limited"}
    assert "quota" in report.failed[0].error


# ---- how the real Hub says no ----


def _off_listing(hub, repo_id):
    """Make the listing miss a card, so that it goes through model_info and our retries."""
    hub.remove(repo_id)
    hub.add(hub_model(repo_id, author="elsewhere"))


def test_a_missing_repo_asked_anonymously_is_not_found_or_private(hub, api, cards):
    sync(api)
    hub.remove(SNOWFLAKE)
    report = sync(api)
    [failed] = report.failed
    assert failed.error_kind == "not_found" and "or private: set HF_TOKEN" in failed.error
    snowflake = card(SNOWFLAKE)
    assert snowflake.downloads == 2171 and snowflake.sync_error_kind == "not_found"  # previous numbers kept


def test_a_missing_repo_with_a_token_is_not_found(hub, cards):
    hub.remove(SNOWFLAKE)
    report = sync(HfApi(endpoint=hub.url, token="hf_valid"))
    [failed] = report.failed
    assert failed.error_kind == "not_found" and "HF_TOKEN" not in failed.error


def test_a_refused_token_is_named_and_ends_the_run(hub, cards):
    report = sync(HfApi(endpoint=hub.url, token="hf_revoked"))
    assert report.exit_code == 2 and "HF_TOKEN" in report.fatal
    assert {r.error_kind for r in report.failed} == {"token_rejected"}
    assert hub.count() == 1  # the listing said it; no card asked again


def test_a_disabled_repo_is_named(hub, api, cards):
    _off_listing(hub, SNOWFLAKE)
    hub.script(SNOWFLAKE, disabled())
    [failed] = sync(api).failed
    assert failed.error_kind == "disabled" and "disabled on the Hub" in failed.error


@pytest.mark.parametrize(
    ("scripted", "kind"),
    [(malformed_json, "invalid_response"), (bare_not_found, "not_found"), (truncated, "invalid_response")],
)
def test_a_failing_card_keeps_its_numbers_and_records_why(hub, api, cards, scripted, kind):
    sync(api)
    hub.update(RERANKER, likes=77)
    _off_listing(hub, BGE)
    hub.script(BGE, *[scripted()] * MAX_ATTEMPTS)
    report = sync(api)
    assert report.exit_code == 1
    [failed] = report.failed
    assert (failed.key, failed.error_kind) == (BGE, kind)
    failing = card(BGE)
    assert failing.likes == 44 and failing.eval_results.count() == 30  # previous statistics kept
    assert failing.sync_error_kind == kind and failing.sync_error
    assert card(RERANKER).likes == 77  # the others went on


def test_a_cut_off_answer_is_retried(hub, api, cards, fake_time):
    _off_listing(hub, BGE)
    hub.script(BGE, truncated())
    report = sync(api, fake_time)
    assert report.exit_code == 0 and fake_time.sleeps == [1.0]


def test_a_card_that_recovers_clears_its_error(hub, api, cards):
    _off_listing(hub, BGE)
    hub.remove(BGE)
    sync(api)
    assert card(BGE).sync_error_kind == "not_found"
    hub.add(next(model for model in seed_models() if model["id"] == BGE))
    assert sync(api).exit_code == 0
    assert card(BGE).sync_error_kind == ""


def test_429_is_retried_after_the_time_the_hub_asks(hub, api, cards, fake_time):
    _off_listing(hub, BGE)
    hub.script(BGE, rate_limited(retry_after=7))
    report = sync(api, fake_time)
    assert report.exit_code == 0
    assert fake_time.sleeps == [8.0]  # the window's reset (t=7) and a second for the new window to open


def test_5xx_is_retried_with_backoff_then_succeeds(hub, api, cards, fake_time):
    _off_listing(hub, BGE)
    hub.script(BGE, server_error(500), server_error(503))
    report = sync(api, fake_time)
    assert report.exit_code == 0
    assert fake_time.sleeps == [1.0, 2.0]


def test_retries_are_bounded(hub, api, cards, fake_time):
    _off_listing(hub, BGE)
    hub.script(BGE, *[server_error(502)] * 10)
    report = sync(api, fake_time)
    assert [r.error_kind for r in report.failed] == ["server_error"]
    assert len(fake_time.sleeps) == MAX_ATTEMPTS - 1


def test_a_slow_answer_times_out_and_is_retried(hub, api, cards, settings):
    settings.HUB_REQUEST_TIMEOUT = 0.3
    _off_listing(hub, BGE)
    hub.script(BGE, slow(2))
    assert sync(api).exit_code == 0
    hub.script(BGE, *[slow(2)] * MAX_ATTEMPTS)
    assert [r.error_kind for r in sync(api).failed] == ["timeout"]


def test_a_hanging_listing_is_cut_by_the_request_timeout(hub, api, cards, settings):
    # huggingface_hub's own pagination sends timeout=None; every request here has one.
    settings.HUB_REQUEST_TIMEOUT = 0.3
    hub.script("list:dragonkue", *[slow(30)] * MAX_ATTEMPTS)
    started = datetime.now()
    report = sync_cards(api=api, timeout=30)
    assert (datetime.now() - started).total_seconds() < 10
    assert {r.error_kind for r in report.failed} == {"timeout"}


def test_the_deadline_cuts_a_request_and_is_named_so(hub, api, cards):
    hub.script("list:dragonkue", slow(30))
    started = datetime.now()
    report = sync_cards(api=api, timeout=2)
    assert (datetime.now() - started).total_seconds() < 6
    assert {r.error_kind for r in report.failed} == {"deadline"}


def test_a_wait_past_the_deadline_fails_fast(hub, api, cards, fake_time):
    _off_listing(hub, BGE)
    hub.script(BGE, rate_limited(retry_after=600))
    report = sync(api, fake_time, timeout=60)
    assert fake_time.sleeps == []
    [failed] = report.failed
    assert failed.error_kind == "rate_limited" and "past --timeout" in failed.error


def test_the_whole_run_is_bounded_by_its_timeout(hub, api, cards):
    for repo in REPOS:
        _off_listing(hub, repo)
    slow_hub = FakeTime(tick=4.0)  # every look at the clock takes 4 s of (fake) time
    report = sync(api, slow_hub, timeout=25)
    assert report.exit_code == 1
    kinds = [result.error_kind for result in report.results]
    assert kinds[0] == "" and "deadline" in kinds
    assert all(kind == "deadline" for kind in kinds[kinds.index("deadline") :])


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
    assert done.downloads == 18342 and done.eval_results.count() == 30
    assert crashed.downloads is None and crashed.eval_results.count() == 0 and crashed.synced_at is None
    assert untouched.downloads is None


# ---- renamed repos ----


def test_a_renamed_repo_is_followed_through_the_listing(hub, api, cards):
    sync(api)
    history = list(card(RERANKER).snapshots.values_list("pk", flat=True))
    hub.rename(RERANKER, "dragonkue/bge-reranker-v2-m3-ko-v2")
    hub.reset_requests()
    report = sync(api)
    assert report.exit_code == 0 and hub.count() == 1  # matched by the Hub's object id, no extra request
    renamed = ModelCard.objects.get(repo_id="dragonkue/bge-reranker-v2-m3-ko-v2")
    assert renamed.title == f"My {RERANKER}"
    assert list(renamed.snapshots.values_list("pk", flat=True)) == history


def test_a_renamed_repo_is_followed_through_the_redirect(hub, api, cards):
    # Never synced, so no object id yet: the card is asked by its old id, and the Hub redirects.
    hub.rename(SNOWFLAKE, "someone-else/snowflake-ko")
    report = sync(api)
    assert report.exit_code == 0
    assert ModelCard.objects.filter(repo_id="someone-else/snowflake-ko", downloads=2171).exists()


def test_discover_does_not_draft_a_renamed_repo_twice(hub, api, cards):
    make_profile(hub_username="dragonkue")
    sync(api)
    hub.rename(RERANKER, "dragonkue/reranker-ko")
    report = sync(api, discover=True)
    assert report.count("created") == 2  # the two models the seed page does not show, not the renamed one
    assert not ModelCard.objects.filter(repo_id__iexact=RERANKER).exists()
    assert ModelCard.objects.filter(repo_id="dragonkue/reranker-ko").count() == 1


# ---- discovery ----


def test_discover_drafts_the_two_models_the_seed_page_does_not_show(hub, api, cards):
    make_profile(hub_username="dragonkue")
    hub.add(*seed_papers(), kind="papers")  # and the six papers the models cite (tests/test_papers_sync.py)
    report = sync(api, discover=True)
    assert report.exit_code == 0 and report.count("created") == 2 + 6
    drafts = ModelCard.objects.filter(is_published=False).order_by("repo_id")
    assert [d.repo_id for d in drafts] == [
        "dragonkue/multilingual-e5-small-ko",
        "dragonkue/multilingual-e5-small-ko-v2",
    ]
    assert drafts[0].likes == 12 and drafts[0].title == "multilingual-e5-small-ko"
    assert sync(api, discover=True).count("created") == 0


def test_dry_run_writes_nothing(hub, api, cards):
    make_profile(hub_username="dragonkue")
    report = sync(api, dry_run=True, discover=True)
    assert report.count("updated") == 3 and report.count("created") == 2
    assert "downloads" in report.results[0].changed
    assert not ModelCard.objects.filter(synced_at__isnull=False).exists()
    assert ModelCard.objects.count() == 3
    assert report.summary().startswith("dry run: would sync 5, unchanged 0, failed 0")


def test_snapshots_make_history_one_per_day(api, cards, monkeypatch):
    real_now = timezone.now()
    for days_ago in (2, 1, 0):
        monkeypatch.setattr(timezone, "now", lambda days_ago=days_ago: real_now - timedelta(days=days_ago))
        sync(api)
    assert HubSnapshot.objects.filter(card__repo_id=BGE).count() == 3


# ---- the command ----


@pytest.fixture
def hub_endpoint(hub, monkeypatch):
    """The command builds its own HfApi from HF_ENDPOINT, read by huggingface_hub at import."""
    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    return hub


def run_command(*args):
    """Call sync_hub as cron would; returns (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("sync_hub", *args, stdout=out, stderr=err)
    return exit_.value.code, out.getvalue(), err.getvalue()


def test_command_exit_0_and_one_summary_line(hub_endpoint, cards):
    code, out, err = run_command()
    assert code == 0, err
    [line] = out.strip().splitlines()
    assert line.startswith("sync_hub: synced 3, unchanged 0, failed 0 in ")


def test_command_discover_on_the_seed_exits_0_and_drafts_two(hub_endpoint, cards):
    make_profile(hub_username="dragonkue")
    hub_endpoint.add(*seed_papers(), kind="papers")
    code, out, err = run_command("--discover")
    assert code == 0, err
    # The owner's listings (models, datasets, Spaces: this fake has models only), then one request per paper
    # for the six papers the two drafted models cite.
    assert "synced 11, unchanged 0, failed 0 (discovered 8)" in out and ", 9 requests" in out


def test_command_exit_1_names_each_failed_card(hub_endpoint, cards):
    hub_endpoint.remove(SNOWFLAKE)
    code, out, err = run_command()
    assert code == 1
    assert f"FAILED {SNOWFLAKE}: not found on the Hub (or private: set HF_TOKEN)" in err
    assert "synced 2, unchanged 0, failed 1" in out


def test_command_verbose_and_json(hub_endpoint, cards):
    code, out, _ = run_command("-v", "2", "--only", BGE)
    assert code == 0
    assert f"updated   {BGE} (downloads," in out
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
    monkeypatch.setattr("portfolio.syncing.budget.time.sleep", lambda seconds: None)
    code, out, _ = run_command("--timeout", "20")
    assert code == 2
    assert "could not be reached" in out
    assert card(BGE).sync_error_kind == "network"
    # the listing's tries, then nothing more per card
    assert json.loads(run_command("--json")[1])["requests"] == MAX_ATTEMPTS


def test_overlapping_run_is_refused(hub_endpoint, cards, tmp_path, settings):
    settings.SYNC_LOCK_DIR = tmp_path
    other = connections.create_connection("default")  # another process's connection, as far as the lock sees
    try:
        with sync_lock("sync_hub", connection=other):
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


def test_a_terminal_gets_a_progress_line(hub_endpoint, cards, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    code, out, _ = run_command()
    assert code == 0
    assert f"[3/3] {SNOWFLAKE}: updated" in terminal.getvalue()
    assert "synced 3" in out


# ---- the admin action ----


def test_admin_action_syncs_the_selected_cards(hub_endpoint, cards, staff_client, monkeypatch, settings, tmp_path):
    """The action queues a run for a process of its own (tests/test_admin_sync.py); here that run is done in place."""
    from django.urls import reverse

    from models_showcase.hub import sync_listed
    from portfolio.syncing import runs as sync_runs

    settings.SYNC_LOCK_DIR = tmp_path
    monkeypatch.setattr(sync_runs, "start", lambda run: sync_runs.execute("sync_hub", run.pk, sync_listed))
    selected = ModelCard.objects.filter(repo_id__in=REPOS[:2])
    response = staff_client.post(
        reverse("admin:models_showcase_modelcard_changelist"),
        {"action": "sync_selected", "_selected_action": [c.pk for c in selected]},
        follow=True,
    )
    assert "Hub sync finished" in response.content.decode()
    assert "synced 2, unchanged 0, failed 0" in response.content.decode()
    assert card(BGE).downloads == 18342
    assert card(SNOWFLAKE).downloads is None
    page = staff_client.get(reverse("admin:models_showcase_modelcard_changelist"), {"sync": "ok"}).content.decode()
    assert "18.3k" in page and BGE in page and SNOWFLAKE not in page


def test_an_unchanged_sync_shows_its_own_time_on_the_card_and_the_model_page(hub, api, cards, client):
    """The stored card carries "last synced": an unchanged run must not leave the previous run's time shown."""
    import re

    from models_showcase.rendering import refresh_card_html
    from models_showcase.templatetags.hub_stats import iso_datetime

    sync(api)
    earlier = timezone.now() - timedelta(minutes=5, microseconds=123)  # as if the first run were five minutes ago
    ModelCard.objects.update(synced_at=earlier)
    refresh_card_html(ModelCard.objects.values_list("pk", flat=True))
    assert sync(api).count("unchanged") == 3

    for stored in ModelCard.objects.all():
        assert stored.synced_at > earlier
        shown = re.findall(r'<time datetime="([^"]+)"', stored.card_html)
        assert shown == [iso_datetime(stored.synced_at)], stored.repo_id
    bge = card(BGE)
    assert f'<time datetime="{iso_datetime(bge.synced_at)}"' in client.get("/").content.decode()
    detail = client.get(bge.get_absolute_url()).content.decode()
    assert f'<time datetime="{iso_datetime(bge.synced_at)}" data-relative>' in detail
    assert timezone.localtime(bge.synced_at).strftime("%Y-%m-%d %H:%M") in detail
