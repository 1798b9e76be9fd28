"""The cached public pages: served without the database, revalidated with a 304, never stale after an edit."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from huggingface_hub import HfApi

from contributions.models import Contribution
from models_showcase.hub import sync_cards
from models_showcase.models import Badge, ModelCard
from portfolio.demo import load_demo
from portfolio.models import Profile
from tests.fakehub import FakeHub, hub_model, seed_datasets, seed_papers, seed_spaces

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
BGE = "dragonkue/BGE-m3-ko"
# The model card itself (its repo id is also named by the demo dataset and Space).
BGE_CARD = f'id="model-{BGE.replace("/", "--")}"'


@pytest.fixture
def seeded():
    load_demo()


def page(client, path="/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_a_cached_page_costs_no_query(client, seeded, django_assert_num_queries):
    first = page(client)
    with django_assert_num_queries(0):
        assert page(client) == first
        assert page(client, "/?utm_source=x&nocache=1") == first  # a query string is no new cache entry
    card_page = page(client, f"/models/{BGE}/")
    with django_assert_num_queries(0):
        assert page(client, f"/models/{BGE}/") == card_page


def test_browsers_revalidate_with_etag_and_last_modified(client, seeded):
    response = client.get("/")
    etag, last_modified = response["ETag"], response["Last-Modified"]
    assert etag.startswith('"') and last_modified.endswith("GMT")
    assert "must-revalidate" in response["Cache-Control"]
    not_modified = client.get("/", headers={"if-none-match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert client.get("/", headers={"if-modified-since": last_modified}).status_code == 304
    card = ModelCard.objects.get(repo_id=BGE)
    card.title = "Renamed"
    card.save()
    changed = client.get("/", headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag and "Renamed" in changed.content.decode()


def test_page_cache_can_be_turned_off(client, seeded, settings, django_assert_max_num_queries):
    settings.PAGE_CACHE_SECONDS = 0
    page(client)
    with django_assert_max_num_queries(6):
        page(client)


# ---- every way content changes shows on the very next request ----


def _edit_card_title():
    card = ModelCard.objects.get(repo_id=BGE)
    card.title = "EDITED"
    card.save()


def _delete_card():
    ModelCard.objects.filter(repo_id=BGE).delete()  # the admin's bulk delete: a queryset delete


def _change_badges():
    ModelCard.objects.get(repo_id=BGE).badges.add(Badge.objects.create(label="EDITED"))


def _edit_badge():
    badge = Badge.objects.get(label="SOTA")
    badge.label = "EDITED"
    badge.save()


def _edit_profile():
    profile = Profile.objects.get()
    profile.intro = "EDITED"
    profile.save()


def _add_profile_link():
    Profile.objects.get().links.create(kind="website", label="EDITED", url="https://example.com")


def _edit_contribution():
    contribution = Contribution.objects.get(number=2946)
    contribution.writeup = "EDITED"
    contribution.save()


def _edit_group():
    group = Contribution.objects.get(number=2946).group
    group.title = "EDITED"
    group.save()


@pytest.mark.parametrize(
    ("change", "gone"),
    [
        (_edit_card_title, None), (_delete_card, BGE_CARD), (_change_badges, None), (_edit_badge, None),
        (_edit_profile, None), (_add_profile_link, None), (_edit_contribution, None), (_edit_group, None),
    ],
)  # fmt: skip
def test_every_content_change_shows_on_the_next_request(client, seeded, change, gone):
    before = page(client)
    change()
    after = page(client)
    if gone:
        assert gone in before and gone not in after
    else:
        assert "EDITED" not in before and "EDITED" in after


def test_an_admin_save_shows_on_the_next_request(staff_client, seeded):
    client = Client()  # a visitor: staff_client is the `client` fixture, signed in
    before = page(client)
    card = ModelCard.objects.get(repo_id=BGE)
    response = staff_client.post(
        reverse("admin:models_showcase_modelcard_changelist"),
        {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "_save": "Save", "form-0-id": card.pk,
         "form-0-sort_order": "0"},  # unpublishes it: is_published left unticked
    )  # fmt: skip
    assert response.status_code == 302
    assert BGE_CARD in before and BGE_CARD not in page(client)


def test_a_sync_that_changed_something_shows_on_the_next_request(client, seeded):
    before = page(client)
    models = [hub_model(card.repo_id, downloads=987654) for card in ModelCard.objects.all()]
    with FakeHub(models, datasets=seed_datasets(), spaces=seed_spaces(), papers=seed_papers()) as hub:
        report = sync_cards(api=HfApi(endpoint=hub.url, token=False))
    assert report.exit_code == 0
    assert "987.7k" not in before and "987.7k" in page(client)


# ---- signed-in staff (who see drafts) and visitors never share a cached page ----


def test_a_signed_in_request_is_never_answered_from_the_cache_nor_stored(staff_client, seeded):
    visitor = Client()
    public = page(visitor)  # now cached
    ModelCard.objects.filter(repo_id=BGE).update(is_published=False)  # no signal: the cached page stays
    assert page(visitor) == public
    response = staff_client.get("/")
    assert response["Cache-Control"] == "private, no-store"
    assert "Draft — not public" in response.content.decode()
    assert page(visitor) == public  # the staff page was not stored in its place


def test_a_made_up_session_cookie_is_still_answered_from_the_cache(client, seeded, django_assert_num_queries):
    first = page(client)
    client.cookies[settings.SESSION_COOKIE_NAME] = "not-a-session-of-anyone"
    with django_assert_num_queries(1):  # looking the session up; the page itself comes from the cache
        assert page(client) == first


def test_a_signed_out_owner_gets_the_cached_public_page(staff_client, seeded):
    public = page(Client())
    staff_client.post(reverse("admin:logout"))
    response = staff_client.get("/")
    assert response.content.decode() == public
    assert response["Cache-Control"] == "public, max-age=0, must-revalidate"


# ---- several processes sharing one cache ----


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our own server on 127.0.0.1)
        return response.read().decode()


def _redis_url() -> str | None:
    url = "redis://127.0.0.1:6379/15"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # any failure means: no Redis here
        if os.environ.get("CI"):
            pytest.fail("Redis is not running: CI must test the shared Redis cache (see .ci/run)")
        pytest.skip("no Redis on 127.0.0.1:6379")
    return url


@pytest.mark.parametrize("backend", ["files", "redis"])
def test_two_server_processes_sharing_one_cache_both_show_an_edit_at_once(tmp_path, backend):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portfolio.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_CACHE_DIR": str(tmp_path / "cache"),
        "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PAGE_CACHE_SECONDS": "86400",  # on, as in production (development's default is off)
    }
    env.pop("REDIS_URL", None)
    if backend == "redis":
        env["REDIS_URL"] = _redis_url()
    manage = [sys.executable, "manage.py"]

    def run(*args):
        subprocess.run([*manage, *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)

    run("migrate", "--noinput")
    run("load_demo")
    ports = [_free_port(), _free_port()]
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    servers = [
        subprocess.Popen(
            [gunicorn, "portfolio.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        urls = [f"http://127.0.0.1:{port}/" for port in ports]
        deadline = time.monotonic() + 30
        while True:
            try:
                pages = [_get(url) for url in urls]
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert all("BGE-m3-ko" in page and "RENAMED-BY-OWNER" not in page for page in pages)
        assert [_get(url) for url in urls] == pages
        for url in urls:  # served by the page cache (only it sets this)
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our own server)
                assert response.headers["Cache-Control"] == "public, max-age=0, must-revalidate"

        run(
            "shell", "-c",
            "from models_showcase.models import ModelCard as M; c = M.objects.get(repo_id='dragonkue/BGE-m3-ko'); "
            "c.title = 'RENAMED-BY-OWNER'; c.save()",
        )  # fmt: skip
        assert all("RENAMED-BY-OWNER" in _get(url) for url in urls)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


@pytest.mark.parametrize(("accept", "encoding"), [("gzip, deflate, br", "br"), ("gzip", "gzip"), ("", None)])
def test_pages_are_kept_and_served_compressed(client, seeded, accept, encoding):
    import gzip

    import brotli

    plain = page(client)
    for _ in range(2):  # the first answer fills the cache, the second comes from it
        response = client.get("/", headers={"accept-encoding": accept})
        assert response.get("Content-Encoding") == encoding
        assert response["Vary"] == "Accept-Encoding"
        body = response.content
        decoded = {"br": brotli.decompress, "gzip": gzip.decompress}.get(encoding, lambda b: b)(body)
        assert decoded.decode() == plain
        assert int(response["Content-Length"]) == len(body)
    assert response["Content-Security-Policy"]  # the page's own headers come back with it
    revalidated = client.get("/", headers={"accept-encoding": accept, "if-none-match": response["ETag"]})
    assert revalidated.status_code == 304


def test_render_cards_re_renders_every_stored_card(client, seeded):
    ModelCard.objects.update(card_html="<p>stale</p>")
    from django.core.management import call_command

    call_command("render_cards")
    assert not ModelCard.objects.filter(card_html="<p>stale</p>").exists()
    assert "BGE-m3-ko" in page(client)


# ---- a cached page is still only for the hosts the site answers to ----


@pytest.fixture
def one_host(settings):
    settings.ALLOWED_HOSTS = ["portfolio.example.com"]
    settings.USE_X_FORWARDED_HOST = True  # as behind a proxy that passes it on: it must be checked too
    return "portfolio.example.com"


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_HOST": "evil.example"},
        {"HTTP_HOST": "evil.example:80"},
        {"HTTP_HOST": "portfolio.example.com.evil.example"},
        {"HTTP_HOST": "127.0.0.1:6666"},
        {"HTTP_HOST": "portfolio.example.com", "HTTP_X_FORWARDED_HOST": "evil.example"},
        {"HTTP_HOST": "portfolio.example.com@evil.example"},
    ],
)
@pytest.mark.parametrize("path", ["/", f"/models/{BGE}/"])
@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_a_host_not_allowed_gets_400_even_from_a_warm_cache(client, seeded, one_host, headers, path, cache):
    if cache == "warm":
        assert client.get(path, HTTP_HOST=one_host).status_code == 200
    response = client.get(path, **headers)
    assert response.status_code == 400
    assert "BGE-m3-ko" not in response.content.decode()
    assert "Cache-Control" not in response or "public" not in response["Cache-Control"]


@pytest.mark.parametrize("host", ["portfolio.example.com", "portfolio.example.com.", "PORTFOLIO.example.com:8443"])
def test_an_allowed_host_in_any_spelling_gets_the_one_cached_page(client, seeded, one_host, host):
    first = client.get("/", HTTP_HOST=one_host)
    again = client.get("/", HTTP_HOST=host)
    assert again.status_code == 200
    assert again.content == first.content
    assert again["Cache-Control"] == "public, max-age=0, must-revalidate"  # from the cache


# ---- Accept-Encoding with q-values ----


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        ("gzip;q=0", None),
        ("br;q=0", None),
        ("*;q=0", None),
        ("br;q=0, gzip;q=0", None),
        ("gzip;q=0, br", "br"),
        ("br;q=0, gzip", "gzip"),
        ("br;q=0, *", "gzip"),
        ("*", "br"),
        ("gzip;q=1.0, br;q=0.5", "gzip"),
        ("gzip;q=0.5, br;q=0.5", "br"),
        ("GZIP; Q=0.8", "gzip"),
        ("gzip;q=0.000", None),
        ("gzip;q=abc", None),
        ("gzip;q=2", None),
        ("identity", None),
        ("deflate, compress", None),
        (",,;", None),
    ],
)
def test_accept_encoding_q_values_are_honoured(client, seeded, accept, encoding):
    plain = page(client)
    for _ in range(2):  # cold, then from the cache
        response = client.get("/", headers={"accept-encoding": accept})
        assert response.get("Content-Encoding") == encoding
        if encoding is None:
            assert response.content.decode() == plain
