"""Pull each card's statistics from the Hugging Face Hub into the database.

One paginated `list_models(author=...)` per distinct author covers all of that
author's cards; `model_info` is asked only for cards the listing did not return.
Each card is written in its own transaction, and a card that fails keeps its
previous numbers and records why. `sync_cards` is what `manage.py sync_hub`
and the admin action call.
"""

from __future__ import annotations

import json
import logging
import operator
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from typing import Any

import httpx2
from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from huggingface_hub import HfApi, ModelInfo, set_client_factory
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.repocard_data import model_index_to_eval_results
from huggingface_hub.utils import parse_ratelimit_headers

# The library's own factory (private module, stable since 1.0): we keep its event
# hooks and only add a timeout and a request counter.
from huggingface_hub.utils._http import default_client_factory

from models_showcase.models import EvalResult, HubSnapshot, ModelCard, SyncErrorKind
from models_showcase.rendering import refresh_card_html, render_card
from portfolio.models import Profile
from portfolio.page_cache import content_changed

logger = logging.getLogger(__name__)

# Everything a card shows; cheaper than `full`, and allowed together with `author`.
EXPAND = [
    "author", "baseModels", "cardData", "createdAt", "disabled", "downloads", "downloadsAllTime", "gated",
    "lastModified", "library_name", "likes", "model-index", "pipeline_tag", "private", "safetensors", "sha",
    "tags", "trendingScore",
]  # fmt: skip

# The card fields sync writes: nothing the owner edits is among them.
HUB_FIELDS = [
    "downloads", "downloads_all_time", "likes", "trending_score", "hub_last_modified", "hub_created_at",
    "pipeline_tag", "library_name", "license", "languages", "datasets", "base_models", "parameters", "tags",
    "gated", "private", "disabled", "sha",
]  # fmt: skip

EVAL_FIELDS = [
    "task_type", "task_name", "dataset_type", "dataset_name", "dataset_config", "dataset_split", "metric_type",
    "metric_name", "metric_value", "verified",
]  # fmt: skip

MAX_ATTEMPTS = 4  # per model_info call: the first try and three retries
BACKOFF_BASE = 1.0
BACKOFF_MAX = 30.0


# ---------------------------------------------------------------------------
# Results


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


@dataclass
class SyncReport:
    results: list[CardResult] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    fatal: str = ""  # set when the run could not do its work at all (exit code 2)

    def count(self, status: str) -> int:
        return sum(result.status == status for result in self.results)

    @property
    def failed(self) -> list[CardResult]:
        return [result for result in self.results if result.status == Status.FAILED]

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
        line += f" in {self.seconds:.1f} s, {self.requests} requests"
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
            "cards": [result.__dict__ for result in self.results],
        }


class SyncError(Exception):
    """One card (or listing) could not be fetched; `kind` is a SyncErrorKind value."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class DeadlineExceeded(Exception):
    pass


# ---------------------------------------------------------------------------
# HTTP: a timeout on every request, and a count of them


class _RequestCounter:
    """Every request the shared client sends. Besides the sync's own, huggingface_hub
    fetches {ENDPOINT}/api/agent-harnesses at most once a day (for its user agent)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def __call__(self, request: httpx2.Request) -> None:
        with self._lock:
            self.value += 1


request_counter = _RequestCounter()
_client_lock = threading.Lock()
_client_timeout: float | None = None


def _ensure_client(timeout: float) -> None:
    """huggingface_hub's shared client has no timeout by default; give it ours, once."""
    global _client_timeout
    with _client_lock:
        if _client_timeout == timeout:
            return

        def factory() -> httpx2.Client:
            client = default_client_factory()
            client.timeout = httpx2.Timeout(timeout)
            client.event_hooks["request"].append(request_counter)
            return client

        set_client_factory(factory)
        _client_timeout = timeout


# ---------------------------------------------------------------------------
# Talking to the Hub


def classify(error: Exception) -> SyncError:
    """Map what huggingface_hub raises to a card's error kind and a message an owner can act on."""
    if isinstance(error, SyncError):
        return error
    if isinstance(error, GatedRepoError):
        return SyncError(SyncErrorKind.GATED, "gated on the Hub: accept its conditions, then set HF_TOKEN")
    if isinstance(error, RepositoryNotFoundError):
        return SyncError(SyncErrorKind.NOT_FOUND, "not found on the Hub (renamed, deleted, or private)")
    if isinstance(error, HfHubHTTPError):
        status = error.response.status_code if error.response is not None else 0
        if status in (401, 403):
            return SyncError(SyncErrorKind.UNAUTHORIZED, f"HTTP {status}: private, or HF_TOKEN lacks access")
        if status == 429:
            return SyncError(SyncErrorKind.RATE_LIMITED, "rate limited by the Hub (HTTP 429)")
        if status >= 500 or status == 408:
            return SyncError(SyncErrorKind.SERVER_ERROR, f"Hub server error (HTTP {status})")
        if status == 404:
            return SyncError(SyncErrorKind.NOT_FOUND, "not found on the Hub (HTTP 404)")
        return SyncError(SyncErrorKind.INVALID_RESPONSE, f"unexpected answer from the Hub (HTTP {status})")
    if isinstance(error, httpx2.TimeoutException):
        return SyncError(SyncErrorKind.TIMEOUT, "the Hub did not answer in time")
    if isinstance(error, httpx2.TransportError):
        return SyncError(SyncErrorKind.NETWORK, f"cannot reach the Hub ({type(error).__name__})")
    if isinstance(error, (json.JSONDecodeError, ValueError, KeyError, TypeError)):
        return SyncError(SyncErrorKind.INVALID_RESPONSE, f"unreadable answer from the Hub ({type(error).__name__})")
    return SyncError(SyncErrorKind.INVALID_RESPONSE, f"{type(error).__name__}: {error}")


RETRYABLE = {SyncErrorKind.RATE_LIMITED, SyncErrorKind.SERVER_ERROR, SyncErrorKind.TIMEOUT, SyncErrorKind.NETWORK}


def _retry_after(error: Exception) -> float | None:
    """Seconds the Hub asked us to wait, from `RateLimit` or `Retry-After`."""
    response = getattr(error, "response", None)
    if response is None:
        return None
    info = parse_ratelimit_headers(response.headers)
    if info is not None and info.remaining == 0:
        return float(info.reset_in_seconds)
    value = response.headers.get("retry-after", "")
    return float(value) if value.strip().isdigit() else None


class HubClient:
    """HfApi with a deadline, and bounded retries where the library has none (model_info)."""

    def __init__(
        self,
        api: HfApi,
        *,
        deadline: float,
        request_timeout: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.api = api
        self.deadline = deadline
        self.request_timeout = request_timeout
        self.clock = clock
        self.sleep = sleep

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def check_deadline(self) -> None:
        if self.remaining() <= 0:
            raise DeadlineExceeded

    def list_author(self, author: str) -> dict[str, ModelInfo]:
        """All of an author's models, keyed by lower-cased id. The library pages and retries this itself."""
        self.check_deadline()
        found = {}
        for info in self.api.list_models(author=author, expand=EXPAND):
            found[info.id.lower()] = info
            self.check_deadline()
        return found

    def model_info(self, repo_id: str) -> ModelInfo:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self.check_deadline()
            try:
                timeout = max(0.1, min(self.request_timeout, self.remaining()))
                return self.api.model_info(repo_id, expand=EXPAND, timeout=timeout)
            except Exception as error:  # classify() decides what each failure means
                failure = classify(error)
                if failure.kind not in RETRYABLE or attempt == MAX_ATTEMPTS:
                    raise failure from error
                wait = _retry_after(error)
                if wait is None:
                    wait = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1))
                if wait >= self.remaining():
                    raise SyncError(failure.kind, f"{failure} (asked to wait {wait:.0f} s, past --timeout)") from error
                logger.info("%s: %s; retrying in %.1f s", repo_id, failure, wait)
                self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover


# ---------------------------------------------------------------------------
# From ModelInfo to our fields


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value if item not in (None, "")]
    return [str(value)]


def _base_models(info: ModelInfo) -> list[str]:
    base = getattr(info, "base_models", None)
    if isinstance(base, dict):
        ids = [model.get("id") for model in base.get("models", []) if isinstance(model, dict)]
        if any(ids):
            return [model_id for model_id in ids if model_id]
    card_data = info.card_data
    return _as_list(getattr(card_data, "base_model", None)) if card_data is not None else []


def hub_fields(info: ModelInfo) -> dict[str, Any]:
    """The card's Hub fields from one ModelInfo; missing keys become empty, never errors."""
    card_data = info.card_data
    license_ = getattr(card_data, "license", None) if card_data is not None else None
    gated = info.gated
    return {
        "downloads": info.downloads,
        "downloads_all_time": info.downloads_all_time,
        "likes": info.likes,
        "trending_score": float(info.trending_score) if info.trending_score is not None else None,
        "hub_last_modified": info.last_modified,
        "hub_created_at": info.created_at,
        "pipeline_tag": info.pipeline_tag or "",
        "library_name": info.library_name or "",
        "license": ", ".join(_as_list(license_))[:100],
        "languages": _as_list(getattr(card_data, "language", None)) if card_data is not None else [],
        "datasets": _as_list(getattr(card_data, "datasets", None)) if card_data is not None else [],
        "base_models": _base_models(info),
        "parameters": info.safetensors.total if info.safetensors else None,
        "tags": _as_list(info.tags),
        "gated": gated if isinstance(gated, str) else "",
        "private": info.private,
        "disabled": info.disabled,
        "sha": info.sha or "",
    }


def eval_rows(info: ModelInfo) -> list[dict[str, Any]]:
    """Benchmark numbers from `model-index`, as (task, dataset, metric, value) rows."""
    results = None
    if info.model_index:
        try:
            _, results = model_index_to_eval_results(info.model_index)
        except (KeyError, TypeError, ValueError, AttributeError):
            logger.warning("%s: model-index could not be read; evaluation results skipped", info.id)
    if results is None and info.card_data is not None:
        results = getattr(info.card_data, "eval_results", None)
    rows = []
    for result in results or []:
        try:
            value = float(result.metric_value)
        except (TypeError, ValueError):
            continue  # a value like "N/A" is no number to show
        row = {name: getattr(result, name, None) or "" for name in EVAL_FIELDS}
        row.update(metric_value=value, verified=bool(result.verified))
        rows.append({key: value[:200] if isinstance(value, str) else value for key, value in row.items()})
    return rows


def _comparable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _changes(card: ModelCard, fields: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    changed = [name for name, value in fields.items() if _comparable(getattr(card, name)) != _comparable(value)]
    current_rows = [{name: getattr(row, name) for name in EVAL_FIELDS} for row in card.eval_results.all()]
    if current_rows != rows:
        changed.append("eval_results")
    return changed


# ---------------------------------------------------------------------------
# Writing


def _write(card: ModelCard, fields: dict[str, Any], rows: list[dict[str, Any]], changed: list[str], now) -> None:
    """One card, all or nothing: its fields, its evaluation rows, today's snapshot and its stored HTML."""
    today = timezone.localdate(now)
    numbers = {name: fields[name] for name in ("downloads", "downloads_all_time", "likes")}
    sync_state = {"synced_at": now, "sync_error": "", "sync_error_kind": "", "sync_failed_at": None}
    # The card's new HTML, rendered from the object in hand (badges and recent snapshots
    # were prefetched by _cards) rather than read back: a sync of many cards stays cheap.
    for name, value in {**fields, **sync_state}.items():
        setattr(card, name, value)
    recent = [snapshot for snapshot in getattr(card, "recent_snapshots", []) if snapshot.date != today]
    card.recent_snapshots = [*recent, HubSnapshot(card=card, date=today, **numbers)]
    with transaction.atomic():
        # A queryset update: only Hub fields (and the HTML made from them) are written, so
        # an owner's edit saved meanwhile in the admin is never overwritten.
        ModelCard.objects.filter(pk=card.pk).update(**fields, **sync_state, card_html=render_card(card, today=today))
        if "eval_results" in changed:
            card.eval_results.all().delete()
            EvalResult.objects.bulk_create(
                EvalResult(card=card, position=position, **row) for position, row in enumerate(rows)
            )
        HubSnapshot.objects.update_or_create(card=card, date=today, defaults=numbers)


def _touch_unchanged(unchanged: list[tuple[ModelCard, dict[str, Any]]], now, *, batch: int = 500) -> None:
    """Cards whose Hub data is as stored: mark them checked, and give each its snapshot for today.

    In bulk: most runs change few cards, and a transaction per unchanged card
    would be most of a run's time. Nothing here can leave a card half-written.
    """
    today = timezone.localdate(now)
    for start in range(0, len(unchanged), batch):
        chunk = unchanged[start : start + batch]
        ids = [card.pk for card, _ in chunk]
        with transaction.atomic():
            ModelCard.objects.filter(pk__in=ids).update(synced_at=now)
            have = set(HubSnapshot.objects.filter(card_id__in=ids, date=today).values_list("card_id", flat=True))
            HubSnapshot.objects.bulk_create(
                HubSnapshot(
                    card=card,
                    date=today,
                    **{name: fields[name] for name in ("downloads", "downloads_all_time", "likes")},
                )
                for card, fields in chunk
                if card.pk not in have
            )
            # The stored card shows the day it was last synced: re-render those whose day changed.
            refresh_card_html(
                card.pk for card, _ in chunk if card.synced_at is None or timezone.localdate(card.synced_at) != today
            )


def _record_failure(card: ModelCard, failure: SyncError, now) -> None:
    # The previous statistics stay; only the error is recorded.
    ModelCard.objects.filter(pk=card.pk).update(
        sync_error=str(failure)[:300], sync_error_kind=failure.kind, sync_failed_at=now
    )


# ---------------------------------------------------------------------------
# The run


def default_api() -> HfApi:
    """HfApi as configured by HF_ENDPOINT and HF_TOKEN (read by huggingface_hub itself)."""
    return HfApi(library_name="hf-portfolio")


def _cards(queryset: QuerySet[ModelCard] | None, only: Iterable[str]) -> list[ModelCard]:
    queryset = ModelCard.objects.all() if queryset is None else queryset
    only = list(only)
    if only:
        queryset = queryset.filter(reduce(operator.or_, (Q(repo_id__iexact=repo_id) for repo_id in only)))
    # What comparing and re-rendering each card needs, fetched once for all of them.
    queryset = queryset.for_cards(today=timezone.localdate())
    return list(queryset.prefetch_related(Prefetch("eval_results", queryset=EvalResult.objects.order_by("position"))))


def unknown_repo_ids(only: Iterable[str]) -> list[str]:
    """The --only ids that have no card, to refuse a mistyped id before any request."""
    known = {repo_id.lower() for repo_id in ModelCard.objects.values_list("repo_id", flat=True)}
    return [repo_id for repo_id in only if repo_id.lower() not in known]


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
    _ensure_client(request_timeout)
    requests_before = request_counter.value
    client = HubClient(
        api or default_api(), deadline=started + timeout, request_timeout=request_timeout, clock=clock, sleep=sleep
    )
    report = SyncReport(dry_run=dry_run)
    now = timezone.now()

    cards = _cards(queryset, only)
    discover_author = ""
    if discover:
        profile = Profile.objects.first()
        discover_author = profile.hub_username if profile else ""
        if not discover_author:
            report.fatal = "--discover needs the Hugging Face username in the profile"
            return report

    authors = sorted({card.owner.lower() for card in cards} | ({discover_author.lower()} if discover_author else set()))
    total = len(cards)
    listings: dict[str, dict[str, ModelInfo]] = {}
    listing_errors: dict[str, SyncError] = {}

    unchanged: list[tuple[ModelCard, dict[str, Any]]] = []

    def finish(result: CardResult) -> None:
        report.results.append(result)
        if progress:
            progress(len(report.results), total, result)

    try:
        for author in authors:
            try:
                listings[author] = client.list_author(author)
            except DeadlineExceeded:
                raise
            except Exception as error:  # each of its cards then falls back to model_info
                listing_errors[author] = classify(error)
                logger.warning("listing %s failed: %s; asking per model instead", author, listing_errors[author])

        for card in cards:
            owner = card.owner.lower()
            if owner in listing_errors and listing_errors[owner].kind == SyncErrorKind.NETWORK:
                # huggingface_hub already retried the listing: the Hub is unreachable, so
                # asking once more per card would only spend the run's time.
                finish(_fail(card, listing_errors[owner], now=now, dry_run=dry_run))
                continue
            finish(_sync_one(card, client, listings.get(owner, {}), now=now, dry_run=dry_run, unchanged=unchanged))

        if discover_author:
            known = {card.repo_id.lower() for card in ModelCard.objects.only("repo_id")}
            new = [info for key, info in listings.get(discover_author.lower(), {}).items() if key not in known]
            total += len(new)
            for info in new:
                finish(_discover_one(info, now=now, dry_run=dry_run))
            if discover_author.lower() in listing_errors:
                report.fatal = f"discovery failed: {listing_errors[discover_author.lower()]}"
    except DeadlineExceeded:
        done = {result.repo_id for result in report.results}
        for card in cards:
            if card.repo_id not in done:
                failure = SyncError(SyncErrorKind.DEADLINE, f"not reached: the run hit --timeout ({timeout:g} s)")
                finish(_fail(card, failure, now=now, dry_run=dry_run))

    if unchanged and not dry_run:
        _touch_unchanged(unchanged, now)

    # Nothing reached the Hub at all: the run could not do its work (exit code 2), not "some cards failed".
    failures = report.failed
    unreachable = all(result.error_kind == SyncErrorKind.NETWORK for result in failures)
    if failures and len(failures) == len(report.results) and unreachable:
        report.fatal = report.fatal or "the Hub could not be reached at all"

    if not dry_run and any(result.status != Status.FAILED for result in report.results):
        # Queryset updates send no signals: tell the page cache ourselves. Also when only
        # "last synced" moved, so the pages' "updated N ago" stays true.
        content_changed()

    report.requests = request_counter.value - requests_before
    report.seconds = clock() - started
    return report


def _sync_one(
    card: ModelCard,
    client: HubClient,
    listing: dict[str, ModelInfo],
    *,
    now,
    dry_run: bool,
    unchanged: list[tuple[ModelCard, dict[str, Any]]],
) -> CardResult:
    try:
        info = listing.get(card.repo_id.lower()) or client.model_info(card.repo_id)
        fields, rows = hub_fields(info), eval_rows(info)
    except DeadlineExceeded:
        raise
    except Exception as error:  # one card failing never stops the others
        return _fail(card, classify(error), now=now, dry_run=dry_run)

    changed = _changes(card, fields, rows)
    if card.sync_error:
        changed.append("sync_error")
    if not changed:
        unchanged.append((card, fields))  # written in bulk at the end of the run
        return CardResult(card.repo_id, Status.UNCHANGED)
    if not dry_run:
        _write(card, fields, rows, changed, now)
    return CardResult(card.repo_id, Status.UPDATED, changed=changed)


def _fail(card: ModelCard, failure: SyncError, *, now, dry_run: bool) -> CardResult:
    if not dry_run:
        _record_failure(card, failure, now)
    return CardResult(card.repo_id, Status.FAILED, error=str(failure), error_kind=failure.kind)


def _discover_one(info: ModelInfo, *, now, dry_run: bool) -> CardResult:
    """A draft card for one of the owner's models that has none: the owner reviews and publishes it."""
    if not dry_run:
        with transaction.atomic():
            card = ModelCard(repo_id=info.id, is_published=False)
            card.save()
            fields, rows = hub_fields(info), eval_rows(info)
            _write(card, fields, rows, ["eval_results"] if rows else [], now)
    return CardResult(info.id, Status.CREATED, changed=["created as a draft"])


@contextmanager
def hard_deadline(seconds: float) -> Iterator[None]:
    """A backstop for waits we do not control (huggingface_hub's own retry of a listing page).

    Only in the main thread, where SIGALRM can interrupt a sleep; the run's own deadline
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
