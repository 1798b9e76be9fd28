"""The cache is a helper, never a single point of failure.

Real failures, not mocks of Django's cache: a Redis URL on a closed port, a TCP server that
accepts and never answers (a frozen Redis), a private redis-server that is stopped
(SIGSTOP, then killed), a cache directory that cannot exist (its parent is a file) and a
full disk (the file cache's temporary file cannot be created). In every case pages come
from the database, the admin login and saves work, and no page is stale after an edit.
"""

import errno
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.cache.backends import filebased
from django.test import Client
from django.urls import reverse
from huggingface_hub import HfApi

from models_showcase.hub import sync_cards
from models_showcase.models import ModelCard
from portfolio import cache_backends, page_cache
from portfolio.demo import load_demo
from tests.fakehub import FakeHub, hub_model, seed_datasets, seed_papers, seed_spaces

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
BGE = "dragonkue/BGE-m3-ko"
# The model card itself (its repo id is also named by the demo dataset and Space).
BGE_CARD = f'id="model-{BGE.replace("/", "--")}"'
PASSWORD = "a-long-test-passphrase"


@pytest.fixture(autouse=True)
def _fresh_health():
    """Each test starts with every cache believed healthy and no invalidation pending."""
    cache_backends._health.clear()
    page_cache._invalidation.pending = False
    page_cache._recent.entries.clear()
    yield
    cache_backends._health.clear()
    page_cache._invalidation.pending = False
    page_cache._recent.entries.clear()


@pytest.fixture
def seeded():
    load_demo()


def redis_cache(settings, url: str) -> None:
    """As settings.py configures Redis (same backend, same timeouts), at `url`."""
    settings.CACHES = {
        "default": {
            "BACKEND": "portfolio.cache_backends.FailSoftRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }


def file_cache(settings, location: Path) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "portfolio.cache_backends.FailSoftFileBasedCache", "LOCATION": str(location)}
    }


def page(client, path="/") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def frozen_redis():
    """A TCP server on 127.0.0.1 that accepts connections and never answers: a hung Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.1)
    held, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def own_redis(tmp_path):
    """A private redis-server on a free port, which the test may freeze (SIGSTOP) and stop."""
    exe = shutil.which("redis-server")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed: CI must test a Redis that fails (see .ci/run)")
        pytest.skip("no redis-server")
    port = _free_port()
    process = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(port=port, socket_connect_timeout=0.2).ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    yield SimpleNamespace(url=f"redis://127.0.0.1:{port}/0", process=process)
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


def retry_time_comes() -> None:
    """The few seconds a failed cache is left alone have passed."""
    for state in cache_backends._health.values():
        state.retry_at = 0.0


def unpublish_in_the_admin(staff: Client) -> None:
    """The owner unticks "published" for BGE-m3-ko in the changelist (list_editable), as in the admin."""
    card = ModelCard.objects.get(repo_id=BGE)
    response = staff.post(
        reverse("admin:models_showcase_modelcard_changelist"),
        {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "_save": "Save", "form-0-id": card.pk,
         "form-0-sort_order": "0"},
    )  # fmt: skip
    assert response.status_code == 302
    assert not ModelCard.objects.get(pk=card.pk).is_published


def sign_in(django_user_model) -> Client:
    """The owner signs in through the login form (sessions and django-axes at work), not force_login."""
    django_user_model.objects.create_superuser("owner", "owner@example.com", PASSWORD)
    staff = Client()
    response = staff.post(reverse("admin:login"), {"username": "owner", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302, response.content.decode()[:500]
    assert staff.get(reverse("admin:index")).status_code == 200
    return staff


# ---- a cache that is not there at all ----


@pytest.mark.parametrize("broken", ["redis on a closed port", "cache directory under a file"])
def test_without_a_cache_every_page_login_save_and_sync_works(
    client, settings, tmp_path, django_user_model, seeded, broken, caplog
):
    if broken == "redis on a closed port":
        redis_cache(settings, "redis://127.0.0.1:1/0")
    else:
        (tmp_path / "a-file").write_text("not a directory")
        file_cache(settings, tmp_path / "a-file" / "cache")
    caplog.set_level(logging.WARNING, logger="portfolio.cache")

    paths = ["/", f"/models/{BGE}/", "/robots.txt", "/sitemap.xml", "/huggingface/"]
    for _ in range(10):
        for path in paths:
            assert client.get(path).status_code in (200, 301)
    assert BGE_CARD in page(client)
    assert client.get("/no-such-page/").status_code == 404

    staff = sign_in(django_user_model)
    unpublish_in_the_admin(staff)
    assert BGE_CARD not in page(client)  # the very next page is fresh

    models = [hub_model(card.repo_id, downloads=987654) for card in ModelCard.objects.all()]
    with FakeHub(models, datasets=seed_datasets(), spaces=seed_spaces(), papers=seed_papers()) as hub:
        report = sync_cards(api=HfApi(endpoint=hub.url, token=False))
    assert report.exit_code == 0
    assert "987.7k" in page(client)

    # One line when the cache went away, not one per request.
    gone = [record for record in caplog.records if "not answering" in record.getMessage()]
    assert len(gone) == 1, [record.getMessage() for record in caplog.records]


def test_the_login_lockout_works_without_a_cache(client, settings, django_user_model):
    redis_cache(settings, "redis://127.0.0.1:1/0")
    django_user_model.objects.create_superuser("owner", "owner@example.com", PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(reverse("admin:login"), {"username": "owner", "password": "wrong"}).status_code == 200
    assert client.post(reverse("admin:login"), {"username": "owner", "password": "wrong"}).status_code == 429
    assert client.post(reverse("admin:login"), {"username": "owner", "password": PASSWORD}).status_code == 429


def test_sessions_and_lockouts_do_not_live_in_the_cache(settings):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"


# ---- a cache that hangs ----


def test_a_frozen_redis_costs_a_fraction_of_a_second_once_not_a_hung_worker(
    client, settings, django_user_model, seeded, frozen_redis
):
    redis_cache(settings, frozen_redis)
    started = time.monotonic()
    assert BGE_CARD in page(client)
    assert time.monotonic() - started < 2  # one socket timeout (0.25 s), then the cache is left alone
    started = time.monotonic()
    for path in ["/", f"/models/{BGE}/"] * 10:
        page(client, path)
    assert time.monotonic() - started < 2
    staff = sign_in(django_user_model)
    unpublish_in_the_admin(staff)
    assert BGE_CARD not in page(client)


def test_settings_give_redis_short_timeouts():
    code = "import django; django.setup(); from django.conf import settings as s; print(s.CACHES['default'])"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portfolio.settings", "REDIS_URL": "redis://127.0.0.1:1/0"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert "portfolio.cache_backends.FailSoftRedisCache" in result.stdout
    assert "'socket_connect_timeout': 0.25" in result.stdout and "'socket_timeout': 0.25" in result.stdout
    env.pop("REDIS_URL")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert "portfolio.cache_backends.FailSoftFileBasedCache" in result.stdout


# ---- a real Redis that freezes, comes back, then stops ----


def test_a_redis_that_freezes_and_stops(client, settings, django_user_model, seeded, own_redis, monkeypatch):
    redis_cache(settings, own_redis.url)
    staff = sign_in(django_user_model)
    before = page(client)
    assert page(client) == before and BGE_CARD in before  # cached in Redis now
    version = cache.get(page_cache.VERSION_KEY)

    own_redis.process.send_signal(signal.SIGSTOP)  # frozen: connections open, nothing answers
    started = time.monotonic()
    unpublish_in_the_admin(staff)  # the save goes through; the invalidation cannot
    assert page_cache._invalidation.pending
    assert BGE_CARD not in page(client)  # this process knows: from the database
    assert time.monotonic() - started < 3

    own_redis.process.send_signal(signal.SIGCONT)
    retry_time_comes()
    after = page(client)  # writes the invalidation now
    assert BGE_CARD not in after
    assert not page_cache._invalidation.pending
    assert cache.get(page_cache.VERSION_KEY) != version  # so every other process sees the edit too
    page_cache._recent.entries.clear()  # as another process: only the shared cache
    assert page(client) == after

    own_redis.process.terminate()  # stopped
    own_redis.process.wait(timeout=10)
    for _ in range(5):
        assert page(client) == after
    ModelCard.objects.filter(repo_id=BGE).update(is_published=True)
    page_cache.content_changed()
    assert BGE_CARD in page(client)


# ---- a file cache that cannot be written (a full disk, a read-only mount) ----


@pytest.fixture
def full_disk(monkeypatch):
    """The file cache's writes fail as on a full disk; its reads still work."""

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    def fill():
        monkeypatch.setattr(filebased, "tempfile", SimpleNamespace(mkstemp=no_space))

    def free():
        monkeypatch.undo()

    return SimpleNamespace(fill=fill, free=free)


def test_a_full_file_cache_never_fails_a_save_nor_leaves_a_page_stale(
    client, settings, tmp_path, django_user_model, seeded, full_disk, monkeypatch, django_assert_num_queries
):
    file_cache(settings, tmp_path / "cache")
    staff = sign_in(django_user_model)
    new_card = f"/models/{BGE}/"
    before = page(client)
    page(client, new_card)  # cached too
    assert BGE_CARD in before

    full_disk.fill()
    assert page(client, "/robots.txt")  # an uncached page: rendered, not stored, no 500
    unpublish_in_the_admin(staff)  # the save goes through; the invalidation cannot be written
    assert page_cache._invalidation.pending
    for _ in range(3):
        assert BGE_CARD not in page(client)  # this process: from the database until the write succeeds
    assert client.get(new_card).status_code == 404

    # Another process never heard of the failed invalidation: it serves the old page at most
    # PAGE_CACHE_SECONDS, then from the database.
    page_cache._invalidation.pending = False
    page_cache._recent.entries.clear()
    for state in cache_backends._health.values():  # nor did its cache fail: it only reads
        state.down = False
    assert page(client) == before
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + settings.PAGE_CACHE_SECONDS + 1)
    assert BGE_CARD not in page(client)
    assert client.get(new_card).status_code == 404
    monkeypatch.setattr(time, "time", real_time)

    # The disk has room again: the next request writes the invalidation, then pages are cached again.
    page_cache._invalidation.pending = True
    full_disk.free()
    retry_time_comes()
    assert BGE_CARD not in page(client)
    assert not page_cache._invalidation.pending
    with django_assert_num_queries(0):
        assert BGE_CARD not in page(client)


def test_a_corrupt_cache_entry_is_a_miss(client, settings, tmp_path, seeded):
    file_cache(settings, tmp_path / "cache")
    before = page(client)
    for entry in (tmp_path / "cache").glob("*.djcache"):
        entry.write_bytes(b"\x00garbage")
    assert page(client) == before


# ---- gunicorn, configured from the environment as in production, with Redis gone or frozen ----


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our own server on 127.0.0.1)
        return response.status, response.read().decode()


@pytest.mark.parametrize("redis", ["closed port", "frozen"])
def test_a_server_with_redis_down_answers_every_request(tmp_path, frozen_redis, redis):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portfolio.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:1/0" if redis == "closed port" else frozen_redis,
        "DJANGO_LOG_LEVEL": "WARNING",
        "PAGE_CACHE_SECONDS": "86400",
    }
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput"], ["load_demo"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    port = _free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    server = subprocess.Popen(
        [gunicorn, "portfolio.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "20"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"{base}/robots.txt")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        started = time.monotonic()
        statuses = [_get(f"{base}{path}")[0] for path in ["/", f"/models/{BGE}/", "/admin/login/"] * 20]
        assert statuses == [200] * 60
        assert time.monotonic() - started < 20
        assert BGE_CARD in _get(f"{base}/")[1]
    finally:
        server.terminate()
        _, log = server.communicate(timeout=10)
    assert log.count("The cache is not answering") == 1, log
