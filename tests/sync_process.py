"""For tests where the admin's Hub sync runs for real: `manage.py sync_hub --run-id` in its own process.

That process reads its settings from the environment, as in production; these point it at the
test database, the fake Hub and the test's own lock and cache.
"""

import time
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from portfolio.models import SyncRun


def database_url() -> str:
    db = connection.settings_dict  # the test database's, once pytest-django has created it
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{user}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def point_sync_processes_at(monkeypatch, *, hub_url: str, tmp_path) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url())
    monkeypatch.setenv("HF_ENDPOINT", hub_url)
    monkeypatch.setenv("SYNC_LOCK_DIR", str(settings.SYNC_LOCK_DIR))
    monkeypatch.setenv("DJANGO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("REDIS_URL", raising=False)


def wait_for_run(seconds: float = 60) -> SyncRun:
    """The latest run, once it has finished (its process writes the row)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = SyncRun.objects.first()
        if run is not None and not run.is_active:
            return run
        time.sleep(0.2)
    raise AssertionError(f"the sync run did not finish within {seconds} s: {SyncRun.objects.first()!r}")
