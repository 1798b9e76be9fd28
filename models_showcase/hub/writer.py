"""Writing what the Hub said: only the Hub's columns, evaluation rows in place, one card at a time.

The sync and the owner share each card's row. The owner's form writes only the owner's
fields (HubCard.save); the sync writes only the Hub's, with queryset updates. The card's
stored HTML shows both, so it is rendered *after* the sync's update, from the row as it is
then (rendering.refresh_card_html locks the row): an edit saved meanwhile is never reverted.
"""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from models_showcase.hub.eval_rows import EVAL_FIELDS, EVAL_KEY_FIELDS
from models_showcase.hub.mapping import HubRepo
from models_showcase.models import EvalResult, HubCard, HubSnapshot
from models_showcase.rendering import refresh_card_html
from portfolio.syncing.errors import SyncError

SNAPSHOT_FIELDS = ("downloads", "downloads_all_time", "likes")
# Positions: model-index rows first, then .eval_results rows, each in the Hub's order.
SOURCE_OFFSET = {EvalResult.Source.MODEL_INDEX: 0, EvalResult.Source.EVAL_RESULTS: 100_000}


def _comparable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def stored_rows(card: HubCard, source: str) -> list[dict[str, Any]]:
    """The card's rows of one source as the mapping writes them; needs eval_results prefetched by position."""
    return [
        {name: getattr(row, name) for name in EVAL_FIELDS} for row in card.eval_results.all() if row.source == source
    ]


def changes(card: HubCard, repo: HubRepo) -> list[str]:
    """The names of what the Hub's answer would change on the card."""
    changed = [name for name, value in repo.fields.items() if _comparable(getattr(card, name)) != _comparable(value)]
    if repo.repo_id != card.repo_id:
        changed.append("repo_id")
    if repo.object_id and repo.object_id != card.hub_object_id:
        changed.append("hub_object_id")
    for source, rows in repo.evals.items():
        if rows is not None and stored_rows(card, source) != rows:
            changed.append(f"eval_results ({source})")
    if repo.warnings != card.sync_warnings:
        changed.append("sync_warnings")
    if card.sync_error_kind:
        changed.append("sync_error")
    return changed


def _snapshot_numbers(card: HubCard, repo: HubRepo) -> dict[str, int | None]:
    # A number the Hub did not say is the one stored, never a NULL in the history.
    return {name: repo.fields.get(name, getattr(card, name)) for name in SNAPSHOT_FIELDS}


def write_card(card: HubCard, repo: HubRepo, changed: list[str], *, now) -> None:
    """One card, all or nothing: its Hub fields, its evaluation rows, today's snapshot and its stored HTML."""
    today = timezone.localdate(now)
    columns: dict[str, Any] = {
        **repo.fields,
        "sync_warnings": repo.warnings,
        "synced_at": now,
        "sync_error": "",
        "sync_error_kind": "",
        "sync_failed_at": None,
    }
    if repo.object_id:
        columns["hub_object_id"] = repo.object_id
    if "repo_id" in changed:
        columns["repo_id"] = repo.repo_id  # renamed on the Hub; the card, its history and its page follow
    with transaction.atomic():
        # A queryset update takes the row lock first: an owner's save waits for this transaction or
        # went before it, and the HTML rendered below sees either way the row as committed.
        HubCard.objects.filter(pk=card.pk).update(**columns)
        for source, rows in repo.evals.items():
            if rows is not None and f"eval_results ({source})" in changed:
                update_rows_in_place(card.pk, source, rows)
        numbers = _snapshot_numbers(card, repo)
        if any(value is not None for value in numbers.values()):
            HubSnapshot.objects.update_or_create(card_id=card.pk, date=today, defaults=numbers)
        refresh_card_html([card.pk])


def update_rows_in_place(card_id: int, source: str, rows: list[dict[str, Any]]) -> None:
    """Make the stored rows of one source equal `rows`, touching only those that differ.

    Rows are matched on what identifies a result (task, dataset, metric; the n-th of equal
    keys to the n-th), so an unchanged row keeps its id: the owner's headline pick stays,
    and an edit form opened before this sync still saves.
    """
    key_of = lambda row: tuple(row[name] for name in EVAL_KEY_FIELDS)  # noqa: E731
    existing: dict[tuple, deque[EvalResult]] = defaultdict(deque)
    for result in EvalResult.objects.filter(card_id=card_id, source=source).order_by("position", "pk"):
        existing[key_of({name: getattr(result, name) for name in EVAL_KEY_FIELDS})].append(result)
    offset = SOURCE_OFFSET[source]
    to_update, to_create = [], []
    for index, row in enumerate(rows):
        matches = existing.get(key_of(row))
        if not matches:
            to_create.append(EvalResult(card_id=card_id, position=offset + index, **row))
            continue
        result = matches.popleft()
        wanted = {**row, "position": offset + index}
        if any(getattr(result, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(result, name, value)
            to_update.append(result)
    gone = [result.pk for queue in existing.values() for result in queue]
    if gone:
        EvalResult.objects.filter(pk__in=gone).delete()  # a headline pointing at one is cleared (SET_NULL)
    if to_update:
        EvalResult.objects.bulk_update(to_update, [*EVAL_FIELDS, "position"], batch_size=500)
    if to_create:
        EvalResult.objects.bulk_create(to_create, batch_size=500)


def touch_unchanged(unchanged: list[tuple[HubCard, HubRepo]], now, *, batch: int = 500) -> None:
    """Cards whose Hub data is as stored: mark them checked, give each its snapshot for today, render it again.

    In bulk: most runs change few cards, and a transaction per unchanged card would be
    most of a run's time. Nothing here can leave a card half-written.
    """
    today = timezone.localdate(now)
    for start in range(0, len(unchanged), batch):
        chunk = unchanged[start : start + batch]
        ids = [card.pk for card, _ in chunk]
        with transaction.atomic():
            HubCard.objects.filter(pk__in=ids).update(synced_at=now)
            have = set(HubSnapshot.objects.filter(card_id__in=ids, date=today).values_list("card_id", flat=True))
            HubSnapshot.objects.bulk_create(
                HubSnapshot(card=card, date=today, **_snapshot_numbers(card, repo))
                for card, repo in chunk
                if card.pk not in have
            )
            # The stored card carries "last synced" (its `<time datetime>`, which the page shows as
            # "N minutes ago"): render each again, or it would show the previous run's time.
            refresh_card_html(ids)


def record_failure(card: HubCard, failure: SyncError, now) -> None:
    # The previous statistics stay; only the error is recorded.
    HubCard.objects.filter(pk=card.pk).update(
        sync_error=str(failure)[:300], sync_error_kind=failure.kind, sync_failed_at=now
    )


def create_draft(repo: HubRepo, now) -> HubCard:
    """A draft card for one of the owner's repos that has none: the owner reviews and publishes it."""
    with transaction.atomic():
        card = HubCard(kind=repo.kind, repo_id=repo.repo_id, is_published=False)
        card.save()
        card.sync_warnings = []
        write_card(card, repo, ["repo_id", *(f"eval_results ({source})" for source in repo.evals)], now=now)
    return card
