from contributions.github.run import sync_contributions, sync_listed, unknown_pull_requests
from portfolio.syncing.command import EXIT_CODES, SyncCommand


class Command(SyncCommand):
    name = "sync_github"
    epilog = (
        EXIT_CODES.format(items="pull request", name="sync_github", service="GitHub")
        + "\n\nGITHUB_TOKEN (optional) raises GitHub's limit from 60 to 5,000 requests an hour; "
        "it is never logged.\nGITHUB_API_URL points at another GitHub (Enterprise, or a fake for tests)."
    )
    help = (
        "Pull each contribution's pull request (state, dates, size, labels) and its repository (stars, language, "
        "archived) from GitHub into the database. Safe to run from cron: one pull request failing never stops the "
        "others, unchanged ones cost a 304, and two runs never overlap."
    )
    only_metavar = "PR_URL"
    only_help = "Sync only this pull request, by its URL (repeatable)."
    unknown_message = "no contribution for {} (add it in the admin first)"
    discover_help = (
        "First draft unpublished contributions for the profile's GitHub user's merged pull requests to "
        "repositories they do not own (GitHub search), then sync them with the rest."
    )

    def run_sync(self, *, only, discover, dry_run, timeout, progress):
        return sync_contributions(only=only, discover=discover, dry_run=dry_run, timeout=timeout, progress=progress)

    def run_items(self, items, progress, timeout):
        return sync_listed(items, progress, timeout)

    def unknown_items(self, only):
        return unknown_pull_requests(only)
