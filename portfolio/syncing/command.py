"""The management command every sync is: arguments, lock, deadline, progress, report, exit codes.

A sync's command subclasses `SyncCommand` and says only what is its own: its name (also its
lock's and its admin runs' kind), how to run it (`run_sync`), how to run a run queued in the
admin (`run_items`), and which --only values it does not know (`unknown_items`).
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import CommandError

from portfolio.management.base import DocumentedExitCodesCommand
from portfolio.models import SyncRun
from portfolio.syncing import runs
from portfolio.syncing.deadline import hard_deadline
from portfolio.syncing.errors import DeadlineExceeded
from portfolio.syncing.locking import LockHeld, sync_lock
from portfolio.syncing.report import ItemResult, Status, SyncReport

# The exit codes every sync shares; a command's epilog starts with them.
EXIT_CODES = """exit codes:
  0  every {items} synced (or was unchanged)
  1  some {items}s failed; each is named, and keeps its previous data
  2  could not run: bad arguments, another {name} running, or {service} unreachable"""


class SyncCommand(DocumentedExitCodesCommand):
    name = ""  # the command's name: its lock, and the kind of its admin runs (SyncRun.Kind)
    only_help = ""
    only_metavar = ""
    discover_help = ""
    unknown_message = "nothing to sync for {} (add it in the admin first)"

    def run_sync(self, *, only, discover, dry_run, timeout, progress) -> SyncReport:
        raise NotImplementedError

    def run_items(self, items: list[str], progress, timeout: float) -> SyncReport:
        """A run queued in the admin, over the items it names."""
        raise NotImplementedError

    def unknown_items(self, only: list[str]) -> list[str]:
        return []

    def add_arguments(self, parser):
        parser.add_argument("--only", action="append", default=[], metavar=self.only_metavar, help=self.only_help)
        parser.add_argument("--discover", action="store_true", help=self.discover_help)
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; write nothing.")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the report as JSON (for monitoring)."
        )
        parser.add_argument(
            "--timeout", type=float, default=300.0, help="Stop the whole run after this many seconds (default 300)."
        )
        parser.add_argument(
            "--run-id",
            type=int,
            metavar="N",
            help="Run the sync queued in the admin as run N, recording its progress and outcome there "
            "(the admin starts this itself).",
        )

    def execute(self, *args, **options):
        # Bad arguments exit 2 like every other "could not run" (argparse does the same for unknown flags).
        try:
            return super().execute(*args, **options)
        except CommandError as error:
            self.stderr.write(f"{self.name}: {error}")
            sys.exit(2)

    def handle(self, *args, only, discover, dry_run, as_json, timeout, verbosity, run_id=None, **options):
        if timeout <= 0:
            raise CommandError("--timeout must be a positive number of seconds")
        if run_id is not None:
            if only or discover or dry_run:
                raise CommandError("--run-id takes its items from the run: no --only, --discover or --dry-run")
            self._run_queued(run_id, timeout)
        missing = self.unknown_items(only)
        if missing:
            raise CommandError(self.unknown_message.format(", ".join(missing)))

        progress = self._progress if (sys.stderr.isatty() and not as_json and verbosity >= 1) else None
        try:
            with sync_lock(self.name), hard_deadline(timeout + 10):
                report = self.run_sync(
                    only=only, discover=discover, dry_run=dry_run, timeout=timeout, progress=progress
                )
        except LockHeld as error:
            raise CommandError(f"{error}; not starting a second one") from None
        except DeadlineExceeded:
            raise CommandError(f"the run did not finish within --timeout ({timeout:g} s)") from None
        if progress:
            sys.stderr.write("\r\033[K")

        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self._print_report(report, verbosity)
        sys.exit(report.exit_code)

    def _run_queued(self, run_id: int, timeout: float) -> None:
        try:
            with hard_deadline(timeout + 10):
                run = runs.execute(self.name, run_id, self.run_items, timeout=timeout)
        except SyncRun.DoesNotExist:
            raise CommandError(f"no {self.name} run {run_id}") from None
        except runs.NotQueued as error:
            raise CommandError(str(error)) from None
        except DeadlineExceeded:
            raise CommandError(f"the run did not finish within --timeout ({timeout:g} s)") from None
        line = f"{self.name} run {run.pk}: {run.summary}"
        if run.status == SyncRun.Status.FAILED:
            self.stderr.write(line)
            sys.exit(2)
        for error in run.errors:
            self.stderr.write(f"FAILED {error['item']}: {error['error']}")
        self.stdout.write(line)
        sys.exit(1 if run.failed_count else 0)

    def _progress(self, done: int, total: int, result: ItemResult) -> None:
        sys.stderr.write(f"\r\033[K[{done}/{total}] {result.key}: {result.status}")
        sys.stderr.flush()

    def _print_report(self, report: SyncReport, verbosity: int) -> None:
        # Every text here that came from outside went through clean_text(): no control characters.
        for result in report.results:
            if result.status == Status.FAILED:
                self.stderr.write(f"FAILED {result.key}: {result.error}")
            elif verbosity >= 2 or (report.dry_run and result.changed):
                detail = f" ({', '.join(result.changed)})" if result.changed else ""
                self.stdout.write(f"{result.status:9} {result.key}{detail}")
            if verbosity >= 2:
                for warning in result.warnings:
                    self.stdout.write(f"  warning: {warning}")
        if verbosity >= 2:
            for warning in report.warnings:
                self.stdout.write(f"warning: {warning}")
        line = f"{self.name}: {report.summary()}"
        if report.warning_count and verbosity < 2:
            line += " (-v 2 lists the warnings)"
        self.stdout.write(self.style.SUCCESS(line) if report.exit_code == 0 else self.style.WARNING(line))
