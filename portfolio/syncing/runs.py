"""Syncs started from the admin: queued by the request, run in a process of their own.

The admin action must answer at once, and a sync can take minutes (a rate limit, retries,
a slow answer). So the request only records a `SyncRun` and starts `manage.py <kind>
--run-id N` (sync_hub, sync_github) as a detached process; that process takes the same lock
as cron's runs of that sync (`sync_lock`), calls the sync and writes the run's progress and
outcome into the row, which the admin's list shows while it runs.

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
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from portfolio.models import SyncRun
from portfolio.syncing.locking import LockHeld, sync_lock
from portfolio.syncing.report import ItemResult, Status, SyncReport

logger = logging.getLogger(__name__)

# The run's own deadline, as cron's default: nothing blocks a request meanwhile.
RUN_TIMEOUT = 300.0
# A queued run whose process has not started by then never will; a running one past its
# deadline (and the command's backstop, 10 s later) has died without a word.
QUEUED_GRACE = timedelta(seconds=60)
RUNNING_GRACE = timedelta(seconds=RUN_TIMEOUT + 60)

# Stored as written and translated when shown (gettext_noop marks them for makemessages).
LOCK_HELD = gettext_noop(
    "Another run of this sync was going on (cron's or the admin's): nothing was synced. Try again later."
)
NOT_STARTED = gettext_noop("The sync process could not be started: see the server's log.")
VANISHED = gettext_noop("The sync process stopped without finishing: see the server's log.")
CRASHED = gettext_noop("The sync stopped on an unexpected error: see the server's log.")


class AlreadyRunning(Exception):
    pass


class NotQueued(Exception):
    pass


# What a run does: sync these items (as queued), reporting progress; the sync's own function.
SyncFunction = Callable[[list[str], Callable[[int, int, ItemResult], None], float], SyncReport]


def expire_stale(kind: str, *, now=None) -> int:
    """Mark failed the runs whose process died without saying so (killed, machine restarted)."""
    now = now or timezone.now()
    runs = SyncRun.objects.filter(kind=kind)
    queued = runs.filter(status=SyncRun.Status.QUEUED, queued_at__lt=now - QUEUED_GRACE)
    running = runs.filter(status=SyncRun.Status.RUNNING, started_at__lt=now - RUNNING_GRACE)
    return sum(
        stale.update(status=SyncRun.Status.FAILED, finished_at=now, summary=summary)
        for stale, summary in ((queued, NOT_STARTED), (running, VANISHED))
    )


def latest(kind: str) -> SyncRun | None:
    """The newest run of a sync, for the status line; asked on each view of the list, so it writes only if it must."""
    run = SyncRun.objects.filter(kind=kind).select_related("started_by").first()
    if run is not None and run.is_active:
        now = timezone.now()
        grace, since = (
            (QUEUED_GRACE, run.queued_at) if run.status == SyncRun.Status.QUEUED else (RUNNING_GRACE, run.started_at)
        )
        if since and since < now - grace:
            expire_stale(kind, now=now)
            run.refresh_from_db()
    return run


def queue(kind: str, *, items: list[str], user) -> SyncRun:
    """Record a run of this sync over these items and start its process once the request's transaction commits.

    Refused (AlreadyRunning) while another run of it is queued or running, or cron's run holds the lock.
    """
    expire_stale(kind)
    if SyncRun.objects.filter(kind=kind).active().exists():
        raise AlreadyRunning
    try:
        with sync_lock(kind):
            pass  # free now; the run's process takes it for itself
    except LockHeld:
        raise AlreadyRunning from None
    run = SyncRun.objects.create(kind=kind, started_by=user, items=items, total=len(items))
    transaction.on_commit(lambda: start(run))
    return run


def command_line(run: SyncRun) -> list[str]:
    manage = str(settings.BASE_DIR / "manage.py")
    return [sys.executable, manage, run.kind, "--run-id", str(run.pk), "--timeout", f"{RUN_TIMEOUT:g}"]


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
        logger.exception("%s run %s: could not start its process", run.kind, run.pk)
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.FAILED, finished_at=timezone.now(), summary=NOT_STARTED
        )
        return
    # Collect its exit status when it ends, so it does not linger as a zombie of this process.
    threading.Thread(target=process.wait, name=f"sync-run-{run.pk}", daemon=True).start()


def execute(kind: str, run_id: int, sync: SyncFunction, *, timeout: float = RUN_TIMEOUT) -> SyncRun:
    """Run a queued run (what `<kind> --run-id` calls) with the sync's function; returns it as recorded."""
    run = SyncRun.objects.get(pk=run_id, kind=kind)
    if run.status != SyncRun.Status.QUEUED:
        raise NotQueued(f"{kind} run {run_id} is {run.status}, not queued")
    rows = SyncRun.objects.filter(pk=run.pk)

    def progress(done: int, total: int, result: ItemResult) -> None:
        rows.update(done=done, total=total)

    try:
        with sync_lock(kind):
            rows.update(status=SyncRun.Status.RUNNING, started_at=timezone.now())
            report = sync(run.items, progress, timeout)
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
    """The outcome: counts, the report's summary line, and each item's error and warnings as the run named it."""
    errors = [{"item": result.key, "error": result.error, "kind": result.error_kind} for result in report.failed]
    warnings = [{"item": "", "warning": text} for text in report.warnings] + [
        {"item": result.key, "warning": text} for result in report.results for text in result.warnings
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
