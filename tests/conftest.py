import pytest


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """Django's own messages in English, so tests can read them; tests of the page language set it."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    """Uploads go to a temporary folder; static files need no collectstatic."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    # Each test its own sync lock file: two test runs on one machine never hold each other's lock.
    settings.SYNC_LOCK_DIR = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("owner", "owner@example.com", "a-long-test-passphrase")
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _no_real_hub(monkeypatch):
    """No test may reach huggingface.co: an HfApi built without an endpoint points at a closed port."""
    from huggingface_hub import constants
    from huggingface_hub.utils import _detect_agent

    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    # huggingface_hub 2.4 fetches {ENDPOINT}/api/agent-harnesses once per process for its
    # user agent; an empty registry keeps request counts exact whatever the test order.
    monkeypatch.setattr(_detect_agent, "_registry", _detect_agent._EMPTY_REGISTRY)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test gets an empty cache of its own (the page cache must not leak between tests)."""
    import uuid

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }
    # Tests run as production does (DEBUG off): the page cache on.
    settings.PAGE_CACHE_SECONDS = 86400


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, tests use a database file, as production does, instead of Django's in-memory default.

    Shared-cache in-memory SQLite answers "database table is locked" at once to a second
    connection instead of waiting (busy timeout, WAL): tests with several threads writing,
    like the sync racing the owner's edits, need the file's real locking.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture
def media_root(settings):
    """The uploads folder of this test (a temporary one, from _isolated_files)."""
    from pathlib import Path

    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def backups(tmp_path):
    """Where this test's backups go."""
    return tmp_path / "backups"
