"""One sync run: which cards, which requests, what each card's outcome is, and the report.

Models, datasets and Spaces go the same way. One listing per author and kind (page by page)
says everything a card stores, so a portfolio of any size costs a handful of requests.
`repo_info` is asked only for a card its author's listing did not contain: renamed (the Hub
redirects and answers with the new id), deleted, private or disabled. A listing item that
cannot be read costs only that repo.

A card is named in reports and `--only` as the Hub's path names it: `owner/name` for a
model, `datasets/owner/name`, `spaces/owner/name`.
"""

from __future__ import annotations

import logging
import operator
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from huggingface_hub import HfApi

from models_showcase.hub import writer
from models_showcase.hub.client import HubClient, request_counter
from models_showcase.hub.mapping import HubRepo, UnreadableModel, read_repo, repo_id_of
from models_showcase.models import HUB_PREFIX, EvalResult, HubCard, Kind
from models_showcase.papers.sync import sync_papers
from portfolio.models import Profile
from portfolio.syncing.budget import RequestBudget
from portfolio.syncing.errors import DeadlineExceeded, SyncError, SyncErrorKind, clean_text
from portfolio.syncing.progress import RunProgress, conclude
from portfolio.syncing.report import ItemResult, Status, SyncReport

logger = logging.getLogger(__name__)


def default_api() -> HfApi:
    """HfApi as configured by HF_ENDPOINT and HF_TOKEN (read by huggingface_hub itself)."""
    return HfApi(library_name="hf-portfolio")


def parse_key(key: str) -> tuple[str, str]:
    """`datasets/owner/name` -> ("dataset", "owner/name"); a bare `owner/name` is a model."""
    for kind, prefix in HUB_PREFIX.items():
        if prefix and key.lower().startswith(prefix):
            return kind, key[len(prefix) :]
    return Kind.MODEL, key


def _cards(queryset: QuerySet[HubCard] | None, only: Iterable[str]) -> list[HubCard]:
    queryset = HubCard.objects.all() if queryset is None else queryset
    only = [parse_key(key) for key in only]
    if only:
        named = (Q(kind=kind, repo_id__iexact=repo_id) for kind, repo_id in only)
        queryset = queryset.filter(reduce(operator.or_, named))
    # What comparing each card needs, fetched once for all of them. The card HTML is rendered
    # later from the row as written, not from these copies.
    return list(
        queryset.prefetch_related(Prefetch("eval_results", queryset=EvalResult.objects.order_by("position", "pk")))
    )


def unknown_repo_ids(only: Iterable[str]) -> list[str]:
    """The --only names that have no card, to refuse a mistyped one before any request."""
    known = {(kind, repo_id.lower()) for kind, repo_id in HubCard.objects.values_list("kind", "repo_id")}
    return [
        key for key, (kind, repo_id) in ((key, parse_key(key)) for key in only) if (kind, repo_id.lower()) not in known
    ]


@dataclass
class Listing:
    """One author's repos of one kind as the listing gave them: raw JSON by id and by the Hub's object id."""

    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_object_id: dict[str, dict[str, Any]] = field(default_factory=dict)

    def find(self, card: HubCard) -> dict[str, Any] | None:
        return self.by_id.get(card.repo_id.lower()) or (
            self.by_object_id.get(card.hub_object_id) if card.hub_object_id else None
        )


class _Run(RunProgress):
    def __init__(self, *, client: HubClient, report: SyncReport, progress, now):
        super().__init__(report, progress=progress, now=now)
        self.client = client
        self.unchanged: list[tuple[HubCard, HubRepo]] = []

    def list_author(self, kind: str, author: str) -> Listing:
        listing = Listing()
        pages = self.client.list_author(author, kind)
        where = f"{kind} listing of {author}: skipped"
        for item, repo_id in self.read_each(pages, repo_id_of, UnreadableModel, where):
            listing.by_id[repo_id.lower()] = item
            object_id = item.get("_id")
            if isinstance(object_id, str):
                listing.by_object_id[object_id] = item
        return listing

    def sync_card(self, card: HubCard, listing: Listing | None, listing_error: SyncError | None) -> ItemResult:
        raw = listing.find(card) if listing is not None else None
        try:
            if raw is None:
                if listing_error is not None:
                    raise listing_error  # no per-card fallback: 500 cards would be 500 requests
                raw = self.client.repo_info(card.repo_id, card.kind)  # not listed: renamed, deleted, private, disabled
            # The repo's files (model-index, .eval_results) are as synced when its revision is.
            same_revision = bool(card.sha) and raw.get("sha") == card.sha and card.synced_at is not None
            model = read_repo(raw, card.kind, read_evals=not same_revision)
            if same_revision:  # what the last reading of the evaluation results noticed still holds
                model.warnings += [text for text in card.sync_warnings if text.startswith("evaluation results")]
        except DeadlineExceeded:
            raise
        except UnreadableModel as error:
            return self.fail(card, SyncError(SyncErrorKind.INVALID_RESPONSE, f"unreadable answer: {error}"))
        except Exception as error:  # one card failing never stops the others
            failure = (
                error
                if isinstance(error, SyncError)
                else SyncError(SyncErrorKind.INVALID_RESPONSE, f"unreadable answer ({type(error).__name__})")
            )
            return self.fail(card, failure)

        if model.repo_id.lower() != card.repo_id.lower():
            clash = HubCard.objects.filter(kind=card.kind, repo_id__iexact=model.repo_id).exclude(pk=card.pk).exists()
            if clash:
                message = f"renamed on the Hub to {model.repo_id}, which has a card of its own: delete one of them"
                return self.fail(card, SyncError(SyncErrorKind.NOT_FOUND, message))
        changed = writer.changes(card, model)
        if not changed:
            self.unchanged.append((card, model))  # written in bulk at the end of the run
            return ItemResult(card.hub_path, Status.UNCHANGED, warnings=model.warnings)
        if not self.dry_run:
            try:
                writer.write_card(card, model, changed, now=self.now)
            except DatabaseError as error:
                # E.g. a value the database refuses: this card keeps its previous state, the run goes on.
                logger.warning("%s: could not be stored: %s", card.hub_path, clean_text(str(error), 200))
                failure = SyncError(SyncErrorKind.INVALID_RESPONSE, f"could not be stored ({type(error).__name__})")
                return self.fail(card, failure)
            self.wrote = True
        return ItemResult(
            HUB_PREFIX[card.kind] + model.repo_id, Status.UPDATED, changed=changed, warnings=model.warnings
        )

    def fail(self, card: HubCard, failure: SyncError) -> ItemResult:
        if not self.dry_run:
            writer.record_failure(card, failure, self.now)
        return ItemResult(card.hub_path, Status.FAILED, error=str(failure), error_kind=failure.kind)

    def discover(self, kind: str, listing: Listing) -> None:
        cards = HubCard.objects.filter(kind=kind).values_list("repo_id", "hub_object_id")
        known_ids = {repo_id.lower() for repo_id, _ in cards}
        known_objects = {object_id for _, object_id in cards if object_id}
        new = [
            item for key, item in listing.by_id.items() if key not in known_ids and item.get("_id") not in known_objects
        ]
        self.total += len(new)
        for item in new:
            try:
                model = read_repo(item, kind)
            except UnreadableModel as error:
                self.report.warnings.append(f"discovery skipped {error}")
                continue
            if not self.dry_run:
                writer.create_draft(model, self.now)
                self.wrote = True
            key = HUB_PREFIX[kind] + model.repo_id
            self.finish(ItemResult(key, Status.CREATED, ["created as a draft"], warnings=model.warnings))


def sync_cards(
    *,
    queryset: QuerySet[HubCard] | None = None,
    only: Iterable[str] = (),
    discover: bool = False,
    dry_run: bool = False,
    timeout: float = 300.0,
    api: HfApi | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[int, int, ItemResult], None] | None = None,
) -> SyncReport:
    """Sync the given cards (all by default) from the Hub.

    `clock` and `sleep` are injectable so tests can pass time without waiting.
    """
    started = clock()
    request_timeout = min(float(settings.HUB_REQUEST_TIMEOUT), timeout)
    budget = RequestBudget(deadline=started + timeout, request_timeout=request_timeout, clock=clock, sleep=sleep)
    client = HubClient(api or default_api(), budget=budget)
    requests_before = request_counter.value
    report = SyncReport(service="the Hub", items_name="cards", key_name="repo_id", dry_run=dry_run)
    run = _Run(client=client, report=report, progress=progress, now=timezone.now())

    discover_author = ""
    if discover:
        profile = Profile.objects.first()
        discover_author = profile.hub_username.lower() if profile else ""
        if not discover_author:
            report.fatal = "--discover needs the Hugging Face username in the profile"
            return report

    cards = _cards(queryset, only)
    run.total = len(cards)
    # One listing per author and kind the cards need; discovery lists all three kinds of the owner.
    wanted = {(card.kind, card.owner.lower()) for card in cards}
    wanted |= {(kind, discover_author) for kind in Kind.values} if discover_author else set()
    listings: dict[tuple[str, str], Listing] = {}
    listing_errors: dict[tuple[str, str], SyncError] = {}
    done: set[int] = set()
    with run.telling_the_page_cache():  # also when only "last synced" moved, so "updated N ago" stays true
        try:
            for kind, author in sorted(wanted, key=lambda pair: (Kind.values.index(pair[0]), pair[1])):
                try:
                    listings[kind, author] = run.list_author(kind, author)
                except SyncError as error:
                    listing_errors[kind, author] = error
                    logger.warning("%s listing of %s failed: %s", kind, author, error)

            for card in cards:
                where = (card.kind, card.owner.lower())
                run.finish(run.sync_card(card, listings.get(where), listing_errors.get(where)))
                done.add(card.pk)

            for kind in Kind.values if discover_author else ():
                if (kind, discover_author) in listing_errors:
                    report.fatal = f"discovery failed: {listing_errors[kind, discover_author]}"
                else:
                    run.discover(kind, listings[kind, discover_author])
        except DeadlineExceeded:
            run.fail_unreached(cards, done, run.fail, timeout)

        # Papers, after the cards whose tags say which papers they cite (models_showcase/papers/sync.py).
        sync_papers(run, client, only=only, cards_selected=queryset is not None, discover=discover)

        if run.unchanged and not dry_run:
            writer.touch_unchanged(run.unchanged, run.now)
            run.wrote = True

    conclude(report, unreachable="the Hub could not be reached at all", refused="the Hub refused HF_TOKEN")
    report.requests = request_counter.value - requests_before
    report.quota_wait = client.quota.waited
    report.seconds = clock() - started
    return report


def sync_listed(keys: list[str], progress, timeout: float, **options) -> SyncReport:
    """A run queued in the admin: the cards it named when it was queued (portfolio/syncing/runs.py)."""
    queryset = HubCard.objects.all() if keys else HubCard.objects.none()  # every card it named may be deleted
    return sync_cards(queryset=queryset, only=keys, progress=progress, timeout=timeout, **options)
