"""Benchmark sync_hub: one author's models, datasets, Spaces and cited papers against the strict fake Hub.

    .venv/bin/python bench/sync_benchmark.py [--cards 300] [--datasets 100] [--spaces 50] [--papers 40]
                                             [--page-size 100] [--mteb 5]

Runs in a throw-away SQLite database (or DATABASE_URL if set), prints requests
made (by kind), wall time and peak memory for a first sync (every card and paper
changes), a second one (nothing changes) and a third after one model's new
revision on the Hub. The fake Hub refuses what the real one refuses (expand
values per endpoint, parameters on the paper API, the quota), so a request the
Hub would answer with 400 or 429 shows here as a failed item. `--mteb` cards
carry an MTEB-sized model-index (1,424 rows each); each paper is cited by one
model's `arxiv:` tag. Time is measured without tracing; a last, traced run
measures Python's peak allocations. Numbers go in docs/PERFORMANCE.md.
"""

import argparse
import resource
import time
from contextlib import nullcontext

from benchlib import connection_label, django_in_throwaway_dir, tracing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=300, help="models")
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--spaces", type=int, default=50)
    parser.add_argument("--papers", type=int, default=40)
    parser.add_argument("--page-size", type=int, default=100, help="the fake Hub's listing page size")
    parser.add_argument("--mteb", type=int, default=5, help="how many models carry an MTEB-sized model-index")
    args = parser.parse_args()

    django_in_throwaway_dir(prefix="sync-bench-")
    from collections import Counter

    from huggingface_hub import HfApi
    from huggingface_hub.utils import _detect_agent

    from models_showcase.hub import sync_cards
    from models_showcase.models import HubCard, Kind
    from models_showcase.papers.models import Paper
    from tests.fakehub import FakeHub, hub_dataset, hub_model, hub_paper, hub_space, mteb_model_index

    HubCard.objects.all().delete()
    repos = [f"bench-author/model-{i:04d}" for i in range(args.cards)]
    dataset_ids = [f"bench-author/data-{i:04d}" for i in range(args.datasets)]
    space_ids = [f"bench-author/space-{i:04d}" for i in range(args.spaces)]
    papers = [f"2401.{i + 1:05d}" for i in range(args.papers)]
    HubCard.objects.bulk_create(
        HubCard(kind=kind, repo_id=repo, title=repo, is_published=True)
        for kind, ids in ((Kind.MODEL, repos), (Kind.DATASET, dataset_ids), (Kind.SPACE, space_ids))
        for repo in ids
    )
    Paper.objects.bulk_create(Paper(arxiv_id=arxiv_id, is_published=True) for arxiv_id in papers)

    # huggingface_hub's once-a-day user-agent lookup would go to the real Hub: not part of a sync.
    _detect_agent._registry = _detect_agent._EMPTY_REGISTRY

    mteb = mteb_model_index()

    def model(i: int, repo: str) -> dict:
        extra = {"model-index": mteb} if i < args.mteb else {}
        if i < len(papers):  # each paper cited by one model
            extra["tags"] = [*hub_model(repo)["tags"], f"arxiv:{papers[i]}"]
        return hub_model(repo, **extra)

    hub_data = {
        "datasets": [hub_dataset(repo) for repo in dataset_ids],
        "spaces": [hub_space(repo) for repo in space_ids],
        "papers": [hub_paper(arxiv_id) for arxiv_id in papers],
    }
    models = [model(i, repo) for i, repo in enumerate(repos)]
    with FakeHub(models, page_size=args.page_size, **hub_data) as hub:
        api = HfApi(endpoint=hub.url, token=False)
        print(
            f"{args.cards} models ({args.mteb} with an MTEB-sized model-index), {args.datasets} datasets, "
            f"{args.spaces} Spaces of one author and {args.papers} papers they cite; "
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
                HubCard.objects.update(downloads=None, sha="")  # every card changes, and is read in full, again
                Paper.objects.update(title="")
            hub.reset_requests()
            with tracing() if traced else nullcontext() as peak:
                started = time.perf_counter()
                report = sync_cards(api=api)
                seconds = time.perf_counter() - started
            memory = f"  peak Python allocations {peak['bytes'] / 2**20:.1f} MiB" if traced else ""
            by_path = Counter(
                request.path.split("/")[2] for request in hub.requests if request.path.startswith("/api/")
            )
            kinds = ", ".join(f"{path} {count}" for path, count in sorted(by_path.items()))
            print(f"{label:17} {hub.count():3d} requests ({kinds})  {seconds:6.2f} s{memory}  ({report.summary()})")
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {max_rss:.0f} MiB (Django, huggingface_hub, the fake Hub and the models' JSON)")


if __name__ == "__main__":
    main()
