"""Benchmark the public pages under load, at several sizes, and write docs/PERFORMANCE.md's table.

    .venv/bin/python bench/page_benchmark.py                 # 10, 100 and 1,000 cards, prints the table
    .venv/bin/python bench/page_benchmark.py --write-docs    # ... and puts it in docs/PERFORMANCE.md

For each size, in a throw-away SQLite database (WAL) with the production settings
(DEBUG off, WhiteNoise's hashed and compressed static files), it creates that many
published cards with badges, a month of snapshots and evaluation rows, plus some
contributions; measures the uncached home page's query count and render time in
process; then serves the site with gunicorn on 127.0.0.1 (one server with the
page cache, one without) and drives it with wrk at 32 connections: the cached
home page, the uncached one, a model page and the site's CSS file. Last, at the
largest size, the cached home page is loaded again while sync_hub runs against
the fake Hub and the owner saves an edit: every non-2xx answer or socket error
is counted, and the page must show the synced and the edited content afterwards.

Needs wrk (apt-get install wrk).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from benchlib import free_port, production_env

ROOT = Path(__file__).resolve().parent.parent
PERFORMANCE_MD = ROOT / "docs" / "PERFORMANCE.md"
BEGIN, END = "<!-- page-benchmark:begin -->", "<!-- page-benchmark:end -->"


# ---------------------------------------------------------------------------
# One size, in its own process (Django's settings are fixed once per process)


def create_content(cards: int) -> None:
    from django.utils import timezone

    from contributions.models import Contribution, ContributionGroup
    from models_showcase.models import Badge, EvalResult, HubSnapshot, ModelCard
    from portfolio.demo import load_demo

    load_demo()
    badges = list(Badge.objects.all())
    made = ModelCard.objects.bulk_create(
        ModelCard(
            repo_id=f"bench-author/model-{i:04d}",
            title=f"model-{i:04d}",
            is_published=True,
            sort_order=10 + i,
            description=f"임베딩 모델 {i}: **MTEB-ko** 벤치마크",
            description_html=f"<p>임베딩 모델 {i}: <strong>MTEB-ko</strong> 벤치마크</p>",
            downloads=1000 + i,
            downloads_all_time=50000 + i,
            likes=i % 50,
            library_name="sentence-transformers",
            pipeline_tag="sentence-similarity",
            license="apache-2.0",
            languages=["ko"],
            tags=["ko"],
            parameters=567754752,
            synced_at=timezone.now(),
        )
        for i in range(cards)
    )
    through = ModelCard.badges.through
    through.objects.bulk_create(
        through(hubcard_id=card.pk, badge_id=badges[i % len(badges)].pk) for i, card in enumerate(made)
    )
    today = timezone.localdate()
    HubSnapshot.objects.bulk_create(
        HubSnapshot(card=card, date=today - timedelta(days=day), downloads=900 + day * 3, likes=day)
        for card in made
        for day in range(30)
    )
    EvalResult.objects.bulk_create(
        EvalResult(card=card, position=0, task_type="Retrieval", dataset_name="MTEB", metric_value=0.7) for card in made
    )
    group = ContributionGroup.objects.create(title="Benchmark group", sort_order=5)
    for number in range(1, 11):
        Contribution.objects.create(
            group=group, pr_url=f"https://github.com/bench/repo/pull/{number}", title=f"PR {number}",
            writeup="- **문제**: 설명\n- **해결**: 설명", is_published=True, sort_order=number,
        )  # fmt: skip


def render_stats() -> dict:
    """The uncached home page, in process: queries and render time (median of 15, after one warm-up)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(HTTP_HOST="127.0.0.1")
    times = []
    with override_settings(PAGE_CACHE_SECONDS=0):
        client.get("/")
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/")
        assert response.status_code == 200, response.status_code
        count = len(queries)  # now: later requests reset the connection's query log
        for _ in range(15):
            started = time.perf_counter()
            client.get("/")
            times.append((time.perf_counter() - started) * 1000)
    return {"queries": count, "render_ms": statistics.median(times), "page_bytes": len(response.content)}


def start_gunicorn(env: dict[str, str], workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    server = subprocess.Popen(
        [gunicorn, "portfolio.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "error"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/", timeout=5).read()  # noqa: S310 (our own server)
            return server, url
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def transferred(url: str) -> int:
    """Bytes of the body a browser asking for brotli receives."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "br"})  # noqa: S310 (our own server)
    with urllib.request.urlopen(request) as response:  # noqa: S310 (our own server)
        return len(response.read())


def wrk(url: str, *, duration: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-H", "Accept-Encoding: gzip, br", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": wrk_errors(out),
    }


def wrk_errors(out: str) -> int:
    """Non-2xx/3xx answers plus socket errors, from wrk's report."""
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return (int(errors.group(1)) if errors else 0) + (sum(map(int, sockets.groups())) if sockets else 0)


def one_size(cards: int, *, duration: int, connections: int, workers: int, load_test: bool) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"page-bench-{cards}-"))
    env = production_env(workdir, DJANGO_LOG_LEVEL="WARNING")
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    create_content(cards)
    result = {"cards": cards, **render_stats()}

    cached, cached_url = start_gunicorn(env, workers)
    uncached, uncached_url = start_gunicorn({**env, "PAGE_CACHE_SECONDS": "0"}, workers)
    try:
        home = urllib.request.urlopen(cached_url + "/").read().decode()  # noqa: S310
        css = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', home).group(1)
        result["page_br_bytes"] = transferred(cached_url + "/")
        result["css_br_bytes"] = transferred(cached_url + css)
        detail = "/models/bench-author/model-0000/" if cards else "/models/dragonkue/BGE-m3-ko/"
        for name, url in [
            ("cached", cached_url + "/"), ("uncached", uncached_url + "/"), ("detail", cached_url + detail),
            ("css", cached_url + css),
        ]:  # fmt: skip
            wrk(url, duration=1, connections=connections)  # warm up
            result[name] = wrk(url, duration=duration, connections=connections)
        if load_test:
            result["load"] = load_without_loss(env, cached_url, cards, duration=duration, connections=connections)
    finally:
        for server in (cached, uncached):
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def load_without_loss(env: dict[str, str], url: str, cards: int, *, duration: int, connections: int) -> dict:
    """wrk on the cached home page while sync_hub runs and the owner saves an edit."""
    sys.path.insert(0, str(ROOT))
    from portfolio.demo import DEMO_FILE
    from tests.fakehub import FakeHub, hub_model

    demo = [card["repo_id"] for card in json.loads(DEMO_FILE.read_text())["model_cards"]]
    repos = [f"bench-author/model-{i:04d}" for i in range(cards)] + demo
    with FakeHub([hub_model(repo, downloads=777_000 + i) for i, repo in enumerate(repos)], page_size=1000) as hub:
        load = subprocess.Popen(
            ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url + "/"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(duration / 4)
        manage = [sys.executable, "manage.py"]
        sync = subprocess.run(
            [*manage, "sync_hub"], cwd=ROOT, env={**env, "HF_ENDPOINT": hub.url}, capture_output=True, text=True,
        )  # fmt: skip
        edit = subprocess.run(
            [*manage, "shell", "-c", "from models_showcase.models import ModelCard as M; "
             "c = M.objects.get(repo_id='bench-author/model-0000'); c.title = 'EDITED-UNDER-LOAD'; c.save()"],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )  # fmt: skip
        out, _ = load.communicate()
    page = urllib.request.urlopen(url + "/").read().decode()  # noqa: S310
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "errors": wrk_errors(out),
        "sync": sync.stdout.strip().splitlines()[-1] if sync.stdout.strip() else sync.stderr.strip()[-200:],
        "sync_exit": sync.returncode,
        "edit_exit": edit.returncode,
        "shows_sync": "777k" in page,
        "shows_edit": "EDITED-UNDER-LOAD" in page,
    }


# ---------------------------------------------------------------------------
# The driver


def table(results: list[dict], *, connections: int, workers: int, duration: int) -> str:
    lines = [
        f"wrk, {connections} connections, {duration} s per URL; gunicorn with {workers} sync workers; SQLite (WAL); "
        f"file cache. Latency in ms.",
        "",
        "| cards | queries | render (uncached) | page (brotli) | cached home req/s | p50 | p99 "
        "| uncached home req/s | p99 | model page req/s | p99 | CSS req/s | p99 | cached ÷ CSS |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        ratio = r["cached"]["rps"] / r["css"]["rps"]
        lines.append(
            f"| {r['cards']:,} | {r['queries']} | {r['render_ms']:.0f} ms "
            f"| {r['page_bytes'] / 1024:,.0f} KiB ({r['page_br_bytes'] / 1024:,.1f} KiB) "
            f"| {r['cached']['rps']:,.0f} | {r['cached']['p50']:.1f} | {r['cached']['p99']:.1f} "
            f"| {r['uncached']['rps']:,.0f} | {r['uncached']['p99']:.0f} "
            f"| {r['detail']['rps']:,.0f} | {r['detail']['p99']:.1f} "
            f"| {r['css']['rps']:,.0f} | {r['css']['p99']:.1f} | {ratio:.2f} |"
        )
    for r in results:
        if "load" in r:
            load = r["load"]
            lines += [
                "",
                f"Load without loss ({r['cards']:,} cards): {load['requests']:,} requests to the cached home page "
                f"while sync_hub ran (`{load['sync']}`, exit {load['sync_exit']}) and the owner saved an edit "
                f"(exit {load['edit_exit']}): **{load['errors']} errors**; afterwards the page shows the synced "
                f"numbers: {'yes' if load['shows_sync'] else 'NO'}, the edit: {'yes' if load['shows_edit'] else 'NO'}.",
            ]
    errors = sum(r[name]["errors"] for r in results for name in ("cached", "uncached", "detail", "css"))
    lines += [
        "",
        f"The CSS file: {results[0]['css_br_bytes'] / 1024:.1f} KiB with brotli. "
        f"Errors (non-2xx or socket) in all the runs above: {errors}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per URL")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2 cores here)")
    parser.add_argument("--write-docs", action="store_true", help="replace the table in docs/PERFORMANCE.md")
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--load-test", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one_size is not None:
        sys.path.insert(0, str(ROOT))
        result = one_size(args.one_size, duration=args.duration, connections=args.connections, workers=args.workers,
                          load_test=args.load_test)  # fmt: skip
        print(json.dumps(result))
        return

    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    results = []
    for size in args.sizes:
        command = [sys.executable, __file__, "--one-size", str(size), "--duration", str(args.duration),
                   "--connections", str(args.connections), "--workers", str(args.workers)]  # fmt: skip
        if size == max(args.sizes):
            command.append("--load-test")
        print(f"… {size} cards", file=sys.stderr)
        out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    text = table(results, connections=args.connections, workers=args.workers, duration=args.duration)
    print(text)
    if args.write_docs:
        doc = PERFORMANCE_MD.read_text()
        block = f"{BEGIN}\n{text}\n{END}"
        doc = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, doc, flags=re.S)
        PERFORMANCE_MD.write_text(doc)


if __name__ == "__main__":
    main()
