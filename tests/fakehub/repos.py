"""The rules every kind of repo shares on the Hub's API, written once: what a kind is (``RepoKind``), how its detail
and listing endpoints check the query, which view they answer, and how a listing filters, sorts and pages.

A kind module (models.py, datasets.py, spaces.py) only says what differs: its expand values, parameters, views and
filters. The server (server.py) applies auth, quotas, renames and scripts the same way to all of them.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.fakehub.common import (
    BadRequest,
    check_params,
    finite,
    first,
    flag,
    json_bytes,
    object_id,
    stable_hex,
    str_tags,
)
from tests.fakeserver import Response

Query = Mapping[str, list[str]]
Repo = Mapping[str, Any]

MAX_LIMIT = 1000  # one page's cap whatever `limit` asks for (the Hub's exact cap is not documented)


# What every listing accepts: the parameters huggingface_hub's list_models / list_datasets / list_spaces and its
# paginate() send for all three, plus hub-docs' `direction`; and the sorts all three offer (models and datasets add
# downloads). What every detail accepts: expand, and blobs (files_metadata=True).
LISTING_PARAMS = frozenset({"author", "search", "filter", "sort", "direction", "limit", "cursor", "full", "expand"})
DETAIL_PARAMS = frozenset({"expand", "blobs"})
SORTS = ("createdAt", "lastModified", "likes", "trendingScore")
# The identity and state every repo's full answer starts with (models order theirs otherwise).
STATE = ("_id", "id", "author", "sha", "lastModified", "private", "gated", "disabled")


def _always(repo: Repo, query: Query) -> bool:
    return True


@dataclass(frozen=True)
class Detail:
    """``GET /api/{path}/{repo_id}``: the ``expand`` values and parameters it accepts (anything else is a 400), and the
    keys it answers without ``expand``. ``exclusive``: flags that cannot go with ``expand``; ``kept_null``: keys the
    plain answer keeps as null instead of leaving out; ``flag_keys``: what the query's flags add to the answer."""

    expand: tuple[str, ...]
    params: frozenset[str]
    view: tuple[str, ...]
    exclusive: tuple[str, ...] = ("blobs",)
    kept_null: frozenset[str] = frozenset()
    flag_keys: Callable[[Query], Mapping[str, Any]] | None = None

    def check(self, query: Query) -> list[str]:
        """The expand values of a valid query (empty: the plain view); a 400 otherwise.

        The query is validated before the repo is looked up, as the Hub's schema validation runs first.
        """
        check_params(query, self.params)
        expand = query.get("expand", [])
        for index, value in enumerate(expand):
            if value not in self.expand:
                raise BadRequest(f'"expand[{index}]" must be one of [{", ".join(self.expand)}]')
        if expand and any(flag(query, name) for name in self.exclusive):
            quoted = [f'"{name}"' for name in self.exclusive]
            raise BadRequest(f'"expand" cannot be used with {_either(quoted)}')
        return expand


@dataclass(frozen=True)
class Listing:
    """``GET /api/{path}``: the ``expand`` values, parameters and sorts it accepts, and the keys of its default and
    ``full=true`` views. ``exclusive``: flags that cannot go with ``expand``; ``flags``: flags that add one key to the
    default view (``cardData=true`` adds ``cardData``)."""

    expand: tuple[str, ...]
    params: frozenset[str]
    sorts: tuple[str, ...]
    view: tuple[str, ...]
    full_view: tuple[str, ...]
    exclusive: tuple[str, ...] = ("full",)
    flags: Mapping[str, str] = field(default_factory=dict)

    def check(self, query: Query) -> list[str]:
        check_params(query, self.params)
        expand = query.get("expand", [])
        for value in expand:
            if value not in self.expand:
                raise BadRequest(f"Invalid expand value: {value}")
        if expand and any(flag(query, name) for name in self.exclusive):
            raise BadRequest(f"expand cannot be used with {_either(self.exclusive)}")
        if "gated" in query:
            flag(query, "gated")
        sort = first(query, "sort")
        if sort is not None and sort not in self.sorts:
            raise BadRequest(f'"sort" must be one of [{", ".join(self.sorts)}]')
        if (first(query, "direction") or "-1") not in ("-1", "1"):
            raise BadRequest('"direction" must be one of [-1, 1]')
        limit = first(query, "limit")
        if limit is not None and not (limit.isdigit() and int(limit) >= 1):
            raise BadRequest('"limit" must be a positive integer')
        return expand

    def keys(self, query: Query) -> list[str]:
        """The keys of an answer without ``expand``."""
        keys = list(self.full_view if flag(query, "full") else self.view)
        return keys + [key for name, key in self.flags.items() if flag(query, name)]


@dataclass(frozen=True)
class RepoKind:
    """One kind of repo as the API serves it: its listing ``/api/{path}`` and its ``detail`` ``/api/{path}/{repo_id}``.

    ``matches``: the kind's own listing filters, beyond author, search, gated and ``filter`` (tags), which every
    listing has. ``aliases``: keys answered as a copy of another (``modelId`` is ``id``).
    """

    path: str
    detail: Detail
    listing: Listing
    matches: Callable[[Repo, Query], bool] = _always
    aliases: Mapping[str, str] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        """How the Hub's URLs prefix the kind's repo ids (``datasets/``, ``spaces/``; models, the default kind, have
        none); ``hub.script`` keys for one repo take the same prefix."""
        return "" if self.path == "models" else f"{self.path}/"

    @property
    def list_script_key(self) -> str:
        return "list:" if self.path == "models" else f"list-{self.path}:"

    def info_answer(self, repo: Repo, query: Query, expand: Sequence[str]) -> dict[str, Any]:
        if expand:
            answer = self.expanded(repo, expand)
        else:
            # A property set to None counts as absent, except the few the Hub keeps as null.
            derived, kept = self._derived(repo), self.detail.kept_null
            answer = {key: derived.get(key) for key in self.detail.view if derived.get(key) is not None or key in kept}
        if self.detail.flag_keys is not None:
            answer.update(self.detail.flag_keys(query))
        return answer

    def page(self, repos: list[dict[str, Any]], query: Query, *, page_size: int, base_url: str) -> Response:
        """One page of ``repos`` (those the caller may see) as the listing answers it, the next page in ``Link``."""
        expand = self.listing.check(query)
        sort, limit = first(query, "sort"), first(query, "limit")
        size = min(page_size, MAX_LIMIT, int(limit) if limit else MAX_LIMIT)
        # The Hub lists by _id (creation order) unless sorted; a sort is descending unless direction=1.
        descending = sort is not None and (first(query, "direction") or "-1") == "-1"
        after = _decode_cursor(first(query, "cursor"), sort)

        gated = flag(query, "gated") if "gated" in query else None
        found = [repo for repo in repos if _matches(repo, query, gated) and self.matches(repo, query)]
        found.sort(key=lambda repo: _sort_key(repo, sort), reverse=descending)
        if after is not None:
            found = [r for r in found if (_sort_key(r, sort) < after if descending else _sort_key(r, sort) > after)]
        page = found[:size]

        headers = {}
        if len(found) > size:
            # huggingface_hub follows rel="next" as is, so it must be absolute and carry every original parameter.
            cursor = _encode_cursor(page[-1], sort, descending)
            params = {k: v for k, v in query.items() if k != "cursor"} | {"cursor": [cursor]}
            headers["Link"] = f'<{base_url}/api/{self.path}?{urlencode(params, doseq=True)}>; rel="next"'
        if expand:
            items = [self.expanded(repo, expand) for repo in page]
        else:
            items = [self.pick(repo, self.listing.keys(query)) for repo in page]
        return Response(200, json_bytes(items), headers)

    # Views

    def pick(self, repo: Repo, keys: Sequence[str]) -> dict[str, Any]:
        # A property set to None counts as absent, so an override of None removes it from every answer.
        derived = self._derived(repo)
        return {key: derived[key] for key in keys if derived.get(key) is not None}

    def expanded(self, repo: Repo, expand: Sequence[str]) -> dict[str, Any]:
        # With ?expand=..., the Hub returns only _id, id and the asked-for properties the repo has.
        return self.pick(repo, list(dict.fromkeys(["_id", "id", *expand])))

    def _derived(self, repo: Repo) -> dict[str, Any]:
        return {**repo, **{alias: repo.get(source) for alias, source in self.aliases.items()}}


def new_repo(
    repo_id: str,
    properties: Mapping[str, Any],
    overrides: Mapping[str, Any],
    *,
    prefix: str = "",
    created_at: str,
    last_modified: str,
) -> dict[str, Any]:
    """A repo of any kind as a builder makes it: the identity and state every repo has (its owner, a sha stable per
    id, its dates; public, not gated, not disabled), the kind's ``properties``, then the test's ``overrides``. Without
    an ``_id`` override, the ``_id`` follows ``createdAt``."""
    repo: dict[str, Any] = {
        "id": repo_id,
        "author": repo_id.rpartition("/")[0] or None,
        "sha": stable_hex(f"sha:{prefix}{repo_id}", 40),
        "lastModified": last_modified,
        "createdAt": created_at,
        "private": False,
        "gated": False,
        "disabled": False,
        **properties,
    }
    repo.update(overrides)
    repo.setdefault("_id", object_id(f"{prefix}{repo_id}", repo["createdAt"]))
    return repo


def _either(names: Any) -> str:
    # How the Hub's messages list alternatives: "a", "a or b", "a, b or c".
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


# --- Who sees what ----------------------------------------------------------------------------------------------------


def owner(repo: Repo) -> str:
    # str(): tests store hostile values too, and the fake must still answer rather than crash on them.
    return str(repo.get("author") or repo["id"].rpartition("/")[0])


def visible(repo: Repo, authenticated: bool) -> bool:
    # Any valid token sees every private repo: the fake has no notion of who owns what.
    return authenticated or not repo.get("private")


def _matches(repo: Repo, query: Query, gated: bool | None) -> bool:
    """What every listing filters on: author, search (each given string), gated, and ``filter`` values that must
    all be among the repo's tags. A kind's other filters are its ``matches``."""
    author = first(query, "author")
    if author is not None and owner(repo).lower() != author.lower():
        return False
    if not all(term.lower() in repo["id"].lower() for term in query.get("search", [])):
        return False
    if gated is not None and bool(repo.get("gated")) != gated:
        return False
    tags = str_tags(repo)
    return all(value.lower() in tags for value in query.get("filter", []))


# --- Order and cursor -------------------------------------------------------------------------------------------------


def _sort_key(repo: Repo, sort: str | None) -> tuple[Any, ...]:
    # Ties, and the default order, go by _id. A missing value sorts below every present one; the type name keeps a
    # hostile value (likes="many") comparable with numbers instead of crashing the sort.
    if sort is None:
        return (str(repo["_id"]),)
    return _seek_key(repo.get(sort), repo["_id"])


def _seek_key(value: Any, object_id: Any) -> tuple[Any, ...]:
    if isinstance(value, float) and math.isnan(value):
        value = None  # NaN compares false with everything; the answer shows it as null anyway
    return (value is not None, type(value).__name__, value if value is not None else 0, str(object_id))


def _encode_cursor(last: Repo, sort: str | None, descending: bool) -> str:
    # Shaped like the Hub's: base64 of the MongoDB condition "after the last item of this page" (a seek, not an
    # offset, so a repo added or removed between pages neither repeats nor skips one). Tests must treat it as opaque.
    op = "$lt" if descending else "$gt"
    if sort is None:
        condition: dict[str, Any] = {"$or": [{"_id": {op: last["_id"]}}]}
    else:
        value = last.get(sort)
        condition = {"$or": [{sort: {op: value}}, {sort: value, "_id": {op: last["_id"]}}]}
    return base64.b64encode(json.dumps(finite(condition), separators=(",", ":")).encode()).decode()


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
        raise BadRequest("Invalid cursor") from error
