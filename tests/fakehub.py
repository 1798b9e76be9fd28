"""A fake Hugging Face Hub: a real HTTP server on 127.0.0.1 that answers the Hub's API paths as strictly as the Hub.

Tests point the real client at it (``HfApi(endpoint=hub.url, token=False)``), so URL building, pagination, redirects,
error mapping and JSON parsing inside huggingface_hub are exercised rather than mocked away. A lenient fake lets a
wrong request pass every test and fail in production, so this one refuses what the real Hub refuses:

- ``expand`` values are checked per endpoint: ``GET /api/models/{id}`` takes huggingface_hub's
  ``ExpandModelProperty_T``, the listing ``GET /api/models`` only the values ``list_models``' docstring names (not
  ``baseModels``, ``childrenModelCount``, ``usedStorage``). Unknown query parameters are refused too (HTTP 400).
- Auth: an unknown token is a 401 everywhere; a missing or private repo asked anonymously is a 401, with a valid token
  a 404 ``RepoNotFound``; gated repos answer 200 (gating guards files, not metadata); a disabled repo is a 403.
- Every response carries the ``RateLimit`` / ``RateLimit-Policy`` headers, counted per caller in fixed windows, and a
  spent quota answers 429 until the window resets.
- A renamed repo answers 307 to its new id; listings page through an absolute ``Link`` header with an opaque cursor.
- ``GET /{repo_id}/resolve/{revision}/README.md`` serves the stored model's ``readme`` (a key no API answer ever
  returns), with the same auth rules; a repo without one answers 404 ``EntryNotFound``.

The shapes come from ``tests/fixtures/hub/`` (a copy of real-shaped Hub answers; see its README.md)::

    with FakeHub([hub_model("tester/ko-embed")], page_size=2, tokens={"secret"}) as hub:
        hub.script("tester/ko-embed", rate_limited(), slow(0.5))
        ...

    with FakeHub(seed_models()) as hub:  # the five dragonkue models, as the Hub shows them
        ...

By hand, from the repository root (no Django needed)::

    .venv/bin/python -m tests.fakehub --port 8765
"""

from __future__ import annotations

import argparse
import base64
import binascii
import copy
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from tests.fakeserver import FakeServer, Request, Response, serve_until_interrupted

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hub"

# --- What the real Hub accepts ----------------------------------------------------------------------------------------

# huggingface_hub 2.4's ExpandModelProperty_T: what GET /api/models/{id}?expand=... accepts. Kept as a copy rather than
# read from the client because the fake plays the server, which does not change when the client does; the tests check
# the copy against the installed client so a drift is noticed.
MODEL_INFO_EXPAND: tuple[str, ...] = (
    "author",
    "baseModels",
    "cardData",
    "childrenModelCount",
    "config",
    "createdAt",
    "disabled",
    "downloads",
    "downloadsAllTime",
    "evalResults",
    "gated",
    "gguf",
    "inference",
    "inferenceProviderMapping",
    "lastModified",
    "library_name",
    "likes",
    "mask_token",
    "model-index",
    "pipeline_tag",
    "private",
    "resourceGroup",
    "safetensors",
    "sha",
    "siblings",
    "spaces",
    "tags",
    "transformersInfo",
    "trendingScore",
    "usedStorage",
    "widgetData",
)
# The listing computes these per repo only on the single-model endpoint; list_models' docstring leaves them out, and
# the Hub answers 400 when a listing asks for them.
MODEL_INFO_ONLY_EXPAND = frozenset({"baseModels", "childrenModelCount", "usedStorage"})
LIST_EXPAND: tuple[str, ...] = tuple(value for value in MODEL_INFO_EXPAND if value not in MODEL_INFO_ONLY_EXPAND)

# Query parameters, from what huggingface_hub's list_models / model_info / paginate can send, plus the listing's
# documented `direction`, `library` and `language` (hub-docs' API reference; older clients sent them).
LIST_PARAMS = frozenset(
    {
        "author",
        "search",
        "filter",
        "apps",
        "gated",
        "inference",
        "inference_provider",
        "pipeline_tag",
        "num_parameters",
        "library",
        "language",
        "sort",
        "direction",
        "limit",
        "cursor",
        "full",
        "cardData",
        "config",
        "expand",
    }
)
MODEL_INFO_PARAMS = frozenset({"expand", "securityStatus", "blobs"})
LIST_SORTS = ("createdAt", "downloads", "lastModified", "likes", "trendingScore")
MAX_LIMIT = 1000  # one page's cap whatever `limit` asks for (the Hub's exact cap is not documented)

# GET /api/models/{id} without expand: the keys of models/*.full.json, in its order. `modelId` is derived from `id`;
# `model-index` is always there (null when the card has none), the rest only when the model has them.
MODEL_INFO_VIEW: tuple[str, ...] = (
    "_id",
    "id",
    "private",
    "pipeline_tag",
    "library_name",
    "tags",
    "downloads",
    "likes",
    "modelId",
    "author",
    "sha",
    "lastModified",
    "gated",
    "disabled",
    "mask_token",
    "widgetData",
    "model-index",
    "config",
    "cardData",
    "transformersInfo",
    "siblings",
    "spaces",
    "gguf",
    "createdAt",
    "safetensors",
    "usedStorage",
)
# GET /api/models without expand: the small set the Hub's listing answers by default (pipeline_tag and library_name
# only when set). Not in the fixtures; taken from the Hub's known default listing.
LIST_VIEW: tuple[str, ...] = (
    "_id",
    "id",
    "likes",
    "trendingScore",
    "private",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
    "modelId",
)
# ?full=true adds the repo's identity and state (a guess at the exact set: the app's sync never asks for it).
LIST_FULL_VIEW: tuple[str, ...] = (*LIST_VIEW[:2], "author", "sha", "lastModified", "gated", "disabled", *LIST_VIEW[2:])

# The Hub's own messages, which huggingface_hub compares to pick an exception.
INVALID_TOKEN = "Invalid credentials in Authorization header"
ANONYMOUS_DENIED = "Invalid username or password."
REPO_NOT_FOUND = "Repository not found"
REPO_DISABLED = "Access to this resource is disabled."
TOO_MANY_REQUESTS = "Too Many Requests"

# --- Model JSON -------------------------------------------------------------------------------------------------------


def _hex(seed: str, length: int) -> str:
    # Derived from a seed so the same model always gets the same ids across runs.
    return hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()[:length]


def object_id(seed: str, created_at: str = "2024-01-01T00:00:00.000Z") -> str:
    """A MongoDB-style ``_id`` as the Hub's: 8 hex digits of the creation time, then 16 derived from ``seed``.

    The time prefix matters: the Hub lists by ``_id`` when no sort is asked, i.e. in creation order.
    """
    seconds = int(datetime.fromisoformat(created_at.replace("Z", "+00:00")).timestamp())
    return f"{seconds:08x}{_hex(f'_id:{seed}', 16)}"


def hub_model(repo_id: str, **overrides: Any) -> dict[str, Any]:
    """A realistic model as the fake stores it: every property the Hub can return for it (what
    ``GET /api/models/{repo_id}?expand=...`` with every value and the plain ``GET`` give together).

    ``overrides`` replace top-level keys; a key set to ``None`` counts as absent. Without an ``_id`` override, the
    ``_id`` follows ``createdAt``. There is no ``evalResults`` (most models have none): add it as an override.
    ``readme`` is the text of its README.md, served only by ``/resolve/`` (``readme=None``: the repo has none).
    """
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
    widget = [
        {
            "source_sentence": "대한민국의 수도는 어디인가요?",
            "sentences": ["서울은 대한민국의 수도이다.", "부산은 항구 도시이다."],
        }
    ]
    model: dict[str, Any] = {
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
            "widget": widget,
            "model-index": model_index,
        },
        "model-index": copy.deepcopy(model_index),
        "widgetData": copy.deepcopy(widget),
        "safetensors": {"parameters": {"F32": 567754752}, "total": 567754752},
        "baseModels": {
            "relation": "finetune",
            "models": [{"_id": object_id("BAAI/bge-m3", "2024-01-27T17:10:25.000Z"), "id": "BAAI/bge-m3"}],
        },
        "childrenModelCount": 2,
        "usedStorage": 2271062340,
        "config": {"architectures": ["XLMRobertaModel"], "model_type": "xlm-roberta"},
        "transformersInfo": {
            "auto_model": "AutoModel",
            "pipeline_tag": "feature-extraction",
            "processor": "AutoTokenizer",
        },
        "siblings": [
            {"rfilename": name} for name in (".gitattributes", "README.md", "config.json", "model.safetensors")
        ],
        "spaces": [],
        "readme": model_readme(
            repo_id,
            f"{name} is a Korean and English sentence embedding model, fine-tuned from "
            "[BAAI/bge-m3](https://huggingface.co/BAAI/bge-m3) on Korean retrieval triplets. "
            "It maps sentences and paragraphs to a 1024-dimensional dense vector space.",
        ),
    }
    model.update(overrides)
    model.setdefault("_id", object_id(repo_id, model["createdAt"]))
    return model


def model_readme(
    repo_id: str, summary: str, *, license: str = "apache-2.0", languages: Sequence[str] = ("ko", "en")
) -> str:
    """A README.md as model authors write them: YAML front matter, a title, badges, an HTML comment, the summary
    paragraph(s), then usage code."""
    name = repo_id.rpartition("/")[2]
    language = "".join(f"\n- {code}" for code in languages)
    return (
        f"---\nlicense: {license}\nlanguage:{language}\nlibrary_name: sentence-transformers\n"
        "pipeline_tag: sentence-similarity\ntags:\n- sentence-transformers\n---\n\n"
        f"# {name}\n\n"
        f"[![License](https://img.shields.io/badge/license-{license.replace('-', '--')}-blue)](LICENSE)\n\n"
        "<!-- Provide a quick summary of what the model is/does. -->\n\n"
        f"{summary}\n\n"
        "## Usage\n\n```python\nfrom sentence_transformers import SentenceTransformer\n\n"
        f'model = SentenceTransformer("{repo_id}")\nembeddings = model.encode(["안녕하세요"])\n```\n'
    )


# The seed models' README summaries, after the seed page's descriptions (Korean first, as the author writes them).
SEED_READMES: dict[str, str] = {
    "dragonkue/BGE-m3-ko": (
        "BGE-m3-ko는 [BAAI/bge-m3](https://huggingface.co/BAAI/bge-m3)를 한국어 검색 데이터로 미세 조정한 임베딩 "
        "모델입니다. AutoRAG 임베딩 벤치마크에서 SOTA를 기록했습니다.\n\n"
        "It maps Korean and English sentences to a 1024-dimensional dense vector space for retrieval and semantic "
        "similarity."
    ),
    "dragonkue/bge-reranker-v2-m3-ko": (
        "bge-reranker-v2-m3-ko는 BAAI/bge-reranker-v2-m3를 한국어 질의-문서 쌍으로 미세 조정한 리랭커입니다. "
        "AutoRAG 벤치마크에서 리랭커 SOTA를 기록했습니다."
    ),
    "dragonkue/multilingual-e5-small-ko": (
        "multilingual-e5-small-ko는 intfloat/multilingual-e5-small을 한국어 검색에 맞게 미세 조정한 작은 임베딩 "
        "모델입니다. A small, fast embedding model for Korean retrieval."
    ),
    "dragonkue/snowflake-arctic-embed-l-v2.0-ko": (
        "snowflake-arctic-embed-l-v2.0-ko는 한국어 IR 벤치마크(**MTEB-ko-retrieval Leaderboard**)에서 종합 SOTA를 "
        "기록한 임베딩 모델입니다."
    ),
    "dragonkue/multilingual-e5-small-ko-v2": (
        "multilingual-e5-small-ko-v2는 multilingual-e5-small-ko의 두 번째 판으로, 더 많은 한국어 검색 데이터로 "
        "학습했습니다."
    ),
}


def load_fixture(relative_path: str) -> Any:
    """The parsed JSON of a file under ``tests/fixtures/hub/``, e.g. ``"exchanges/any-rate-limited.429.json"``."""
    return json.loads((FIXTURES / relative_path).read_text(encoding="utf-8"))


def base_models_from_tags(tags: Iterable[str]) -> dict[str, Any] | None:
    """``baseModels`` as the Hub derives it from a card's ``base_model:<relation>:<id>`` tags (None without any).

    The Hub's object holds one relation; a card mixing relations keeps the first tag's. The base models' ``_id`` are
    made up (stable per id): the real ones are not in the tags.
    """
    related = [tag.split(":", 2)[1:] for tag in tags if tag.startswith("base_model:") and tag.count(":") >= 2]
    if not related:
        return None
    relation = related[0][0]
    ids = list(dict.fromkeys(repo for rel, repo in related if rel == relation))
    return {"relation": relation, "models": [{"_id": object_id(repo), "id": repo} for repo in ids]}


def seed_models() -> list[dict[str, Any]]:
    """The five dragonkue models, each with every property the fixtures know.

    Built from the author's listing (``list/author=dragonkue.expand-without-baseModels.200.json``), completed by
    ``models/*.expand.json`` (which adds ``baseModels``) and ``models/*.full.json`` (config, siblings, usedStorage...)
    where they exist; the two models with no file of their own get ``baseModels`` from their ``base_model:`` tags.
    What the seed shows: BGE-m3-ko has a model-index and no base model; the reranker's pipeline is ``text-ranking``
    and its ``cardData.base_model`` a list; snowflake-ko has no model-index.
    """
    models = []
    for listed in load_fixture("list/author=dragonkue.expand-without-baseModels.200.json"):
        model = dict(listed)
        stem = listed["id"].replace("/", "--")
        expand_file, full_file = FIXTURES / "models" / f"{stem}.expand.json", FIXTURES / "models" / f"{stem}.full.json"
        if expand_file.exists():
            model.update(load_fixture(f"models/{expand_file.name}"))
        else:
            base_models = base_models_from_tags(model.get("tags", []))
            if base_models is not None:
                model["baseModels"] = base_models
        if full_file.exists():
            # Only what the expand answers lack; the full answer's `"model-index": null` means "none", and `modelId`
            # is derived from `id` when answering.
            extra = load_fixture(f"models/{full_file.name}")
            model.update({k: v for k, v in extra.items() if k not in model and v is not None and k != "modelId"})
        if listed["id"] in SEED_READMES:
            card = model.get("cardData") or {}
            languages = card.get("language") or ["ko"]
            model["readme"] = model_readme(
                listed["id"],
                SEED_READMES[listed["id"]],
                license=str(card.get("license") or "apache-2.0"),
                languages=[languages] if isinstance(languages, str) else languages,
            )
        models.append(model)
    return models


def mteb_model_index() -> list[dict[str, Any]]:
    """A model-index in MTEB's layout (22 tasks, 1,424 metric rows; values synthetic): a list, as in a card."""
    return load_fixture("mteb-shaped.model-index.json")


# --- Scripted responses -----------------------------------------------------------------------------------------------


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


def _json_bytes(data: Any) -> bytes:
    # ensure_ascii=False: the Hub sends raw UTF-8, not \uXXXX escapes. allow_nan=False after _finite(): the Hub's
    # JSON.stringify turns NaN and infinities (a card's `.nan`) into null, and Python's json would write the invalid
    # token NaN, which only a lenient parser such as Python's own accepts.
    return json.dumps(_finite(data), ensure_ascii=False, allow_nan=False).encode()


def _finite(data: Any) -> Any:
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(value) for value in data]
    return data


def _error(status: int, message: str, **headers: str) -> Scripted:
    return Scripted(status, _json_bytes({"error": message}), headers)


def not_found() -> Scripted:
    """What a valid token gets for a missing (or someone else's private) repo."""
    return _error(404, REPO_NOT_FOUND, **{"X-Error-Code": "RepoNotFound", "X-Error-Message": REPO_NOT_FOUND})


def missing_anonymous() -> Scripted:
    """What an anonymous caller gets for a missing or private repo: 401 without X-Error-Code. huggingface_hub turns
    it into RepositoryNotFoundError only on https endpoints; over http://127.0.0.1 it stays an HfHubHTTPError."""
    return _error(401, ANONYMOUS_DENIED, **{"X-Error-Message": ANONYMOUS_DENIED})


def unauthorized() -> Scripted:
    """An unknown or revoked token, on any endpoint. huggingface_hub compares this exact message to tell a bad token
    from a missing repo."""
    return _error(401, INVALID_TOKEN, **{"X-Error-Message": INVALID_TOKEN})


def disabled() -> Scripted:
    """A repo the Hub disabled: 403, which huggingface_hub turns into DisabledRepoError by its message."""
    return _error(403, REPO_DISABLED, **{"X-Error-Message": REPO_DISABLED})


def gated(repo_id: str = "some-org/gated-model") -> Scripted:
    """The 403 of a gated FILE download (``/resolve/``) to a token without access.

    The model endpoints never send it: the metadata of a gated repo is public (200 with ``"gated": "manual"``). It is
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
    body = _json_bytes(data if data is not None else {"_id": object_id("cut"), "id": "tester/cut", "downloads": 1})
    return Scripted(200, body[: len(body) // 2], content_length=len(body))


def bare_not_found() -> Scripted:
    # What a proxy or a wrong path answers: a 404 without the Hub's X-Error-Code.
    return _error(404, "Not Found")


# --- Rate limits ------------------------------------------------------------------------------------------------------


class ManualClock:
    """A clock for ``FakeHub(clock=...)`` that moves only when told, so a test crosses a rate-limit window at once."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class _Allowance:
    quota: int
    remaining: int
    reset_in: int
    window: int
    refused: bool

    def headers(self) -> dict[str, str]:
        # IETF draft-ietf-httpapi-ratelimit-headers-09, as the Hub sends it (hub-docs rate-limits.md).
        return {
            "RateLimit": f'"api";r={self.remaining};t={self.reset_in}',
            "RateLimit-Policy": f'"fixed window";"api";q={self.quota};w={self.window}',
        }


class _RateLimiter:
    """Fixed windows aligned on the clock (window n covers [n*w, (n+1)*w)), one count per caller.

    Every request counts, refused ones included; a caller is a valid token or "anonymous" (the Hub counts anonymous
    calls per IP, and there is one IP here). Not thread-safe: the hub's lock guards it.
    """

    def __init__(self, quota: int, token_quota: int, window: int, clock: Callable[[], float]) -> None:
        self.quota, self.token_quota, self.window, self.clock = quota, token_quota, window, clock
        self._used: dict[str | None, tuple[int, int]] = {}  # caller → (window number, requests in it)

    def take(self, caller: str | None, requests: int = 1) -> _Allowance:
        now = self.clock()
        number = math.floor(now / self.window)
        counted_in, used = self._used.get(caller, (number, 0))
        used = (used if counted_in == number else 0) + requests
        self._used[caller] = (number, used)
        quota = self.quota if caller is None else self.token_quota
        # The header's t must be a whole number of seconds, and never 0 while the window is still open.
        reset_in = max(1, math.ceil((number + 1) * self.window - now))
        return _Allowance(quota, max(0, quota - used), reset_in, self.window, refused=used > quota)


# --- Server -----------------------------------------------------------------------------------------------------------


class _BadRequest(Exception):
    """A request the Hub refuses with 400; carries the Hub's message."""


class FakeHub(FakeServer):
    """A threaded HTTP server speaking the parts of the Hub API that the sync uses. Use as a context manager.

    ``tokens`` are the valid ones; ``quota`` / ``token_quota`` are the requests an anonymous caller / each token may
    make per ``window`` seconds of ``clock``. ``log``, if given, receives one line per request.
    """

    thread_name = "fakehub"

    def __init__(
        self,
        models: Iterable[dict] = (),
        *,
        page_size: int = 100,
        tokens: Iterable[str] = (),
        quota: int = 500,
        token_quota: int = 1000,
        window: int = 300,
        clock: Callable[[], float] = time.monotonic,
        host: str = "127.0.0.1",
        port: int = 0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(host=host, port=port, log=log)
        self.page_size = page_size
        self.tokens: set[str] = set(tokens)
        self._models: dict[str, dict] = {}  # keyed by lower-cased repo id: the Hub's lookup ignores case
        self._renamed: dict[str, str] = {}  # lower-cased old id → the id it was renamed to
        self._scripts: dict[str, list[Scripted]] = {}
        self._limiter = _RateLimiter(quota, token_quota, window, clock)
        self.add(*models)

    # Content

    def add(self, *models: dict) -> None:
        """Store models (full JSON, as hub_model() builds); one with the id of a stored model replaces it.

        A model without ``_id`` gets one: every repo on the Hub has it, and the listing's order and cursor rely on it.
        """
        with self._lock:
            for model in models:
                stored = copy.deepcopy(model)
                stored.setdefault("_id", object_id(stored["id"]))
                self._models[stored["id"].lower()] = stored

    def remove(self, repo_id: str) -> None:
        with self._lock:
            removed = self._models.pop(repo_id.lower())
            # Its old names go with it: they would redirect to nothing.
            self._renamed = {old: new for old, new in self._renamed.items() if new.lower() != removed["id"].lower()}

    def update(self, repo_id: str, **fields: Any) -> None:
        """Change top-level keys of a stored model (e.g. ``downloads=10``; ``None`` makes a property absent)."""
        with self._lock:
            self._models[repo_id.lower()].update(copy.deepcopy(fields))

    def rename(self, old_id: str, new_id: str) -> None:
        """Rename a repo as the Hub does: same ``_id``, new ``id`` (and ``author`` if the owner changes); the old id,
        in any case, then answers 307 to the new one, and listings show only the new id."""
        with self._lock:
            if new_id.lower() in self._models and new_id.lower() != old_id.lower():
                raise ValueError(f"{new_id} already exists")
            model = self._models.pop(old_id.lower())
            old_owner, new_owner = model["id"].rpartition("/")[0], new_id.rpartition("/")[0]
            model["id"] = new_id
            if new_owner.lower() != old_owner.lower():
                model["author"] = new_owner or None
            self._models[new_id.lower()] = model
            # Earlier names follow to the newest, so a twice-renamed repo is one redirect away, not two.
            self._renamed = {
                old: (new_id if new.lower() == old_id.lower() else new) for old, new in self._renamed.items()
            }
            self._renamed[old_id.lower()] = new_id
            self._renamed.pop(new_id.lower(), None)

    def script(self, key: str, *responses: Scripted) -> None:
        """Queue responses served in order, one per GET, before normal answers resume.

        ``key`` is a repo id for ``GET /api/models/{repo_id}``, ``"list:<author>"`` for every page of that author's
        listing (``"list:"`` without an author), ``"user:<name>"`` for the user overview, or ``"resolve:<repo_id>"``
        for its files (``GET /{repo_id}/resolve/...``). Scripted answers come
        before every rule (quota, auth), but still count against the quota and carry its headers.
        """
        with self._lock:
            self._scripts.setdefault(key.lower(), []).extend(responses)

    def use_quota(self, requests: int, token: str | None = None) -> None:
        """Count ``requests`` against a caller's current window (anonymous, or ``token``) as if they had been made:
        a test can start near the limit without sending hundreds of requests."""
        with self._lock:
            self._limiter.take(token if token in self.tokens else None, requests)

    # Inspection

    def count(self, path_prefix: str = "/api/") -> int:
        with self._lock:
            return sum(1 for request in self.requests if request.path.startswith(path_prefix))

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # Used by the handler threads; everything shared goes through the lock.

    def _respond(self, request: Request, base_url: str) -> Response:
        """The whole answer to one request, rate-limit headers included."""
        caller, credentials_ok = self._caller(request)
        with self._lock:
            self.requests.append(request)
            allowance = self._limiter.take(caller)
            scripted = None
            if request.method == "GET":
                queue = self._scripts.get(_script_key(request.path, request.query).lower())
                scripted = queue.pop(0) if queue else None
        if scripted is not None and scripted.delay:
            self._sleep(scripted.delay)
        if scripted is not None and scripted.status is not None:
            response = Response(scripted.status, scripted.body, dict(scripted.headers), scripted.content_length)
        elif allowance.refused:
            response = _error_response(429, TOO_MANY_REQUESTS)
        elif not credentials_ok:
            # Checked before the path: the Hub refuses a bad token on every endpoint, even one that needs none.
            response = _error_response(401, INVALID_TOKEN, **{"X-Error-Message": INVALID_TOKEN})
        elif request.method != "GET" and not (request.method == "HEAD" and _resolve_parts(request.path)):
            response = _error_response(405, "Method not allowed")
        else:
            try:
                response = self._route(request, authenticated=caller is not None, base_url=base_url)
            except _BadRequest as refused:
                response = _error_response(400, str(refused))
        response.headers = {**allowance.headers(), **response.headers}
        if self.log is not None:
            query = urlencode(request.query, doseq=True)
            self.log(f"{request.method} {request.path}{'?' + query if query else ''} → {response.status}")
        return response

    def _crashed(self, error: Exception) -> Response:
        return _error_response(500, f"fake Hub crashed: {type(error).__name__}: {error}")

    def _caller(self, request: Request) -> tuple[str | None, bool]:
        """(the valid token or None for anonymous, whether the credentials, if any, are valid)."""
        header = request.headers.get("authorization")
        if header is None:
            return None, True
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token in self.tokens:
            return token, True
        return None, False  # counted as anonymous

    def _route(self, request: Request, *, authenticated: bool, base_url: str) -> Response:
        path = request.path
        if path == "/api/models":
            return self._listing(request, authenticated=authenticated, base_url=base_url)
        if path.startswith("/api/models/"):
            parts = path.removeprefix("/api/models/").split("/")
            # owner/name or a legacy owner-less name, optionally /revision/<rev> (a rev may hold a %2F-encoded slash).
            for size in (2, 1):
                if len(parts) == size or (len(parts) > size + 1 and parts[size] == "revision"):
                    repo_id, suffix = "/".join(parts[:size]), "".join(f"/{part}" for part in parts[size:])
                    return self._model_info(request, repo_id, suffix, authenticated=authenticated, base_url=base_url)
            return _error_response(404, "Not Found")
        parts = path.split("/")
        if len(parts) == 5 and parts[:3] == ["", "api", "users"] and parts[4] == "overview":
            _check_params(request.query, frozenset())
            return _json(200, self._overview(parts[3]))
        file = _resolve_parts(path)
        if file is not None:
            return self._readme(*file, authenticated=authenticated, base_url=base_url)
        return _error_response(404, "Not Found")

    def _readme(self, repo_id: str, revision: str, *, authenticated: bool, base_url: str) -> Response:
        """README.md as ``/resolve/`` serves it: raw text, with the repo's auth rules (a gated repo's card is public,
        as its page shows it), 404 ``RevisionNotFound`` for a revision other than ``main`` or the repo's sha."""
        with self._lock:
            model = copy.deepcopy(self._models.get(repo_id.lower()))
            new_id = self._renamed.get(repo_id.lower()) if model is None else None
            target = copy.deepcopy(self._models.get(new_id.lower())) if new_id else None
        if target is not None and _visible(target, authenticated):
            location = f"{base_url}/{quote(target['id'], safe='/')}/resolve/{quote(revision, safe='')}/README.md"
            return Response(307, f"Temporary Redirect. Redirecting to {location}".encode(), {"Location": location})
        if model is None or not _visible(model, authenticated):
            if authenticated:
                return _error_response(
                    404, REPO_NOT_FOUND, **{"X-Error-Code": "RepoNotFound", "X-Error-Message": REPO_NOT_FOUND}
                )
            return _error_response(401, ANONYMOUS_DENIED, **{"X-Error-Message": ANONYMOUS_DENIED})
        if model.get("disabled"):
            return _error_response(403, REPO_DISABLED, **{"X-Error-Message": REPO_DISABLED})
        sha = str(model.get("sha") or "")
        if revision not in ("main", sha):
            message = f"Invalid rev id: {revision}"
            return _error_response(404, message, **{"X-Error-Code": "RevisionNotFound", "X-Error-Message": message})
        readme = model.get("readme")
        if not isinstance(readme, str):
            message = "Entry not found"
            return _error_response(404, message, **{"X-Error-Code": "EntryNotFound", "X-Error-Message": message})
        body = readme.encode()
        headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "ETag": f'"{hashlib.sha1(body, usedforsecurity=False).hexdigest()}"',
            "X-Repo-Commit": sha,
        }
        return Response(200, body, headers)

    def _model_info(
        self, request: Request, repo_id: str, suffix: str, *, authenticated: bool, base_url: str
    ) -> Response:
        query = request.query
        # The query is validated before the repo is looked up, as the Hub's schema validation runs first.
        _check_params(query, MODEL_INFO_PARAMS)
        expand = query.get("expand", [])
        for index, value in enumerate(expand):
            if value not in MODEL_INFO_EXPAND:
                raise _BadRequest(f'"expand[{index}]" must be one of [{", ".join(MODEL_INFO_EXPAND)}]')
        security_status, blobs = _flag(query, "securityStatus"), _flag(query, "blobs")
        if expand and (security_status or blobs):
            raise _BadRequest('"expand" cannot be used with "securityStatus" or "blobs"')

        with self._lock:
            model = copy.deepcopy(self._models.get(repo_id.lower()))
            new_id = self._renamed.get(repo_id.lower()) if model is None else None
            target = copy.deepcopy(self._models.get(new_id.lower())) if new_id else None
        if target is not None and _visible(target, authenticated):
            location = f"{base_url}/api/models/{quote(target['id'], safe='/')}{quote(suffix, safe='/')}"
            if query:
                location += "?" + urlencode(query, doseq=True)
            # Express's redirect body; the client follows Location and never reads it.
            body = f"Temporary Redirect. Redirecting to {location}".encode()
            return Response(307, body, {"Location": location, "Content-Type": "text/plain; charset=utf-8"})
        if model is None or not _visible(model, authenticated):
            if authenticated:
                return _error_response(
                    404, REPO_NOT_FOUND, **{"X-Error-Code": "RepoNotFound", "X-Error-Message": REPO_NOT_FOUND}
                )
            return _error_response(401, ANONYMOUS_DENIED, **{"X-Error-Message": ANONYMOUS_DENIED})
        if model.get("disabled"):
            return _error_response(403, REPO_DISABLED, **{"X-Error-Message": REPO_DISABLED})
        answer = _expanded(model, expand) if expand else _model_info_view(model)
        if security_status:
            # A clean scan; the shape huggingface_hub keeps as ModelInfo.security_repo_status.
            answer["securityRepoStatus"] = {"scansDone": True, "filesWithIssues": []}
        return _json(200, answer)

    def _listing(self, request: Request, *, authenticated: bool, base_url: str) -> Response:
        query = request.query
        _check_params(query, LIST_PARAMS)
        expand = query.get("expand", [])
        for value in expand:
            if value not in LIST_EXPAND:
                raise _BadRequest(f"Invalid expand value: {value}")
        full, card_data, config = _flag(query, "full"), _flag(query, "cardData"), _flag(query, "config")
        if expand and (full or card_data or config):
            raise _BadRequest("expand cannot be used with full, cardData or config")
        gated_filter = _flag(query, "gated") if "gated" in query else None
        sort = _first(query, "sort")
        if sort is not None and sort not in LIST_SORTS:
            raise _BadRequest(f'"sort" must be one of [{", ".join(LIST_SORTS)}]')
        direction = _first(query, "direction") or "-1"
        if direction not in ("-1", "1"):
            raise _BadRequest('"direction" must be one of [-1, 1]')
        limit = _first(query, "limit")
        if limit is not None and not (limit.isdigit() and int(limit) >= 1):
            raise _BadRequest('"limit" must be a positive integer')
        size = min(self.page_size, MAX_LIMIT, int(limit) if limit else MAX_LIMIT)
        # The Hub lists by _id (creation order) unless sorted; a sort is descending unless direction=1.
        descending = sort is not None and direction == "-1"
        after = _decode_cursor(_first(query, "cursor"), sort)

        with self._lock:
            models = [copy.deepcopy(m) for m in self._models.values()]
        models = [m for m in models if _visible(m, authenticated) and not m.get("disabled")]
        models = [m for m in models if _matches(m, query, gated_filter)]
        models.sort(key=lambda m: _sort_key(m, sort), reverse=descending)
        if after is not None:
            models = [m for m in models if (_sort_key(m, sort) < after if descending else _sort_key(m, sort) > after)]
        page = models[:size]

        headers = {}
        if len(models) > size:
            # huggingface_hub follows rel="next" as is, so it must be absolute and carry every original parameter.
            cursor = _encode_cursor(page[-1], sort, descending)
            params = {k: v for k, v in query.items() if k != "cursor"} | {"cursor": [cursor]}
            headers["Link"] = f'<{base_url}/api/models?{urlencode(params, doseq=True)}>; rel="next"'
        if expand:
            items = [_expanded(m, expand) for m in page]
        else:
            keys = [*(LIST_FULL_VIEW if full else LIST_VIEW), *(["cardData"] if card_data else [])]
            items = [_pick(m, [*keys, *(["config"] if config else [])]) for m in page]
        return _json(200, items, headers)

    def _overview(self, user: str) -> dict[str, Any]:
        # Any user name answers (the fake knows users only through their models); numModels counts what anyone sees.
        with self._lock:
            public = [m for m in self._models.values() if _owner(m).lower() == user.lower() and _visible(m, False)]
        return {
            "_id": _hex(f"user:{user}", 24),
            "avatarUrl": f"/avatars/{_hex(f'avatar:{user}', 32)}.svg",
            "isPro": False,
            "fullname": user,
            "user": user,
            "type": "user",
            "createdAt": "2023-03-01T10:00:00.000Z",
            "isFollowing": False,
            "numModels": sum(1 for m in public if not m.get("disabled")),
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


def _script_key(path: str, query: Mapping[str, list[str]]) -> str:
    if path == "/api/models":
        return "list:" + query.get("author", [""])[0]
    if path.startswith("/api/users/"):
        return "user:" + path.split("/")[3]
    file = _resolve_parts(path)
    if file is not None:
        return "resolve:" + file[0]
    return path.removeprefix("/api/models/").partition("/revision/")[0]


def _resolve_parts(path: str) -> tuple[str, str] | None:
    """(repo id, revision) of ``/{owner}/{name}/resolve/{revision}/README.md``; a revision may hold a %2F slash."""
    parts = path.split("/")
    if len(parts) >= 6 and parts[1] != "api" and parts[3] == "resolve" and parts[-1] == "README.md":
        return "/".join(parts[1:3]), "/".join(parts[4:-1])
    return None


def _owner(model: Mapping[str, Any]) -> str:
    # str(): tests store hostile values too, and the fake must still answer rather than crash on them.
    return str(model.get("author") or model["id"].rpartition("/")[0])


def _visible(model: Mapping[str, Any], authenticated: bool) -> bool:
    # Any valid token sees every private model: the fake has no notion of who owns what.
    return authenticated or not model.get("private")


def _check_params(query: Mapping[str, list[str]], accepted: frozenset[str]) -> None:
    for name in query:
        if name not in accepted:
            # The wording of Joi, the validator behind the Hub's '"expand[0]" must be one of [...]'.
            raise _BadRequest(f'"{name}" is not allowed')


def _first(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _flag(query: Mapping[str, list[str]], name: str) -> bool:
    # httpx sends Python's True as "true"; Joi's booleans accept only true/false.
    value = _first(query, name)
    if value is None:
        return False
    if value.lower() not in ("true", "false"):
        raise _BadRequest(f'"{name}" must be a boolean')
    return value.lower() == "true"


def _matches(model: Mapping[str, Any], query: Mapping[str, list[str]], gated: bool | None) -> bool:
    """The listing's filters. apps, inference, inference_provider and num_parameters are accepted but not applied:
    the fake has no providers or parameter counts to filter on."""
    tags = {tag.lower() for tag in model.get("tags") or [] if isinstance(tag, str)}
    author, search, pipeline = _first(query, "author"), _first(query, "search"), _first(query, "pipeline_tag")
    if author is not None and _owner(model).lower() != author.lower():
        return False
    if search is not None and search.lower() not in model["id"].lower():
        return False
    if pipeline is not None and model.get("pipeline_tag") != pipeline:
        return False
    if gated is not None and bool(model.get("gated")) != gated:
        return False
    # filter, library and language all match tags (the Hub tags a model with its library and languages); all must.
    wanted = [*query.get("filter", []), *query.get("library", []), *query.get("language", [])]
    return all(value.lower() in tags for value in wanted)


def _pick(model: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    # A property set to None counts as absent, so an override of None removes it from every answer.
    derived = {**model, "modelId": model["id"]}
    return {key: derived[key] for key in keys if derived.get(key) is not None}


def _expanded(model: Mapping[str, Any], expand: Sequence[str]) -> dict[str, Any]:
    # With ?expand=..., the Hub returns only _id, id and the asked-for properties the model has.
    return _pick(model, list(dict.fromkeys(["_id", "id", *expand])))


def _model_info_view(model: Mapping[str, Any]) -> dict[str, Any]:
    # `model-index` is the one key the real answer keeps as null rather than leaving out (models/*.full.json).
    derived = {**model, "modelId": model["id"]}
    return {key: derived.get(key) for key in MODEL_INFO_VIEW if derived.get(key) is not None or key == "model-index"}


def _sort_key(model: Mapping[str, Any], sort: str | None) -> tuple[Any, ...]:
    # Ties, and the default order, go by _id. A missing value sorts below every present one; the type name keeps a
    # hostile value (likes="many") comparable with numbers instead of crashing the sort.
    if sort is None:
        return (str(model["_id"]),)
    return _seek_key(model.get(sort), model["_id"])


def _seek_key(value: Any, object_id: Any) -> tuple[Any, ...]:
    if isinstance(value, float) and math.isnan(value):
        value = None  # NaN compares false with everything; the answer shows it as null anyway
    return (value is not None, type(value).__name__, value if value is not None else 0, str(object_id))


def _encode_cursor(last: Mapping[str, Any], sort: str | None, descending: bool) -> str:
    # Shaped like the Hub's: base64 of the MongoDB condition "after the last item of this page" (a seek, not an
    # offset, so a model added or removed between pages neither repeats nor skips one). Tests must treat it as opaque.
    op = "$lt" if descending else "$gt"
    if sort is None:
        condition: dict[str, Any] = {"$or": [{"_id": {op: last["_id"]}}]}
    else:
        value = last.get(sort)
        condition = {"$or": [{sort: {op: value}}, {sort: value, "_id": {op: last["_id"]}}]}
    return base64.b64encode(json.dumps(_finite(condition), separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str | None, sort: str | None) -> tuple[Any, ...] | None:
    if cursor is None:
        return None
    try:
        clauses = json.loads(base64.b64decode(cursor.encode(), validate=True))["$or"]
        if sort is None:
            (op,) = clauses[0]["_id"]
            return (str(clauses[0]["_id"][op]),)
        (op,) = clauses[1]["_id"]
        return _seek_key(clauses[1][sort], clauses[1]["_id"][op])
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error) as error:
        # Also a cursor made for another sort: its condition names another key.
        raise _BadRequest("Invalid cursor") from error


def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, _json_bytes(data), headers or {})


def _error_response(status: int, message: str, **headers: str) -> Response:
    return _json(status, {"error": message}, headers)


# --- By hand ----------------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Serve seed_models() until Ctrl-C, so the site's sync can be tried against something Hub-shaped offline."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakehub", description="A fake Hugging Face Hub serving the dragonkue seed models."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=8765, help="port to listen on, 0 for any free one (default: %(default)s)"
    )
    parser.add_argument("--page-size", type=int, default=100, help="models per listing page (default: %(default)s)")
    parser.add_argument("--token", action="append", default=[], help="a token to accept (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="do not print a line per request")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    hub = FakeHub(
        seed_models(),
        page_size=args.page_size,
        tokens=args.token,
        host=args.host,
        port=args.port,
        log=None if args.quiet else log,
    )

    def banner(url: str) -> str:
        return f"Fake Hub on {url} — try: HF_ENDPOINT={url} .venv/bin/python manage.py sync_hub --discover"

    return serve_until_interrupted(hub, parser, banner)


if __name__ == "__main__":
    sys.exit(main())
