"""What every part of the fake Hub shares: the fixtures, stable ids, the Hub's JSON and error answers, query checks.

Nothing here knows a kind of repo; the kind modules (models.py, datasets.py, spaces.py, papers.py) and the server
build on it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from tests.fakeserver import Response

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hub"

# The Hub's own messages, which huggingface_hub compares to pick an exception.
INVALID_TOKEN = "Invalid credentials in Authorization header"
ANONYMOUS_DENIED = "Invalid username or password."
REPO_NOT_FOUND = "Repository not found"
REPO_DISABLED = "Access to this resource is disabled."
TOO_MANY_REQUESTS = "Too Many Requests"


def load_fixture(relative_path: str) -> Any:
    """The parsed JSON of a file under ``tests/fixtures/hub/``, e.g. ``"exchanges/any-rate-limited.429.json"``."""
    return json.loads((FIXTURES / relative_path).read_text(encoding="utf-8"))


def stable_hex(seed: str, length: int) -> str:
    # Derived from a seed so the same repo always gets the same ids across runs.
    return hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()[:length]


def object_id(seed: str, created_at: str = "2024-01-01T00:00:00.000Z") -> str:
    """A MongoDB-style ``_id`` as the Hub's: 8 hex digits of the creation time, then 16 derived from ``seed``.

    The time prefix matters: the Hub lists by ``_id`` when no sort is asked, i.e. in creation order.
    """
    seconds = int(datetime.fromisoformat(created_at.replace("Z", "+00:00")).timestamp())
    return f"{seconds:08x}{stable_hex(f'_id:{seed}', 16)}"


# --- Answers ----------------------------------------------------------------------------------------------------------


def json_bytes(data: Any) -> bytes:
    # ensure_ascii=False: the Hub sends raw UTF-8, not \uXXXX escapes. allow_nan=False after finite(): the Hub's
    # JSON.stringify turns NaN and infinities (a card's `.nan`) into null, and Python's json would write the invalid
    # token NaN, which only a lenient parser such as Python's own accepts.
    return json.dumps(finite(data), ensure_ascii=False, allow_nan=False).encode()


def finite(data: Any) -> Any:
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {key: finite(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [finite(value) for value in data]
    return data


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json_bytes(data), headers or {})


def error_response(status: int, message: str, **headers: str) -> Response:
    return json_response(status, {"error": message}, headers)


def repo_not_found() -> Response:
    """A valid token asking for a missing (or someone else's private) repo."""
    return error_response(404, REPO_NOT_FOUND, **{"X-Error-Code": "RepoNotFound", "X-Error-Message": REPO_NOT_FOUND})


def anonymous_denied() -> Response:
    """An anonymous caller asking for a missing or private repo: 401 without X-Error-Code."""
    return error_response(401, ANONYMOUS_DENIED, **{"X-Error-Message": ANONYMOUS_DENIED})


def repo_disabled() -> Response:
    return error_response(403, REPO_DISABLED, **{"X-Error-Message": REPO_DISABLED})


# --- Query validation -------------------------------------------------------------------------------------------------


class BadRequest(Exception):
    """A request the Hub refuses with 400; carries the Hub's message."""


def check_params(query: Mapping[str, list[str]], accepted: frozenset[str]) -> None:
    for name in query:
        if name not in accepted:
            # The wording of Joi, the validator behind the Hub's '"expand[0]" must be one of [...]'.
            raise BadRequest(f'"{name}" is not allowed')


def first(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def flag(query: Mapping[str, list[str]], name: str) -> bool:
    # httpx sends Python's True as "true"; Joi's booleans accept only true/false.
    value = first(query, name)
    if value is None:
        return False
    if value.lower() not in ("true", "false"):
        raise BadRequest(f'"{name}" must be a boolean')
    return value.lower() == "true"


def str_tags(repo: Mapping[str, Any]) -> set[str]:
    """A repo's tags, lower-cased; a hostile non-string tag is skipped rather than crashing a filter."""
    tags = repo.get("tags")
    return {tag.lower() for tag in tags if isinstance(tag, str)} if isinstance(tags, list) else set()


def card_readme(card: Mapping[str, Any] | None, body: str) -> str:
    """A README.md as the Hub keeps a card: YAML front matter (the metadata the API serves as ``cardData``), then the
    text. A repo without metadata has no front matter."""
    if not card:
        return body
    return f"---\n{yaml.safe_dump(dict(card), allow_unicode=True, sort_keys=False)}---\n\n{body}"


def hub_tags(card: Mapping[str, Any] | None, keys: Sequence[str]) -> list[str]:
    """The ``<key>:<value>`` tags the Hub derives from a card's metadata, in the order of ``keys``; a value may be a
    string or a list, as authors write it."""
    tags = []
    for key in keys:
        values = (card or {}).get(key)
        tags += [f"{key}:{value}" for value in ([values] if isinstance(values, str) else values or [])]
    return tags


def load_seed(folder: str) -> list[dict[str, Any]]:
    """The repos stored as ``tests/fixtures/hub/<folder>/*.json``, in the listing's order (by ``_id``).

    A file's ``readme_body`` (no API key: the text of its README.md after the front matter) becomes the repo's stored
    ``readme``, with the card as front matter; a file without one is a repo without README.
    """
    repos = []
    for path in (FIXTURES / folder).glob("*.json"):
        repo = load_fixture(f"{folder}/{path.name}")
        body = repo.pop("readme_body", None)
        repo["readme"] = card_readme(repo.get("cardData"), body) if body is not None else None
        repos.append(repo)
    return sorted(repos, key=lambda repo: repo["_id"])
