from models_showcase.hub import sync_cards, sync_listed, unknown_repo_ids
from models_showcase.papers.sync import unknown_papers
from portfolio.syncing.command import EXIT_CODES, SyncCommand


class Command(SyncCommand):
    name = "sync_hub"
    epilog = (
        EXIT_CODES.format(items="card", name="sync_hub", service="the Hub")
        + "\n\nCards are named as the Hub's addresses name them: owner/name for a model, datasets/owner/name, "
        "spaces/owner/name.\nHF_TOKEN lets private and gated repositories sync; HF_ENDPOINT points at another Hub."
    )
    help = (
        "Pull downloads, likes and the rest of each model, dataset and Space card's Hub statistics into the "
        "database. "
        "Safe to run from cron: one card failing never stops the others, and two runs never overlap."
    )
    only_metavar = "REPO"
    only_help = (
        "Sync only this card (owner/name, datasets/owner/name or spaces/owner/name), or this paper as arxiv:ID "
        "(repeatable)."
    )
    unknown_message = "no card for {} (add it in the admin first)"
    discover_help = (
        "Also create unpublished draft cards for the profile owner's Hub models, datasets and Spaces that have none, "
        "and draft papers for the arXiv papers the cards cite."
    )

    def run_sync(self, *, only, discover, dry_run, timeout, progress):
        return sync_cards(only=only, discover=discover, dry_run=dry_run, timeout=timeout, progress=progress)

    def run_items(self, items, progress, timeout):
        return sync_listed(items, progress, timeout)

    def unknown_items(self, only):
        papers = [item for item in only if item.lower().startswith("arxiv:")]
        return unknown_repo_ids([item for item in only if item not in papers]) + unknown_papers(papers)
