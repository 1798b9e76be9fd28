"""A fake Hugging Face Hub: a real HTTP server on 127.0.0.1 that answers the Hub's API paths with its JSON shapes.

Tests point the real client at it (``HfApi(endpoint=hub.url, token=False)``), so URL building, pagination,
error mapping and JSON parsing inside huggingface_hub are exercised rather than mocked away.

    with FakeHub([hub_model("tester/ko-embed")], page_size=2) as hub:
        hub.script("tester/ko-embed", rate_limited(), slow(0.5))
        ...
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

# --- Model JSON -------------------------------------------------------------------------------------------------------


def _hex(seed: str, length: int) -> str:
    # Derived from the repo id so the same model always gets the same ids across runs.
    return hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()[:length]


def hub_model(repo_id: str, **overrides: Any) -> dict[str, Any]:
    """A realistic model JSON as the Hub returns it from ``GET /api/models/{repo_id}?expand=...`` with every
    property our sync asks for; ``overrides`` replace top-level keys."""
    author, _, name = repo_id.rpartition("/")
    model_index = [
        {
            "name": name,
            "results": [
                {
                    "task": {"type": "Retrieval", "name": "Retrieval"},
                    # Korean in the payload checks that UTF-8 survives the server and the client's parsing.
                    "dataset": {
                        "type": "mteb/ko-retrieval",
                        "name": "MTEB Ko-Retrieval (한국어 검색)",
                        "config": "default",
                        "split": "test",
                    },
                    "metrics": [{"type": "ndcg_at_10", "value": 0.7431, "name": "NDCG@10", "verified": False}],
                }
            ],
        }
    ]
    tags = [
        "sentence-transformers",
        "safetensors",
        "xlm-roberta",
        "sentence-similarity",
        "feature-extraction",
        "ko",
        "en",
        "dataset:nlpai-lab/ko-triplet-v1.0",
        "base_model:BAAI/bge-m3",
        "base_model:finetune:BAAI/bge-m3",
        "license:apache-2.0",
        "model-index",
        "autotrain_compatible",
        "text-embeddings-inference",
        "endpoints_compatible",
        "region:us",
    ]
    model: dict[str, Any] = {
        "_id": _hex(f"_id:{repo_id}", 24),
        "id": repo_id,
        "author": author or None,
        "sha": _hex(f"sha:{repo_id}", 40),
        "lastModified": "2025-01-15T08:30:00.000Z",
        "createdAt": "2024-11-02T14:05:12.000Z",
        "private": False,
        "gated": False,
        "disabled": False,
        "downloads": 1234,
        "downloadsAllTime": 56789,
        "likes": 42,
        "trendingScore": 3,
        "library_name": "sentence-transformers",
        "pipeline_tag": "sentence-similarity",
        "tags": tags,
        "cardData": {
            "license": "apache-2.0",
            "language": ["ko", "en"],
            "datasets": ["nlpai-lab/ko-triplet-v1.0"],
            "base_model": "BAAI/bge-m3",
            "pipeline_tag": "sentence-similarity",
            "library_name": "sentence-transformers",
            "tags": ["sentence-transformers", "sentence-similarity", "feature-extraction"],
            "widget": [
                {
                    "source_sentence": "대한민국의 수도는 어디인가요?",
                    "sentences": ["서울은 대한민국의 수도이다.", "부산은 항구 도시이다."],
                }
            ],
            "model-index": model_index,
        },
        "model-index": copy.deepcopy(model_index),
        "safetensors": {"parameters": {"F32": 567754752}, "total": 567754752},
        "baseModels": {"relation": "finetune", "models": [{"id": "BAAI/bge-m3"}]},
        "childrenModelCount": 2,
        "usedStorage": 2271062340,
    }
    model.update(overrides)
    return model


# --- Scripted responses -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scripted:
    """One canned answer. ``status=None`` means "answer normally" (after ``delay``), which is how slow() works."""

    status: int | None
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0


def _json_bytes(data: Any) -> bytes:
    # ensure_ascii=False: the Hub sends raw UTF-8, not \uXXXX escapes.
    return json.dumps(data, ensure_ascii=False).encode()


def _error(status: int, message: str, **headers: str) -> Scripted:
    return Scripted(status, _json_bytes({"error": message}), headers)


def not_found() -> Scripted:
    return _error(
        404, "Repository not found", **{"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"}
    )


def gated() -> Scripted:
    message = (
        "Access to model is restricted. You must have access to it and be authenticated to access it. Please log in."
    )
    return _error(403, message, **{"X-Error-Code": "GatedRepo", "X-Error-Message": message})


def unauthorized() -> Scripted:
    # The Hub sends the message in X-Error-Message too; huggingface_hub compares it to tell a bad token from a
    # missing repo (the latter only on https URLs, so over http://127.0.0.1 this stays an HfHubHTTPError).
    message = "Invalid credentials in Authorization header"
    return _error(401, message, **{"X-Error-Message": message})


def rate_limited(retry_after: int = 1) -> Scripted:
    # huggingface_hub.utils._http.parse_ratelimit_headers reads `"<resource>";r=<remaining>;t=<reset seconds>` and
    # the policy's q=/w=; only r=0 makes it treat the 429 as the rate limit (then it sleeps t + 1 s in backoff).
    return _error(
        429,
        "You have exceeded our hourly quotas for action: api. We invite you to retry later.",
        **{
            "Retry-After": str(retry_after),
            "RateLimit": f'"api";r=0;t={retry_after}',
            "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
        },
    )


def server_error(status: int = 500) -> Scripted:
    return _error(status, "Internal Error - We're working hard to fix this as soon as possible!")


def slow(seconds: float, then: Scripted | None = None) -> Scripted:
    """Sleep ``seconds`` before answering: normally, or with ``then``."""
    return replace(then, delay=seconds) if then else Scripted(None, delay=seconds)


def malformed_json() -> Scripted:
    return Scripted(200, b'{"id": "x", "downloads": ', {"Content-Type": "application/json; charset=utf-8"})


def bare_not_found() -> Scripted:
    # What a proxy or a wrong path answers: a 404 without the Hub's X-Error-Code.
    return _error(404, "Not Found")


# --- Server -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A request as the fake received it; header names are lower-cased."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class FakeHub:
    """A threaded HTTP server speaking the parts of the Hub API that the sync uses. Use as a context manager."""

    def __init__(self, models: Iterable[dict] = (), *, page_size: int = 100, tokens: Iterable[str] = ()) -> None:
        self.page_size = page_size
        self.tokens: set[str] = set(tokens)
        self.requests: list[Request] = []
        self.url = ""
        self._models: dict[str, dict] = {}  # keyed by lower-cased repo id: the Hub's lookup ignores case
        self._scripts: dict[str, list[Scripted]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()  # wakes slow() responses so stop() never waits for them
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.add(*models)

    # Lifecycle

    def start(self) -> Self:
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler, hub=self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        # A short poll interval keeps shutdown() quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakehub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Content

    def add(self, *models: dict) -> None:
        with self._lock:
            for model in models:
                self._models[model["id"].lower()] = copy.deepcopy(model)

    def remove(self, repo_id: str) -> None:
        with self._lock:
            del self._models[repo_id.lower()]

    def update(self, repo_id: str, **fields: Any) -> None:
        """Change top-level keys of a stored model (e.g. ``downloads=10``)."""
        with self._lock:
            self._models[repo_id.lower()].update(copy.deepcopy(fields))

    def script(self, key: str, *responses: Scripted) -> None:
        """Queue responses served in order, one per request, before normal answers resume.

        ``key`` is a repo id for ``GET /api/models/{repo_id}``, ``"list:<author>"`` for every page of that author's
        listing, or ``"user:<name>"`` for the user overview.
        """
        with self._lock:
            self._scripts.setdefault(key.lower(), []).extend(responses)

    # Inspection

    def count(self, path_prefix: str = "/api/") -> int:
        with self._lock:
            return sum(1 for request in self.requests if request.path.startswith(path_prefix))

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # Used by the handler threads; everything shared goes through the lock.

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def _next_scripted(self, key: str) -> Scripted | None:
        with self._lock:
            queue = self._scripts.get(key.lower())
            return queue.pop(0) if queue else None

    def _authorized(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and token in self.tokens

    def _model(self, repo_id: str) -> dict | None:
        with self._lock:
            model = self._models.get(repo_id.lower())
            return copy.deepcopy(model) if model else None

    def _models_by(self, author: str | None) -> list[dict]:
        with self._lock:
            models = [copy.deepcopy(m) for m in self._models.values()]
        if author is not None:
            models = [m for m in models if _owner(m).lower() == author.lower()]
        return sorted(models, key=lambda m: m["id"])

    def _sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)


def _owner(model: dict) -> str:
    return model.get("author") or model["id"].rpartition("/")[0]


def _expanded(model: dict, expand: list[str]) -> dict:
    # With ?expand=..., the Hub returns only _id, id and the asked-for properties the model has.
    if not expand:
        return model
    return {key: model[key] for key in ("_id", "id", *expand) if key in model}


def _encode_cursor(offset: int) -> str:
    # Opaque like the Hub's, so tests can't accidentally depend on its contents.
    return base64.urlsafe_b64encode(json.dumps({"$skip": offset}).encode()).decode()


def _decode_cursor(cursor: str) -> int:
    return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["$skip"])


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler stuck in slow() must not keep the test process alive

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], *, hub: FakeHub) -> None:
        self.hub = hub
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out closes its socket before slow() answers; that is expected, not worth a traceback.
        pass


@dataclass
class _Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0 closes the connection after each answer: no idle keep-alive sockets racing with stop() or with
    # huggingface_hub's shared connection pool. Content-Length is always set, so nothing else depends on it.
    protocol_version = "HTTP/1.0"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        hub = self.server.hub
        request = self._request()
        hub._record(request)
        scripted = hub._next_scripted(self._script_key(request))
        if scripted is not None and scripted.delay:
            hub._sleep(scripted.delay)
        if scripted is not None and scripted.status is not None:
            self._send(_from_scripted(scripted))
        else:
            self._send(self._answer(request))

    def _not_allowed(self) -> None:
        self.server.hub._record(self._request())
        self._send(_json(405, {"error": "Method not allowed"}), body=self.command != "HEAD")

    # BaseHTTPRequestHandler dispatches on do_<METHOD>: every method but GET gets the same 405.
    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _not_allowed  # noqa: N815

    def _request(self) -> Request:
        parts = urlsplit(self.path)
        return Request(
            method=self.command,
            path=unquote(parts.path),
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
        )

    @staticmethod
    def _script_key(request: Request) -> str:
        if request.path == "/api/models":
            return "list:" + request.query.get("author", [""])[0]
        if request.path.startswith("/api/users/"):
            return "user:" + request.path.split("/")[3]
        return request.path.removeprefix("/api/models/").partition("/revision/")[0]

    def _answer(self, request: Request) -> _Response:
        hub, path = self.server.hub, request.path
        if path == "/api/models":
            return self._listing(request)
        if path.startswith("/api/models/"):
            repo_id = path.removeprefix("/api/models/").partition("/revision/")[0]
            model = hub._model(repo_id)
            if model is None:
                return _from_scripted(not_found())
            if model.get("private") and not hub._authorized(request):
                return _from_scripted(unauthorized())
            return _json(200, _expanded(model, request.query.get("expand", [])))
        parts = path.split("/")
        if len(parts) == 5 and parts[:3] == ["", "api", "users"] and parts[4] == "overview":
            return _json(200, self._overview(parts[3]))
        return _from_scripted(bare_not_found())

    def _listing(self, request: Request) -> _Response:
        hub = self.server.hub
        query = request.query
        author = query.get("author", [None])[0]
        models = [m for m in hub._models_by(author) if not m.get("private") or hub._authorized(request)]
        try:
            offset = _decode_cursor(query["cursor"][0]) if "cursor" in query else 0
            limit = int(query["limit"][0]) if "limit" in query else hub.page_size
        except (ValueError, KeyError, TypeError):
            return _json(400, {"error": "Invalid cursor or limit"})
        size = max(1, min(hub.page_size, limit))
        page = models[offset : offset + size]
        headers = {}
        if offset + size < len(models):
            # huggingface_hub follows rel="next" as is, so it must be absolute and carry every original parameter.
            params = {k: v for k, v in query.items() if k != "cursor"} | {"cursor": [_encode_cursor(offset + size)]}
            headers["Link"] = f'<{hub.url}/api/models?{urlencode(params, doseq=True)}>; rel="next"'
        return _json(200, [_expanded(m, query.get("expand", [])) for m in page], headers)

    def _overview(self, user: str) -> dict[str, Any]:
        public = [m for m in self.server.hub._models_by(user) if not m.get("private")]
        return {
            "_id": _hex(f"user:{user}", 24),
            "avatarUrl": f"/avatars/{_hex(f'avatar:{user}', 32)}.svg",
            "isPro": False,
            "fullname": user,
            "user": user,
            "type": "user",
            "createdAt": "2023-03-01T10:00:00.000Z",
            "isFollowing": False,
            "numModels": len(public),
            "numDatasets": 0,
            "numSpaces": 0,
            "numDiscussions": 0,
            "numPapers": 0,
            "numUpvotes": 0,
            "numLikes": 0,
            "numFollowers": 0,
            "numFollowing": 0,
            "orgs": [],
        }

    def _send(self, response: _Response, *, body: bool = True) -> None:
        self.send_response(response.status)
        headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
        headers["Content-Length"] = str(len(response.body))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(response.body)


def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> _Response:
    return _Response(status, _json_bytes(data), headers or {})


def _from_scripted(scripted: Scripted) -> _Response:
    assert scripted.status is not None, "slow() without `then` is answered normally, not from the script"
    return _Response(scripted.status, scripted.body, dict(scripted.headers))
