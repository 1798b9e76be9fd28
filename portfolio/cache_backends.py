"""Cache backends that treat a failing cache as an empty one.

The cache only ever holds copies (rendered pages, the site's language): the database
has everything. So a cache that is down, frozen, full or unwritable must cost speed,
never a page: every operation that fails answers like a miss (`get` the default, `add`
and `set` False, `get_many` nothing) and the caller goes to the database.

After a failure this process leaves the cache alone for `retry_after` seconds, then
tries again with the next operation: a dead Redis costs one connection attempt (at most
the client's socket timeout) every few seconds, not one per request, and the log gets
one line when the cache goes away and one when it is back, not one per request.

`set` here returns whether the value was written (Django's own backends return None):
portfolio/page_cache.py needs to know whether an invalidation reached the cache.
"""

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("portfolio.cache")

_MISSING = object()


class _Health:
    """Whether one cache (by location) answered last time in this process, shared by its threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down = False
        self.retry_at = 0.0

    def skip(self) -> bool:
        return self.down and time.monotonic() < self.retry_at

    def failed(self, error: Exception, retry_after: float) -> None:
        with self.lock:
            was_down, self.down = self.down, True
            self.retry_at = time.monotonic() + retry_after
        if not was_down:
            logger.error(
                "The cache is not answering (%s: %s): pages come from the database until it does.",
                type(error).__name__,
                error,
            )

    def answered(self) -> None:
        if self.down:
            with self.lock:
                was_down, self.down = self.down, False
            if was_down:
                logger.warning("The cache answers again.")


_health: dict[str, _Health] = {}
_health_lock = threading.Lock()


def health(location: str) -> _Health:
    with _health_lock:
        return _health.setdefault(location, _Health())


class FailSoftCache:
    """Mixin for a Django cache backend: see the module's docstring."""

    retry_after = 5.0  # seconds a failed cache is left alone

    def __init__(self, location, params):
        self._health = health(f"{type(self).__name__}:{location}")
        super().__init__(location, params)

    def _attempt(self, name: str, *args, **kwargs) -> Any:
        """super().<name>(...), or _MISSING if the cache failed (or is being left alone)."""
        state = self._health
        if state.skip():
            return _MISSING
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except Exception as error:  # any failure of a helper is a miss: redis errors, OSError, a corrupt entry
            state.failed(error, self.retry_after)
            return _MISSING
        state.answered()
        return result

    def get(self, key, default=None, version=None):
        result = self._attempt("get", key, default, version=version)
        return default if result is _MISSING else result

    def get_many(self, keys, version=None):
        result = self._attempt("get_many", keys, version=version)
        return {} if result is _MISSING else result

    def has_key(self, key, version=None):
        return self._attempt("has_key", key, version=version) is True

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        return self._attempt("set", key, value, timeout, version=version) is not _MISSING

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        return self._attempt("add", key, value, timeout, version=version) is True

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        result = self._attempt("set_many", data, timeout, version=version)
        return list(data) if result is _MISSING else result

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt("touch", key, timeout, version=version) is True

    def delete(self, key, version=None):
        return self._attempt("delete", key, version=version) is True

    def delete_many(self, keys, version=None):
        self._attempt("delete_many", keys, version=version)

    def clear(self):
        self._attempt("clear")


class FailSoftRedisCache(FailSoftCache, RedisCache):
    """Redis; give it short `socket_connect_timeout` / `socket_timeout` OPTIONS (settings.py does)."""


class FailSoftFileBasedCache(FailSoftCache, FileBasedCache):
    """Files in a directory, shared by the workers of one machine."""

    def _createdir(self):
        # Also called when the backend is made, on the first use in each thread: not there yet.
        try:
            super()._createdir()
        except OSError as error:
            self._health.failed(error, self.retry_after)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        # FileBasedCache.add calls self.set, which fails softly: ask the guarded steps in turn.
        if self.has_key(key, version=version):
            return False
        return self.set(key, value, timeout, version=version)
