"""Production settings, headers, error pages and login throttling."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.urls import include, path, reverse

from tests.builders import make_card, make_profile

ROOT = Path(__file__).resolve().parent.parent


def boom(request):
    raise RuntimeError("secret internals: DATABASE_PASSWORD=hunter2")


def ok(request):
    return HttpResponse("ok")


# This module doubles as a URLconf: the site plus a view that fails.
urlpatterns = [path("boom/", boom), path("", include("portfolio.urls"))]


def documented_production_env() -> dict[str, str]:
    """.env.example, as the README tells the owner to use it, with a real secret key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            env[name] = value
    env.pop("DATABASE_URL")  # its example server does not exist here; the check needs no database
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


def test_check_deploy_is_clean_with_the_documented_production_env():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=documented_production_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_defaults_are_secure_without_any_switch():
    env = documented_production_env()
    for name in [n for n in env if n.startswith("DJANGO_SECURE_")]:
        del env[name]
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "portfolio.settings"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.stdout.split() == ["True", "True", "True", "31536000"], result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/models/dragonkue/BGE-m3-ko/", "/no-such-page/"])
def test_strict_csp_on_public_pages(client, url):
    make_profile()
    make_card("dragonkue/BGE-m3-ko")
    response = client.get(url)
    policy = response["Content-Security-Policy"]
    for directive in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
                      "frame-ancestors 'none'", "base-uri 'none'"]:  # fmt: skip
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_404_is_the_sites_own_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "/static/css/site.css" in page
    assert "Django" not in page and "urlpatterns" not in page


@pytest.mark.django_db
def test_500_shows_nothing_of_the_error(client, settings):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and "/static/css/site.css" in page
    assert "hunter2" not in page and "Traceback" not in page and "RuntimeError" not in page


# ---- admin login throttling ----


def login(client, password, username="owner", **headers):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"}, **headers
    )


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_superuser("owner", "o@example.com", "the-right-passphrase")


@pytest.mark.django_db
def test_repeated_failures_lock_the_username_from_that_address(client, owner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "wrong").status_code == 200  # the form again, with its error
    locked = login(client, "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "Try again in 30 minutes" in locked.content.decode()
    # Even the right password is refused while locked out.
    assert login(client, "the-right-passphrase").status_code == 429
    # The owner, from another address, still gets in.
    assert login(client, "the-right-passphrase", REMOTE_ADDR="203.0.113.9").status_code == 302


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_does_not_dodge_the_lockout(client, owner, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")
    assert login(client, "the-right-passphrase", HTTP_X_FORWARDED_FOR="198.51.100.200").status_code == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, owner, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The proxy appends the address it saw; the client may have sent anything before it.
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        login(client, "wrong", HTTP_X_FORWARDED_FOR=f"1.1.1.{attempt}, 198.51.100.7", REMOTE_ADDR="10.0.0.2")
    assert login(client, "the-right-passphrase", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    # Another visitor behind the same proxy is not locked out with them.
    assert login(client, "the-right-passphrase", HTTP_X_FORWARDED_FOR="192.0.2.44").status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.2"),  # no proxy: the header is the client's word, ignored
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.3", "198.51.100.7"),
        (2, "198.51.100.7", "10.0.0.2"),  # fewer hops than configured: nothing forwarded is trusted
    ],
)
def test_client_ip_rule(rf, settings, proxies, forwarded, expected):
    from portfolio.client_ip import client_ip

    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.2")
    assert client_ip(request) == expected


# ---- Permissions-Policy on every response ----


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/", "/models/dragonkue/BGE-m3-ko/", "/no-such-page/", "/robots.txt", "/sitemap.xml", "/favicon.ico",
            "/static/favicon.svg", "/admin/login/"],
)  # fmt: skip
def test_permissions_policy_refuses_every_feature_the_site_does_not_use(client, settings, url):
    settings.WHITENOISE_USE_FINDERS = True
    make_profile()
    make_card("dragonkue/BGE-m3-ko")
    client.get(url)
    response = client.get(url)  # public pages: from the page cache this time
    assert response.status_code in (200, 302, 404)
    policy = dict(item.strip().split("=", 1) for item in response["Permissions-Policy"].split(","))
    for feature in ["camera", "microphone", "geolocation", "payment", "usb", "interest-cohort", "browsing-topics",
                    "display-capture", "serial", "hid", "midi", "xr-spatial-tracking"]:  # fmt: skip
        assert policy[feature] == "()", feature
    assert all(allowed == "()" for allowed in policy.values())  # nothing is granted, to anyone


@pytest.mark.django_db
def test_permissions_policy_on_error_pages(client, settings):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    assert "camera=()" in client.get("/boom/")["Permissions-Policy"]
    settings.ALLOWED_HOSTS = ["portfolio.example.com"]
    assert "camera=()" in client.get("/", HTTP_HOST="evil.example")["Permissions-Policy"]


# ---- request bodies have a limit: 413 or 400, never a 500 nor a worker busy reading ----


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/admin/login/", "/markdownx/upload/", "/markdownx/markdownify/", "/nowhere/"])
def test_a_body_over_the_request_cap_gets_413(client, settings, url):
    body = b"x" * (settings.REQUEST_MAX_BYTES + 1)
    response = client.generic("POST", url, body, content_type="application/octet-stream")
    assert response.status_code == 413
    assert response.content.decode() == "The request is too large."


@pytest.mark.django_db
@pytest.mark.parametrize(("size", "status"), [(999, 200), (1000, 200), (1001, 413), (10**12, 413)])
def test_the_request_cap_counts_the_declared_length(rf, settings, size, status):
    from portfolio.http_limits import RequestSizeLimitMiddleware

    settings.REQUEST_MAX_BYTES = 1000
    request = rf.post("/", b"", content_type="application/octet-stream", CONTENT_LENGTH=str(size))
    assert RequestSizeLimitMiddleware(ok)(request).status_code == status


def test_the_request_cap_lets_a_25_mb_upload_and_its_form_through(settings):
    # portfolio/images.py accepts uploads of up to 25 MB; multipart framing and the form add a little.
    assert 25 * 1024 * 1024 + 64 * 1024 < settings.REQUEST_MAX_BYTES <= 32 * 1024 * 1024
    docs = (ROOT / "docs" / "SECURITY.md").read_text() + (ROOT / "README.md").read_text()
    assert "client_max_body_size 26m" in docs


@pytest.mark.django_db
def test_an_upload_within_the_cap_reaches_the_view(client, owner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(owner)
    # 3 MB, over FILE_UPLOAD_MAX_MEMORY_SIZE (streamed to a temporary file), under the cap: the view decides.
    upload = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (3 * 1024 * 1024), content_type="image/png")
    response = client.post("/markdownx/upload/", {"image": upload})
    assert response.status_code not in (413, 500)


@pytest.mark.django_db
def test_form_fields_over_the_limits_get_400(client, owner):
    too_long = client.post(reverse("admin:login"), {"username": "owner", "password": "x" * (3 * 1024 * 1024)})
    assert too_long.status_code == 400
    too_many = client.post(reverse("admin:login"), {f"field{i}": "x" for i in range(1001)})
    assert too_many.status_code == 400
