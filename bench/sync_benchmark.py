"""Benchmark sync_hub: N cards of one author against the fake Hub on this machine.

    .venv/bin/python bench/sync_benchmark.py [--cards 500] [--page-size 1000]

Runs in a throw-away SQLite database (or DATABASE_URL if set), prints requests
made, wall time and peak memory for a first sync (every card changes) and a
second one (nothing changes). Time is measured without tracing; a third,
traced run measures Python's peak allocations. Numbers go in docs/PERFORMANCE.md.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=500)
    parser.add_argument("--page-size", type=int, default=1000, help="the fake Hub's page size (the real Hub's is 1000)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ["SYNC_LOCK_FILE"] = str(workdir / "sync.lock")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings")
    os.environ["DJANGO_LOG_LEVEL"] = "WARNING"

    import django

    django.setup()
    from django.core.management import call_command
    from huggingface_hub import HfApi
    from huggingface_hub.utils import _detect_agent

    from models_showcase.hub import sync_cards
    from models_showcase.models import ModelCard
    from tests.fakehub import FakeHub, hub_model

    call_command("migrate", verbosity=0)
    ModelCard.objects.all().delete()
    repos = [f"bench-author/model-{i:04d}" for i in range(args.cards)]
    ModelCard.objects.bulk_create(ModelCard(repo_id=repo, title=repo, is_published=True) for repo in repos)

    # huggingface_hub's once-a-day user-agent lookup would go to the real Hub: not part of a sync.
    _detect_agent._registry = _detect_agent._EMPTY_REGISTRY

    with FakeHub([hub_model(repo) for repo in repos], page_size=args.page_size) as hub:
        api = HfApi(endpoint=hub.url, token=False)
        print(f"{args.cards} cards of one author, fake Hub page size {args.page_size}, {connection_label()}")
        for label, traced in (("first sync", False), ("second sync", False), ("traced sync", True)):
            if label == "traced sync":
                ModelCard.objects.update(downloads=None)  # every card changes again
            hub.reset_requests()
            with tracing() if traced else nullcontext() as peak:
                started = time.perf_counter()
                report = sync_cards(api=api)
                seconds = time.perf_counter() - started
            memory = f"  peak Python allocations {peak['bytes'] / 2**20:.1f} MiB" if traced else ""
            print(f"{label:12} {hub.count():3d} requests  {seconds:6.2f} s{memory}  ({report.summary()})")
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {max_rss:.0f} MiB (Django, huggingface_hub, the fake Hub and 500 models' JSON)")


class tracing:  # noqa: N801 (used like a function)
    def __enter__(self):
        self.peak = {"bytes": 0}
        tracemalloc.start()
        return self.peak

    def __exit__(self, *exc_info):
        self.peak["bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def connection_label() -> str:
    from django.db import connection

    return f"{connection.vendor} database"


if __name__ == "__main__":
    main()
