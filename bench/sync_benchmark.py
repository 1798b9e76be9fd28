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
import resource
import time
from contextlib import nullcontext

from benchlib import connection_label, django_in_throwaway_dir, tracing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=500)
    parser.add_argument("--page-size", type=int, default=100, help="the fake Hub's listing page size")
    parser.add_argument("--mteb", type=int, default=5, help="how many models carry an MTEB-sized model-index")
    args = parser.parse_args()

    django_in_throwaway_dir(prefix="sync-bench-")
    from huggingface_hub import HfApi
    from huggingface_hub.utils import _detect_agent

    from models_showcase.hub import sync_cards
    from models_showcase.models import ModelCard
    from tests.fakehub import FakeHub, hub_model, mteb_model_index

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


if __name__ == "__main__":
    main()
