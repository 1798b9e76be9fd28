"""The rendered public pages, cached in the shared cache and dropped on any content change.

A page is stored under the current *content version*, a value in the shared
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
  `content_changed()` itself when it changed anything (models_showcase/hub.py).
"""

import hashlib
import time
import uuid
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils.http import http_date

VERSION_KEY = "content-version"


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


def _new_version() -> None:
    cache.set(VERSION_KEY, (uuid.uuid4().hex, time.time()), timeout=None)


def cached_page(view):
    """Serve the view's rendered page from the shared cache, with ETag and Last-Modified.

    Public pages only: the same HTML for every visitor. The cache key is the path
    without its query string, so visitors cannot fill the cache with variants.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if settings.PAGE_CACHE_SECONDS <= 0 or request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        version, changed_at = content_version()
        key = f"page:{version}:{hashlib.sha256(request.path.encode()).hexdigest()}"
        entry = cache.get(key)
        if entry is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming:
                return response
            entry = {
                "body": response.content,
                "content_type": response["Content-Type"],
                "etag": f'"{hashlib.sha256(response.content).hexdigest()[:32]}"',
            }
            cache.set(key, entry, timeout=settings.PAGE_CACHE_SECONDS)
        response = HttpResponse(entry["body"], content_type=entry["content_type"])
        response["ETag"] = entry["etag"]
        response["Last-Modified"] = http_date(changed_at)
        # Browsers and proxies may keep it, but must ask again (a 304 when unchanged).
        response["Cache-Control"] = "public, max-age=0, must-revalidate"
        return response

    return wrapper


def _on_change(sender, **kwargs):
    content_changed()


def connect_invalidation() -> None:
    from contributions.models import Contribution, ContributionGroup
    from models_showcase.models import Badge, ModelCard
    from portfolio.models import Profile, ProfileLink

    # Evaluation rows and snapshots are written only by sync_hub, which calls content_changed() once per run.
    for model in (Profile, ProfileLink, Badge, ModelCard, ContributionGroup, Contribution):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"page-cache-save-{model._meta.label}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"page-cache-delete-{model._meta.label}")
    m2m_changed.connect(_on_change, sender=ModelCard.badges.through, dispatch_uid="page-cache-card-badges")
