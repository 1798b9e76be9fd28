"""One sync run: which cards, which requests, what each card's outcome is, and the report.

One listing per author (page by page) says everything a card stores, so a portfolio of any
size costs a handful of requests. `model_info` is asked only for a card its author's listing
did not contain: renamed (the Hub redirects and answers with the new id), deleted, private
or disabled. A listing item that cannot be read costs only that model.
"""

from __future__ import annotations

import logging
import operator
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from huggingface_hub import HfApi

from models_showcase.hub import writer
from models_showcase.hub.client import DeadlineExceeded, HubClient, SyncError, clean_text, request_counter
from models_showcase.hub.mapping import HubModel, UnreadableModel, read_model, repo_id_of
from models_showcase.models import EvalResult, ModelCard, SyncErrorKind
from portfolio.models import Profile
from portfolio.page_cache import content_changed

logger = logging.getLogger(__name__)


class Status:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass
class CardResult:
    repo_id: str
    status: str
    changed: list[str] = field(default_factory=list)
    error: str = ""
    error_kind: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class SyncReport:
    results: list[CardResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # about the run, not one card (an unreadable listing item)
    requests: int = 0
    seconds: float = 0.0
    quota_wait: float = 0.0
    dry_run: bool = False
    fatal: str = ""  # set when the run could not do its work at all (exit code 2)

    def count(self, status: str) -> int:
        return sum(result.status == status for result in self.results)

    @property
    def failed(self) -> list[CardResult]:
        return [result for result in self.results if result.status == Status.FAILED]

    @property
    def warning_count(self) -> int:
        return len(self.warnings) + sum(len(result.warnings) for result in self.results)

    @property
    def exit_code(self) -> int:
        if self.fatal:
            return 2
        return 1 if self.failed else 0

    def summary(self) -> str:
        """One line for cron logs."""
        synced = self.count(Status.UPDATED) + self.count(Status.CREATED)
        prefix = "dry run: would sync" if self.dry_run else "synced"
        line = f"{prefix} {synced}, unchanged {self.count(Status.UNCHANGED)}, failed {len(self.failed)}"
        if self.count(Status.CREATED):
            line += f" (discovered {self.count(Status.CREATED)})"
        if self.warning_count:
            line += f", {self.warning_count} warning{'s' if self.warning_count != 1 else ''}"
        line += f" in {self.seconds:.1f} s, {self.requests} requests"
        if self.quota_wait:
            line += f" (waited {self.quota_wait:.0f} s for the Hub's quota)"
        return f"{line}: {self.fatal}" if self.fatal else line

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.exit_code == 0,
            "exit_code": self.exit_code,
            "dry_run": self.dry_run,
            "fatal": self.fatal,
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "counts": {
                status: self.count(status)
                for status in (Status.CREATED, Status.UPDATED, Status.UNCHANGED, Status.FAILED)
            },
            "warnings": self.warnings,
            "cards": [result.__dict__ for result in self.results],
        }


def default_api() -> HfApi:
    """HfApi as configured by HF_ENDPOINT and HF_TOKEN (read by huggingface_hub itself)."""
    return HfApi(library_name="hf-portfolio")


def _cards(queryset: QuerySet[ModelCard] | None, only: Iterable[str]) -> list[ModelCard]:
    queryset = ModelCard.objects.all() if queryset is None else queryset
    only = list(only)
    if only:
        queryset = queryset.filter(reduce(operator.or_, (Q(repo_id__iexact=repo_id) for repo_id in only)))
    # What comparing each card needs, fetched once for all of them. The card HTML is rendered
    # later from the row as written, not from these copies.
    return list(
        queryset.prefetch_related(Prefetch("eval_results", queryset=EvalResult.objects.order_by("position", "pk")))
    )


def unknown_repo_ids(only: Iterable[str]) -> list[str]:
    """The --only ids that have no card, to refuse a mistyped id before any request."""
    known = {repo_id.lower() for repo_id in ModelCard.objects.values_list("repo_id", flat=True)}
    return [repo_id for repo_id in only if repo_id.lower() not in known]


@dataclass
class Listing:
    """One author's models as the listing gave them: raw JSON by id and by the Hub's object id."""

    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_object_id: dict[str, dict[str, Any]] = field(default_factory=dict)

    def find(self, card: ModelCard) -> dict[str, Any] | None:
        return self.by_id.get(card.repo_id.lower()) or (
            self.by_object_id.get(card.hub_object_id) if card.hub_object_id else None
        )


class _Run:
    def __init__(self, *, client: HubClient, report: SyncReport, dry_run: bool, progress, now):
        self.client = client
        self.report = report
        self.dry_run = dry_run
        self.progress = progress
        self.now = now
        self.total = 0
        self.unchanged: list[tuple[ModelCard, HubModel]] = []
        self.wrote = False

    def finish(self, result: CardResult) -> None:
        self.report.results.append(result)
        if self.progress:
            self.progress(len(self.report.results), self.total, result)

    def list_author(self, author: str) -> Listing:
        listing = Listing()
        for page in self.client.list_author(author):
            for item in page:
                try:
                    repo_id = repo_id_of(item)
                except UnreadableModel as error:
                    self.report.warnings.append(f"listing of {author}: skipped {error}")
                    continue
                listing.by_id[repo_id.lower()] = item
                object_id = item.get("_id")
                if isinstance(object_id, str):
                    listing.by_object_id[object_id] = item
        return listing

    def sync_card(self, card: ModelCard, listing: Listing | None, listing_error: SyncError | None) -> CardResult:
        raw = listing.find(card) if listing is not None else None
        try:
            if raw is None:
                if listing_error is not None:
                    raise listing_error  # no per-card fallback: 500 cards would be 500 requests
                raw = self.client.model_info(card.repo_id)  # not listed: renamed, deleted, private, disabled
            # The repo's files (model-index, .eval_results) are as synced when its revision is.
            same_revision = bool(card.sha) and raw.get("sha") == card.sha and card.synced_at is not None
            model = read_model(raw, read_evals=not same_revision)
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
            clash = ModelCard.objects.filter(repo_id__iexact=model.repo_id).exclude(pk=card.pk).exists()
            if clash:
                message = f"renamed on the Hub to {model.repo_id}, which has a card of its own: delete one of them"
                return self.fail(card, SyncError(SyncErrorKind.NOT_FOUND, message))
        changed = writer.changes(card, model)
        if not changed:
            self.unchanged.append((card, model))  # written in bulk at the end of the run
            return CardResult(card.repo_id, Status.UNCHANGED, warnings=model.warnings)
        if not self.dry_run:
            try:
                writer.write_card(card, model, changed, now=self.now)
            except DatabaseError as error:
                # E.g. a value the database refuses: this card keeps its previous state, the run goes on.
                logger.warning("%s: could not be stored: %s", card.repo_id, clean_text(str(error), 200))
                failure = SyncError(SyncErrorKind.INVALID_RESPONSE, f"could not be stored ({type(error).__name__})")
                return self.fail(card, failure)
            self.wrote = True
        return CardResult(model.repo_id, Status.UPDATED, changed=changed, warnings=model.warnings)

    def fail(self, card: ModelCard, failure: SyncError) -> CardResult:
        if not self.dry_run:
            writer.record_failure(card, failure, self.now)
        return CardResult(card.repo_id, Status.FAILED, error=str(failure), error_kind=failure.kind)

    def discover(self, listing: Listing) -> None:
        cards = ModelCard.objects.values_list("repo_id", "hub_object_id")
        known_ids = {repo_id.lower() for repo_id, _ in cards}
        known_objects = {object_id for _, object_id in cards if object_id}
        new = [
            item for key, item in listing.by_id.items() if key not in known_ids and item.get("_id") not in known_objects
        ]
        self.total += len(new)
        for item in new:
            try:
                model = read_model(item)
            except UnreadableModel as error:
                self.report.warnings.append(f"discovery skipped {error}")
                continue
            if not self.dry_run:
                writer.create_draft(model, self.now)
                self.wrote = True
            self.finish(CardResult(model.repo_id, Status.CREATED, ["created as a draft"], warnings=model.warnings))


def sync_cards(
    *,
    queryset: QuerySet[ModelCard] | None = None,
    only: Iterable[str] = (),
    discover: bool = False,
    dry_run: bool = False,
    timeout: float = 300.0,
    api: HfApi | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[int, int, CardResult], None] | None = None,
) -> SyncReport:
    """Sync the given cards (all by default) from the Hub.

    `clock` and `sleep` are injectable so tests can pass time without waiting.
    """
    started = clock()
    request_timeout = min(float(settings.HUB_REQUEST_TIMEOUT), timeout)
    client = HubClient(
        api or default_api(), deadline=started + timeout, request_timeout=request_timeout, clock=clock, sleep=sleep
    )
    requests_before = request_counter.value
    report = SyncReport(dry_run=dry_run)
    run = _Run(client=client, report=report, dry_run=dry_run, progress=progress, now=timezone.now())

    discover_author = ""
    if discover:
        profile = Profile.objects.first()
        discover_author = profile.hub_username.lower() if profile else ""
        if not discover_author:
            report.fatal = "--discover needs the Hugging Face username in the profile"
            return report

    cards = _cards(queryset, only)
    run.total = len(cards)
    authors = sorted({card.owner.lower() for card in cards} | ({discover_author} if discover_author else set()))
    listings: dict[str, Listing] = {}
    listing_errors: dict[str, SyncError] = {}
    done: set[int] = set()
    try:
        try:
            for author in authors:
                try:
                    listings[author] = run.list_author(author)
                except SyncError as error:
                    listing_errors[author] = error
                    logger.warning("listing %s failed: %s", author, error)

            for card in cards:
                owner = card.owner.lower()
                run.finish(run.sync_card(card, listings.get(owner), listing_errors.get(owner)))
                done.add(card.pk)

            if discover_author:
                if discover_author in listing_errors:
                    report.fatal = f"discovery failed: {listing_errors[discover_author]}"
                else:
                    run.discover(listings[discover_author])
        except DeadlineExceeded:
            failure = SyncError(SyncErrorKind.DEADLINE, f"not reached: the run hit --timeout ({timeout:g} s)")
            for card in cards:
                if card.pk not in done:
                    run.finish(run.fail(card, failure))

        if run.unchanged and not dry_run:
            writer.touch_unchanged(run.unchanged, run.now)
            run.wrote = True
    finally:
        if run.wrote:
            # Queryset updates send no signals: tell the page cache ourselves, whatever happened
            # after (also when only "last synced" moved, so "updated N ago" stays true).
            content_changed()

    failures = report.failed
    if failures and len(failures) == len(report.results):
        kinds = {result.error_kind for result in failures}
        # Nothing reached the Hub, or it refused our token: the run could not do its work (exit 2).
        if kinds == {SyncErrorKind.NETWORK}:
            report.fatal = report.fatal or "the Hub could not be reached at all"
        elif kinds == {SyncErrorKind.TOKEN_REJECTED}:
            report.fatal = report.fatal or "the Hub refused HF_TOKEN"
    report.requests = request_counter.value - requests_before
    report.quota_wait = client.quota.waited
    report.seconds = clock() - started
    return report


@contextmanager
def hard_deadline(seconds: float) -> Iterator[None]:
    """A backstop in the command's main thread, should anything block past every request timeout.

    Only in the main thread, where SIGALRM can interrupt a wait; the run's own deadline
    checks stop it well before this fires.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum, frame):
        raise DeadlineExceeded

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
