"""What the benchmark scripts share: the production settings they serve the site with, and a free port.

The scripts run as `python bench/<script>.py`, so this folder is on their import path.
"""

import os
import secrets
import socket
from pathlib import Path


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
        SYNC_LOCK_FILE=str(workdir / "sync.lock"),
        **extra,
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
