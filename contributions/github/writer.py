"""Writing what GitHub said: repositories, their daily stars, pull requests, drafts; one item per transaction.

The sync writes only its own rows (GitHubRepository, RepositoryStars, PullRequest). The one
exception is a contribution's address, when GitHub's differs after a rename or transfer: it
is changed with a queryset update of `pr_url`, `repository` and `number` only, so the owner's
write-up is neither saved over nor rendered again. A field the mapping could not read (its
`unknown`) keeps the stored value; a failure keeps every stored value and records the error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from contributions.github.mapping import DiscoveredPull, PullRequestData, RepositoryData
from contributions.models import (
    Contribution,
    ContributionGroup,
    GitHubRepository,
    PullRequest,
    RepositoryStars,
    parse_pull_request_url,
)
from portfolio.syncing.errors import SyncError, clean_text

ERROR_LENGTH = 300
ETAG_LENGTH = 200
REPOSITORY_FIELDS = ("github_id", "full_name", "description", "stars", "language", "archived")
PULL_FIELDS = (
    "title", "state", "opened_at", "merged_at", "closed_at", "additions", "deletions", "changed_files", "commits",
    "comments", "review_comments", "labels", "author_login",
)  # fmt: skip


def _known(data: RepositoryData | PullRequestData, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(data, name) for name in names if name not in data.unknown}


def _apply(row: GitHubRepository | PullRequest, values: dict[str, Any]) -> list[str]:
    """Set the values on the row; the names of those that differ from what it held."""
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    return changed


def _fits(etag: str) -> str:
    return etag if len(etag) <= ETAG_LENGTH else ""  # a cut ETag would never match: store none


def _error_text(error: SyncError) -> str:
    return clean_text(str(error), ERROR_LENGTH)


# Repositories


def write_repository(data: RepositoryData, *, etag: str, now: datetime) -> tuple[GitHubRepository, list[str]]:
    """The repository as GitHub describes it, and today's stars. Returns the row and what changed."""
    with transaction.atomic():
        repository = _find_repository(data) or GitHubRepository(full_name="")
        values = _known(data, REPOSITORY_FIELDS)
        if values.get("archived") is None:
            values.pop("archived", None)
        if values["full_name"].lower() != repository.full_name.lower():
            _release_name(values["full_name"], keep=repository)
        changed = _apply(repository, values)
        if repository.sync_error_kind:
            changed.append("sync_error")
        repository.etag = _fits(etag)
        repository.synced_at = now
        repository.sync_error = repository.sync_error_kind = ""
        repository.save()
        _record_stars(repository, now)
    return repository, changed


def touch_repository(repository: GitHubRepository, *, now: datetime) -> None:
    """GitHub said 304 Not Modified: mark it checked, and give the trend today's point from the stored stars."""
    with transaction.atomic():
        GitHubRepository.objects.filter(pk=repository.pk).update(synced_at=now, sync_error="", sync_error_kind="")
        repository.synced_at, repository.sync_error, repository.sync_error_kind = now, "", ""
        _record_stars(repository, now)


def record_repository_failure(
    repository_or_full_name: GitHubRepository | str, error: SyncError, now: datetime
) -> GitHubRepository:
    """Keep what is stored; record the error (a repository never synced gets a row holding just its name)."""
    columns = {"sync_error": _error_text(error), "sync_error_kind": error.kind}
    with transaction.atomic():
        if isinstance(repository_or_full_name, GitHubRepository):
            repository = repository_or_full_name
        else:
            repository = GitHubRepository.objects.filter(full_name__iexact=repository_or_full_name).first()
            if repository is None:
                return GitHubRepository.objects.create(full_name=repository_or_full_name, **columns)
        GitHubRepository.objects.filter(pk=repository.pk).update(**columns)
    for name, value in columns.items():
        setattr(repository, name, value)
    return repository


def _find_repository(data: RepositoryData) -> GitHubRepository | None:
    """By GitHub's id (it survives renames), else by name if that row is not another repository's."""
    if data.github_id is not None:
        found = GitHubRepository.objects.select_for_update().filter(github_id=data.github_id).first()
        if found is not None:
            return found
    found = GitHubRepository.objects.select_for_update().filter(full_name__iexact=data.full_name).first()
    if found is not None and (found.github_id is None or found.github_id == data.github_id):
        return found
    return None


def _release_name(full_name: str, *, keep: GitHubRepository) -> None:
    """Free `full_name` for `keep`, which GitHub now gives that name.

    A row holding only the name (a failure recorded before the first sync) is merged into
    `keep`. A row of another repository that used to have the name (renamed away since, and
    the name taken by a new one) is marked with its id until its own next sync renames it.
    """
    for other in GitHubRepository.objects.select_for_update().filter(full_name__iexact=full_name).exclude(pk=keep.pk):
        if other.github_id is None:  # found by _find_repository unless `keep` was found by id: it has a pk
            other.pull_requests.update(repository=keep)
            other.delete()
        else:
            GitHubRepository.objects.filter(pk=other.pk).update(full_name=f"{full_name}@{other.github_id}"[:140])


def _record_stars(repository: GitHubRepository, now: datetime) -> None:
    # One point a day: a second sync the same day updates it.
    if repository.stars is not None:
        RepositoryStars.objects.update_or_create(
            repository=repository, date=timezone.localdate(now), defaults={"stars": repository.stars}
        )


# Pull requests


def write_pull(
    contribution: Contribution,
    data: PullRequestData,
    *,
    repository: GitHubRepository | None,
    etag: str,
    now: datetime,
) -> list[str]:
    """The contribution's pull request as GitHub describes it; its address if GitHub's moved. Returns what changed.

    `repository` None keeps the stored one (its own request failed).
    """
    with transaction.atomic():
        pull = PullRequest.objects.select_for_update().filter(contribution=contribution).first()
        pull = pull or PullRequest(contribution=contribution)
        changed = _compare(pull, contribution, data, repository)
        if "pr_url" in changed:
            _move_address(contribution, data.html_url)
        pull.etag = _fits(etag)
        pull.synced_at = now
        pull.sync_error = pull.sync_error_kind = ""
        pull.save()
    return changed


def pull_changes(
    contribution: Contribution, data: PullRequestData, *, repository: GitHubRepository | None
) -> list[str]:
    """What write_pull would change (for --dry-run); writes nothing."""
    pull = PullRequest.objects.filter(contribution=contribution).first() or PullRequest(contribution=contribution)
    return _compare(pull, contribution, data, repository)


def _compare(
    pull: PullRequest, contribution: Contribution, data: PullRequestData, repository: GitHubRepository | None
) -> list[str]:
    """Set GitHub's values and the warnings on `pull` (not saved); the names of what changed."""
    values = _known(data, PULL_FIELDS)
    if repository is not None:
        values["repository_id"] = repository.pk
    changed = _apply(pull, values)
    warnings = list(data.warnings)
    if data.html_url and data.html_url != contribution.pr_url:
        if Contribution.objects.filter(pr_url__iexact=data.html_url).exclude(pk=contribution.pk).exists():
            warnings.append(
                f"address: GitHub now names it {data.html_url}, which another contribution has; kept the old one"
            )
        else:
            changed.append("pr_url")
    if warnings != pull.sync_warnings:
        changed.append("sync_warnings")
    if pull.sync_error_kind:
        changed.append("sync_error")
    pull.sync_warnings = warnings
    return changed


def _move_address(contribution: Contribution, url: str) -> None:
    """Point the contribution at the pull request's new address (GitHub's, after a rename or transfer)."""
    ref = parse_pull_request_url(url)
    # Not save(): that would render the write-up again and could overwrite an edit saved meanwhile.
    Contribution.objects.filter(pk=contribution.pk).update(pr_url=ref.url, repository=ref.repository, number=ref.number)
    contribution.pr_url, contribution.repository, contribution.number = ref.url, ref.repository, ref.number


def touch_pull(contribution: Contribution, *, now: datetime) -> None:
    """GitHub said 304 Not Modified: the stored pull request is current."""
    PullRequest.objects.filter(contribution=contribution).update(synced_at=now, sync_error="", sync_error_kind="")


def record_pull_failure(contribution: Contribution, error: SyncError, now: datetime) -> None:
    """Keep what is stored; record the error. A pull request never synced gets a row holding just the error.

    `now` is not stored: `synced_at` stays the time of the last success.
    """
    columns = {"sync_error": _error_text(error), "sync_error_kind": error.kind}
    with transaction.atomic():
        if not PullRequest.objects.filter(contribution=contribution).update(**columns):
            PullRequest.objects.create(contribution=contribution, **columns)


# Discovery


def create_draft(discovered: DiscoveredPull, *, now: datetime) -> Contribution | None:
    """An unpublished contribution for a merged pull request found by search; None if one has that address.

    It joins the group of another contribution to the same repository, else a new group named
    after the repository (last on the page). The write-up is the owner's to write.
    """
    with transaction.atomic():
        if Contribution.objects.filter(pr_url__iexact=discovered.url).exists():
            return None
        sibling = Contribution.objects.filter(repository__iexact=discovered.repository).order_by("pk").first()
        group = sibling.group if sibling is not None else _group_named(discovered.repository)
        last = group.contributions.aggregate(last=Max("sort_order"))["last"]
        contribution = Contribution(
            group=group,
            pr_url=discovered.url,
            title=discovered.title,
            writeup="",
            sort_order=0 if last is None else last + 1,
            is_published=False,
        )
        contribution.save()
    return contribution


def _group_named(title: str) -> ContributionGroup:
    group = ContributionGroup.objects.filter(title__iexact=title).first()
    if group is not None:
        return group
    last = ContributionGroup.objects.aggregate(last=Max("sort_order"))["last"]
    group = ContributionGroup(title=title, sort_order=0 if last is None else last + 1)
    group.save()
    return group
