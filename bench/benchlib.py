"""What the benchmark scripts share: a throw-away database to sync into, the production settings they serve
the site with, a free port, and measuring Python's peak allocations.

The scripts run as `python bench/<script>.py`, so this folder is on their import path.
"""

import os
import secrets
import socket
import sys
import tempfile
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_in_throwaway_dir(prefix: str) -> Path:
    """Set Django up in this process on a new temporary folder, migrated; return the folder.

    The database is SQLite in that folder unless DATABASE_URL is set (e.g. a PostgreSQL one to
    measure on); the sync lock lives there too, so a benchmark never waits for a real sync.
    """
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ["SYNC_LOCK_DIR"] = str(workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings")
    os.environ["DJANGO_LOG_LEVEL"] = "WARNING"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return workdir


def connection_label() -> str:
    from django.db import connection

    return f"{connection.vendor} database"


class tracing:  # noqa: N801 (used like a function)
    """`with tracing() as peak:` ... then `peak["bytes"]` is the block's peak of Python allocations."""

    def __enter__(self):
        self.peak = {"bytes": 0}
        tracemalloc.start()
        return self.peak

    def __exit__(self, *exc_info):
        self.peak["bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def production_env(workdir: Path, *, site_url: str = "http://127.0.0.1:8000", **extra: str) -> dict[str, str]:
    """The environment of a production process (DEBUG off) whose data all live in `workdir`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portfolio.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # Absolute URLs (canonical, og:url) come from configuration, never from the request.
        DJANGO_SITE_URL=site_url,
        # Plain http on loopback: no redirect to https, cookies without the Secure flag.
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_SECURE_HSTS_SECONDS="0",
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        DJANGO_STATIC_ROOT=str(workdir / "static"),
        DJANGO_MEDIA_ROOT=str(workdir / "media"),
        DJANGO_CACHE_DIR=str(workdir / "cache"),
        SYNC_LOCK_DIR=str(workdir),
        **extra,
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
