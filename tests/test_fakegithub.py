"""The fake GitHub, proven with the real githubkit client: if these pass, sync_github tests built on it mean something.

Each rule the fake enforces (see tests/fakegithub.py) is shown through ``githubkit.GitHub`` — its typed models, its
rate-limit exceptions, its HTTP cache's conditional requests and its redirect following — and through plain httpx only
where a raw header or body is the point.
"""

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from githubkit import GitHub
from githubkit.cache import MemCacheStrategy
from githubkit.exception import PrimaryRateLimitExceeded, RequestFailed, SecondaryRateLimitExceeded

from tests.fakegithub import (
    FIXTURES,
    SEED_AUTHOR,
    SEED_REPO,
    FakeGitHub,
    ManualClock,
    build_seed,
    github_pull,
    github_repo,
    search_item,
    secondary_rate_limited,
    seed_pulls,
    seed_repos,
)
from tests.fakeserver import run_by_hand

ROOT = Path(__file__).resolve().parent.parent
OWNER, NAME = SEED_REPO.split("/")
TOKEN = "ghp_valid"
QUERY = f"is:pr is:merged author:{SEED_AUTHOR} -user:{SEED_AUTHOR}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def gh(clock: ManualClock) -> Iterator[FakeGitHub]:
    with FakeGitHub(seed_repos(), seed_pulls(), tokens={TOKEN}, clock=clock) as github:
        yield github


@pytest.fixture
def client(gh: FakeGitHub) -> Iterator[Callable[..., GitHub]]:
    """githubkit as sync_github would use it, pointed at the fake, each with its own cache (githubkit's default one is
    process-wide). The fixture keeps the clients alive for the test: githubkit's ``rest`` namespaces hold their client
    weakly, so ``GitHub(...).rest.pulls.get(...)`` on a temporary can fail with "client has already been collected"."""
    made: list[GitHub] = []

    def make(token: str | None = None, **options: Any) -> GitHub:
        made.append(
            GitHub(token, base_url=gh.url + "/", **{"cache_strategy": MemCacheStrategy(), "timeout": 5, **options})
        )
        return made[-1]

    yield make
    made.clear()


# --- Shapes -----------------------------------------------------------------------------------------------------------


def test_fixtures_are_the_seed_builders_output():
    repo, (first, second) = build_seed()

    assert json.loads((FIXTURES / "repository.json").read_text()) == repo
    assert json.loads((FIXTURES / "pull-request.json").read_text()) == first
    assert json.loads((FIXTURES / "pull-request-3299.json").read_text()) == second
    page = json.loads((FIXTURES / "search-issues.json").read_text())
    assert page["items"] == [search_item(second), search_item(first)]


def test_get_a_pull_request_and_its_repository(gh, client):
    github = client()

    pull = github.rest.pulls.get(OWNER, NAME, 2946).parsed_data
    repo = github.rest.repos.get(OWNER, NAME).parsed_data

    assert (pull.number, pull.state, pull.merged, pull.user.login) == (2946, "closed", True, SEED_AUTHOR)
    assert (pull.additions, pull.deletions, pull.changed_files, pull.commits) == (187, 24, 3, 6)
    assert (pull.comments, pull.review_comments) == (4, 9)
    assert pull.merged_at.isoformat() == "2024-10-08T13:02:49+00:00"
    assert [label.name for label in pull.labels] == ["enhancement"]
    assert pull.url == f"{gh.url}/repos/{SEED_REPO}/pulls/2946"  # API links name the fake; web links stay github.com
    assert pull.html_url == f"https://github.com/{SEED_REPO}/pull/2946"
    assert (repo.full_name, repo.language, repo.archived) == (SEED_REPO, "Python", False)
    assert repo.description == "State-of-the-Art Text Embeddings" and repo.stargazers_count == 17_600
    assert github.rest.pulls.get(OWNER, NAME, 3299).parsed_data.labels[1].name == "losses"


def test_json_is_raw_utf8_with_githubs_content_type(gh):
    gh.update_pull(SEED_REPO, 2946, title="GISTEmbedLoss 개선 🎯")

    response = httpx.get(f"{gh.url}/repos/{SEED_REPO}/pulls/2946")

    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "GISTEmbedLoss 개선 🎯".encode() in response.content


# --- Errors -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [(OWNER, NAME, 1), ("nobody", "nothing", 2946)])
def test_a_missing_pull_request_or_repository_is_a_404(gh, path, client):
    with pytest.raises(RequestFailed) as raised:
        client().rest.pulls.get(*path)

    assert raised.value.response.status_code == 404
    body = raised.value.response.json()
    assert body["message"] == "Not Found" and body["documentation_url"].startswith("https://docs.github.com/")


def test_a_removed_repository_is_a_404(gh, client):
    gh.remove_repo(SEED_REPO)

    with pytest.raises(RequestFailed) as raised:
        client().rest.repos.get(OWNER, NAME)

    assert raised.value.response.status_code == 404


@pytest.mark.parametrize("scheme", ["Bearer", "token"])
def test_a_bad_token_is_a_401_and_a_good_one_works_with_either_scheme(gh, scheme, client):
    with pytest.raises(RequestFailed) as raised:
        client("ghp_revoked").rest.pulls.get(OWNER, NAME, 2946)

    assert raised.value.response.status_code == 401
    assert raised.value.response.json()["message"] == "Bad credentials"
    headers = {"Authorization": f"{scheme} {TOKEN}"}
    assert httpx.get(f"{gh.url}/repos/{SEED_REPO}", headers=headers).status_code == 200
    assert client(TOKEN).rest.pulls.get(OWNER, NAME, 2946).parsed_data.number == 2946
    assert gh.requests[-1].headers["authorization"] == f"token {TOKEN}"  # what githubkit 0.16 sends


# --- Rate limits ------------------------------------------------------------------------------------------------------


def test_every_answer_carries_the_rate_limit_headers(gh, clock):
    ok = httpx.get(f"{gh.url}/repos/{SEED_REPO}")
    missing = httpx.get(f"{gh.url}/repos/{SEED_REPO}/pulls/1")
    search = httpx.get(f"{gh.url}/search/issues", params={"q": QUERY})

    reset = int(clock.now) + 3600
    assert {k: ok.headers[f"x-ratelimit-{k}"] for k in ("limit", "remaining", "used", "reset", "resource")} == {
        "limit": "60",
        "remaining": "59",
        "used": "1",
        "reset": str(reset),
        "resource": "core",
    }
    assert (missing.headers["x-ratelimit-remaining"], missing.headers["x-ratelimit-used"]) == ("58", "2")
    assert (search.headers["x-ratelimit-resource"], search.headers["x-ratelimit-limit"]) == ("search", "10")


def test_anonymous_quota_runs_out_with_a_403_until_the_reset(gh, clock, client):
    github = client(auto_retry=False)
    gh.use_quota(59)
    github.rest.repos.get(OWNER, NAME)  # the 60th

    with pytest.raises(PrimaryRateLimitExceeded) as raised:
        github.rest.pulls.get(OWNER, NAME, 2946)

    response = raised.value.response
    assert response.status_code == 403 and "API rate limit exceeded" in response.json()["message"]
    assert response.headers["x-ratelimit-remaining"] == "0"
    reset = int(response.headers["x-ratelimit-reset"])
    assert reset == int(clock.now) + 3600
    clock.advance(3599)
    with pytest.raises(PrimaryRateLimitExceeded):
        github.rest.pulls.get(OWNER, NAME, 2946)
    clock.advance(1)  # the reset
    answer = github.rest.pulls.get(OWNER, NAME, 2946)
    assert answer.status_code == 200 and answer.headers["x-ratelimit-remaining"] == "59"


def test_a_token_gets_5000_an_hour_counted_apart_from_anonymous(gh, client):
    gh.use_quota(60)  # anonymous spent

    answer = client(TOKEN).rest.pulls.get(OWNER, NAME, 2946)

    assert (answer.headers["x-ratelimit-limit"], answer.headers["x-ratelimit-remaining"]) == ("5000", "4999")
    limits = client(TOKEN).rest.rate_limit.get().parsed_data.resources
    assert (limits.core.used, limits.search.limit) == (1, 30)
    assert client().rest.rate_limit.get().parsed_data.resources.core.remaining == 0  # /rate_limit is free


def test_a_scripted_secondary_limit_is_a_429_with_retry_after(gh, client):
    gh.script(f"/repos/{SEED_REPO}/pulls/2946", secondary_rate_limited(30))

    with pytest.raises(SecondaryRateLimitExceeded) as raised:
        client(auto_retry=False).rest.pulls.get(OWNER, NAME, 2946)

    assert raised.value.response.status_code == 429
    assert raised.value.retry_after == timedelta(seconds=30)
    assert client().rest.pulls.get(OWNER, NAME, 2946).status_code == 200  # the script is used up


# --- Conditional requests ---------------------------------------------------------------------------------------------


def test_githubkit_revalidates_with_if_none_match_and_a_304_is_free(gh, client):
    github = client(TOKEN)

    first = github.rest.pulls.get(OWNER, NAME, 2946)
    second = github.rest.pulls.get(OWNER, NAME, 2946)

    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert [r.status for r in gh.requests] == [200, 304]
    assert gh.requests[1].headers["if-none-match"] == etag  # sent by githubkit's HTTP cache, not by the test
    assert second.status_code == 200 and second.parsed_data.additions == 187  # served from its cache
    assert second.headers["x-ratelimit-used"] == "1"
    gh.update_pull(SEED_REPO, 2946, additions=190)
    assert github.rest.pulls.get(OWNER, NAME, 2946).parsed_data.additions == 190
    assert gh.requests[-1].status == 200


def test_a_304_has_no_body_and_is_free_only_when_authorized(gh):
    # GitHub: a 304 does not count "if ... made while correctly authorized with an Authorization header".
    auth = {"Authorization": f"Bearer {TOKEN}"}
    etag = httpx.get(f"{gh.url}/repos/{SEED_REPO}", headers=auth).headers["etag"]

    response = httpx.get(f"{gh.url}/repos/{SEED_REPO}", headers={"If-None-Match": etag, **auth})

    assert response.status_code == 304 and response.content == b""
    assert response.headers["etag"] == etag and response.headers["x-ratelimit-remaining"] == "4999"
    other = httpx.get(f"{gh.url}/repos/{SEED_REPO}", headers={"If-None-Match": 'W/"stale"', **auth})
    assert other.status_code == 200

    anonymous = httpx.get(f"{gh.url}/repos/{SEED_REPO}", headers={"If-None-Match": etag})
    assert anonymous.status_code == 304 and anonymous.headers["x-ratelimit-remaining"] == "59"  # counted


# --- Renamed repositories ---------------------------------------------------------------------------------------------


def test_a_renamed_repository_redirects_and_the_json_names_the_new_one(gh, client):
    gh.rename_repo(SEED_REPO, "huggingface/sentence-transformers")
    github = client()

    pull = github.rest.pulls.get(OWNER, NAME, 2946).parsed_data
    repo = github.rest.repos.get(OWNER, NAME).parsed_data

    first = httpx.get(f"{gh.url}/repos/{SEED_REPO}/pulls/2946")
    assert first.status_code == 301 and first.json()["message"] == "Moved Permanently"
    assert first.headers["location"] == f"{gh.url}/repositories/{repo.id}/pulls/2946"
    assert pull.html_url == "https://github.com/huggingface/sentence-transformers/pull/2946"
    assert pull.base.repo.full_name == "huggingface/sentence-transformers"
    assert pull.url == f"{gh.url}/repos/huggingface/sentence-transformers/pulls/2946"
    assert (repo.full_name, repo.owner.login) == ("huggingface/sentence-transformers", "huggingface")
    assert github.rest.pulls.get("huggingface", "sentence-transformers", 3299).parsed_data.additions == 243


# --- Search -----------------------------------------------------------------------------------------------------------


@pytest.fixture
def many(gh) -> FakeGitHub:
    """Five more merged PRs by the author elsewhere, one in their own repo and one unmerged."""
    for index in range(5):
        repo = github_repo(f"org{index}/lib{index}")
        gh.add_repo(repo)
        gh.add_pull(github_pull(repo, 10 + index, SEED_AUTHOR, merged_at=f"2025-0{index + 1}-02T00:00:00Z"))
    own = github_repo(f"{SEED_AUTHOR}/own")
    gh.add_repo(own)
    gh.add_pull(github_pull(own, 1, SEED_AUTHOR, merged_at="2025-06-01T00:00:00Z"))
    gh.add_pull(
        github_pull(github_repo("org0/lib0"), 99, SEED_AUTHOR, state="closed", closed_at="2025-01-01T00:00:00Z")
    )
    return gh


def test_search_finds_merged_prs_to_others_repos_page_by_page(many, client):
    github = client()

    pages = list(
        github.rest.paginate(
            github.rest.search.issues_and_pull_requests, q=QUERY, per_page=3, map_func=lambda r: r.parsed_data.items
        )
    )

    urls = [item.pull_request.html_url for item in pages]
    assert len(urls) == 7 and len(set(urls)) == 7
    assert not any(f"/{SEED_AUTHOR}/own/" in url for url in urls) and not any(url.endswith("/99") for url in urls)
    assert all(item.pull_request.merged_at is not None for item in pages)
    assert many.count("/search/issues", status=200) == 3


def test_search_pages_link_absolutely_keeping_every_parameter(many):
    first = httpx.get(f"{many.url}/search/issues", params={"q": QUERY, "per_page": 3, "unknown": "x"})
    last = httpx.get(f"{many.url}/search/issues", params={"q": QUERY, "per_page": 3, "page": 3})

    links = dict(reversed(part.split("; ")) for part in first.headers["link"].split(", "))
    next_url = urlsplit(links['rel="next"'].strip("<>"))
    assert f"{next_url.scheme}://{next_url.netloc}" == many.url
    assert parse_qs(next_url.query) == {"q": [QUERY], "per_page": ["3"], "unknown": ["x"], "page": ["2"]}
    assert first.json()["total_count"] == 7 and len(first.json()["items"]) == 3
    assert len(last.json()["items"]) == 1 and 'rel="next"' not in last.headers["link"]
    assert 'rel="prev"' in last.headers["link"] and 'rel="first"' in last.headers["link"]


def test_search_without_q_is_a_422(gh):
    response = httpx.get(f"{gh.url}/search/issues", params={"per_page": 5})

    assert response.status_code == 422
    assert response.json()["message"] == "Validation Failed"
    assert response.json()["errors"][0]["field"] == "q"
    beyond = httpx.get(f"{gh.url}/search/issues", params={"q": QUERY, "per_page": 100, "page": 11})
    assert beyond.status_code == 422


# --- By hand ----------------------------------------------------------------------------------------------------------


def test_the_module_needs_no_django():
    code = "import sys, tests.fakegithub; sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"

    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=30).returncode == 0


def test_cli_serves_the_seed_until_interrupted():
    with run_by_hand("tests.fakegithub", cwd=ROOT) as run:
        assert run.banner.startswith(f"Fake GitHub on http://127.0.0.1:{run.port} — try: ")
        github = GitHub(base_url=f"http://127.0.0.1:{run.port}/", timeout=5)
        pull = github.rest.pulls.get(OWNER, NAME, 3299)
        assert pull.parsed_data.title.endswith("GISTEmbedLoss")

    assert run.returncode == 0
    assert "Traceback" not in run.stderr
    assert f"GET /repos/{SEED_REPO}/pulls/3299 → 200" in run.stderr
