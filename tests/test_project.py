"""The project's own health: migrations, settings that fail loudly, the checks."""

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"Missing migrations:\n{out.getvalue()}")


def run_settings(**env):
    """Import the settings in a fresh interpreter with exactly this environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
         "print(settings.DEBUG, settings.ALLOWED_HOSTS, settings.DATABASES['default']['NAME'])"],
        cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "portfolio.settings", **env},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_development_needs_no_configuration():
    result = run_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("True")
    assert result.stdout.strip().endswith(str(ROOT / "var" / "db.sqlite3"))


def test_production_refuses_to_start_without_a_secret_key():
    result = run_settings(DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="example.com")
    assert result.returncode != 0
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "Set the DJANGO_ALLOWED_HOSTS environment variable" in result.stderr


def test_production_refuses_to_start_without_the_site_url():
    result = run_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="example.com")
    assert result.returncode != 0
    assert "Set the DJANGO_SITE_URL environment variable" in result.stderr


@pytest.mark.parametrize(
    "value",
    ["portfolio.example.com", "ftp://portfolio.example.com", "https://", "https://example.com/blog",
     "https://example.com/?a=1", "https://example.com/#top"],
)  # fmt: skip
def test_a_site_url_that_is_no_origin_is_refused(value):
    result = run_settings(DJANGO_SITE_URL=value)
    assert result.returncode != 0
    assert "DJANGO_SITE_URL must be the site's origin" in result.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "http://127.0.0.1:8000"), ("https://Portfolio.Example.com/", "https://portfolio.example.com"),
     ("http://127.0.0.1:8080", "http://127.0.0.1:8080")],
)  # fmt: skip
def test_site_url_is_the_origin_with_a_development_default(value, expected):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    if value:
        clean["DJANGO_SITE_URL"] = value
    code = "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": "portfolio.settings"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.stdout.strip() == expected, result.stderr


def test_production_starts_with_its_variables():
    result = run_settings(
        DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="example.com, www.example.com",
        DJANGO_SITE_URL="https://example.com", DATABASE_URL="postgres://user@db.internal:5432/portfolio",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['example.com', 'www.example.com'] portfolio"


def test_a_misspelt_boolean_is_an_error_not_a_guess():
    result = run_settings(DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be" in result.stderr


def test_admin_path_comes_from_the_environment():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.urls import reverse; "
         "print(reverse('admin:index'))"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "portfolio.settings", "DJANGO_ADMIN_URL": "/backstage/"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.stdout.strip() == "/backstage/", result.stderr


def test_env_example_names_every_variable_settings_read():
    settings_source = (ROOT / "portfolio" / "settings.py").read_text()
    example = (ROOT / ".env.example").read_text()
    read = re.findall(r'(?:env(?:_bool|_list)?|required_in_production)\("([A-Z_]+)"', settings_source)
    for name in set(read) | {"DJANGO_SECRET_KEY", "DJANGO_SITE_URL"}:
        assert name in example, f".env.example does not mention {name}"


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")
