"""Google Lighthouse on the home page and a model page, mobile and desktop, and docs/PERFORMANCE.md's table.

    .venv/bin/python bench/lighthouse.py                  # 5 runs per page and preset, prints the table
    .venv/bin/python bench/lighthouse.py --runs 3 --write-docs

In a throw-away SQLite database with the production settings (DEBUG off, WhiteNoise's hashed
and compressed static files), it loads the demo content, syncs it from the fake Hub (numbers,
history, evaluation results: what a live site shows), serves it with gunicorn on 127.0.0.1 and
runs Lighthouse 12.2.3 (`npx --yes lighthouse@12.2.3`, fetched on first use: about 110 MB,
kept out of package.json so that `npm ci` in CI stays small) in Debian's Chromium
(CHROME_PATH, /usr/bin/chromium by default). Each score is the median of the runs; the
audits that kept a category below 100 in any run are listed under the table.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

from benchlib import free_port, production_env

ROOT = Path(__file__).resolve().parent.parent
PERFORMANCE_MD = ROOT / "docs" / "PERFORMANCE.md"
BEGIN, END = "<!-- lighthouse:begin -->", "<!-- lighthouse:end -->"
LIGHTHOUSE = "lighthouse@12.2.3"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)
SETUP = """
import django
django.setup()
from django.core.management import call_command
from huggingface_hub import HfApi
from models_showcase.hub import sync_cards
from portfolio.demo import load_demo
from tests.fakehub import FakeHub, seed_models

call_command("migrate", verbosity=0)
load_demo()
with FakeHub(seed_models()) as hub:
    report = sync_cards(api=HfApi(endpoint=hub.url, token=False))
assert report.exit_code == 0, report.as_dict()
call_command("collectstatic", "--noinput", verbosity=0)
call_command("render_cards", verbosity=0)
from models_showcase.models import ModelCard
print(ModelCard.objects.filter(is_published=True).order_by("sort_order", "pk").first().get_absolute_url())
"""


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    for _ in range(100):
        if server.poll() is not None:
            sys.exit(f"the server exited ({server.returncode})")
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 (our own http://127.0.0.1 address)
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer")


def lighthouse(url: str, preset: str, output: Path) -> dict:
    command = [
        "npx", "--yes", LIGHTHOUSE, url, "--output=json", f"--output-path={output}", "--quiet",
        f"--chrome-flags={CHROME_FLAGS}", f"--only-categories={','.join(CATEGORIES)}",
    ]  # fmt: skip
    if preset == "desktop":
        command.append("--preset=desktop")  # mobile is Lighthouse's default
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run(command, check=True, env=env, timeout=300)
    return json.loads(output.read_text())


def below_100(report: dict) -> set[str]:
    """Audits that cost points: in a category that scored below 100, any scored audit under 1."""
    failing = set()
    for name in CATEGORIES:
        category = report["categories"][name]
        if category["score"] is not None and category["score"] >= 1:
            continue
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                value = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
                failing.add(f"{name}: `{ref['id']}`{value}")
    return failing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write-docs", action="store_true", help="put the table in docs/PERFORMANCE.md")
    args = parser.parse_args()
    if not shutil.which("npx"):
        sys.exit("npx not found: install Node.js 20 and npm")

    workdir = Path(tempfile.mkdtemp(prefix="lighthouse-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = production_env(workdir, site_url=base, PYTHONPATH=str(ROOT))
    python = str(ROOT / ".venv" / "bin" / "python")
    setup = subprocess.run([python, "-c", SETUP], env=env, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True)
    model_path = setup.stdout.splitlines()[-1]  # its last line: the commands before it may print
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "portfolio.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows, notes = [], set()
    try:
        wait_until_up(base + "/", server)
        for label, path in [("`/`", "/"), (f"a model page (`{model_path}`)", model_path)]:
            for preset in ("mobile", "desktop"):
                runs = []
                for run in range(args.runs):
                    report = lighthouse(base + path, preset, workdir / f"report-{preset}-{run}.json")
                    runs.append({name: report["categories"][name]["score"] * 100 for name in CATEGORIES})
                    tbt = report["audits"]["total-blocking-time"]["numericValue"]
                    runs[-1]["tbt"] = tbt
                    notes |= {f"{label}, {preset}: {note}" for note in below_100(report)}
                medians = {key: statistics.median(run[key] for run in runs) for key in [*CATEGORIES, "tbt"]}
                rows.append((label, preset, medians, [run["performance"] for run in runs]))
                print(label, preset, {key: round(value) for key, value in medians.items()}, flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    table = [
        f"Lighthouse 12.2.3, Debian's Chromium, gunicorn (2 workers) on 127.0.0.1 serving the demo content"
        f" synced from the fake Hub; median of {args.runs} runs; measured {date.today().isoformat()}.",
        "",
        "| page | preset | performance | accessibility | best practices | SEO | total blocking time"
        " | performance, each run |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, preset, medians, performance in rows:
        scores = " | ".join(f"**{medians[name]:.0f}**" for name in CATEGORIES)
        each = ", ".join(f"{score:.0f}" for score in performance)
        table.append(f"| {label} | {preset} | {scores} | {medians['tbt']:.0f} ms | {each} |")
    table.append("")
    table.append(
        "Audits below 1 in a category under 100, in any run: " + ("; ".join(sorted(notes)) if notes else "none.")
    )
    text = "\n".join(table)
    print()
    print(text)
    if args.write_docs:
        doc = PERFORMANCE_MD.read_text()
        start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
        PERFORMANCE_MD.write_text(doc[:start] + "\n" + text + "\n" + doc[end:])


if __name__ == "__main__":
    main()
