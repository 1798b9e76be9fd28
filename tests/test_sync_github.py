"""sync_github end to end: the command and the run over contributions, against the strict fake GitHub."""

from __future__ import annotations

import json
import logging
from functools import partial
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from contributions.github import run as github_run
from contributions.github.client import GitHubClient
from contributions.models import Contribution, ContributionGroup, GitHubRepository, PullRequest, RepositoryStars
from portfolio.models import SyncRun
from portfolio.syncing import runs as sync_runs
from portfolio.syncing.budget import MAX_ATTEMPTS
from portfolio.syncing.locking import sync_lock
from tests.builders import make_contribution, make_group, make_profile
from tests.fakegithub import (
    FakeGitHub,
    ManualClock,
    github_pull,
    github_repo,
    secondary_rate_limited,
    seed_pulls,
    seed_repos,
    server_error,
)

pytestmark = pytest.mark.django_db(transaction=True)

REPO = "UKPLab/sentence-transformers"
FIRST = f"https://github.com/{REPO}/pull/2946"
SECOND = f"https://github.com/{REPO}/pull/3299"
TOKEN = "ghp_test-token-never-logged"


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def github(clock):
    with FakeGitHub(seed_repos(), seed_pulls(), tokens={TOKEN}, clock=clock) as fake:
        yield fake


@pytest.fixture
def endpoint(github, settings):
    """The command's own configuration pointed at the fake (what GITHUB_API_URL does in production)."""
    settings.GITHUB_API_URL = github.url + "/"
    settings.GITHUB_TOKEN = ""
    return github


@pytest.fixture
def contributions():
    group = make_group("sentence-transformers")
    return [make_contribution(FIRST, group=group), make_contribution(SECOND, group=group)]


class FakeTime:
    """The run's clock and sleep, advancing the fake GitHub's clock too: waits pass without waiting."""

    def __init__(self, wall: ManualClock):
        self.wall = wall
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        self.wall.advance(seconds)


def sync(github, *, token=None, fake_time: FakeTime | None = None, **options):
    """sync_contributions against the fake, with a client the test configures."""

    def factory(budget):
        return GitHubClient(
            token=token,
            base_url=github.url + "/",
            budget=budget,
            wall_clock=fake_time.wall if fake_time else github_clock(github),
        )

    if fake_time is not None:
        options.update(clock=fake_time.clock, sleep=fake_time.sleep)
    return github_run.sync_contributions(client_factory=factory, **options)


def github_clock(github):
    return github._limiter.clock


def run_command(*args):
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("sync_github", *args, stdout=out, stderr=err)
    return exit_.value.code, out.getvalue(), err.getvalue()


def pull(url: str) -> PullRequest:
    return PullRequest.objects.select_related("repository", "contribution").get(contribution__pr_url=url)


# ---- what is stored ----


def test_first_sync_stores_each_pull_request_and_its_repository(github, contributions):
    report = sync(github)
    assert report.exit_code == 0, report.summary()
    assert (report.count("updated"), report.count("failed")) == (2, 0)
    first = pull(FIRST)
    assert (first.state, first.additions, first.deletions, first.changed_files) == ("merged", 187, 24, 3)
    assert (first.commits, first.comments, first.review_comments) == (6, 4, 9)
    assert first.labels == ["enhancement"] and first.author_login == "dragonkue"
    assert first.merged_at.isoformat() == "2024-10-08T13:02:49+00:00"
    assert first.opened_at.isoformat() == "2024-09-23T07:41:12+00:00"
    assert first.title == "[`feat`] Support multiple negatives in GISTEmbedLoss"
    assert first.etag and first.synced_at and not first.sync_error
    repo = first.repository
    assert (repo.full_name, repo.stars, repo.language, repo.archived) == (REPO, 17_600, "Python", False)
    assert repo.description == "State-of-the-Art Text Embeddings"
    assert pull(SECOND).repository_id == repo.pk and GitHubRepository.objects.count() == 1
    assert list(RepositoryStars.objects.values_list("stars", flat=True)) == [17_600]
    # One request for the repository, one per pull request.
    assert report.requests == 3 and github.count() == 3


def test_an_unchanged_rerun_costs_304s_and_still_marks_the_sync(github, contributions):
    sync(github)
    before = pull(FIRST).synced_at
    github.reset_requests()
    report = sync(github)
    assert report.exit_code == 0
    assert (report.count("unchanged"), report.requests, report.not_modified) == (2, 3, 3)
    assert github.count(status=304) == 3
    assert all(request.headers.get("if-none-match") for request in github.requests)
    assert pull(FIRST).synced_at > before
    assert "(3 not modified)" in report.summary()


def test_a_changed_pull_request_is_updated_and_a_closed_one_flagged(github, contributions):
    sync(github)
    github.update_pull(REPO, 3299, state="closed", merged=False, merged_at=None, closed_at="2025-04-11T10:00:00Z")
    github.update_repo(REPO, stargazers_count=17_650, archived=True)
    report = sync(github)
    [changed] = [result for result in report.results if result.status == "updated"]
    assert changed.key == SECOND and "state" in changed.changed
    second = pull(SECOND)
    assert second.state == PullRequest.State.CLOSED and second.merged_at is None
    assert second.repository.archived and second.repository.stars == 17_650
    assert second.needs_attention and pull(FIRST).needs_attention  # archived repository: both flagged
    assert Contribution.objects.filter(pr_url=SECOND, is_published=True).exists()  # flagged, never hidden


def test_a_deleted_pull_request_keeps_its_data_and_says_why(github, contributions):
    sync(github)
    github.remove_pull(REPO, 2946)
    report = sync(github)
    assert report.exit_code == 1
    [failed] = report.failed
    assert failed.key == FIRST and failed.error_kind == "not_found"
    first = pull(FIRST)
    assert first.sync_error_kind == "not_found" and "not found on GitHub" in first.sync_error
    assert (first.state, first.additions) == ("merged", 187)  # the last known data stays
    assert pull(SECOND).sync_error == ""


def test_a_deleted_repository_fails_its_pull_requests_without_asking_each(github, contributions):
    sync(github)
    github.remove_repo(REPO)
    github.reset_requests()
    report = sync(github)
    assert len(report.failed) == 2 and github.count() == 1  # the repository's 404, nothing per pull request
    repo = GitHubRepository.objects.get()
    assert repo.sync_error_kind == "not_found" and repo.stars == 17_600
    assert all(pull(url).sync_error.startswith("repository: ") for url in (FIRST, SECOND))


def test_a_never_synced_contribution_that_fails_gets_its_error_recorded(github):
    make_contribution("https://github.com/UKPLab/sentence-transformers/pull/9999")
    report = sync(github)
    assert report.exit_code == 1
    row = PullRequest.objects.get()
    assert row.sync_error_kind == "not_found" and row.state == ""


def test_a_renamed_repository_is_followed_and_the_address_updated(github, contributions):
    sync(github)
    repo_pk = GitHubRepository.objects.get().pk
    github.rename_repo(REPO, "huggingface/sentence-transformers")
    report = sync(github)
    assert report.exit_code == 0, report.summary()
    moved = "https://github.com/huggingface/sentence-transformers/pull/2946"
    contribution = Contribution.objects.get(number=2946)
    assert contribution.pr_url == moved and contribution.repository == "huggingface/sentence-transformers"
    assert any(result.key == moved and "pr_url" in result.changed for result in report.results)
    repo = GitHubRepository.objects.get()
    assert repo.pk == repo_pk and repo.full_name == "huggingface/sentence-transformers"  # same row, same history
    # The next run asks under the new name: no redirect per request.
    github.reset_requests()
    sync(github)
    assert github.count(status=301) == 0 and github.count("/repos/huggingface/") == 3


def test_an_edit_to_the_write_up_is_never_touched_by_the_sync(github, contributions):
    Contribution.objects.filter(pr_url=FIRST).update(writeup="My own words", title="Mine")
    sync(github)
    contribution = Contribution.objects.get(pr_url=FIRST)
    assert (contribution.writeup, contribution.title) == ("My own words", "Mine")


# ---- failures, limits, time ----


def test_a_refused_token_stops_the_run_at_its_first_request(github, contributions):
    report = sync(github, token="ghp_wrong")
    assert report.exit_code == 2 and report.fatal == "GitHub refused GITHUB_TOKEN"
    assert github.count() == 1  # nothing more is asked after the 401
    assert {result.error_kind for result in report.failed} == {"token_rejected"}


def test_a_spent_quota_waits_for_its_reset_when_the_deadline_allows(github, contributions, clock):
    github.use_quota(59)  # anonymous: 60 an hour, one left
    fake_time = FakeTime(clock)
    report = sync(github, fake_time=fake_time, timeout=7200)
    assert report.exit_code == 0, report.summary()
    assert report.quota_wait > 0 and any(wait > 3000 for wait in fake_time.sleeps)
    assert github.count(status=403) == 0  # waited before being refused


def test_a_spent_quota_past_the_deadline_fails_fast_without_sending(github, contributions, clock):
    github.use_quota(60)
    github.reset_requests()
    fake_time = FakeTime(clock)
    report = sync(github, fake_time=fake_time, timeout=60)
    # The first answer says the quota is spent; nothing else is sent until it resets.
    assert report.exit_code == 1 and github.count() == 1
    assert {result.error_kind for result in report.failed} == {"rate_limited"}
    assert fake_time.sleeps == []


def test_a_secondary_limit_and_server_errors_are_retried_within_bounds(github, contributions, clock):
    github.script(f"/repos/{REPO}/pulls/2946", secondary_rate_limited(30), server_error(502))
    fake_time = FakeTime(clock)
    report = sync(github, fake_time=fake_time)
    assert report.exit_code == 0, report.summary()
    assert 30 in fake_time.sleeps
    github.script(f"/repos/{REPO}/pulls/3299", *[server_error(503)] * MAX_ATTEMPTS)
    report = sync(github, fake_time=fake_time)
    [failed] = report.failed
    assert failed.key == SECOND and failed.error_kind == "server_error"


def test_the_deadline_fails_what_was_not_reached(github, contributions, clock):
    fake_time = FakeTime(clock)
    fake_time.now = 0.0
    report = sync(github, fake_time=fake_time, timeout=0.5)  # under one request's minimum
    assert {result.error_kind for result in report.failed} == {"deadline"} and len(report.failed) == 2
    assert github.count() == 0


# ---- discovery ----


def test_discover_drafts_merged_pull_requests_to_others_repositories(github, contributions):
    make_profile(github_username="dragonkue")
    other = github_repo("huggingface/transformers", stargazers_count=140_000, language="Python")
    own = github_repo("dragonkue/my-tools")
    github.add_repo(other, own)
    github.add_pull(
        github_pull(other, 31000, "dragonkue", title="Fix <b>tokenizer</b>", merged_at="2025-06-01T00:00:00Z"),
        github_pull(other, 31001, "dragonkue", title="Still open"),
        github_pull(own, 5, "dragonkue", title="In my own repo", merged_at="2025-06-02T00:00:00Z"),
        github_pull(other, 31002, "someone-else", title="Not mine", merged_at="2025-06-03T00:00:00Z"),
    )
    report = sync(github, discover=True)
    assert report.exit_code == 0, report.summary()
    draft = Contribution.objects.get(number=31000)
    assert draft.pr_url == "https://github.com/huggingface/transformers/pull/31000" and not draft.is_published
    assert draft.title == "Fix <b>tokenizer</b>" and draft.writeup == ""
    assert draft.group.title == "huggingface/transformers"
    assert pull(draft.pr_url).state == "merged"  # synced in the same run
    assert not Contribution.objects.filter(number__in=[31001, 5, 31002]).exists()
    created = [result for result in report.results if result.status == "created"]
    assert [result.key for result in created] == [draft.pr_url]
    assert Contribution.objects.filter(pr_url__in=[FIRST, SECOND]).count() == 2  # already present: skipped

    again = sync(github, discover=True)
    assert again.count("created") == 0 and Contribution.objects.count() == 3


def test_discover_without_a_github_username_cannot_run(github, contributions):
    make_profile(github_username="")
    report = sync(github, discover=True)
    assert report.exit_code == 2 and "GitHub username" in report.fatal and github.count() == 0


def test_dry_run_writes_nothing(github, contributions):
    make_profile(github_username="dragonkue")
    other = github_repo("huggingface/transformers")
    github.add_repo(other)
    github.add_pull(github_pull(other, 31000, "dragonkue", merged_at="2025-06-01T00:00:00Z"))
    report = sync(github, dry_run=True, discover=True)
    assert report.dry_run and report.summary().startswith("dry run: would sync 3")
    assert not PullRequest.objects.exists() and not GitHubRepository.objects.exists()
    assert Contribution.objects.count() == 2


# ---- the command ----


def test_command_summary_json_and_exit_codes(endpoint, contributions):
    code, out, err = run_command()
    assert code == 0, err
    assert "sync_github: synced 2, unchanged 0, failed 0" in out and "3 requests" in out
    code, out, _ = run_command("--json")
    report = json.loads(out)
    assert code == 0 and report["not_modified"] == 3 and report["counts"]["unchanged"] == 2
    assert {item["url"] for item in report["pull_requests"]} == {FIRST, SECOND}

    endpoint.remove_pull(REPO, 3299)
    code, _, err = run_command()
    assert code == 1 and f"FAILED {SECOND}: not found on GitHub" in err


def test_command_only_takes_pull_request_urls_it_knows(endpoint, contributions):
    code, out, _ = run_command("--only", f"{FIRST}/files", "-v", "2")
    assert f"updated   {FIRST}" in out
    assert code == 0 and endpoint.count("/repos/UKPLab/sentence-transformers/pulls/") == 1
    assert PullRequest.objects.get().contribution.pr_url == FIRST
    code, _, err = run_command("--only", "https://github.com/x/y/pull/1")
    assert code == 2 and "no contribution for https://github.com/x/y/pull/1" in err
    code, _, err = run_command("--only", "not a url")
    assert code == 2 and "no contribution for not a url" in err


def test_command_refuses_to_overlap_itself_but_not_the_hub_sync(endpoint, contributions):
    other = connections.create_connection("default")  # another process's connection, as far as the lock sees
    try:
        with sync_lock("sync_github", connection=other):
            code, _, err = run_command()
        assert code == 2 and "another sync_github is running" in err
        assert endpoint.count() == 0
        with sync_lock("sync_hub", connection=other):
            code, _, err = run_command()
        assert code == 0, err
    finally:
        other.close()


def test_command_help_documents_the_exit_codes_and_token(capsys):
    with pytest.raises(SystemExit):
        call_command("sync_github", "--help")
    text = capsys.readouterr().out
    assert "exit codes:" in text and "2  could not run" in text and "GITHUB_TOKEN" in text


def test_the_token_is_never_logged_or_printed(endpoint, contributions, settings, caplog):
    settings.GITHUB_TOKEN = TOKEN
    caplog.set_level(logging.DEBUG)
    endpoint.remove_pull(REPO, 3299)
    code, out, err = run_command("-v", "3")
    assert code == 1
    assert TOKEN not in out + err + caplog.text
    assert pull(FIRST).state == "merged"  # the token was used: the answers came


def test_star_history_keeps_one_count_per_day(github, contributions):
    sync(github)
    github.update_repo(REPO, stargazers_count=17_700)
    sync(github)
    assert list(RepositoryStars.objects.values_list("date", "stars")) == [(timezone.localdate(), 17_700)]
    RepositoryStars.objects.update(date=timezone.localdate() - timezone.timedelta(days=1))
    sync(github)  # a 304: today's point still recorded from the stored count
    assert RepositoryStars.objects.count() == 2


def test_the_admin_groups_and_run_function_sync_what_was_queued(github, contributions):
    report = github_run.sync_listed([SECOND], None, 60, client_factory=partial(client_for, github))
    assert [result.key for result in report.results] == [SECOND]
    assert ContributionGroup.objects.count() == 1


def client_for(github, budget):
    return GitHubClient(token=None, base_url=github.url + "/", budget=budget, wall_clock=github_clock(github))


# ---- the admin's "Sync selected from GitHub": queued, run by its own process, followed on the list ----

CHANGELIST = "admin:contributions_contribution_changelist"


@pytest.fixture
def started(monkeypatch):
    """The runs whose process the action would start: recorded, not started (tests run them in place)."""
    runs = []
    monkeypatch.setattr(sync_runs, "start", runs.append)
    return runs


def sync_action(client, contributions):
    return client.post(
        reverse(CHANGELIST),
        {"action": "sync_selected", "_selected_action": [c.pk for c in contributions]},
        follow=True,
    )


def test_the_admin_action_queues_a_github_run_and_the_list_follows_it(github, contributions, staff_client, started):
    response = sync_action(staff_client, contributions)
    [message] = [str(m) for m in response.context["messages"]]
    assert message == f"GitHub sync queued for 2 items: {FIRST}, {SECOND}. Its progress shows above the list."
    [run] = started
    assert (run.kind, run.items, run.status) == ("sync_github", [FIRST, SECOND], SyncRun.Status.QUEUED)
    assert "GitHub sync of 2 items queued" in staff_client.get(reverse(CHANGELIST)).content.decode()

    run = sync_runs.execute(
        "sync_github", run.pk, partial(github_run.sync_listed, client_factory=partial(client_for, github))
    )
    assert (run.status, run.synced_count, run.failed_count) == (SyncRun.Status.DONE, 2, 0)
    page = staff_client.get(reverse(CHANGELIST)).content.decode()
    assert "GitHub sync finished" in page and "synced 2, unchanged 0, failed 0" in page
    assert pull(FIRST).state == "merged"


def test_a_hub_run_does_not_block_the_github_action(contributions, staff_client, started):
    SyncRun.objects.create(kind=SyncRun.Kind.HUB, status=SyncRun.Status.RUNNING, started_at=timezone.now())
    sync_action(staff_client, contributions)
    assert len(started) == 1
    response = sync_action(staff_client, contributions)  # its own kind is queued now: refused
    assert "This sync is already running" in next(str(m) for m in response.context["messages"])
    assert len(started) == 1


def test_the_command_runs_a_queued_github_run(endpoint, contributions, staff_client, started):
    sync_action(staff_client, contributions)
    code, out, err = run_command("--run-id", str(started[0].pk))
    assert code == 0, err
    assert f"sync_github run {started[0].pk}: synced 2, unchanged 0, failed 0" in out
    code, _, err = run_command("--run-id", str(started[0].pk))
    assert code == 2 and "is done, not queued" in err
