"""Hub syncs started from the admin: queued by the request, run in a process of their own.

The admin action must answer at once, and a sync can take minutes (the Hub's rate limit,
retries, a slow answer). So the request only records a `SyncRun` and starts
`manage.py sync_hub --run-id N` as a detached process; that process takes the same lock as
cron's runs (`sync_lock`), calls `sync_cards` and writes the run's progress and outcome into
the row, which the model card list shows while it runs.

A process rather than a task queue (django-tasks' database backend, django-q2): a
single-owner site syncs a few times a day, and a worker would be one more service to keep
running beside the web server, for `make run` and in production. A process started on
demand needs nothing running in between, and is the very command cron runs.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop
from huggingface_hub import HfApi

from models_showcase.hub import CardResult, Status, SyncReport, sync_cards
from models_showcase.locking import LockHeld, sync_lock
from models_showcase.models import ModelCard, SyncRun

logger = logging.getLogger(__name__)

# The run's own deadline, as cron's default: nothing blocks a request meanwhile.
RUN_TIMEOUT = 300.0
# A queued run whose process has not started by then never will; a running one past its
# deadline (and the command's backstop, 10 s later) has died without a word.
QUEUED_GRACE = timedelta(seconds=60)
RUNNING_GRACE = timedelta(seconds=RUN_TIMEOUT + 60)

# Stored as written and translated when shown (gettext_noop marks them for makemessages).
LOCK_HELD = gettext_noop("Another Hub sync was running (cron's or the admin's): nothing was synced. Try again later.")
NOT_STARTED = gettext_noop("The sync process could not be started: see the server's log.")
VANISHED = gettext_noop("The sync process stopped without finishing: see the server's log.")
CRASHED = gettext_noop("The sync stopped on an unexpected error: see the server's log.")


class AlreadyRunning(Exception):
    pass


class NotQueued(Exception):
    pass


def expire_stale(*, now=None) -> int:
    """Mark failed the runs whose process died without saying so (killed, machine restarted)."""
    now = now or timezone.now()
    queued = SyncRun.objects.filter(status=SyncRun.Status.QUEUED, queued_at__lt=now - QUEUED_GRACE)
    running = SyncRun.objects.filter(status=SyncRun.Status.RUNNING, started_at__lt=now - RUNNING_GRACE)
    return sum(
        stale.update(status=SyncRun.Status.FAILED, finished_at=now, summary=summary)
        for stale, summary in ((queued, NOT_STARTED), (running, VANISHED))
    )


def latest() -> SyncRun | None:
    """The newest run, for the status line; asked on every view of the list, so it writes only when it must."""
    run = SyncRun.objects.select_related("started_by").first()
    if run is not None and run.is_active:
        now = timezone.now()
        grace, since = (
            (QUEUED_GRACE, run.queued_at) if run.status == SyncRun.Status.QUEUED else (RUNNING_GRACE, run.started_at)
        )
        if since and since < now - grace:
            expire_stale(now=now)
            run.refresh_from_db()
    return run


def queue(*, cards: QuerySet[ModelCard], user) -> SyncRun:
    """Record a run of these cards and start its process once the request's transaction commits.

    Refused (AlreadyRunning) while another run is queued or running, or cron's sync holds the lock.
    """
    expire_stale()
    if SyncRun.objects.active().exists():
        raise AlreadyRunning
    try:
        with sync_lock():
            pass  # free now; the run's process takes it for itself
    except LockHeld:
        raise AlreadyRunning from None
    repo_ids = list(cards.order_by(*ModelCard._meta.ordering).values_list("repo_id", flat=True))
    run = SyncRun.objects.create(started_by=user, repo_ids=repo_ids, total=len(repo_ids))
    transaction.on_commit(lambda: start(run))
    return run


def command_line(run: SyncRun) -> list[str]:
    manage = str(settings.BASE_DIR / "manage.py")
    return [sys.executable, manage, "sync_hub", "--run-id", str(run.pk), "--timeout", f"{RUN_TIMEOUT:g}"]


def start(run: SyncRun) -> None:
    """Start the run's process, detached: it outlives the request, and a web server's restart."""
    try:
        process = subprocess.Popen(  # noqa: S603 (our own command line: this Python, manage.py, an id)
            command_line(run),
            cwd=settings.BASE_DIR,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # not in the web server's process group: its signals are not the run's
        )
    except OSError:
        logger.exception("Hub sync run %s: could not start its process", run.pk)
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.FAILED, finished_at=timezone.now(), summary=NOT_STARTED
        )
        return
    # Collect its exit status when it ends, so it does not linger as a zombie of this process.
    threading.Thread(target=process.wait, name=f"sync-run-{run.pk}", daemon=True).start()


def execute(run_id: int, *, timeout: float = RUN_TIMEOUT, api: HfApi | None = None, **options) -> SyncRun:
    """Run a queued run (what `sync_hub --run-id` calls); returns it as recorded.

    `api` and `options` (clock, sleep) are passed to `sync_cards`, for tests.
    """
    run = SyncRun.objects.get(pk=run_id)
    if run.status != SyncRun.Status.QUEUED:
        raise NotQueued(f"Hub sync run {run_id} is {run.status}, not queued")
    rows = SyncRun.objects.filter(pk=run.pk)

    def progress(done: int, total: int, result: CardResult) -> None:
        rows.update(done=done, total=total)

    try:
        with sync_lock():
            rows.update(status=SyncRun.Status.RUNNING, started_at=timezone.now())
            report = sync_cards(
                queryset=ModelCard.objects.filter(repo_id__in=run.repo_ids),
                timeout=timeout,
                api=api,
                progress=progress,
                **options,
            )
    except LockHeld:
        rows.update(status=SyncRun.Status.FAILED, finished_at=timezone.now(), summary=LOCK_HELD)
    except BaseException:
        rows.update(status=SyncRun.Status.FAILED, finished_at=timezone.now(), summary=CRASHED)
        raise
    else:
        record(run, report)
    run.refresh_from_db()
    return run


def record(run: SyncRun, report: SyncReport) -> None:
    """The outcome: counts, the report's summary line, and each card's error and warnings as the run named it."""
    errors = [{"repo_id": result.repo_id, "error": result.error, "kind": result.error_kind} for result in report.failed]
    warnings = [{"repo_id": "", "warning": text} for text in report.warnings] + [
        {"repo_id": result.repo_id, "warning": text} for result in report.results for text in result.warnings
    ]
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.FAILED if report.fatal else SyncRun.Status.DONE,
        finished_at=timezone.now(),
        done=len(report.results),
        total=len(report.results),
        synced_count=report.count(Status.UPDATED) + report.count(Status.CREATED),
        unchanged_count=report.count(Status.UNCHANGED),
        failed_count=len(report.failed),
        warning_count=report.warning_count,
        summary=report.summary()[: SyncRun._meta.get_field("summary").max_length],
        errors=errors,
        warnings=warnings,
    )
