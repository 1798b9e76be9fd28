"""One run of each sync at a time (sync_hub, sync_github), across processes and machines.

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


class LockHeld(Exception):
    pass


def _advisory_key(name: str) -> int:
    # pg advisory locks take a bigint; a stable hash of the name keeps them apart from other apps' locks.
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


@contextmanager
def sync_lock(name: str, *, connection=None, lock_file: Path | None = None) -> Iterator[None]:
    """Held for the whole run; LockHeld at once if `name` (the command's name) is already running."""
    connection = connection or default_connection
    if connection.vendor == "postgresql":
        key = _advisory_key(f"portfolio.{name}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if not cursor.fetchone()[0]:
                raise LockHeld(f"another {name} is running (PostgreSQL advisory lock held)")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return

    path = Path(lock_file or Path(settings.SYNC_LOCK_DIR) / f"{name}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(f"another {name} is running (lock file {path} is held)") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
