"""Requests to the Hub: what is asked, with which timeout, how often, and what a failure means.

Built on huggingface_hub's own request parts: its shared HTTP session, `build_hf_headers`
(token, user agent), `hf_raise_for_status` (the Hub's error codes) and the `Link` pagination
that `HfApi.list_models` follows. We do not call `HfApi.list_models` / `HfApi.model_info` (nor
their dataset, Space and paper siblings) themselves, because they turn every answer into
`ModelInfo(**item)` (`SpaceInfo`, ...) at once, and those parsers raise on metadata the Hub
accepts (a model-index `source` without `url`, an `evalResults` entry without `dataset.id`, a
Space runtime without `stage`, ...): one such repo stops a whole listing part-way. Here each
answer stays raw JSON, and `mapping.py` reads it item by item.

What this module adds to the library:
- every request has a timeout, never past the run's deadline, and no request starts when
  too little time is left for it to finish (the library's pagination sends `timeout=None`);
- retries of our own, bounded and deadline-aware (the library retries a listing page up to
  5 times and sleeps as long as a 429 says, uncapped);
- the `RateLimit` header, sent on every answer, is read each time, and the client waits for
  the next window *before* the quota runs out rather than after a 429.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
from huggingface_hub import HfApi, set_client_factory
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status, parse_ratelimit_headers

# The library's own factory (private module, stable since 1.0): we keep its event hooks
# (offline mode, request ids) and only add a request counter.
from huggingface_hub.utils._http import default_client_factory

from portfolio.syncing.budget import Quota, RequestBudget
from portfolio.syncing.errors import DeadlineExceeded, SyncError, SyncErrorKind, clean_text

logger = logging.getLogger(__name__)

# What the listing (`GET /api/models?author=...`) accepts, from list_models' docstring: the Hub
# answers 400 to anything else, `baseModels`, `childrenModelCount` and `usedStorage` included.
# It says everything a card stores: base models come from the `base_model:` tags and cardData.
LIST_EXPAND = [
    "author", "cardData", "createdAt", "disabled", "downloads", "downloadsAllTime", "evalResults", "gated",
    "lastModified", "library_name", "likes", "model-index", "pipeline_tag", "private", "safetensors", "sha",
    "tags", "trendingScore",
]  # fmt: skip

# `GET /api/models/{id}` accepts more (ExpandModelProperty_T); only asked for cards the listing missed.
DETAIL_EXPAND = [*LIST_EXPAND, "baseModels"]

# Datasets' and Spaces' listings accept their whole ExpandDatasetProperty_T / ExpandSpaceProperty_T
# (list_datasets' and list_spaces' docstrings), and so do their details. `usedStorage` is left out:
# the model listing refuses it, and whether these do is not known.
DATASET_EXPAND = [
    "author", "cardData", "createdAt", "disabled", "downloads", "downloadsAllTime", "gated", "lastModified", "likes",
    "private", "sha", "tags", "trendingScore",
]  # fmt: skip
SPACE_EXPAND = [
    "author", "cardData", "createdAt", "datasets", "disabled", "lastModified", "likes", "models", "private", "runtime",
    "sdk", "sha", "subdomain", "tags", "trendingScore",
]  # fmt: skip


@dataclass(frozen=True)
class Endpoint:
    """Where the Hub answers about one kind of repository, and what to ask it for."""

    path: str  # /api/<path>?author=... and /api/<path>/<id>
    list_expand: list[str]
    detail_expand: list[str]


ENDPOINTS = {
    "model": Endpoint("models", LIST_EXPAND, DETAIL_EXPAND),
    "dataset": Endpoint("datasets", DATASET_EXPAND, DATASET_EXPAND),
    "space": Endpoint("spaces", SPACE_EXPAND, SPACE_EXPAND),
}

# Requests kept back from the Hub's quota (per 5-minute window), for the owner's browser and
# other tools on the same address or token. Reaching it means waiting for the next window.
QUOTA_RESERVE = 10


# ---------------------------------------------------------------------------
# Counting requests (every one the shared session sends, redirects included: the Hub counts them too)


class _RequestCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def __call__(self, request: httpx2.Request) -> None:
        with self._lock:
            self.value += 1


request_counter = _RequestCounter()
_client_lock = threading.Lock()
_client_installed = False


def _ensure_client() -> None:
    """Install, once, a session factory that counts requests. Timeouts are given per request."""
    global _client_installed
    with _client_lock:
        if _client_installed:
            return

        def factory() -> httpx2.Client:
            client = default_client_factory()
            client.event_hooks["request"].append(request_counter)
            return client

        set_client_factory(factory)
        _client_installed = True


# ---------------------------------------------------------------------------
# What a failure means


def _hub_message(response: httpx2.Response | None) -> str:
    if response is None:
        return ""
    return clean_text(response.headers.get("x-error-message", ""), 120)


def classify(error: BaseException, *, with_token: bool) -> SyncError:
    """Map what the request raised to a card's error kind and a message an owner can act on.

    As the real Hub answers: a missing *or private* repo asked without a token is a 401 (with
    a token, a 404 RepoNotFound); a 401 with a token means the token was refused; a 403 on a
    model's API is a disabled repo (gated models answer 200: gating protects files only).
    """
    if isinstance(error, SyncError):
        return error
    response = getattr(error, "response", None)
    status = response.status_code if isinstance(error, HfHubHTTPError) and response is not None else 0
    if status == 401:
        if with_token and "invalid credentials" in _hub_message(response).lower():
            return SyncError(SyncErrorKind.TOKEN_REJECTED, "HF_TOKEN was refused by the Hub (HTTP 401): check it")
        if with_token:
            return SyncError(SyncErrorKind.NOT_FOUND, "not found on the Hub, or HF_TOKEN has no access (HTTP 401)")
        return SyncError(SyncErrorKind.NOT_FOUND, "not found on the Hub (or private: set HF_TOKEN)")
    if status == 404 or (isinstance(error, RepositoryNotFoundError) and status != 403):
        return SyncError(SyncErrorKind.NOT_FOUND, "not found on the Hub (renamed, deleted, or private)")
    if status == 403:
        return SyncError(SyncErrorKind.DISABLED, "disabled on the Hub (HTTP 403)")
    if status == 429:
        return SyncError(SyncErrorKind.RATE_LIMITED, "rate limited by the Hub (HTTP 429)", retryable=True)
    if status >= 500 or status == 408:
        return SyncError(SyncErrorKind.SERVER_ERROR, f"Hub server error (HTTP {status})", retryable=True)
    if status:
        detail = _hub_message(response)
        return SyncError(
            SyncErrorKind.INVALID_RESPONSE,
            f"the Hub refused the request (HTTP {status}{': ' + detail if detail else ''})",
        )
    if isinstance(error, httpx2.TimeoutException):
        return SyncError(SyncErrorKind.TIMEOUT, "the Hub did not answer in time", retryable=True)
    if isinstance(error, (httpx2.RemoteProtocolError, httpx2.DecodingError)):
        # A body shorter than its Content-Length, or undecodable: the Hub was reached.
        return SyncError(SyncErrorKind.INVALID_RESPONSE, "the Hub's answer was cut off or garbled", retryable=True)
    if isinstance(error, httpx2.TransportError):
        return SyncError(SyncErrorKind.NETWORK, f"cannot reach the Hub ({type(error).__name__})", retryable=True)
    if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError)):
        return SyncError(SyncErrorKind.INVALID_RESPONSE, "unreadable answer from the Hub (not JSON)")
    return SyncError(SyncErrorKind.INVALID_RESPONSE, f"unreadable answer from the Hub ({type(error).__name__})")


def _retry_after(response: httpx2.Response | None) -> float | None:
    """Seconds the Hub asked us to wait, from `RateLimit` (r=0) or `Retry-After`."""
    if response is None:
        return None
    info = parse_ratelimit_headers(response.headers)
    if info is not None and info.remaining == 0:
        return float(info.reset_in_seconds) + 1.0  # the new window opens after the reset second
    value = response.headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


def _observe_quota(quota: Quota, response: httpx2.Response) -> None:
    """What the Hub's `RateLimit` header says of the quota; a garbled header is no reason to fail a card."""
    try:
        info = parse_ratelimit_headers(response.headers)
    except ValueError:
        info = None
    if info is not None:
        quota.update(remaining=info.remaining, limit=info.limit, reset_in_seconds=info.reset_in_seconds)


# ---------------------------------------------------------------------------
# The client


def request_headers(api: HfApi) -> tuple[dict[str, str], bool]:
    """The headers huggingface_hub would send for `api` (token, user agent), and whether they carry a token."""
    headers = build_hf_headers(
        token=api.token,
        library_name=api.library_name,
        library_version=api.library_version,
        user_agent=api.user_agent,
        headers=api.headers,
    )
    return headers, "authorization" in {name.lower() for name in headers}


class HubClient:
    """Raw JSON from the Hub, with a deadline, bounded retries and the quota in mind."""

    def __init__(self, api: HfApi, *, budget: RequestBudget):
        _ensure_client()
        self.endpoint = api.endpoint.rstrip("/")
        self.headers, self.with_token = request_headers(api)
        self.budget = budget
        self.quota = Quota(budget, service="the Hub", reserve=QUOTA_RESERVE)

    # The two questions the sync asks, of each kind of repository

    def list_author(self, author: str, kind: str = "model") -> Iterator[list[Any]]:
        """An author's models (datasets, Spaces), page by page (the next page only in the `Link` header)."""
        endpoint = ENDPOINTS[kind]
        url: str | None = f"{self.endpoint}/api/{endpoint.path}"
        params: list[tuple[str, str]] | None = [
            ("author", author),
            *(("expand", name) for name in endpoint.list_expand),
        ]
        while url is not None:
            response = self._get(url, params)
            items = self._json(response)
            if not isinstance(items, list):
                raise SyncError(SyncErrorKind.INVALID_RESPONSE, "unreadable listing from the Hub (not a list)")
            yield items
            url, params = response.links.get("next", {}).get("url"), None  # the next URL carries the query

    def repo_info(self, repo_id: str, kind: str = "model") -> dict[str, Any]:
        """One model (dataset, Space); a renamed repo redirects, and then answers with its new id."""
        endpoint = ENDPOINTS[kind]
        url = f"{self.endpoint}/api/{endpoint.path}/{repo_id}"
        response = self._get(url, [("expand", name) for name in endpoint.detail_expand])
        data = self._json(response)
        if not isinstance(data, dict):
            raise SyncError(SyncErrorKind.INVALID_RESPONSE, "unreadable answer from the Hub (not an object)")
        return data

    def paper_info(self, arxiv_id: str) -> dict[str, Any]:
        """One paper, as `HfApi.paper_info` asks for it (no query parameters); 404 if the Hub has no page for it.

        Unlike `paper_info`, the run's headers go with it, so the quota read from its answer is the run's.
        """
        data = self._json(self._get(f"{self.endpoint}/api/papers/{arxiv_id}", None))
        if not isinstance(data, dict):
            raise SyncError(SyncErrorKind.INVALID_RESPONSE, "unreadable answer from the Hub (not an object)")
        return data

    # One request, as many tries as allowed

    def _json(self, response: httpx2.Response) -> Any:
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise classify(error, with_token=self.with_token) from error

    def _get(self, url: str, params: list[tuple[str, str]] | None) -> httpx2.Response:
        for attempt in self.budget.attempts():
            self.quota.wait_if_needed()
            timeout, cut_by_deadline = self.budget.timeout()
            response = None
            try:
                response = get_session().get(url, params=params, headers=self.headers, timeout=timeout)
                _observe_quota(self.quota, response)
                hf_raise_for_status(response)
                return response
            except httpx2.TimeoutException as error:
                if cut_by_deadline:
                    raise DeadlineExceeded from error
                failure = classify(error, with_token=self.with_token)
            except Exception as error:  # classify() decides what each failure means
                failure = classify(error, with_token=self.with_token)
            self.budget.before_retry(attempt, failure, _retry_after(response), url)
        raise AssertionError("unreachable")  # pragma: no cover
