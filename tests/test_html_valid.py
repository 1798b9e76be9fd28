"""Valid HTML, judged by a checker nobody here wrote: the W3C Nu Html Checker (npm `vnu-jar`, run with Java).

The pages are rendered with the demo content after a sync against the fake Hub (numbers, history,
evaluation results, a headline result), in both languages, then checked in one run of the checker.
Without Java or vnu-jar the check is skipped on a developer's machine and fails in CI (CI=true),
like the browser tests: `.ci/run` installs default-jre-headless, `make install` runs `npm ci`.
"""

import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.urls import get_resolver
from django.utils import timezone, translation
from huggingface_hub import HfApi

from models_showcase.hub import sync_cards
from models_showcase.models import EvalResult, HubCard, ModelCard
from models_showcase.rendering import refresh_card_html
from models_showcase.templatetags.hub_stats import iso_datetime
from portfolio.demo import load_demo
from portfolio.i18n import site_language
from portfolio.models import Profile
from portfolio.page_cache import content_changed
from tests.fakehub import FakeHub, seed_datasets, seed_models, seed_papers, seed_spaces

ROOT = Path(__file__).resolve().parents[1]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# A valid `<time datetime>`: a date, or a date and time with at most three digits of a fraction.
VALID_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$")


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is missing: CI must run the Nu Html Checker (see .ci/run)")
    pytest.skip(f"{what} is missing")


def test_iso_datetime_has_no_microseconds():
    moment = datetime(2026, 11, 27, 9, 21, 30, 559089, tzinfo=UTC)
    with timezone.override("Asia/Seoul"):
        assert iso_datetime(moment) == "2026-11-27T18:21:30+09:00"
    assert iso_datetime(datetime(2026, 11, 27, 18, 21, 30, 5)) == "2026-11-27T18:21:30"  # naive stays naive
    assert iso_datetime(None) == "" and iso_datetime("") == ""


@pytest.fixture
def synced_site(db, settings):
    """The demo content, synced from the fake Hub; one card shows a headline result; no drafts."""
    settings.LANGUAGE_CODE = "ko"
    load_demo()
    with FakeHub(seed_models(), datasets=seed_datasets(), spaces=seed_spaces(), papers=seed_papers()) as hub:
        report = sync_cards(api=HfApi(endpoint=hub.url, token=False))
    assert report.exit_code == 0, report.as_dict()
    card = ModelCard.objects.filter(eval_results__isnull=False).distinct().first()
    assert card is not None, "the fake Hub's models carry evaluation results"
    card.headline_metric = card.eval_results.order_by("position").first()
    card.save()
    assert not ModelCard.objects.filter(is_published=False).exists()
    assert EvalResult.objects.exists() and ModelCard.objects.filter(synced_at__isnull=False).exists()
    return HubCard.objects.filter(is_published=True).order_by("pk")  # every kind's page


def public_pages(client, cards) -> dict[str, str]:
    """Name → HTML of `/`, every card's page, and the 404 and 500 pages, in the current site language."""
    pages = {"home": client.get("/")}
    for card in cards:
        pages[f"model-{card.pk}"] = client.get(card.get_absolute_url())
    pages["404"] = client.get("/no-such-page/")
    # Rendered by the handler Django calls for an uncaught error, in the language the middleware set.
    with translation.override(site_language()):
        pages["500"] = get_resolver().resolve_error_handler(500)(RequestFactory().get("/"))
    expected = {"404": 404, "500": 500}
    for name, response in pages.items():
        assert response.status_code == expected.get(name, 200), name
    return {name: response.content.decode() for name, response in pages.items()}


def test_every_datetime_attribute_is_valid_html(client, synced_site):
    pages = public_pages(client, synced_site)
    values = [value for page in pages.values() for value in re.findall(r'datetime="([^"]*)"', page)]
    assert values, "the pages carry <time datetime> (synced cards)"
    assert [value for value in values if not VALID_DATETIME.match(value)] == []


def test_the_public_pages_pass_the_nu_html_checker(client, synced_site, tmp_path):
    java = shutil.which("java")
    if not java:
        _missing("Java (apt-get install default-jre-headless)")
    if not VNU.exists():
        _missing("vnu-jar (npm ci)")

    files = []
    for language in ("ko", "en"):
        profile = Profile.objects.get()
        profile.language = language  # the site's language, as the owner picks it
        profile.save()
        refresh_card_html(card.pk for card in synced_site)
        content_changed()
        for name, html in public_pages(client, synced_site).items():
            assert f'<html lang="{language}">' in html, name
            path = tmp_path / f"{language}-{name}.html"
            path.write_text(html, encoding="utf-8")
            files.append(path)

    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m.get('message')} [{m.get('extract', '').strip()}]"
        for m in messages
        if m.get("type") in {"error", "non-document-error"}
    ]
    assert errors == [], "\n".join(errors)
    assert result.returncode == 0, result.stderr


# ---- no script on the critical path (Lighthouse's Total Blocking Time) ----

SCRIPT = ROOT / "static" / "js" / "relative-time.js"
# A stand-in for the browser: records what the script does while the page loads, then fires
# "load" and the idle callback, and prints what happened in each phase as JSON.
HARNESS = """
const fs = require("fs");
const log = {atParse: [], afterLoad: [], whenIdle: []};
let phase = "atParse";
const element = {dateTime: new Date(Date.now() - 3 * 3600 * 1000).toISOString(), textContent: "2026-11-27", title: ""};
const listeners = {}, idle = [];
global.window = {
  addEventListener: (name, fn) => { log[phase].push("listen:" + name); listeners[name] = fn; },
  requestIdleCallback: (fn) => { log[phase].push("requestIdleCallback"); idle.push(fn); },
  setTimeout: (fn) => { log[phase].push("setTimeout"); idle.push(fn); },
};
global.document = {
  readyState: "interactive",
  documentElement: {lang: process.argv[2]},
  querySelectorAll: () => { log[phase].push("querySelectorAll"); return [element]; },
};
const RealFormat = Intl.RelativeTimeFormat;
Intl.RelativeTimeFormat = function (...args) { log[phase].push("RelativeTimeFormat"); return new RealFormat(...args); };
eval(fs.readFileSync(process.argv[1], "utf8"));
phase = "afterLoad"; document.readyState = "complete"; (listeners.load || (() => {}))();
phase = "whenIdle"; idle.splice(0).forEach((fn) => fn());
console.log(JSON.stringify({log, text: element.textContent, title: element.title}));
"""


@pytest.mark.parametrize(("language", "words"), [("ko", "3시간 전"), ("en", "3 hours ago")])
def test_the_script_does_nothing_until_the_page_has_loaded_and_the_browser_is_idle(language, words):
    node = shutil.which("node")
    if not node:
        _missing("Node.js")
    result = subprocess.run(
        [node, "-e", HARNESS, str(SCRIPT), language], capture_output=True, text=True, timeout=30, check=True
    )
    seen = json.loads(result.stdout)
    assert seen["log"]["atParse"] == ["listen:load"]  # deferred, it only waits for "load"...
    assert seen["log"]["afterLoad"] == ["requestIdleCallback"]  # ...then for the browser to be idle
    assert seen["log"]["whenIdle"] == ["querySelectorAll", "RelativeTimeFormat"]
    assert (seen["text"], seen["title"]) == (words, "2026-11-27")  # in the page's language; the date kept as title


def test_the_only_script_is_deferred(client, synced_site):
    for name, html in public_pages(client, synced_site).items():
        scripts = re.findall(r"<script([^>]*)>", html)
        assert all(" defer" in attributes and " src=" in attributes for attributes in scripts), name
