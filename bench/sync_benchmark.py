"""Benchmark sync_hub: N cards of one author against the strict fake Hub on this machine.

    .venv/bin/python bench/sync_benchmark.py [--cards 500] [--page-size 100] [--mteb 5]

Runs in a throw-away SQLite database (or DATABASE_URL if set), prints requests
made, wall time and peak memory for a first sync (every card changes), a second
one (nothing changes) and a third after one model's new revision on the Hub. The
fake Hub refuses what the real one refuses (expand values per endpoint, the quota),
so a request the Hub would answer with 400 or 429 shows here as a failed card.
`--mteb` cards carry an MTEB-sized model-index (1,424 rows each). Time is measured
without tracing; a last, traced run measures Python's peak allocations. Numbers go
in docs/PERFORMANCE.md.
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
    parser.add_argument("--page-size", type=int, default=100, help="the fake Hub's listing page size")
    parser.add_argument("--mteb", type=int, default=5, help="how many models carry an MTEB-sized model-index")
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
    from tests.fakehub import FakeHub, hub_model, mteb_model_index

    call_command("migrate", verbosity=0)
    ModelCard.objects.all().delete()
    repos = [f"bench-author/model-{i:04d}" for i in range(args.cards)]
    ModelCard.objects.bulk_create(ModelCard(repo_id=repo, title=repo, is_published=True) for repo in repos)

    # huggingface_hub's once-a-day user-agent lookup would go to the real Hub: not part of a sync.
    _detect_agent._registry = _detect_agent._EMPTY_REGISTRY

    mteb = mteb_model_index()
    models = [hub_model(repo, **({"model-index": mteb} if i < args.mteb else {})) for i, repo in enumerate(repos)]
    with FakeHub(models, page_size=args.page_size) as hub:
        api = HfApi(endpoint=hub.url, token=False)
        print(
            f"{args.cards} cards of one author ({args.mteb} with an MTEB-sized model-index), "
            f"fake Hub page size {args.page_size}, {connection_label()}"
        )
        runs = ("first sync", "unchanged", "one new revision", "traced sync")
        for label in runs:
            traced = label == "traced sync"
            if label == "one new revision":
                index = mteb_model_index()
                index[0]["results"][0]["metrics"][1]["value"] = 12.345
                hub.update(repos[0], sha="f" * 40, downloads=99, **{"model-index": index})
            if traced:
                ModelCard.objects.update(downloads=None, sha="")  # every card changes, and is read in full, again
            hub.reset_requests()
            with tracing() if traced else nullcontext() as peak:
                started = time.perf_counter()
                report = sync_cards(api=api)
                seconds = time.perf_counter() - started
            memory = f"  peak Python allocations {peak['bytes'] / 2**20:.1f} MiB" if traced else ""
            print(f"{label:17} {hub.count():3d} requests  {seconds:6.2f} s{memory}  ({report.summary()})")
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {max_rss:.0f} MiB (Django, huggingface_hub, the fake Hub and the models' JSON)")


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
