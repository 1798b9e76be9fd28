"""One sync_hub at a time, across processes and machines.

On PostgreSQL an advisory lock: every machine that shares the database shares
the lock, and PostgreSQL releases it if the process dies. Elsewhere (SQLite, one
machine by nature) an exclusive lock on a file, which the OS releases likewise.
"""

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection as default_connection

LOCK_NAME = "portfolio.sync_hub"


class LockHeld(Exception):
    pass


def _advisory_key(name: str) -> int:
    # pg advisory locks take a bigint; a stable hash of the name keeps them apart from other apps' locks.
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


@contextmanager
def sync_lock(name: str = LOCK_NAME, *, connection=None, lock_file: Path | None = None) -> Iterator[None]:
    connection = connection or default_connection
    if connection.vendor == "postgresql":
        key = _advisory_key(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if not cursor.fetchone()[0]:
                raise LockHeld("another sync_hub is running (PostgreSQL advisory lock held)")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return

    path = Path(lock_file or settings.SYNC_LOCK_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(f"another sync_hub is running (lock file {path} is held)") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
