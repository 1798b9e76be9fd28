"""Requests to GitHub: what is asked, with which timeout, how often, and what a failure means.

Built on githubkit's `GitHub` (URL building, the token header, the API version header, redirect
following), with three of its features left unused:
- `auto_retry`: it retries a rate limit once after sleeping what the limit says, measured against
  the real clock and uncapped, and server errors three times, whatever the run's deadline;
- `http_cache`: its cache lives in memory, so every cron run would start cold. Each row stores its
  answer's ETag instead, and we send `If-None-Match` ourselves: a 304 costs no quota;
- `parsed_data`: its pydantic models raise on one odd field, so one strange pull request would fail
  as unreadable. Each answer stays raw JSON, and mapping.py reads it field by field.

githubkit has no per-request timeout: an httpx request hook gives every hop (redirects included)
what is left of the run's time, and counts it. The shared rules (deadline, bounded retries, quota
pacing) are portfolio/syncing/budget.py's. GitHub counts `core` (pull requests, repositories) and
`search` in separate windows, read from each answer's `x-ratelimit-*` headers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from githubkit import GitHub, Response
from githubkit.exception import RequestError, RequestFailed, RequestTimeout

from contributions.github.mapping import is_full_name, is_login
from portfolio.syncing.budget import Quota, RequestBudget
from portfolio.syncing.errors import DeadlineExceeded, SyncError, SyncErrorKind, clean_text

logger = logging.getLogger(__name__)


USER_AGENT = "hf-portfolio sync_github"
PER_PAGE = 100  # search's largest page
MAX_SEARCH_RESULTS = 1000  # GitHub answers 422 past the first 1,000 results of a search
# Core requests kept back from each window, for the owner's other tools on the same token or address
# (at most a tenth of a window: 6 of an anonymous 60). Search windows last a minute: nothing is kept back.
QUOTA_RESERVE = 10
SECONDARY_LIMIT_WAIT = 60.0  # GitHub: without retry-after, "wait at least one minute"


@dataclass(frozen=True)
class Fetched:
    """One answer: its JSON object (None when GitHub said 304 Not Modified), its ETag, and its final URL."""

    data: dict[str, Any] | None
    etag: str
    url: str


class GitHubClient:
    """Raw JSON from GitHub, with a deadline, bounded retries and both quotas in mind.

    One client per run and per thread (its counters are plain attributes). `wall_clock` gives epoch
    seconds, to read `x-ratelimit-reset`; `budget.clock` may be monotonic.
    """

    def __init__(
        self,
        *,
        token: str | None,
        base_url: str,
        budget: RequestBudget,
        wall_clock: Callable[[], float] = time.time,
    ):
        self.budget = budget
        self.wall_clock = wall_clock
        self.with_token = bool(token)
        self.requests = 0  # every request sent, redirects included: GitHub counts them too
        self.not_modified = 0
        self.quota = Quota(budget, service="GitHub", reserve=QUOTA_RESERVE)
        self.search_quota = Quota(budget, service="GitHub search")
        self._cut_short = False  # whether the deadline, not the setting, set the last hop's timeout
        # Kept here: `github.rest` holds the GitHub object only weakly.
        self.github = GitHub(
            token or None,
            base_url=base_url,
            user_agent=USER_AGENT,
            timeout=budget.request_timeout,
            auto_retry=False,
            http_cache=False,
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
        )

    # The three questions sync_github asks

    def get_pull(self, owner: str, repo: str, number: int, etag: str = "") -> Fetched:
        """A pull request; a renamed or transferred repository answers through a redirect."""
        if not is_full_name(f"{owner}/{repo}"):  # they become part of the request's path
            raise ValueError(f"not a GitHub repository name: {owner}/{repo}")
        call = partial(self.github.rest.pulls.get, owner, repo, number, headers=_conditional(etag))
        return self._fetched(self._send(call, self.quota, f"{owner}/{repo}#{number}"), etag)

    def get_repo(self, full_name: str, etag: str = "") -> Fetched:
        if not is_full_name(full_name):
            raise ValueError(f"not a GitHub repository name: {full_name!r}")
        owner, _, name = full_name.partition("/")
        call = partial(self.github.rest.repos.get, owner, name, headers=_conditional(etag))
        return self._fetched(self._send(call, self.quota, full_name), etag)

    def search_merged_pulls(self, user: str) -> Iterator[list[Any]]:
        """The pull requests `user` opened in others' repositories and got merged, a page (raw items) at a time."""
        if not is_login(user):
            raise ValueError(f"not a GitHub login: {user!r}")
        query = f"is:pr is:merged author:{user} -user:{user}"
        page = 1
        while True:
            call = partial(self.github.rest.search.issues_and_pull_requests, q=query, per_page=PER_PAGE, page=page)
            response = self._send(call, self.search_quota, f"search for {user}'s pull requests").raw_response
            items = _json_object(response).get("items")
            if not isinstance(items, list):
                raise SyncError(SyncErrorKind.INVALID_RESPONSE, "unreadable search answer from GitHub (no items)")
            yield items
            next_page = _next_page(response)
            if next_page is None or (next_page - 1) * PER_PAGE >= MAX_SEARCH_RESULTS:
                return
            page = next_page

    # Context manager: one connection pool for the run (else each request opens its own connection)

    def __enter__(self) -> GitHubClient:
        self.github.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.github.__exit__(*exc_info)

    # One request, as many tries as the budget allows

    def _send(self, call: Callable[[], Response], quota: Quota, what: str) -> Response:
        for attempt in self.budget.attempts():
            quota.wait_if_needed()
            self.budget.check_deadline()
            try:
                return call()
            except RequestFailed as error:
                failure, wait = self._refused(error.response.raw_response)
            except RequestTimeout as error:
                if self._cut_short:
                    raise DeadlineExceeded from error
                failure, wait = SyncError(SyncErrorKind.TIMEOUT, "GitHub did not answer in time", retryable=True), None
            except RequestError as error:
                if isinstance(error.exc, DeadlineExceeded):  # raised by _on_request for a redirect's hop
                    raise error.exc from error
                failure, wait = _unreachable(error.exc), None
            self.budget.before_retry(attempt, failure, wait, f"GitHub {what}")
        raise AssertionError("unreachable")  # pragma: no cover: before_retry raises on the last attempt

    def _fetched(self, response: Response, etag: str) -> Fetched:
        raw = response.raw_response
        if raw.status_code == 304:
            self.not_modified += 1
            return Fetched(None, raw.headers.get("etag", etag), str(raw.url))
        if raw.status_code != 200:  # e.g. a redirect without a Location
            raise SyncError(SyncErrorKind.INVALID_RESPONSE, f"unexpected answer from GitHub (HTTP {raw.status_code})")
        return Fetched(_json_object(raw), raw.headers.get("etag", ""), str(raw.url))

    def _refused(self, response: httpx.Response) -> tuple[SyncError, float | None]:
        """What an error status means, and how long GitHub asked us to wait before asking again."""
        status = response.status_code
        headers = response.headers
        if status in (403, 429) and (headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers):
            failure = SyncError(SyncErrorKind.RATE_LIMITED, f"rate limited by GitHub (HTTP {status})", retryable=True)
            return failure, self._rate_limit_wait(headers)
        if status == 404:
            return SyncError(
                SyncErrorKind.NOT_FOUND, "not found on GitHub (deleted, or private: set GITHUB_TOKEN)"
            ), None
        if status == 401 and self.with_token:
            return SyncError(
                SyncErrorKind.TOKEN_REJECTED, "GITHUB_TOKEN was refused by GitHub (HTTP 401): check it"
            ), None
        if status in (403, 451):  # a repository blocked, or a token without access to it
            return SyncError(SyncErrorKind.DISABLED, f"GitHub refused access (HTTP {status}{_message(response)})"), None
        if status >= 500 or status == 408:
            return SyncError(SyncErrorKind.SERVER_ERROR, f"GitHub server error (HTTP {status})", retryable=True), None
        return SyncError(
            SyncErrorKind.INVALID_RESPONSE, f"GitHub refused the request (HTTP {status}{_message(response)})"
        ), None

    def _rate_limit_wait(self, headers: httpx.Headers) -> float:
        retry_after = _integer(headers.get("retry-after"))
        if retry_after is not None:
            return float(retry_after)
        reset = _integer(headers.get("x-ratelimit-reset"))
        if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
            return max(0.0, reset - self.wall_clock()) + 1.0  # the window reopens after the reset second
        return SECONDARY_LIMIT_WAIT

    # httpx event hooks: every hop of every request, redirects included

    def _on_request(self, request: httpx.Request) -> None:
        # httpx reads each hop's timeout from this extension (set by build_request, kept across redirects).
        timeout, self._cut_short = self.budget.timeout()  # DeadlineExceeded: this hop is not sent
        request.extensions["timeout"] = httpx.Timeout(timeout).as_dict()
        self.requests += 1

    def _on_response(self, response: httpx.Response) -> None:
        headers = response.headers
        quotas = {"core": self.quota, "search": self.search_quota}
        quota = quotas.get(headers.get("x-ratelimit-resource", "core"))
        remaining = _integer(headers.get("x-ratelimit-remaining"))
        reset = _integer(headers.get("x-ratelimit-reset"))
        if quota is None or remaining is None or reset is None:
            return  # another resource, or no headers (a proxy's answer): nothing to learn
        limit = _integer(headers.get("x-ratelimit-limit"))
        quota.update(remaining=remaining, limit=limit, reset_in_seconds=reset - self.wall_clock())


def _conditional(etag: str) -> dict[str, str]:
    return {"If-None-Match": etag} if etag else {}


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:  # not JSON, or not UTF-8
        raise SyncError(SyncErrorKind.INVALID_RESPONSE, "unreadable answer from GitHub (not JSON)") from None
    if not isinstance(data, dict):
        raise SyncError(SyncErrorKind.INVALID_RESPONSE, "unreadable answer from GitHub (not an object)")
    return data


def _message(response: httpx.Response) -> str:
    """GitHub's own words for an error (`{"message": ...}`), for the owner to read; never our request."""
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        return ""
    return f": {clean_text(message, 120)}" if isinstance(message, str) and message.strip() else ""


def _unreachable(error: Exception) -> SyncError:
    if isinstance(error, httpx.TooManyRedirects):
        return SyncError(SyncErrorKind.INVALID_RESPONSE, "GitHub redirected too many times")
    if isinstance(error, httpx.TransportError):  # refused, reset, DNS, TLS, an answer cut off
        return SyncError(SyncErrorKind.NETWORK, f"cannot reach GitHub ({type(error).__name__})", retryable=True)
    return SyncError(SyncErrorKind.INVALID_RESPONSE, f"unreadable answer from GitHub ({type(error).__name__})")


def _next_page(response: httpx.Response) -> int | None:
    """The page number `Link: <...>; rel="next"` names; None on the last page."""
    url = response.links.get("next", {}).get("url")
    if url is None:
        return None
    number = _integer((parse_qs(urlsplit(url).query).get("page") or [""])[0])
    if number is None or number < 2:
        raise SyncError(SyncErrorKind.INVALID_RESPONSE, "unreadable search answer from GitHub (bad next page)")
    return number


def _integer(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 18 else None
