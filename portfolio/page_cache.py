"""The rendered public pages, cached in the shared cache and dropped on any content change.

PageCacheMiddleware keeps the pages of views marked with @cached_page. A page is
stored under the current *content version*, a value in the shared
cache that every change to content replaces. A request reads the version (one
cache read), then the page stored under it (one more). Changing the version
makes every stored page unreachable at once, in every worker and on every
machine sharing the cache, so the very next request renders fresh content; old
entries simply expire.

What changes content, and so calls `content_changed()`:
- any save or delete of a content model, and changes to a card's badges: the
  signal receivers at the bottom of this module, connected in PortfolioConfig.ready.
  Signals, because the admin writes through many paths (forms, list_editable,
  bulk delete, inlines, M2M) and a missed one would serve stale pages;
- `sync_hub`, which writes with queryset updates that send no signals: it calls
  `content_changed()` itself when it changed anything (models_showcase/hub/).

Staff see drafts at their real addresses (`shows_drafts`), so a page differs for them: a
request carrying the session of someone signed in is never answered from the cache, and
what is rendered for staff is never stored (and is sent `Cache-Control: private, no-store`).
Visitors send no session cookie, so for them nothing about sessions is read: a hit stays
two cache reads.

Nothing in a stored page comes from the request: absolute URLs are built from SITE_URL
(portfolio/templatetags/seo.py), so the first visitor after an edit cannot choose the
canonical URL everyone else gets. A hit still checks the Host header against ALLOWED_HOSTS
first (400, as Django answers), since the rest of the stack it skips would have.

The cache is a helper, not a dependency (portfolio/cache_backends.py answers a failing
cache like an empty one, so pages come from the database). An invalidation that could not
be written is remembered in this process, which then serves from the database and writes
it again with each request until it succeeds; other processes cannot know, so no entry
lives longer than PAGE_CACHE_SECONDS (minutes), which bounds how stale they can be.
"""

import gzip
import hashlib
import logging
import threading
import time
import uuid
from collections import OrderedDict
from functools import wraps
from importlib import import_module

import brotli
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

VERSION_KEY = "content-version"

logger = logging.getLogger("portfolio.cache")


def content_version() -> tuple[str, float]:
    """(opaque id, when it was set) of the current content."""
    version = cache.get(VERSION_KEY)
    if version is None:
        version = (uuid.uuid4().hex, time.time())
        # add(): if two requests get here together, both end up using the same version.
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY) or version
    return version


def content_changed() -> None:
    """Make every cached page stale: now, and again once the transaction commits.

    The second change matters: between the first and the commit, a request could
    read the new version but the old rows, and cache the old page under it.
    """
    _new_version()
    transaction.on_commit(_new_version)


class _PendingInvalidation:
    """Whether this process changed content and could not tell the cache (see the module's docstring)."""

    def __init__(self):
        self.pending = False

    def retry(self) -> bool:
        """Write the invalidation again; whether none is pending any more."""
        return _new_version()


_invalidation = _PendingInvalidation()


def _new_version() -> bool:
    """Write a new content version; whether it reached the cache. Never raises: a write
    (an admin save, a sync) must not fail because the cache did."""
    try:
        # The fail-soft backends answer False for a write that did not happen.
        written = cache.set(VERSION_KEY, (uuid.uuid4().hex, time.time()), timeout=None) is not False
    except Exception:  # a backend that is not fail-soft
        logger.exception("The page cache could not be invalidated.")
        written = False
    if written != (not _invalidation.pending):
        _invalidation.pending = not written
        if written:
            logger.warning("The page cache is invalidated again after an earlier failure.")
        else:
            logger.error("The page cache could not be invalidated: serving from the database until it can be.")
    return written


# Headers set further in (CSP, X-Frame-Options) that belong to the page and are replayed
# with it; SecurityMiddleware, above this one, adds its own on every response.
_KEPT_HEADERS = ("Content-Type", "Content-Security-Policy", "X-Frame-Options", "Content-Language")


def shows_drafts(request) -> bool:
    """Whether this page is for a signed-in staff member, who sees drafts as if they were published.

    Asked only when a session cookie came with the request: reading the session makes
    SessionMiddleware add `Vary: Cookie`, which would keep every visitor's page out of the cache.
    """
    if not hasattr(request, "_shows_drafts"):
        signed_in = settings.SESSION_COOKIE_NAME in request.COOKIES
        request._shows_drafts = signed_in and request.user.is_active and request.user.is_staff
    return request._shows_drafts


def cached_page(view):
    """Mark a view's page as the same for every visitor, so PageCacheMiddleware may keep it.

    A page rendered for staff (it may show drafts) is theirs alone: never stored, here or
    by a browser or proxy.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if shows_drafts(request):
            response["Cache-Control"] = "private, no-store"
        else:
            response.page_cacheable = True
        return response

    return wrapper


def _signed_in(request) -> bool:
    """Whether the request carries the session of someone signed in, who may be staff.

    Without a session cookie (every visitor: public pages never start a session) nothing is
    read. A cookie naming no signed-in session counts as none, so a made-up cookie cannot
    make the site render the page on every request.
    """
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return False
    return SESSION_KEY in import_module(settings.SESSION_ENGINE).SessionStore(session_key)


def _key(version: str, path: str) -> str:
    # The path without its query string: visitors cannot fill the cache with variants.
    return f"page:{version}:{hashlib.sha256(path.encode()).hexdigest()}"


class PageCacheMiddleware:
    """Serves cached pages before the rest of the stack runs (sessions, auth, CSRF, URL
    resolution, the view), which is what makes a cached page nearly as cheap as a static
    file. Placed right after WhiteNoise, below SecurityMiddleware.

    Each page is kept compressed as well (brotli and gzip, like WhiteNoise's static
    files), so a hit costs one small read and no compression; a page with a thousand
    cards is 1.8 MB of HTML and about a tenth of that on the wire.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.PAGE_CACHE_SECONDS <= 0 or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        # What CommonMiddleware would have done: a Host not in ALLOWED_HOSTS gets a 400, cached page or not.
        request.get_host()
        if _signed_in(request):
            return self.get_response(request)
        if _invalidation.pending and not _invalidation.retry():
            return self.get_response(request)  # the cache may hold pages older than the database
        version, changed_at = content_version()
        key = _key(version, request.path)
        encoding = _encoding(request.headers.get("Accept-Encoding", ""))
        entry = _recent.get(f"{key}:{encoding}", max_age=settings.PAGE_CACHE_SECONDS)
        if entry is None:
            entry = cache.get(f"{key}:{encoding}")
        if entry is None:
            page = cache.get(f"{key}:identity")
            if page is None:
                response = self.get_response(request)
                if not self._storable(response):
                    return response
                page = {
                    "body": response.content,
                    "headers": {name: response[name] for name in _KEPT_HEADERS if response.has_header(name)},
                    "etag": hashlib.sha256(response.content).hexdigest()[:32],
                    "stored_at": time.time(),
                }
                cache.set(f"{key}:identity", page, timeout=settings.PAGE_CACHE_SECONDS)
            entry = page if encoding == "identity" else {**page, "body": _compress(page["body"], encoding)}
            if encoding != "identity":
                cache.set(f"{key}:{encoding}", entry, timeout=settings.PAGE_CACHE_SECONDS)
        _recent.put(f"{key}:{encoding}", entry)
        return self._respond(request, entry, encoding, int(changed_at))

    @staticmethod
    def _respond(request, entry, encoding: str, last_modified: int):
        # One ETag per encoding: the bytes differ, and caches must not mix them.
        etag = f'"{entry["etag"]}"' if encoding == "identity" else f'"{entry["etag"]}-{encoding}"'
        response = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if response is None:
            response = HttpResponse(entry["body"])
            response["Content-Length"] = str(len(entry["body"]))
            if encoding != "identity":
                response["Content-Encoding"] = encoding
        for name, value in entry["headers"].items():
            response[name] = value
        response["ETag"] = etag
        response["Last-Modified"] = http_date(last_modified)
        response["Vary"] = "Accept-Encoding"
        # Browsers and proxies may keep it, but must ask again (a 304 when unchanged).
        response["Cache-Control"] = "public, max-age=0, must-revalidate"
        return response

    @staticmethod
    def _storable(response) -> bool:
        # Only what a view marked as public, complete, and not carrying anything per visitor.
        return (
            getattr(response, "page_cacheable", False)
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "Cookie" not in response.get("Vary", "")
            and not any(word in response.get("Cache-Control", "") for word in ("private", "no-store"))
            and not response.has_header("Content-Encoding")
        )


class _RecentPages:
    """This process's last few pages, by the same keys as the shared cache.

    Safe because a key holds the content version, which is still read from the shared
    cache on every request: after an edit no key here matches any more. It saves the
    second shared-cache read (and its unpickling) for the pages asked for most. An entry
    lives no longer here than in the shared cache (an edit that never reached it).
    """

    def __init__(self, size: int = 32):
        self.size = size
        self.entries: OrderedDict[str, dict] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, *, max_age: float) -> dict | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None and time.time() - entry.get("stored_at", 0) > max_age:
                del self.entries[key]
                entry = None
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: dict) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_recent = _RecentPages()


def _encoding(accept_encoding: str) -> str:
    """The encoding to answer with: br or gzip if the client accepts it (q > 0), else identity.

    `gzip;q=0` refuses gzip; `*` stands for every coding not named. Between the two, the
    higher q wins, brotli on a tie. Identity is always possible: the page is never refused.
    """
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        coding, *params = (item.strip() for item in part.split(";"))
        if not coding:
            continue
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0  # a q-value we cannot read is no consent
                if not 0 <= weight <= 1:  # also nan
                    weight = 0.0
        weights[coding.lower()] = weight
    default = weights.get("*", 0.0)
    best = max(("br", "gzip"), key=lambda coding: weights.get(coding, default))
    return best if weights.get(best, default) > 0 else "identity"


def _compress(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(body, quality=5)  # near gzip -9's size, at gzip's speed
    return gzip.compress(body, compresslevel=6, mtime=0)


def _on_change(sender, **kwargs):
    content_changed()


def connect_invalidation() -> None:
    from contributions.models import Contribution, ContributionGroup, GitHubRepository, PullRequest
    from models_showcase.models import Badge, DatasetCard, HubCard, ModelCard, SpaceCard
    from portfolio.models import Profile, ProfileLink

    # Evaluation rows and snapshots are written only by sync_hub, pull requests and repositories only by
    # sync_github: each calls content_changed() once per run. The admin may still delete the latter two.
    for model in (GitHubRepository, PullRequest):
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"page-cache-delete-{model._meta.label}")
    # A proxy's save sends its own class as the sender: each card kind is listed.
    cards = (HubCard, ModelCard, DatasetCard, SpaceCard)
    for model in (Profile, ProfileLink, Badge, *cards, ContributionGroup, Contribution):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"page-cache-save-{model._meta.label}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"page-cache-delete-{model._meta.label}")
    m2m_changed.connect(_on_change, sender=HubCard.badges.through, dispatch_uid="page-cache-card-badges")
