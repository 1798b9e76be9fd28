"""One sync_github run: which contributions, which requests, each one's outcome, and the report.

Requests, for N contributions to R repositories: one per repository, then one per pull
request, each conditional (`If-None-Match` with the ETag stored last time), so an unchanged
one is a 304 that GitHub does not count against an authenticated quota. A repository that
GitHub no longer has fails its contributions without a request each (their pull requests
went with it); a renamed one is asked under its new name from then on, so its pull requests
are not redirected one by one.
"""

from __future__ import annotations

import logging
import operator
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.db.models import Q, QuerySet
from django.utils import timezone

from contributions.github import writer
from contributions.github.client import GitHubClient
from contributions.github.mapping import UnreadableAnswer, read_pull, read_repo, read_search_item
from contributions.models import Contribution, GitHubRepository, parse_pull_request_url
from portfolio.models import Profile
from portfolio.syncing.budget import RequestBudget
from portfolio.syncing.errors import DeadlineExceeded, SyncError, SyncErrorKind, clean_text
from portfolio.syncing.progress import RunProgress, conclude
from portfolio.syncing.report import ItemResult, Status, SyncReport

logger = logging.getLogger(__name__)


def unknown_pull_requests(only: Iterable[str]) -> list[str]:
    """The --only values that are no pull request URL, or no contribution's: refused before any request."""
    known = {url.lower() for url in Contribution.objects.values_list("pr_url", flat=True)}
    unknown = []
    for value in only:
        try:
            url = parse_pull_request_url(value).url
        except ValidationError:  # not a pull request's address
            unknown.append(clean_text(value, 120))
            continue
        if url.lower() not in known:
            unknown.append(url)
    return unknown


def _contributions(queryset: QuerySet[Contribution] | None, only: Iterable[str]) -> list[Contribution]:
    queryset = Contribution.objects.all() if queryset is None else queryset
    only = [parse_pull_request_url(value).url for value in only]
    if only:  # the stored URL is the canonical one; its owner and name may differ in case from the one given
        queryset = queryset.filter(reduce(operator.or_, (Q(pr_url__iexact=url) for url in only)))
    return list(queryset.select_related("pull_request", "pull_request__repository").order_by("pk"))


@dataclass
class RepoOutcome:
    """What asking for a repository gave: its row (None until GitHub described it once), or why not."""

    row: GitHubRepository | None
    full_name: str  # the name to ask its pull requests under (the new one after a rename)
    error: SyncError | None = None


class _Run(RunProgress):
    def __init__(self, *, client: GitHubClient, report: SyncReport, progress, now):
        super().__init__(report, progress=progress, now=now)
        self.client = client
        self.fatal_error: SyncError | None = None  # a refused token: every further request would be refused too

    def _stored_repository(self, full_name: str, contributions: list[Contribution]) -> GitHubRepository | None:
        for contribution in contributions:
            github = contribution.github
            if github is not None and github.repository is not None:
                return github.repository
        return GitHubRepository.objects.filter(full_name__iexact=full_name).first()

    def sync_repository(self, full_name: str, contributions: list[Contribution]) -> RepoOutcome:
        stored = self._stored_repository(full_name, contributions)
        if self.fatal_error is not None:
            return RepoOutcome(stored, full_name, self.fatal_error)
        try:
            fetched = self.client.get_repo(
                stored.full_name if stored else full_name, etag=stored.etag if stored else ""
            )
            if fetched.data is None:  # 304: as stored
                if not self.dry_run:
                    writer.touch_repository(stored, now=self.now)
                return RepoOutcome(stored, stored.full_name)
            data = read_repo(fetched.data)
        except DeadlineExceeded:
            raise
        except UnreadableAnswer as error:
            return self._repository_failed(stored, full_name, SyncError(SyncErrorKind.INVALID_RESPONSE, str(error)))
        except SyncError as error:
            if error.kind == SyncErrorKind.TOKEN_REJECTED:
                self.fatal_error = error
            return self._repository_failed(stored, full_name, error)
        except Exception as error:  # as for a pull request: one repository failing never stops the run
            failure = SyncError(SyncErrorKind.INVALID_RESPONSE, f"unreadable answer ({type(error).__name__})")
            return self._repository_failed(stored, full_name, failure)
        if self.dry_run:
            return RepoOutcome(stored, data.full_name)
        try:
            row, changed = writer.write_repository(data, etag=fetched.etag, now=self.now)
        except DatabaseError as error:
            logger.warning("%s: could not be stored: %s", full_name, clean_text(str(error), 200))
            failure = SyncError(SyncErrorKind.INVALID_RESPONSE, f"could not be stored ({type(error).__name__})")
            return self._repository_failed(stored, full_name, failure)
        self.wrote = self.wrote or bool(changed)
        for warning in data.warnings:
            self.report.warnings.append(f"{data.full_name}: {warning}")
        return RepoOutcome(row, data.full_name)

    def _repository_failed(self, stored: GitHubRepository | None, full_name: str, error: SyncError) -> RepoOutcome:
        if not self.dry_run and stored is not None:
            writer.record_repository_failure(stored, error, self.now)
        return RepoOutcome(stored, full_name, error)

    def sync_pull(self, contribution: Contribution, repository: RepoOutcome) -> ItemResult:
        github = contribution.github
        try:
            if repository.error is not None and repository.error.kind in (
                SyncErrorKind.NOT_FOUND,
                SyncErrorKind.TOKEN_REJECTED,
                SyncErrorKind.RATE_LIMITED,
            ):
                # Its pull requests went with the repository (or could not be asked either): no request each.
                raise SyncError(repository.error.kind, f"repository: {repository.error}")
            if self.fatal_error is not None:
                raise self.fatal_error
            owner, name = repository.full_name.split("/", 1)
            etag = github.etag if github is not None and github.state else ""
            fetched = self.client.get_pull(owner, name, contribution.number, etag=etag)
            if fetched.data is None:  # 304: nothing changed since the last sync
                if not self.dry_run:
                    writer.touch_pull(contribution, now=self.now)
                    self.wrote = True  # "last synced" moved
                return ItemResult(contribution.pr_url, Status.UNCHANGED)
            data = read_pull(fetched.data)
        except DeadlineExceeded:
            raise
        except UnreadableAnswer as error:
            return self.fail(contribution, SyncError(SyncErrorKind.INVALID_RESPONSE, f"unreadable answer: {error}"))
        except SyncError as error:
            if error.kind == SyncErrorKind.TOKEN_REJECTED:
                self.fatal_error = error
            return self.fail(contribution, error)
        except Exception as error:  # one pull request failing never stops the others
            failure = SyncError(SyncErrorKind.INVALID_RESPONSE, f"unreadable answer ({type(error).__name__})")
            return self.fail(contribution, failure)

        if self.dry_run:
            changed = writer.pull_changes(contribution, data, repository=repository.row)
        else:
            try:
                changed = writer.write_pull(
                    contribution, data, repository=repository.row, etag=fetched.etag, now=self.now
                )
            except DatabaseError as error:
                logger.warning("%s: could not be stored: %s", contribution.pr_url, clean_text(str(error), 200))
                failure = SyncError(SyncErrorKind.INVALID_RESPONSE, f"could not be stored ({type(error).__name__})")
                return self.fail(contribution, failure)
            self.wrote = True
        key = data.html_url if "pr_url" in changed else contribution.pr_url
        status = Status.UPDATED if changed else Status.UNCHANGED
        return ItemResult(key, status, changed=changed, warnings=data.warnings)

    def fail(self, contribution: Contribution, failure: SyncError) -> ItemResult:
        if not self.dry_run:
            writer.record_pull_failure(contribution, failure, self.now)
        return ItemResult(contribution.pr_url, Status.FAILED, error=str(failure), error_kind=failure.kind)

    def discover(self, user: str) -> list[Contribution]:
        """Draft contributions for the user's merged pull requests to others' repositories that have none."""
        known = {url.lower() for url in Contribution.objects.values_list("pr_url", flat=True)}
        drafts = []
        pages = self.client.search_merged_pulls(user)
        for _, found in self.read_each(pages, read_search_item, UnreadableAnswer, "discovery skipped"):
            if found.url.lower() in known:
                continue
            known.add(found.url.lower())
            if self.dry_run:
                self.finish(ItemResult(found.url, Status.CREATED, ["would be created as a draft"]))
                continue
            draft = writer.create_draft(found, now=self.now)
            if draft is not None:
                self.wrote = True
                drafts.append(draft)
        return drafts


def default_client(budget: RequestBudget) -> GitHubClient:
    """The client as configured by GITHUB_API_URL and GITHUB_TOKEN."""
    return GitHubClient(token=settings.GITHUB_TOKEN or None, base_url=settings.GITHUB_API_URL, budget=budget)


def sync_contributions(
    *,
    queryset: QuerySet[Contribution] | None = None,
    only: Iterable[str] = (),
    discover: bool = False,
    dry_run: bool = False,
    timeout: float = 300.0,
    client_factory: Callable[[RequestBudget], GitHubClient] = default_client,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[int, int, ItemResult], None] | None = None,
) -> SyncReport:
    """Sync the given contributions (all by default) from GitHub; with `discover`, draft the missing ones first.

    `client_factory`, `clock` and `sleep` are injectable so tests can point at the fake GitHub
    and pass time without waiting.
    """
    started = clock()
    budget = RequestBudget(
        deadline=started + timeout,
        request_timeout=min(float(settings.GITHUB_REQUEST_TIMEOUT), timeout),
        clock=clock,
        sleep=sleep,
    )
    client = client_factory(budget)
    report = SyncReport(service="GitHub", items_name="pull_requests", key_name="url", dry_run=dry_run)
    run = _Run(client=client, report=report, progress=progress, now=timezone.now())

    user = ""
    if discover:
        profile = Profile.objects.first()
        user = profile.github_username if profile else ""
        if not user:
            report.fatal = "--discover needs the GitHub username in the profile"
            return report

    contributions = _contributions(queryset, only)
    created: set[int] = set()
    done: set[int] = set()
    with client, run.telling_the_page_cache():  # one connection pool for the whole run
        try:
            if user:
                try:
                    drafts = run.discover(user)
                except SyncError as error:
                    report.fatal = f"discovery failed: {error}"
                    drafts = []
                created = {draft.pk for draft in drafts}
                contributions += _contributions(Contribution.objects.filter(pk__in=created), ())
            run.total = len(contributions) + len(report.results)

            by_repository: dict[str, list[Contribution]] = {}
            for contribution in contributions:
                by_repository.setdefault(contribution.repository.lower(), []).append(contribution)
            for members in by_repository.values():
                repository = run.sync_repository(members[0].repository, members)
                for contribution in members:
                    result = run.sync_pull(contribution, repository)
                    if contribution.pk in created and result.status != Status.FAILED:
                        result.status = Status.CREATED
                        result.changed = ["created as a draft", *result.changed]
                    run.finish(result)
                    done.add(contribution.pk)
        except DeadlineExceeded:
            run.fail_unreached(contributions, done, run.fail, timeout)

    conclude(report, unreachable="GitHub could not be reached at all", refused="GitHub refused GITHUB_TOKEN")
    report.requests = client.requests
    report.not_modified = client.not_modified
    report.quota_wait = client.quota.waited
    report.seconds = clock() - started
    return report


def sync_listed(urls: list[str], progress, timeout: float, **options) -> SyncReport:
    """A run queued in the admin: the contributions it named when it was queued (portfolio/syncing/runs.py)."""
    return sync_contributions(
        queryset=Contribution.objects.filter(pr_url__in=urls), progress=progress, timeout=timeout, **options
    )
