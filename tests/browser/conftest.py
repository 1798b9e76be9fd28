"""Browser tests: Playwright driving Debian's Chromium against a live server.

`playwright install` cannot download browsers here, so the tests launch
/usr/bin/chromium (apt-get install chromium fonts-noto-cjk). Without it they are
skipped on a developer's machine and fail in CI (CI=true), where a missing
browser must never pass silently.
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django then refuses
# database calls from it unless told that this (test-only) use is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}

# As root in a container Chromium needs --no-sandbox; the rest keeps it from
# reaching for Google's services on a machine with no internet.
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is missing: CI must run the browser tests (see .ci/run)")
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        _missing(f"Chromium ({CHROMIUM}; apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        _missing("axe-core (npm ci)")
    return AXE.read_text()


@pytest.fixture
def open_page(browser, live_server):
    """open_page(path, viewport=DESKTOP, **context options) -> a Page at that path of the live server."""
    contexts = []

    def open_(path: str = "/", *, viewport=DESKTOP, **options):
        context = browser.new_context(viewport=viewport, base_url=live_server.url, **options)
        contexts.append(context)
        page = context.new_page()
        page.goto(path)
        return page

    yield open_
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    """Saved for people to look at (artifacts/ is ignored by git; `make screenshots` copies the README's)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


OWNER_PASSWORD = "a-long-owner-passphrase"


@pytest.fixture
def signed_in(open_page, django_user_model):
    """signed_in(locale=None) -> an admin page with the owner logged in.

    The test then fails on anything the browser reports: a console error (CSP violations
    included, also those reported to the page itself), an uncaught script error, or an
    answer of HTTP 400 or more.
    """
    problems: list[str] = []

    def open_(*, locale: str | None = None):
        django_user_model.objects.create_superuser("owner", "owner@example.com", OWNER_PASSWORD)
        page = open_page("/admin/login/", **({"locale": locale} if locale else {}))
        # Failed loads are reported with their address by "response"; the console's copy has none.
        page.on(
            "console",
            lambda m: (
                m.type == "error" and not m.text.startswith("Failed to load resource") and problems.append(m.text)
            ),
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status} {r.url}"))
        page.fill("#id_username", "owner")
        page.fill("#id_password", OWNER_PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/")
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => console.error('CSP: ' + e.violatedDirective))"
        )
        return page

    yield open_
    assert problems == []
