"""Canned answers a test queues with ``hub.script(key, ...)``: the Hub's errors, a rate limit, slow, cut-off or
malformed answers. Served before every rule (quota, auth), they still count against the quota and carry its headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tests.fakehub.common import (
    INVALID_TOKEN,
    TOO_MANY_REQUESTS,
    anonymous_denied,
    error_response,
    json_bytes,
    object_id,
    repo_disabled,
    repo_not_found,
)
from tests.fakeserver import Response


@dataclass(frozen=True)
class Scripted:
    """One canned answer. ``status=None`` means "answer normally" (after ``delay``), which is how slow() works.

    ``content_length`` announces a length other than the body's (see truncated()). The fake adds its rate-limit
    headers to every scripted answer; the answer's own headers win.
    """

    status: int | None
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_length: int | None = None


def _canned(response: Response) -> Scripted:
    return Scripted(response.status, response.body, response.headers)


def _error(status: int, message: str, **headers: str) -> Scripted:
    return _canned(error_response(status, message, **headers))


def not_found() -> Scripted:
    """What a valid token gets for a missing (or someone else's private) repo."""
    return _canned(repo_not_found())


def missing_anonymous() -> Scripted:
    """What an anonymous caller gets for a missing or private repo: 401 without X-Error-Code. huggingface_hub turns
    it into RepositoryNotFoundError only on https endpoints; over http://127.0.0.1 it stays an HfHubHTTPError."""
    return _canned(anonymous_denied())


def unauthorized() -> Scripted:
    """An unknown or revoked token, on any endpoint. huggingface_hub compares this exact message to tell a bad token
    from a missing repo."""
    return _error(401, INVALID_TOKEN, **{"X-Error-Message": INVALID_TOKEN})


def disabled() -> Scripted:
    """A repo the Hub disabled: 403, which huggingface_hub turns into DisabledRepoError by its message."""
    return _canned(repo_disabled())


def gated(repo_id: str = "some-org/gated-model") -> Scripted:
    """The 403 of a gated FILE download (``/resolve/``) to a token without access.

    The repo endpoints never send it: the metadata of a gated repo is public (200 with ``"gated": "manual"``). It is
    here to check that a client would survive it, not because the API answers it.
    """
    message = (
        f"Access to model {repo_id} is restricted and you are not in the authorized list. "
        f"Visit https://huggingface.co/{repo_id} to ask for access."
    )
    return _error(403, message, **{"X-Error-Code": "GatedRepo", "X-Error-Message": message})


def rate_limited(retry_after: int = 1) -> Scripted:
    """A 429 announcing a reset in ``retry_after`` seconds.

    huggingface_hub.utils._http.parse_ratelimit_headers reads ``"api";r=<remaining>;t=<reset seconds>``; only r=0 makes
    it treat the 429 as the rate limit (then backoff sleeps t + 1 s). Retry-After is not something the Hub documents;
    it is kept for clients that read it.
    """
    return _error(
        429, TOO_MANY_REQUESTS, **{"Retry-After": str(retry_after), "RateLimit": f'"api";r=0;t={retry_after}'}
    )


def server_error(status: int = 500) -> Scripted:
    return _error(status, "Internal Error - We're working hard to fix this as soon as possible!")


def slow(seconds: float, then: Scripted | None = None) -> Scripted:
    """Sleep ``seconds`` before answering: normally, or with ``then``."""
    return replace(then, delay=seconds) if then else Scripted(None, delay=seconds)


def malformed_json() -> Scripted:
    return Scripted(200, b'{"id": "x", "downloads": ', {"Content-Type": "application/json; charset=utf-8"})


def truncated(data: Any = None) -> Scripted:
    """A 200 whose Content-Length promises the whole JSON of ``data`` but whose connection closes after half of it:
    what a dropped connection looks like. httpx raises RemoteProtocolError (which list_models' backoff retries)."""
    body = json_bytes(data if data is not None else {"_id": object_id("cut"), "id": "tester/cut", "downloads": 1})
    return Scripted(200, body[: len(body) // 2], content_length=len(body))


def bare_not_found() -> Scripted:
    # What a proxy or a wrong path answers: a 404 without the Hub's X-Error-Code.
    return _error(404, "Not Found")
