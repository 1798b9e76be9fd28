"""sync_github's requests (contributions/github/client.py), through the real githubkit against the fake GitHub.

Time is the fake's ManualClock: the budget's clock, the client's wall clock and the rate-limit windows all read it,
and the injected sleep advances it, so an hour's wait for a quota reset takes no time.
"""

import json
import logging
import time
from collections.abc import Callable, Iterator

import pytest

from contributions.github.client import GitHubClient
from portfolio.syncing.budget import MAX_ATTEMPTS, RequestBudget
from portfolio.syncing.errors import DeadlineExceeded, SyncError, SyncErrorKind
from tests.fakegithub import (
    SEED_AUTHOR,
    SEED_REPO,
    FakeGitHub,
    ManualClock,
    Scripted,
    github_pull,
    github_repo,
    secondary_rate_limited,
    seed_pulls,
    seed_repos,
    server_error,
    slow,
)

OWNER, NAME = SEED_REPO.split("/")
TOKEN = "ghp_TopSecretValue1234567890"
PULL_PATH = f"/repos/{SEED_REPO}/pulls/2946"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def gh(clock) -> Iterator[FakeGitHub]:
    with FakeGitHub(seed_repos(), seed_pulls(), tokens={TOKEN}, clock=clock) as github:
        yield github


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def make_client(gh, clock, slept) -> Callable[..., GitHubClient]:
    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    def make(
        token: str | None = None, *, seconds: float = 300, request_timeout: float = 5, url: str = ""
    ) -> GitHubClient:
        budget = RequestBudget(deadline=clock() + seconds, request_timeout=request_timeout, clock=clock, sleep=sleep)
        return GitHubClient(token=token, base_url=url or gh.url, budget=budget, wall_clock=clock)

    return make


def statuses(gh: FakeGitHub) -> list[int]:
    return [request.status for request in gh.requests]


# --- Answers ----------------------------------------------------------------------------------------------------------


def test_a_pull_request_then_not_modified_with_its_etag(gh, make_client):
    client = make_client()

    first = client.get_pull(OWNER, NAME, 2946)
    second = client.get_pull(OWNER, NAME, 2946, etag=first.etag)

    assert first.data["additions"] == 187 and first.data["user"]["login"] == SEED_AUTHOR  # raw JSON
    assert first.etag.startswith('W/"') and first.url == f"{gh.url}{PULL_PATH}"
    assert (second.data, second.etag) == (None, first.etag)
    assert gh.requests[1].headers["if-none-match"] == first.etag
    assert statuses(gh) == [200, 304]
    assert (client.requests, client.not_modified) == (2, 1)
    assert "if-none-match" not in gh.requests[0].headers  # no cache of githubkit's sends one


def test_a_changed_pull_request_answers_200_to_an_old_etag(gh, make_client):
    client = make_client()
    old = client.get_pull(OWNER, NAME, 2946).etag
    gh.update_pull(SEED_REPO, 2946, additions=190)

    fetched = client.get_pull(OWNER, NAME, 2946, etag=old)

    assert fetched.data["additions"] == 190 and fetched.etag != old
    assert client.not_modified == 0


def test_a_repository_and_the_core_quota_it_reports(gh, make_client, clock):
    client = make_client()

    fetched = client.get_repo(SEED_REPO)

    assert fetched.data["full_name"] == SEED_REPO and fetched.data["stargazers_count"] == 17_600
    assert (client.quota.remaining, client.quota.limit) == (59, 60)
    assert client.quota.resets_at == pytest.approx(clock() + 3600)
    assert client.search_quota.remaining is None
    assert not client.with_token


def test_a_token_is_sent_and_gets_its_own_quota(gh, make_client):
    client = make_client(TOKEN)

    client.get_pull(OWNER, NAME, 2946)

    assert gh.requests[0].headers["authorization"] == f"token {TOKEN}"
    assert (client.quota.remaining, client.quota.limit, client.with_token) == (4999, 5000, True)


def test_as_a_context_manager_its_hooks_still_count_and_time_every_request(gh, make_client):
    with make_client() as client:  # one httpx client (and connection pool) until the end of the block
        first = client.get_pull(OWNER, NAME, 2946)
        client.get_pull(OWNER, NAME, 2946, etag=first.etag)

    assert (client.requests, client.not_modified, client.quota.remaining) == (2, 1, 58)  # anonymous: a 304 counts too
    assert statuses(gh) == [200, 304]


# --- Refusals ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("owner", "name", "number"), [(OWNER, NAME, 1), ("nobody", "nothing", 2946)])
def test_a_missing_pull_request_is_not_found_and_not_retried(gh, make_client, owner, name, number):
    with pytest.raises(SyncError) as raised:
        make_client().get_pull(owner, name, number)

    assert raised.value.kind == SyncErrorKind.NOT_FOUND and not raised.value.retryable
    assert str(raised.value) == "not found on GitHub (deleted, or private: set GITHUB_TOKEN)"
    assert statuses(gh) == [404]


def test_a_refused_token_is_said_once_and_not_retried(gh, make_client, slept):
    with pytest.raises(SyncError) as raised:
        make_client("ghp_revoked").get_pull(OWNER, NAME, 2946)

    assert raised.value.kind == SyncErrorKind.TOKEN_REJECTED
    assert str(raised.value) == "GITHUB_TOKEN was refused by GitHub (HTTP 401): check it"
    assert statuses(gh) == [401] and slept == []


def test_another_403_is_a_refusal_in_githubs_words_not_retried(gh, make_client):
    body = json.dumps({"message": "Repository access blocked\x1b[31m", "block": {"reason": "tos"}}).encode()
    gh.script(PULL_PATH, Scripted(403, body))

    with pytest.raises(SyncError) as raised:
        make_client().get_pull(OWNER, NAME, 2946)

    assert raised.value.kind == SyncErrorKind.DISABLED and not raised.value.retryable
    assert str(raised.value) == "GitHub refused access (HTTP 403: Repository access blocked[31m)"
    assert gh.count() == 1


@pytest.mark.parametrize("body", [b"<html>Unicorn!</html>", b"[1, 2]", b"\xff\xfe"])
def test_an_answer_that_is_not_a_json_object_is_unreadable(gh, make_client, body):
    gh.script(PULL_PATH, Scripted(200, body))

    with pytest.raises(SyncError) as raised:
        make_client().get_pull(OWNER, NAME, 2946)

    assert raised.value.kind == SyncErrorKind.INVALID_RESPONSE and not raised.value.retryable
    assert gh.count() == 1


# --- Rate limits ------------------------------------------------------------------------------------------------------


def test_a_quota_spent_elsewhere_waits_for_its_reset_when_the_deadline_allows(gh, make_client, slept):
    gh.use_quota(60)  # anonymous: another tool on this address used the hour's 60

    fetched = make_client(seconds=4000).get_pull(OWNER, NAME, 2946)

    assert fetched.data["number"] == 2946
    assert statuses(gh) == [403, 200]
    assert slept == [3601.0]  # until the reset second has passed, from x-ratelimit-reset and the wall clock


def test_a_quota_spent_elsewhere_fails_when_its_reset_is_past_the_deadline(gh, make_client, slept):
    gh.use_quota(60)

    with pytest.raises(SyncError) as raised:
        make_client(seconds=300).get_pull(OWNER, NAME, 2946)

    assert raised.value.kind == SyncErrorKind.RATE_LIMITED
    assert "past --timeout" in str(raised.value)
    assert statuses(gh) == [403] and slept == []


def test_a_quota_known_to_be_spent_fails_without_sending_when_the_deadline_is_too_near(gh, make_client, slept):
    gh.use_quota(59)
    client = make_client(seconds=300)
    client.get_repo(SEED_REPO)  # the 60th: x-ratelimit-remaining 0

    with pytest.raises(SyncError) as raised:
        client.get_pull(OWNER, NAME, 2946)

    assert raised.value.kind == SyncErrorKind.RATE_LIMITED and "quota is used up" in str(raised.value)
    assert gh.count() == 1 and slept == []


def test_a_quota_known_to_be_spent_waits_before_sending(gh, make_client, slept):
    gh.use_quota(59)
    client = make_client(seconds=4000)
    client.get_repo(SEED_REPO)

    client.get_pull(OWNER, NAME, 2946)

    assert statuses(gh) == [200, 200]  # never refused: it waited first
    assert slept == [pytest.approx(3601.0)] and client.quota.waited == pytest.approx(3601.0)


def test_a_reserve_is_kept_back_from_the_window(gh, make_client, slept):
    gh.use_quota(50)
    client = make_client(seconds=4000)
    for _ in range(4):
        client.get_repo(SEED_REPO)  # 9, 8, 7, then 6 left: the reserve (a tenth of 60)
    assert slept == [] and client.quota.remaining == 6

    client.get_repo(SEED_REPO)

    assert len(slept) == 1 and statuses(gh) == [200] * 5  # the fifth waited for the next window


@pytest.mark.parametrize("status", [429, 403])
def test_a_secondary_limit_waits_what_retry_after_says_then_succeeds(gh, make_client, slept, status):
    gh.script(PULL_PATH, secondary_rate_limited(30, status=status))

    fetched = make_client().get_pull(OWNER, NAME, 2946)

    assert fetched.data["number"] == 2946
    assert statuses(gh) == [status, 200] and slept == [30.0]


def test_a_secondary_limit_past_the_deadline_fails_rate_limited(gh, make_client, slept):
    gh.script(PULL_PATH, secondary_rate_limited(600))

    with pytest.raises(SyncError) as raised:
        make_client(seconds=300).get_pull(OWNER, NAME, 2946)

    assert raised.value.kind == SyncErrorKind.RATE_LIMITED and "asked to wait 600 s" in str(raised.value)
    assert gh.count() == 1 and slept == []


# --- Retries and the deadline -----------------------------------------------------------------------------------------


def test_server_errors_are_retried_with_backoff_then_succeed(gh, make_client, slept):
    gh.script(PULL_PATH, server_error(502), server_error(503))

    fetched = make_client().get_pull(OWNER, NAME, 2946)

    assert fetched.data["number"] == 2946
    assert statuses(gh) == [502, 503, 200] and slept == [1.0, 2.0]


def test_retries_are_bounded(gh, make_client, slept):
    gh.script(PULL_PATH, *[server_error(500)] * (MAX_ATTEMPTS + 2))

    with pytest.raises(SyncError) as raised:
        make_client().get_pull(OWNER, NAME, 2946)

    assert raised.value.kind == SyncErrorKind.SERVER_ERROR
    assert gh.count() == MAX_ATTEMPTS and len(slept) == MAX_ATTEMPTS - 1


def test_a_slow_answer_times_out_and_is_retried(gh, make_client, slept):
    gh.script(PULL_PATH, slow(3))

    client = make_client(request_timeout=0.3)

    fetched = client.get_pull(OWNER, NAME, 2946)

    assert fetched.data["number"] == 2946
    assert slept == [1.0] and client.requests == 2  # (the fake records the slow one only once it has answered)


def test_a_slow_answer_past_the_deadline_is_the_deadline(gh, make_client):
    gh.script(PULL_PATH, slow(5))
    client = make_client(seconds=1.4, request_timeout=20)  # the request may take 1.4 s, not 20

    with pytest.raises(DeadlineExceeded):
        client.get_pull(OWNER, NAME, 2946)

    assert client.requests == 1


def test_a_redirects_next_hop_does_not_start_past_the_deadline(gh, clock, make_client):
    """Each hop gets what is left of the run: here the 301 came back with too little left for the second."""
    make_client().get_repo(SEED_REPO)  # githubkit imports its namespaces on first use: not in the timed part
    gh.rename_repo(SEED_REPO, "huggingface/sentence-transformers")
    gh.reset_requests()
    gh.script(f"/repos/{SEED_REPO}", slow(0.8))
    budget = RequestBudget(deadline=time.monotonic() + 1.6, request_timeout=20)
    client = GitHubClient(token=None, base_url=gh.url, budget=budget, wall_clock=clock)

    with pytest.raises(DeadlineExceeded):
        client.get_repo(SEED_REPO)

    assert client.requests == 1 and statuses(gh) == [301]


def test_no_request_starts_when_too_little_time_is_left(gh, make_client):
    with pytest.raises(DeadlineExceeded):
        make_client(seconds=0.5).get_pull(OWNER, NAME, 2946)

    assert gh.count() == 0


def test_github_unreachable_is_a_network_error_retried_and_bounded(make_client, slept):
    client = make_client(url="http://127.0.0.1:9")

    with pytest.raises(SyncError) as raised:
        client.get_repo(SEED_REPO)

    assert raised.value.kind == SyncErrorKind.NETWORK and raised.value.retryable
    assert client.requests == MAX_ATTEMPTS and slept == [1.0, 2.0, 4.0]


# --- Renamed repositories ---------------------------------------------------------------------------------------------


def test_a_renamed_repository_is_followed_to_its_new_name(gh, make_client):
    new = "huggingface/sentence-transformers"
    gh.rename_repo(SEED_REPO, new)
    client = make_client()

    pull = client.get_pull(OWNER, NAME, 2946)
    repo = client.get_repo(SEED_REPO)

    repo_id = repo.data["id"]
    assert pull.url == f"{gh.url}/repositories/{repo_id}/pulls/2946"
    assert pull.data["base"]["repo"]["full_name"] == new
    assert pull.data["html_url"] == f"https://github.com/{new}/pull/2946"
    assert (repo.url, repo.data["full_name"]) == (f"{gh.url}/repositories/{repo_id}", new)
    assert statuses(gh) == [301, 200, 301, 200] and client.requests == 4  # a redirect is a request


# --- Search -----------------------------------------------------------------------------------------------------------


def merged_elsewhere(gh: FakeGitHub, count: int) -> None:
    """`count` merged pull requests by the seed author, in repositories of others."""
    for index in range(count):
        repo = github_repo(f"org{index % 7}/lib{index % 7}")
        if index < 7:
            gh.add_repo(repo)
        gh.add_pull(github_pull(repo, 100 + index, SEED_AUTHOR, merged_at="2025-01-02T00:00:00Z"))


def test_search_follows_the_link_header_page_by_page(gh, make_client):
    merged_elsewhere(gh, 248)  # and the seed's two: 250
    own = github_repo(f"{SEED_AUTHOR}/own")
    gh.add_repo(own)
    gh.add_pull(github_pull(own, 1, SEED_AUTHOR, merged_at="2025-06-01T00:00:00Z"))
    client = make_client()

    pages = list(client.search_merged_pulls(SEED_AUTHOR))

    assert [len(page) for page in pages] == [100, 100, 50]
    urls = {item["pull_request"]["html_url"] for page in pages for item in page}
    assert len(urls) == 250 and not any(f"/{SEED_AUTHOR}/own/" in url for url in urls)
    searches = [request for request in gh.requests if request.path == "/search/issues"]
    assert [request.query.get("page", ["1"])[0] for request in searches] == ["1", "2", "3"]
    assert searches[0].query["q"] == [f"is:pr is:merged author:{SEED_AUTHOR} -user:{SEED_AUTHOR}"]
    assert searches[0].query["per_page"] == ["100"]


def test_search_stops_at_githubs_1000_results_without_asking_past_them(gh, make_client):
    def page(number: int) -> Scripted:
        link = f'<{gh.url}/search/issues?q=x&per_page=100&page={number + 1}>; rel="next"'
        body = json.dumps({"total_count": 5000, "incomplete_results": False, "items": [{"number": number}]})
        return Scripted(200, body.encode(), {"Link": link})

    gh.script("/search/issues", *(page(number) for number in range(1, 12)))
    client = make_client(TOKEN)

    pages = list(client.search_merged_pulls(SEED_AUTHOR))

    assert len(pages) == 10 and gh.count("/search/issues") == 10


def test_the_search_quota_is_counted_apart_from_the_core_one(gh, make_client, slept, clock):
    gh.use_quota(10, resource="search")  # the anonymous minute's 10 searches are spent
    client = make_client()

    client.get_pull(OWNER, NAME, 2946)
    assert slept == [] and client.quota.remaining == 59
    pages = list(client.search_merged_pulls(SEED_AUTHOR))

    assert [len(page) for page in pages] == [2]
    assert statuses(gh) == [200, 403, 200]
    assert slept == [pytest.approx(61.0)]  # the search window's reset, a minute on
    assert (client.search_quota.limit, client.search_quota.remaining) == (10, 9)
    assert client.quota.remaining == 59  # untouched by searching


def test_search_refuses_a_user_that_is_not_a_login(gh, make_client):
    with pytest.raises(ValueError, match="not a GitHub login"):
        next(make_client().search_merged_pulls("me -is:merged"))

    assert gh.count() == 0


def test_a_search_answer_without_items_is_unreadable(gh, make_client):
    gh.script("/search/issues", Scripted(200, b'{"total_count": 1}'))

    with pytest.raises(SyncError) as raised:
        next(make_client().search_merged_pulls(SEED_AUTHOR))

    assert raised.value.kind == SyncErrorKind.INVALID_RESPONSE


# --- What reaches the logs --------------------------------------------------------------------------------------------


def test_the_token_never_reaches_logs_or_errors(gh, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    gh.script(PULL_PATH, server_error(502))
    gh.script(f"/repos/{SEED_REPO}", Scripted(403, b'{"message": "Resource not accessible by token"}'))
    client = make_client(TOKEN)

    client.get_pull(OWNER, NAME, 2946)  # retried once: logged
    errors = []
    for call in (lambda: client.get_repo(SEED_REPO), lambda: client.get_pull(OWNER, NAME, 1)):
        with pytest.raises(SyncError) as raised:
            call()
        errors.append(raised.value)
    with pytest.raises(SyncError) as refused:
        make_client(TOKEN + "x").get_pull(OWNER, NAME, 2946)

    assert gh.requests[0].headers["authorization"] == f"token {TOKEN}"
    assert "retrying" in caplog.text  # the logs were captured
    assert TOKEN not in caplog.text
    assert not any(TOKEN in f"{error} {error!r}" for error in [*errors, refused.value])


def test_httpx_request_lines_stay_out_of_crons_output(gh, make_client, caplog):
    caplog.set_level(logging.INFO)

    make_client().get_pull(OWNER, NAME, 2946)

    assert not [record for record in caplog.records if record.name.startswith("httpx")]
