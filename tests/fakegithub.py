"""A fake GitHub REST API: a real HTTP server on 127.0.0.1 answering the paths sync_github uses as strictly as GitHub.

Tests point the real client at it (``GitHub(base_url=gh.url + "/")`` with githubkit), so URL building, redirects,
conditional requests, rate-limit handling and model validation inside the library are exercised rather than mocked
away. Like tests/fakehub/, it refuses what the real service refuses:

- ``GET /repos/{owner}/{repo}/pulls/{number}``, ``GET /repos/{owner}/{repo}``, ``GET /search/issues`` and
  ``GET /rate_limit`` (plus ``/repositories/{id}[/pulls/{number}]``, where a renamed repo redirects). Anything else is
  404 ``{"message": "Not Found", "documentation_url": ...}``; a method other than GET/HEAD is 404 too (GitHub does not
  answer 405 on these paths).
- Auth: ``Authorization: Bearer <t>`` or ``token <t>``; an unknown token is 401 ``Bad credentials`` on every path.
- Rate limits: ``x-ratelimit-limit/remaining/used/reset/resource`` on every answer. ``core`` allows 60 requests an hour
  anonymously and 5,000 per token, ``search`` 10 / 30 a minute; the window opens with a caller's first request and
  ``x-ratelimit-reset`` is its end in epoch seconds of the injectable ``clock``. A spent quota answers 403 with
  ``x-ratelimit-remaining: 0``. ``GET /rate_limit`` and 304s to an authenticated request are free. A secondary limit
  (429 or 403 with ``retry-after``) is scripted: ``gh.script(path, secondary_rate_limited(60))``.
- Every 200 carries an ``ETag``; a request whose ``If-None-Match`` matches gets 304 with no body.
- A renamed or transferred repo: its old name answers 301 with ``Location: /repositories/{id}/...`` (as GitHub does),
  and the JSON served there names the new repo everywhere.
- Search: ``q`` qualifiers ``is:pr``/``is:issue``, ``is:merged``/``is:unmerged``, ``is:open``/``is:closed``,
  ``author:``, ``user:``/``org:``, ``repo:`` and their ``-`` negations; other words match the title. A missing ``q``
  is 422 ``Validation Failed``; unknown parameters are ignored; ``per_page`` (max 100) / ``page`` with an absolute
  ``Link`` header (``first``/``prev``/``next``/``last``); beyond the first 1,000 results is 422.
- JSON as ``application/json; charset=utf-8``, raw UTF-8.

The shapes are GitHub's OpenAPI description's (``pull-request``, ``full-repository``, ``issue-search-result-item``),
as githubkit's generated models require them; tests/fixtures/github/ holds the seed as served (see its README.md)::

    with FakeGitHub(seed_repos(), seed_pulls(), tokens={"secret"}, clock=ManualClock()) as gh:
        github = GitHub("secret", base_url=gh.url + "/")
        github.rest.pulls.get("UKPLab", "sentence-transformers", 2946).parsed_data.additions

By hand, from the repository root (no Django needed)::

    .venv/bin/python -m tests.fakegithub --port 8766
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.fakeserver import FakeServer, Request, Response, serve_until_interrupted

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "github"
API = "https://api.github.com"  # the fixtures' base; the fake rewrites it to its own address when serving
WEB = "https://github.com"
DOCS = "https://docs.github.com/rest"

# What GitHub answers, word for word where the shape is documented.
NOT_FOUND = "Not Found"
BAD_CREDENTIALS = "Bad credentials"
MOVED = "Moved Permanently"
VALIDATION_FAILED = "Validation Failed"
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to "
    "GitHub Support for help, please include the request ID."
)
API_VERSIONS = frozenset({"2022-11-28", "2026-03-10"})  # X-GitHub-Api-Version values accepted (githubkit sends one)

# resource → (anonymous quota, per-token quota, window seconds)
LIMITS: dict[str, tuple[int, int, int]] = {"core": (60, 5000, 3600), "search": (10, 30, 60)}
MAX_SEARCH_RESULTS = 1000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 30


# --- Shapes -----------------------------------------------------------------------------------------------------------


def _number_id(seed: str, digits: int = 9) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest(), 16) % (9 * 10 ** (digits - 1)) + 10 ** (digits - 1)


def node_id(prefix: str, seed: str) -> str:
    return f"{prefix}_kwDO{hashlib.sha256(seed.encode()).hexdigest()[:12].upper()}"


def github_user(login: str, *, kind: str = "User") -> dict[str, Any]:
    """A ``simple-user``."""
    user_id = _number_id(f"user:{login}", 8)
    url = f"{API}/users/{login}"
    return {
        "login": login,
        "id": user_id,
        "node_id": node_id("U" if kind == "User" else "O", login),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{WEB}/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": kind,
        "user_view_type": "public",
        "site_admin": False,
    }


_REPO_URL_TEMPLATES = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def github_repo(full_name: str, **overrides: Any) -> dict[str, Any]:
    """A ``full-repository`` as ``GET /repos/{owner}/{repo}`` answers it; ``overrides`` replace top-level keys."""
    owner, _, name = full_name.partition("/")
    url = f"{API}/repos/{full_name}"
    repo: dict[str, Any] = {
        "id": _number_id(f"repo:{full_name.lower()}"),
        "node_id": node_id("R", full_name.lower()),
        "name": name,
        "full_name": full_name,
        "private": False,
        "owner": github_user(owner, kind="Organization"),
        "html_url": f"{WEB}/{full_name}",
        "description": None,
        "fork": False,
        "url": url,
        **{key: url + suffix for key, suffix in _REPO_URL_TEMPLATES.items()},
        "created_at": "2019-07-24T10:53:51Z",
        "updated_at": "2026-11-20T08:12:40Z",
        "pushed_at": "2026-11-19T16:03:22Z",
        "git_url": f"git://github.com/{full_name}.git",
        "ssh_url": f"git@github.com:{full_name}.git",
        "clone_url": f"{WEB}/{full_name}.git",
        "svn_url": f"{WEB}/{full_name}",
        "homepage": None,
        "size": 10240,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": None,
        "has_issues": True,
        "has_projects": True,
        "has_downloads": True,
        "has_wiki": True,
        "has_pages": False,
        "has_discussions": False,
        "forks_count": 0,
        "mirror_url": None,
        "archived": False,
        "disabled": False,
        "open_issues_count": 0,
        "license": None,
        "allow_forking": True,
        "is_template": False,
        "web_commit_signoff_required": False,
        "topics": [],
        "visibility": "public",
        "forks": 0,
        "open_issues": 0,
        "watchers": 0,
        "default_branch": "main",
        "temp_clone_token": None,
        "network_count": 0,
        "subscribers_count": 0,
    }
    repo.update(copy.deepcopy(overrides))
    # GitHub repeats these three under older names; keep them equal whatever was overridden.
    repo["watchers"] = repo["watchers_count"] = repo["stargazers_count"]
    repo["forks"] = repo["forks_count"]
    repo["open_issues"] = repo["open_issues_count"]
    return repo


def github_label(full_name: str, name: str, color: str = "ededed", description: str | None = None) -> dict[str, Any]:
    return {
        "id": _number_id(f"label:{full_name.lower()}:{name}", 10),
        "node_id": node_id("LA", f"{full_name.lower()}:{name}"),
        "url": f"{API}/repos/{full_name}/labels/{name.replace(' ', '%20')}",
        "name": name,
        "color": color,
        "default": False,
        "description": description,
        "archived_at": None,
        "archived_by": None,
    }


def github_pull(repo: Mapping[str, Any], number: int, author: str, **overrides: Any) -> dict[str, Any]:
    """A ``pull-request`` as ``GET /repos/{owner}/{repo}/pulls/{number}`` answers it, in ``repo`` (a github_repo()).

    ``labels`` may be given as names. ``merged_at`` implies ``merged``/``state: closed`` unless overridden.
    """
    full_name = repo["full_name"]
    url = f"{API}/repos/{full_name}/pulls/{number}"
    issue_url = f"{API}/repos/{full_name}/issues/{number}"
    html_url = f"{WEB}/{full_name}/pull/{number}"
    head_sha = hashlib.sha1(f"head:{full_name}#{number}".encode(), usedforsecurity=False).hexdigest()
    base_sha = hashlib.sha1(f"base:{full_name}#{number}".encode(), usedforsecurity=False).hexdigest()
    user = github_user(author)
    fork = github_repo(f"{author}/{repo['name']}", fork=True, owner=user)
    labels = overrides.pop("labels", [])
    pull: dict[str, Any] = {
        "url": url,
        "id": _number_id(f"pull:{full_name.lower()}#{number}", 10),
        "node_id": node_id("PR", f"{full_name.lower()}#{number}"),
        "html_url": html_url,
        "diff_url": f"{html_url}.diff",
        "patch_url": f"{html_url}.patch",
        "issue_url": issue_url,
        "number": number,
        "state": "open",
        "locked": False,
        "title": f"Pull request {number}",
        "user": user,
        "body": None,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "closed_at": None,
        "merged_at": None,
        "merge_commit_sha": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "labels": [],
        "milestone": None,
        "draft": False,
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": f"{API}/repos/{full_name}/pulls/comments{{/number}}",
        "comments_url": f"{issue_url}/comments",
        "statuses_url": f"{API}/repos/{full_name}/statuses/{head_sha}",
        "head": {
            "label": f"{author}:feature-{number}",
            "ref": f"feature-{number}",
            "sha": head_sha,
            "user": user,
            "repo": fork,
        },
        "base": {
            "label": f"{repo['owner']['login']}:{repo['default_branch']}",
            "ref": repo["default_branch"],
            "sha": base_sha,
            "user": repo["owner"],
            "repo": _pull_base_repo(repo),
        },
        "_links": {
            "self": {"href": url},
            "html": {"href": html_url},
            "issue": {"href": issue_url},
            "comments": {"href": f"{issue_url}/comments"},
            "review_comments": {"href": f"{url}/comments"},
            "review_comment": {"href": f"{API}/repos/{full_name}/pulls/comments{{/number}}"},
            "commits": {"href": f"{url}/commits"},
            "statuses": {"href": f"{API}/repos/{full_name}/statuses/{head_sha}"},
        },
        "author_association": "CONTRIBUTOR",
        "auto_merge": None,
        "active_lock_reason": None,
        "merged": False,
        "mergeable": None,
        "rebaseable": None,
        "mergeable_state": "unknown",
        "merged_by": None,
        "comments": 0,
        "review_comments": 0,
        "maintainer_can_modify": False,
        "commits": 1,
        "additions": 0,
        "deletions": 0,
        "changed_files": 0,
    }
    pull["labels"] = [github_label(full_name, label) if isinstance(label, str) else label for label in labels]
    if overrides.get("merged_at"):
        pull.update(state="closed", merged=True, closed_at=overrides["merged_at"], mergeable=None)
        pull["merge_commit_sha"] = hashlib.sha1(
            f"merge:{full_name}#{number}".encode(), usedforsecurity=False
        ).hexdigest()
        pull["merged_by"] = repo["owner"] if repo["owner"]["type"] == "User" else github_user("maintainer")
    pull.update(copy.deepcopy(overrides))
    return pull


def _pull_base_repo(repo: Mapping[str, Any]) -> dict[str, Any]:
    # base.repo is a `repository`, not a `full-repository`: no network/subscriber counts.
    return {k: copy.deepcopy(v) for k, v in repo.items() if k not in ("network_count", "subscribers_count")}


def search_item(pull: Mapping[str, Any], score: float = 1.0) -> dict[str, Any]:
    """The ``issue-search-result-item`` GitHub search returns for a pull request."""
    full_name = _pull_full_name(pull)
    repository_url = f"{API}/repos/{full_name}"
    number = pull["number"]
    return {
        "url": pull["issue_url"],
        "repository_url": repository_url,
        "labels_url": f"{pull['issue_url']}/labels{{/name}}",
        "comments_url": f"{pull['issue_url']}/comments",
        "events_url": f"{pull['issue_url']}/events",
        "html_url": pull["html_url"],
        "id": _number_id(f"issue:{full_name.lower()}#{number}", 10),
        "node_id": node_id("PR", f"{full_name.lower()}#{number}"),
        "number": number,
        "title": pull["title"],
        "user": copy.deepcopy(pull["user"]),
        "labels": copy.deepcopy(pull["labels"]),
        "state": pull["state"],
        "locked": pull["locked"],
        "assignee": pull["assignee"],
        "assignees": copy.deepcopy(pull["assignees"]),
        "milestone": pull["milestone"],
        "comments": pull["comments"],
        "created_at": pull["created_at"],
        "updated_at": pull["updated_at"],
        "closed_at": pull["closed_at"],
        "author_association": pull["author_association"],
        "type": None,
        "active_lock_reason": pull["active_lock_reason"],
        "draft": pull["draft"],
        "pull_request": {
            "url": pull["url"],
            "html_url": pull["html_url"],
            "diff_url": pull["diff_url"],
            "patch_url": pull["patch_url"],
            "merged_at": pull["merged_at"],
        },
        "body": pull["body"],
        "reactions": {
            "url": f"{pull['issue_url']}/reactions",
            "total_count": 0,
            **{key: 0 for key in ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")},
        },
        "timeline_url": f"{pull['issue_url']}/timeline",
        "performed_via_github_app": None,
        "state_reason": None,
        "score": score,
    }


def _pull_full_name(pull: Mapping[str, Any]) -> str:
    return pull["base"]["repo"]["full_name"]


# --- Seed -------------------------------------------------------------------------------------------------------------

SEED_AUTHOR = "dragonkue"  # the profile owner's GitHub login in the demo (invented: the demo profile leaves it empty)
SEED_REPO = "UKPLab/sentence-transformers"


def seed_repos() -> list[dict[str, Any]]:
    """UKPLab/sentence-transformers as GET /repos answers it (tests/fixtures/github/repository.json)."""
    return [load_fixture("repository.json")]


def seed_pulls() -> list[dict[str, Any]]:
    """Its pull requests #2946 and #3299, merged, by SEED_AUTHOR (#2946 is tests/fixtures/github/pull-request.json)."""
    return [load_fixture("pull-request.json"), load_fixture("pull-request-3299.json")]


def build_seed() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """How the seed fixtures were made (test_fakegithub checks they still match): the repository and its two PRs.

    The counts, dates and labels are invented but plausible; the repository's figures are a snapshot.
    """
    repo = github_repo(
        SEED_REPO,
        description="State-of-the-Art Text Embeddings",
        homepage="https://www.sbert.net",
        language="Python",
        stargazers_count=17_600,
        forks_count=2_650,
        open_issues_count=1_320,
        size=88_215,
        network_count=2_650,
        subscribers_count=142,
        default_branch="master",
        created_at="2019-07-24T10:53:51Z",
        topics=["bert", "embeddings", "sentence-transformers", "semantic-search", "transformers"],
        license={
            "key": "apache-2.0",
            "name": "Apache License 2.0",
            "spdx_id": "Apache-2.0",
            "url": f"{API}/licenses/apache-2.0",
            "node_id": "MDc6TGljZW5zZTI=",
        },
    )
    first = github_pull(
        repo,
        2946,
        SEED_AUTHOR,
        title="[`feat`] Support multiple negatives in GISTEmbedLoss",
        body="GISTEmbedLoss only accepted (anchor, positive, negative) triplets; this lets it take any number of hard "
        "negatives per anchor, like MultipleNegativesRankingLoss.",
        created_at="2024-09-23T07:41:12Z",
        updated_at="2024-10-08T13:02:55Z",
        merged_at="2024-10-08T13:02:49Z",
        labels=["enhancement"],
        comments=4,
        review_comments=9,
        commits=6,
        additions=187,
        deletions=24,
        changed_files=3,
    )
    second = github_pull(
        repo,
        3299,
        SEED_AUTHOR,
        title="[`feat`] Add margin-based false negative filtering to GISTEmbedLoss",
        body="Following NV-Retriever, in-batch negatives whose guide similarity is within an absolute or relative "
        "margin of the positive are masked out as likely false negatives.",
        created_at="2025-03-27T02:15:40Z",
        updated_at="2025-04-10T09:31:07Z",
        merged_at="2025-04-10T09:30:58Z",
        labels=["enhancement", "losses"],
        comments=6,
        review_comments=14,
        commits=11,
        additions=243,
        deletions=61,
        changed_files=4,
    )
    for pull in (first, second):
        pull["author_association"] = "CONTRIBUTOR"
        pull["merged_by"] = github_user("tomaarsen")
    return repo, [first, second]


def write_seed_fixtures() -> None:
    """Rewrite tests/fixtures/github/ from build_seed(), after changing a builder."""
    repo, (first, second) = build_seed()
    page = {"total_count": 2, "incomplete_results": False, "search_type": "lexical"}
    page["items"] = [search_item(second), search_item(first)]
    files = {"repository.json": repo, "pull-request.json": first, "pull-request-3299.json": second}
    for name, data in {**files, "search-issues.json": page}.items():
        (FIXTURES / name).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def load_fixture(relative_path: str) -> Any:
    return json.loads((FIXTURES / relative_path).read_text(encoding="utf-8"))


# --- Scripted answers -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scripted:
    """One canned answer; ``status=None`` means "answer normally" after ``delay``. Its headers win over the fake's."""

    status: int | None
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, allow_nan=False).encode()


def _message(message: str, documentation_url: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "documentation_url": documentation_url, **extra}


def secondary_rate_limited(retry_after: int = 60, status: int = 429) -> Scripted:
    """A secondary limit: 429 (or 403) with ``retry-after``; GitHub documents both statuses."""
    body = _message(
        SECONDARY, "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    )
    return Scripted(status, _json_bytes(body), {"retry-after": str(retry_after)})


def server_error(status: int = 502) -> Scripted:
    return Scripted(status, _json_bytes({"message": "Server Error"}))


def slow(seconds: float, then: Scripted | None = None) -> Scripted:
    return replace(then, delay=seconds) if then else Scripted(None, delay=seconds)


# --- Clock and rate limits --------------------------------------------------------------------------------------------


class ManualClock:
    """Epoch seconds that move only when told, so a test crosses a rate-limit reset at once.

    It starts at the real time (whole seconds) unless told otherwise, so ``x-ratelimit-reset`` stays a plausible
    moment: githubkit turns it into a wait against the real clock (``auto_retry``), and a reset months away would hang
    a test that leaves retries on.
    """

    def __init__(self, start: float | None = None) -> None:
        self.now = float(int(time.time())) if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class _Window:
    limit: int
    reset: int  # epoch seconds
    used: int = 0


@dataclass(frozen=True)
class _Allowance:
    resource: str
    limit: int
    used: int
    reset: int
    refused: bool

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(0, self.limit - self.used)),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-resource": self.resource,
        }


class _RateLimiter:
    """GitHub's primary limits: per caller and resource, a window opening with the first request after the last reset.

    Not thread-safe: the fake's lock guards it.
    """

    def __init__(self, clock: Callable[[], float], limits: Mapping[str, tuple[int, int, int]]) -> None:
        self.clock, self.limits = clock, dict(limits)
        self._windows: dict[tuple[str | None, str], _Window] = {}

    def _window(self, caller: str | None, resource: str) -> _Window:
        now = self.clock()
        anonymous, token, seconds = self.limits[resource]
        window = self._windows.get((caller, resource))
        if window is None or now >= window.reset:
            window = _Window(anonymous if caller is None else token, math.ceil(now + seconds))
            self._windows[(caller, resource)] = window
        return window

    def peek(self, caller: str | None, resource: str) -> _Allowance:
        window = self._window(caller, resource)
        return _Allowance(resource, window.limit, window.used, window.reset, refused=window.used >= window.limit)

    def take(self, caller: str | None, resource: str, requests: int = 1) -> _Allowance:
        window = self._window(caller, resource)
        if window.used >= window.limit:
            return _Allowance(resource, window.limit, window.used, window.reset, refused=True)
        window.used = min(window.limit, window.used + requests)
        return _Allowance(resource, window.limit, window.used, window.reset, refused=False)

    def give_back(self, caller: str | None, resource: str) -> None:
        window = self._window(caller, resource)
        window.used = max(0, window.used - 1)


# --- Server -----------------------------------------------------------------------------------------------------------


_REPO_PATH = re.compile(r"^/repos/([^/]+)/([^/]+)$")
_PULL_PATH = re.compile(r"^/repos/([^/]+)/([^/]+)/pulls/([^/]+)$")
_REPO_ID_PATH = re.compile(r"^/repositories/(\d+)(?:/pulls/([^/]+))?$")


class FakeGitHub(FakeServer):
    """A threaded HTTP server speaking the parts of GitHub's REST API that sync_github uses. Use as a context manager.

    ``tokens`` are the valid ones; ``clock`` gives epoch seconds (``ManualClock`` in tests); ``limits`` overrides
    ``LIMITS`` per resource; ``log``, if given, receives one line per request.
    """

    thread_name = "fakegithub"

    def __init__(
        self,
        repos: Iterable[dict] = (),
        pulls: Iterable[dict] = (),
        *,
        tokens: Iterable[str] = (),
        clock: Callable[[], float] = time.time,
        limits: Mapping[str, tuple[int, int, int]] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(host=host, port=port, log=log)
        self.tokens: set[str] = set(tokens)
        self._repos: dict[str, dict] = {}  # lower-cased full name → full-repository
        self._pulls: dict[tuple[str, int], dict] = {}  # (lower-cased full name, number) → pull-request
        self._renamed: dict[str, int] = {}  # lower-cased old full name → repository id
        self._scripts: dict[str, list[Scripted]] = {}
        self._limiter = _RateLimiter(clock, {**LIMITS, **(limits or {})})
        self.add_repo(*repos)
        self.add_pull(*pulls)

    # Content

    def add_repo(self, *repos: dict) -> None:
        with self._lock:
            for repo in repos:
                self._repos[repo["full_name"].lower()] = copy.deepcopy(repo)

    def add_pull(self, *pulls: dict) -> None:
        """Store pull requests (github_pull() shapes); their repository must have been added."""
        with self._lock:
            for pull in pulls:
                full_name = _pull_full_name(pull).lower()
                if full_name not in self._repos:
                    raise ValueError(f"add the repository {full_name} first")
                self._pulls[(full_name, pull["number"])] = copy.deepcopy(pull)

    def update_repo(self, full_name: str, **fields: Any) -> None:
        with self._lock:
            self._repos[full_name.lower()].update(copy.deepcopy(fields))

    def update_pull(self, full_name: str, number: int, **fields: Any) -> None:
        with self._lock:
            self._pulls[(full_name.lower(), number)].update(copy.deepcopy(fields))

    def remove_repo(self, full_name: str) -> None:
        with self._lock:
            removed = self._repos.pop(full_name.lower())
            self._pulls = {key: pull for key, pull in self._pulls.items() if key[0] != full_name.lower()}
            self._renamed = {old: rid for old, rid in self._renamed.items() if rid != removed["id"]}

    def remove_pull(self, full_name: str, number: int) -> None:
        with self._lock:
            del self._pulls[(full_name.lower(), number)]

    def rename_repo(self, old: str, new: str) -> None:
        """Rename or transfer a repo as GitHub does: same id, new name and owner in every URL of it and its PRs; the
        old name then answers 301 to ``/repositories/{id}/...``."""
        with self._lock:
            if new.lower() in self._repos:
                raise ValueError(f"{new} already exists")
            repo = self._repos.pop(old.lower())
            old_name = repo["full_name"]
            new_owner, _, new_short = new.partition("/")
            renamed = _rewrite(repo, old_name, new)
            renamed.update(name=new_short, full_name=new)
            if new_owner.lower() != old_name.partition("/")[0].lower():
                renamed["owner"] = github_user(new_owner, kind=repo["owner"]["type"])
            self._repos[new.lower()] = renamed
            for key in [key for key in self._pulls if key[0] == old_name.lower()]:
                pull = _rewrite(self._pulls.pop(key), old_name, new)
                pull["base"]["repo"] = _pull_base_repo(renamed)
                pull["base"]["user"] = renamed["owner"]
                self._pulls[(new.lower(), key[1])] = pull
            self._renamed[old_name.lower()] = renamed["id"]
            self._renamed.pop(new.lower(), None)

    def script(self, path: str, *responses: Scripted) -> None:
        """Queue answers for a path (e.g. ``/repos/UKPLab/sentence-transformers/pulls/2946`` or ``/search/issues``),
        served in order before normal answers resume. They come before auth and quota but count and carry its
        headers."""
        with self._lock:
            self._scripts.setdefault(path.lower(), []).extend(responses)

    def use_quota(self, requests: int, token: str | None = None, resource: str = "core") -> None:
        """Count ``requests`` against a caller's window as if made, to start a test near the limit."""
        with self._lock:
            self._limiter.take(token if token in self.tokens else None, resource, requests)

    # Inspection

    def count(self, path_prefix: str = "/", status: int | None = None) -> int:
        with self._lock:
            return sum(
                1 for r in self.requests if r.path.startswith(path_prefix) and (status is None or r.status == status)
            )

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # The handler threads' side.

    def _respond(self, request: Request, base_url: str) -> Response:
        caller, credentials_ok = self._caller(request)
        resource = _resource(request.path)
        with self._lock:
            queue = self._scripts.get(request.path.lower())
            scripted = queue.pop(0) if queue else None
            # /rate_limit is free: it reports the core window without taking from it.
            allowance = self._limiter.take(caller, resource) if resource else self._limiter.peek(caller, "core")
        if scripted is not None and scripted.delay:
            self._stopping.wait(scripted.delay)
        if scripted is not None and scripted.status is not None:
            response = Response(scripted.status, scripted.body, dict(scripted.headers))
        elif not credentials_ok:
            response = _error(401, BAD_CREDENTIALS, DOCS)
        elif allowance.refused and resource is not None:
            response = _error(403, _exhausted(caller, request), f"{DOCS}/overview/rate-limits-for-the-rest-api")
        elif (version := request.headers.get("x-github-api-version")) is not None and version not in API_VERSIONS:
            response = _error(
                400,
                f"Unsupported 'X-GitHub-Api-Version' header value: {version}",
                f"{DOCS}/about-the-rest-api/api-versions",
            )
        elif request.method not in ("GET", "HEAD"):
            response = _error(404, NOT_FOUND, DOCS)
        else:
            response = self._route(request, caller, base_url)
        if response.status == 200:
            etag = f'W/"{hashlib.sha256(response.body).hexdigest()}"'
            response.headers.setdefault("ETag", etag)
            response.headers.setdefault(
                "Cache-Control", f"{'private' if caller else 'public'}, max-age=60, s-maxage=60"
            )
            if _etag_matches(request.headers.get("if-none-match"), response.headers["ETag"]):
                response = Response(304, b"", {k: v for k, v in response.headers.items() if k != "Link"})
                if resource is not None and caller is not None:
                    # GitHub does not count a 304 against the primary limit, "if ... made while correctly
                    # authorized with an Authorization header" (REST best practices): anonymous 304s count.
                    with self._lock:
                        self._limiter.give_back(caller, resource)
                        allowance = self._limiter.peek(caller, resource)
        response.headers = {
            **allowance.headers(),
            "x-github-api-version-selected": request.headers.get("x-github-api-version", "2022-11-28"),
            "x-github-media-type": "github.v3; format=json",
            "x-github-request-id": hashlib.sha1(f"{time.time_ns()}".encode(), usedforsecurity=False).hexdigest()[:16],
            "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding",
            **response.headers,
        }
        with self._lock:
            self.requests.append(replace(request, status=response.status))
        if self.log is not None:
            query = urlencode(request.query, doseq=True)
            self.log(f"{request.method} {request.path}{'?' + query if query else ''} → {response.status}")
        return response

    def _crashed(self, error: Exception) -> Response:
        return _json(500, {"message": f"fake GitHub crashed: {type(error).__name__}: {error}"})

    def _caller(self, request: Request) -> tuple[str | None, bool]:
        header = request.headers.get("authorization")
        if header is None:
            return None, True
        scheme, _, token = header.partition(" ")
        if scheme.lower() in ("bearer", "token") and token.strip() in self.tokens:
            return token.strip(), True
        return None, False

    def _route(self, request: Request, caller: str | None, base_url: str) -> Response:
        path = request.path
        if path == "/rate_limit":
            return self._rate_limit(caller)
        if path == "/search/issues":
            return self._search(request, base_url)
        if match := _PULL_PATH.match(path):
            owner, name, number = match.groups()
            return self._pull(f"{owner}/{name}", number, request, base_url)
        if match := _REPO_PATH.match(path):
            return self._repo("/".join(match.groups()), request, base_url)
        if match := _REPO_ID_PATH.match(path):
            repo_id, number = match.groups()
            with self._lock:
                full_name = next((n for n, r in self._repos.items() if str(r["id"]) == repo_id), None)
            if full_name is None:
                return _error(404, NOT_FOUND, DOCS)
            if number is None:
                return self._repo(full_name, request, base_url)
            return self._pull(full_name, number, request, base_url)
        return _error(404, NOT_FOUND, DOCS)

    def _moved(self, full_name: str, suffix: str, request: Request, base_url: str) -> Response | None:
        with self._lock:
            repo_id = self._renamed.get(full_name.lower())
        if repo_id is None:
            return None
        location = f"{base_url}/repositories/{repo_id}{suffix}"
        if request.query:
            location += "?" + urlencode(request.query, doseq=True)
        body = _json_bytes(
            {
                "message": MOVED,
                "url": location,
                "documentation_url": f"{DOCS}/guides/best-practices-for-using-the-rest-api#follow-redirects",
            }
        )
        return Response(301, body, {"Location": location})

    def _repo(self, full_name: str, request: Request, base_url: str) -> Response:
        with self._lock:
            repo = copy.deepcopy(self._repos.get(full_name.lower()))
        if repo is None:
            return self._moved(full_name, "", request, base_url) or _error(
                404, NOT_FOUND, f"{DOCS}/repos/repos#get-a-repository"
            )
        return _json(200, _served(repo, base_url))

    def _pull(self, full_name: str, number: str, request: Request, base_url: str) -> Response:
        documentation = f"{DOCS}/pulls/pulls#get-a-pull-request"
        if not number.isdigit():
            return _error(404, NOT_FOUND, documentation)
        with self._lock:
            repo_known = full_name.lower() in self._repos
            pull = copy.deepcopy(self._pulls.get((full_name.lower(), int(number))))
        if not repo_known:
            return self._moved(full_name, f"/pulls/{number}", request, base_url) or _error(
                404, NOT_FOUND, documentation
            )
        if pull is None:
            return _error(404, NOT_FOUND, documentation)
        return _json(200, _served(pull, base_url))

    def _search(self, request: Request, base_url: str) -> Response:
        documentation = f"{DOCS}/search/search#search-issues-and-pull-requests"
        q = (request.query.get("q") or [""])[0]
        if not q.strip():
            errors = [{"resource": "Search", "field": "q", "code": "missing"}]
            return _json(422, _message(VALIDATION_FAILED, documentation, errors=errors, status="422"))
        per_page = _positive(request.query, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
        page = _positive(request.query, "page", 1, None)
        if (page - 1) * per_page >= MAX_SEARCH_RESULTS:
            message = "Cannot access beyond the first 1000 results, or the search may not have been specific enough."
            return _json(422, _message(message, documentation, status="422"))
        with self._lock:
            pulls = [copy.deepcopy(pull) for pull in self._pulls.values()]
        found = [pull for pull in pulls if _search_matches(pull, q)]
        reverse = (request.query.get("order") or ["desc"])[0] != "asc"
        sort = (request.query.get("sort") or [""])[0]
        key = {"updated": "updated_at", "comments": "comments"}.get(sort, "created_at")
        found.sort(key=lambda pull: (pull[key], pull["number"]), reverse=reverse)
        total = len(found)
        reachable = min(total, MAX_SEARCH_RESULTS)
        items = [search_item(p) for p in found[(page - 1) * per_page : page * per_page]]
        headers = {}
        last = max(1, math.ceil(reachable / per_page))
        if last > 1:

            def link(number: int, rel: str) -> str:
                params = {**request.query, "page": [str(number)]}
                return f'<{base_url}/search/issues?{urlencode(params, doseq=True)}>; rel="{rel}"'

            rels = []
            if page > 1:
                rels += [link(min(page - 1, last), "prev")]
            if page < last:
                rels += [link(page + 1, "next"), link(last, "last")]
            if page > 1:
                rels += [link(1, "first")]
            headers["Link"] = ", ".join(rels)
        body = {"total_count": total, "incomplete_results": False, "search_type": "lexical", "items": items}
        return _json(200, _served(body, base_url), headers)

    def _rate_limit(self, caller: str | None) -> Response:
        with self._lock:
            resources = {}
            for resource in self._limiter.limits:
                allowance = self._limiter.peek(caller, resource)
                resources[resource] = {
                    "limit": allowance.limit,
                    "used": allowance.used,
                    "remaining": max(0, allowance.limit - allowance.used),
                    "reset": allowance.reset,
                }
        return _json(200, {"resources": resources, "rate": dict(resources["core"])})


def _resource(path: str) -> str | None:
    if path == "/rate_limit":
        return None  # free, as on GitHub
    return "search" if path.startswith("/search/") else "core"


def _exhausted(caller: str | None, request: Request) -> str:
    if caller is None:
        return (
            "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher "
            "rate limit. Check out the documentation for more details.)"
        )
    return "API rate limit exceeded for user ID 1."


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    strip = lambda tag: tag.strip().removeprefix("W/")  # noqa: E731 — weak comparison, as RFC 9110 asks for GET
    return if_none_match.strip() == "*" or strip(etag) in {strip(tag) for tag in if_none_match.split(",")}


def _positive(query: Mapping[str, list[str]], name: str, default: int, cap: int | None) -> int:
    # GitHub ignores a non-numeric or non-positive per_page/page and uses its default.
    value = (query.get(name) or [""])[0]
    number = int(value) if value.isdigit() and int(value) > 0 else default
    return min(number, cap) if cap else number


def _search_matches(pull: Mapping[str, Any], q: str) -> bool:
    full_name = _pull_full_name(pull).lower()
    owner = full_name.partition("/")[0]
    for term in q.split():
        negate = term.startswith("-") and ":" in term
        qualifier, _, value = term.removeprefix("-").partition(":")
        qualifier, value = qualifier.lower(), value.lower()
        if not value:
            ok = term.lower() in pull["title"].lower()
        elif qualifier == "is":
            ok = {
                "pr": True,
                "pull-request": True,
                "issue": False,
                "merged": bool(pull["merged_at"]),
                "unmerged": not pull["merged_at"] and pull["state"] == "closed",
                "open": pull["state"] == "open",
                "closed": pull["state"] == "closed",
                "draft": bool(pull["draft"]),
                "public": True,
                "private": False,
            }.get(value, True)
        elif qualifier == "type":
            ok = value in ("pr", "pull-request")
        elif qualifier == "author":
            ok = pull["user"]["login"].lower() == value
        elif qualifier in ("user", "org", "owner"):
            ok = owner == value
        elif qualifier == "repo":
            ok = full_name == value
        elif qualifier == "state":
            ok = pull["state"] == value
        elif qualifier == "label":
            ok = value in {label["name"].lower() for label in pull["labels"]}
        else:
            ok = True  # a qualifier the fake does not know narrows nothing
        if ok == negate:
            return False
    return True


def _rewrite(data: Any, old_full_name: str, new_full_name: str) -> Any:
    """Every URL of a renamed repo names the new one."""
    text = json.dumps(data, ensure_ascii=False)
    for prefix in (f"{API}/repos/", f"{WEB}/", "git://github.com/", "git@github.com:"):
        text = re.sub(re.escape(prefix + old_full_name) + r'(?=[/."{]|$)', prefix + new_full_name, text, flags=re.I)
    return json.loads(text)


def _served(data: Any, base_url: str) -> Any:
    """The stored JSON with the API's own address in place of api.github.com (github.com links stay)."""
    return json.loads(json.dumps(data, ensure_ascii=False).replace(API, base_url))


def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, _json_bytes(data), headers or {})


def _error(status: int, message: str, documentation_url: str) -> Response:
    return _json(status, _message(message, documentation_url, status=str(status)))


# --- By hand ----------------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the seed until Ctrl-C, so sync_github can be tried against something GitHub-shaped offline."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakegithub", description="A fake GitHub REST API serving UKPLab/sentence-transformers."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8766, help="port, 0 for any free one (default: %(default)s)")
    parser.add_argument("--token", action="append", default=[], help="a token to accept (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="do not print a line per request")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    github = FakeGitHub(
        seed_repos(), seed_pulls(), tokens=args.token, host=args.host, port=args.port, log=None if args.quiet else log
    )

    def banner(url: str) -> str:
        return f"Fake GitHub on {url} — try: curl {url}/repos/{SEED_REPO}/pulls/2946"

    return serve_until_interrupted(github, parser, banner)


if __name__ == "__main__":
    sys.exit(main())
