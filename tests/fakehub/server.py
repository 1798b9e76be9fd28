"""The fake Hub's server: one ``FakeHub`` answering every kind of repo and the paper API under the same rules.

What it enforces, for models, datasets and Spaces alike (the kind modules say what each endpoint accepts):

- Auth: an unknown token is a 401 on every path; a missing or private repo asked anonymously is a 401 ("Invalid
  username or password.", no X-Error-Code), with a valid token a 404 ``RepoNotFound``; gated repos answer 200 (gating
  guards files, not metadata); a disabled repo is a 403 and is left out of listings.
- Every response carries ``RateLimit`` / ``RateLimit-Policy``, counted per caller (a valid token, or anonymous) in
  fixed windows across every path, as the Hub counts all API calls in one window; a spent quota answers 429 until the
  window resets. ``paper_info`` sends no token, so papers always count as anonymous.
- A renamed repo answers 307 to its new id; listings page through an absolute ``Link`` header with an opaque cursor.
- ``GET /[datasets/|spaces/]{repo_id}/resolve/{revision}/README.md`` serves the stored ``readme`` (a key no API
  answer returns) under the same auth rules; a repo without one is a 404 ``EntryNotFound``.
- ``GET /api/papers/{arxiv_id}``: the stored paper with the repos whose ``arxiv:`` tags cite it; 404 otherwise.
- ``GET /api/users/{user}/overview``: the counts of what anyone can see of that author.
"""

from __future__ import annotations

import copy
import hashlib
import math
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from tests.fakehub.common import (
    INVALID_TOKEN,
    TOO_MANY_REQUESTS,
    BadRequest,
    anonymous_denied,
    check_params,
    error_response,
    json_response,
    object_id,
    repo_disabled,
    repo_not_found,
    stable_hex,
    str_tags,
)
from tests.fakehub.datasets import DATASETS
from tests.fakehub.models import MODELS
from tests.fakehub.papers import paper_answer, paper_not_found
from tests.fakehub.repos import RepoKind, owner, visible
from tests.fakehub.scripted import Scripted
from tests.fakehub.spaces import SPACES
from tests.fakeserver import FakeServer, Request, Response

KINDS: dict[str, RepoKind] = {kind.path: kind for kind in (MODELS, DATASETS, SPACES)}
PAPERS = "papers"

# --- Rate limits ------------------------------------------------------------------------------------------------------


class ManualClock:
    """A clock for ``FakeHub(clock=...)`` that moves only when told, so a test crosses a rate-limit window at once."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class _RateLimiter:
    """Fixed windows aligned on the clock (window n covers [n*w, (n+1)*w)), one count per caller.

    Every request counts, refused ones included; a caller is a valid token or "anonymous" (the Hub counts anonymous
    calls per IP, and there is one IP here). Not thread-safe: the hub's lock guards it.
    """

    def __init__(self, quota: int, token_quota: int, window: int, clock: Callable[[], float]) -> None:
        self.quota, self.token_quota, self.window, self.clock = quota, token_quota, window, clock
        self._used: dict[str | None, tuple[int, int]] = {}  # caller → (window number, requests in it)

    def take(self, caller: str | None, requests: int = 1) -> tuple[dict[str, str], bool]:
        """Count ``requests`` for ``caller``: (the rate-limit headers of the answer, whether it is refused)."""
        now = self.clock()
        number = math.floor(now / self.window)
        counted_in, used = self._used.get(caller, (number, 0))
        used = (used if counted_in == number else 0) + requests
        self._used[caller] = (number, used)
        quota = self.quota if caller is None else self.token_quota
        # The header's t must be a whole number of seconds, and never 0 while the window is still open.
        reset_in = max(1, math.ceil((number + 1) * self.window - now))
        # IETF draft-ietf-httpapi-ratelimit-headers-09, as the Hub sends it (hub-docs rate-limits.md).
        headers = {
            "RateLimit": f'"api";r={max(0, quota - used)};t={reset_in}',
            "RateLimit-Policy": f'"fixed window";"api";q={quota};w={self.window}',
        }
        return headers, used > quota


# --- Server -----------------------------------------------------------------------------------------------------------


class FakeHub(FakeServer):
    """A threaded HTTP server speaking the parts of the Hub API that the sync uses. Use as a context manager.

    ``models``, ``datasets``, ``spaces`` and ``papers`` are stored as the kind modules build them (``hub_model``,
    ``hub_dataset``, ``hub_space``, ``hub_paper``, or the seeds). ``tokens`` are the valid ones; ``quota`` /
    ``token_quota`` are the requests an anonymous caller / each token may make per ``window`` seconds of ``clock``,
    whatever they ask for. ``log``, if given, receives one line per request.
    """

    thread_name = "fakehub"

    def __init__(
        self,
        models: Iterable[dict] = (),
        *,
        datasets: Iterable[dict] = (),
        spaces: Iterable[dict] = (),
        papers: Iterable[dict] = (),
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
        # kind → lower-cased id → stored JSON (the Hub's lookup ignores case); papers beside the repo kinds.
        self._stored: dict[str, dict[str, dict]] = {kind: {} for kind in (*KINDS, PAPERS)}
        self._renamed: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}  # lower-cased old id → new id
        self._scripts: dict[str, list[Scripted]] = {}
        self._limiter = _RateLimiter(quota, token_quota, window, clock)
        for kind, items in (("models", models), ("datasets", datasets), ("spaces", spaces), (PAPERS, papers)):
            self.add(*items, kind=kind)

    # Content

    def add(self, *items: dict, kind: str = "models") -> None:
        """Store repos of ``kind`` ("models", "datasets", "spaces") or papers (``kind="papers"``); one with the id of a
        stored one replaces it. A repo without ``_id`` gets one: every repo on the Hub has it, and the listing's order
        and cursor rely on it."""
        with self._lock:
            store = self._stored[kind]
            for item in items:
                stored = copy.deepcopy(item)
                if kind in KINDS:
                    stored.setdefault("_id", object_id(f"{KINDS[kind].prefix}{stored['id']}"))
                store[stored["id"].lower()] = stored

    def remove(self, item_id: str, *, kind: str = "models") -> None:
        with self._lock:
            removed = self._stored[kind].pop(item_id.lower())
            if kind in KINDS:
                # Its old names go with it: they would redirect to nothing.
                renamed = self._renamed[kind]
                self._renamed[kind] = {old: new for old, new in renamed.items() if new.lower() != removed["id"].lower()}

    def update(self, item_id: str, *, kind: str = "models", **fields: Any) -> None:
        """Change top-level keys of a stored repo or paper (e.g. ``downloads=10``; ``None`` makes a property absent)."""
        with self._lock:
            self._stored[kind][item_id.lower()].update(copy.deepcopy(fields))

    def rename(self, old_id: str, new_id: str, *, kind: str = "models") -> None:
        """Rename a repo as the Hub does: same ``_id``, new ``id`` (and ``author`` if the owner changes); the old id,
        in any case, then answers 307 to the new one, and listings show only the new id."""
        if kind not in KINDS:
            raise ValueError(f"only repos are renamed, not {kind}")
        with self._lock:
            store = self._stored[kind]
            if new_id.lower() in store and new_id.lower() != old_id.lower():
                raise ValueError(f"{new_id} already exists")
            repo = store.pop(old_id.lower())
            old_owner, new_owner = repo["id"].rpartition("/")[0], new_id.rpartition("/")[0]
            repo["id"] = new_id
            if new_owner.lower() != old_owner.lower():
                repo["author"] = new_owner or None
            store[new_id.lower()] = repo
            # Earlier names follow to the newest, so a twice-renamed repo is one redirect away, not two.
            renamed = {
                old: (new_id if new.lower() == old_id.lower() else new) for old, new in self._renamed[kind].items()
            }
            renamed[old_id.lower()] = new_id
            renamed.pop(new_id.lower(), None)
            self._renamed[kind] = renamed

    def script(self, key: str, *responses: Scripted) -> None:
        """Queue responses served in order, one per GET, before normal answers resume.

        ``key`` names what is asked for: a model's id (``GET /api/models/{repo_id}``), ``"datasets/<repo_id>"`` or
        ``"spaces/<repo_id>"``; ``"list:<author>"``, ``"list-datasets:<author>"`` or ``"list-spaces:<author>"`` for
        every page of that author's listing (no author: the listing without one); ``"paper:<arxiv_id>"``;
        ``"user:<name>"`` for the user overview; ``"resolve:<repo_id>"`` (or ``"resolve:datasets/<repo_id>"``...) for a
        repo's files. Scripted answers come before every rule (quota, auth), but still count against the quota and
        carry its headers.
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
            limit_headers, refused = self._limiter.take(caller)
            scripted = None
            if request.method == "GET":
                queue = self._scripts.get(_script_key(request.path, request.query).lower())
                scripted = queue.pop(0) if queue else None
        if scripted is not None and scripted.delay:
            self._sleep(scripted.delay)
        if scripted is not None and scripted.status is not None:
            response = Response(scripted.status, scripted.body, dict(scripted.headers), scripted.content_length)
        elif refused:
            response = error_response(429, TOO_MANY_REQUESTS)
        elif not credentials_ok:
            # Checked before the path: the Hub refuses a bad token on every endpoint, even one that needs none.
            response = error_response(401, INVALID_TOKEN, **{"X-Error-Message": INVALID_TOKEN})
        elif request.method != "GET" and not (request.method == "HEAD" and _resolve_parts(request.path)):
            response = error_response(405, "Method not allowed")
        else:
            try:
                response = self._route(request, authenticated=caller is not None, base_url=base_url)
            except BadRequest as refused:
                response = error_response(400, str(refused))
        response.headers = {**limit_headers, **response.headers}
        if self.log is not None:
            query = urlencode(request.query, doseq=True)
            self.log(f"{request.method} {request.path}{'?' + query if query else ''} → {response.status}")
        return response

    def _crashed(self, error: Exception) -> Response:
        return error_response(500, f"fake Hub crashed: {type(error).__name__}: {error}")

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
        parts = request.path.split("/")
        section = parts[2] if len(parts) > 2 and parts[1] == "api" else None
        if section in KINDS and len(parts) == 3:
            return self._listing(KINDS[section], request, authenticated=authenticated, base_url=base_url)
        if section in KINDS:
            kind, rest = KINDS[section], parts[3:]
            # owner/name or a legacy owner-less name, optionally /revision/<rev> (a rev may hold a %2F-encoded slash).
            for size in (2, 1):
                if len(rest) == size or (len(rest) > size + 1 and rest[size] == "revision"):
                    repo_id, suffix = "/".join(rest[:size]), "".join(f"/{part}" for part in rest[size:])
                    return self._repo_info(
                        kind, request, repo_id, suffix, authenticated=authenticated, base_url=base_url
                    )
            return error_response(404, "Not Found")
        if section == PAPERS and len(parts) == 4:
            return self._paper(request, parts[3], authenticated=authenticated)
        if section == "users" and len(parts) == 5 and parts[4] == "overview":
            check_params(request.query, frozenset())
            return json_response(200, self._overview(parts[3]))
        file = _resolve_parts(request.path)
        if file is not None:
            return self._readme(*file, authenticated=authenticated, base_url=base_url)
        return error_response(404, "Not Found")

    def _lookup(
        self, kind: RepoKind, repo_id: str, *, authenticated: bool, location: Callable[[str], str]
    ) -> dict[str, Any] | Response:
        """The stored repo a caller may read, or the Hub's answer instead: 307 to ``location(new id)`` for a renamed
        repo, 401 / 404 for a missing or private one, 403 for a disabled one."""
        with self._lock:
            repo = copy.deepcopy(self._stored[kind.path].get(repo_id.lower()))
            new_id = self._renamed[kind.path].get(repo_id.lower()) if repo is None else None
            target = copy.deepcopy(self._stored[kind.path].get(new_id.lower())) if new_id else None
        if target is not None and visible(target, authenticated):
            to = location(target["id"])
            # Express's redirect body; the client follows Location and never reads it.
            body = f"Temporary Redirect. Redirecting to {to}".encode()
            return Response(307, body, {"Location": to, "Content-Type": "text/plain; charset=utf-8"})
        if repo is None or not visible(repo, authenticated):
            return repo_not_found() if authenticated else anonymous_denied()
        if repo.get("disabled"):
            return repo_disabled()
        return repo

    def _repo_info(
        self, kind: RepoKind, request: Request, repo_id: str, suffix: str, *, authenticated: bool, base_url: str
    ) -> Response:
        query = request.query
        expand = kind.detail.check(query)

        def location(new_id: str) -> str:
            to = f"{base_url}/api/{kind.path}/{quote(new_id, safe='/')}{quote(suffix, safe='/')}"
            return f"{to}?{urlencode(query, doseq=True)}" if query else to

        found = self._lookup(kind, repo_id, authenticated=authenticated, location=location)
        if isinstance(found, Response):
            return found
        return json_response(200, kind.info_answer(found, query, expand))

    def _listing(self, kind: RepoKind, request: Request, *, authenticated: bool, base_url: str) -> Response:
        with self._lock:
            repos = [copy.deepcopy(repo) for repo in self._stored[kind.path].values()]
        repos = [repo for repo in repos if visible(repo, authenticated) and not repo.get("disabled")]
        return kind.page(repos, request.query, page_size=self.page_size, base_url=base_url)

    def _readme(self, kind: RepoKind, repo_id: str, revision: str, *, authenticated: bool, base_url: str) -> Response:
        """README.md as ``/resolve/`` serves it: raw text, with the repo's auth rules (a gated repo's card is public,
        as its page shows it), 404 ``RevisionNotFound`` for a revision other than ``main`` or the repo's sha."""

        def location(new_id: str) -> str:
            return f"{base_url}/{kind.prefix}{quote(new_id, safe='/')}/resolve/{quote(revision, safe='')}/README.md"

        found = self._lookup(kind, repo_id, authenticated=authenticated, location=location)
        if isinstance(found, Response):
            return found
        sha = str(found.get("sha") or "")
        if revision not in ("main", sha):
            message = f"Invalid rev id: {revision}"
            return error_response(404, message, **{"X-Error-Code": "RevisionNotFound", "X-Error-Message": message})
        readme = found.get("readme")
        if not isinstance(readme, str):
            message = "Entry not found"
            return error_response(404, message, **{"X-Error-Code": "EntryNotFound", "X-Error-Message": message})
        body = readme.encode()
        headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "ETag": f'"{hashlib.sha1(body, usedforsecurity=False).hexdigest()}"',
            "X-Repo-Commit": sha,
        }
        return Response(200, body, headers)

    def _paper(self, request: Request, paper_id: str, *, authenticated: bool) -> Response:
        check_params(request.query, frozenset())  # paper_info sends no parameter
        with self._lock:
            paper = copy.deepcopy(self._stored[PAPERS].get(paper_id.lower()))
            tag = f"arxiv:{paper['id']}".lower() if paper is not None else ""
            # Only the citing repos are copied: a large store would otherwise make every paper request slow.
            repos = {
                path: [copy.deepcopy(repo) for repo in self._stored[path].values() if tag and tag in str_tags(repo)]
                for path in KINDS
            }
        if paper is None:
            return paper_not_found()
        linked = {}
        for path, kind in KINDS.items():
            citing = [repo for repo in repos[path] if visible(repo, authenticated) and not repo.get("disabled")]
            citing.sort(key=lambda repo: (-_number(repo.get("likes")), str(repo["_id"])))
            linked[path] = [kind.pick(repo, kind.listing.view) for repo in citing]
        return json_response(200, paper_answer(paper, linked))

    def _overview(self, user: str) -> dict[str, Any]:
        # Any user name answers (the fake knows users only through their repos); the counts are what anyone sees.
        with self._lock:
            counts = {
                path: sum(
                    1
                    for repo in self._stored[path].values()
                    if owner(repo).lower() == user.lower() and visible(repo, False) and not repo.get("disabled")
                )
                for path in KINDS
            }
            papers = sum(1 for paper in self._stored[PAPERS].values() if _claimed_by(paper, user))
        return {
            "_id": stable_hex(f"user:{user}", 24),
            "avatarUrl": f"/avatars/{stable_hex(f'avatar:{user}', 32)}.svg",
            "isPro": False,
            "fullname": user,
            "user": user,
            "type": "user",
            "createdAt": "2023-03-01T10:00:00.000Z",
            "isFollowing": False,
            "numModels": counts["models"],
            "numDatasets": counts["datasets"],
            "numSpaces": counts["spaces"],
            "numDiscussions": 0,
            "numPapers": papers,
            "numUpvotes": 0,
            "numLikes": 0,
            "numFollowers": 0,
            "numFollowing": 0,
            "orgs": [],
        }


def _script_key(path: str, query: Mapping[str, list[str]]) -> str:
    parts = path.split("/")
    section = parts[2] if len(parts) > 2 and parts[1] == "api" else None
    if section in KINDS and len(parts) == 3:
        return KINDS[section].list_script_key + query.get("author", [""])[0]
    if section in KINDS:
        return KINDS[section].prefix + "/".join(parts[3:]).partition("/revision/")[0]
    if section == PAPERS:
        return "paper:" + "/".join(parts[3:])
    if section == "users" and len(parts) > 3:
        return "user:" + parts[3]
    file = _resolve_parts(path)
    if file is not None:
        return f"resolve:{file[0].prefix}{file[1]}"
    return path


def _resolve_parts(path: str) -> tuple[RepoKind, str, str] | None:
    """(kind, repo id, revision) of ``/[datasets/|spaces/]{owner}/{name}/resolve/{revision}/README.md``; a revision
    may hold a %2F slash."""
    parts = path.split("/")
    kind = KINDS["models"]
    if len(parts) > 1 and parts[1] in ("datasets", "spaces"):
        kind, parts = KINDS[parts[1]], ["", *parts[2:]]
    if len(parts) >= 6 and parts[1] != "api" and parts[3] == "resolve" and parts[-1] == "README.md":
        return kind, "/".join(parts[1:3]), "/".join(parts[4:-1])
    return None


def _claimed_by(paper: Mapping[str, Any], user: str) -> bool:
    # A paper counts for a user who claimed authorship: an author whose `user` is that account.
    authors = paper.get("authors")
    return isinstance(authors, list) and any(
        isinstance(author, dict) and isinstance(author.get("user"), dict) and author["user"].get("user") == user
        for author in authors
    )


def _number(value: Any) -> float:
    # Stored values may be hostile (likes="many"); they sort as 0 rather than crashing the answer.
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
