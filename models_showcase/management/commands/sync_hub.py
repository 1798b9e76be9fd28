import json
import sys

from django.core.management.base import CommandError

from models_showcase import sync_runs
from models_showcase.hub import DeadlineExceeded, Status, hard_deadline, sync_cards, unknown_repo_ids
from models_showcase.locking import LockHeld, sync_lock
from models_showcase.models import SyncRun
from portfolio.management.base import DocumentedExitCodesCommand

EXIT_CODES = """exit codes:
  0  every card synced (or was unchanged)
  1  some cards failed; each is named, and keeps its previous numbers
  2  could not run: bad arguments, another sync running, or the Hub unreachable

HF_TOKEN lets private and gated models sync; HF_ENDPOINT points at another Hub."""


class Command(DocumentedExitCodesCommand):
    epilog = EXIT_CODES
    help = (
        "Pull downloads, likes and the rest of each model card's Hub statistics into the database. "
        "Safe to run from cron: one card failing never stops the others, and two runs never overlap."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", action="append", default=[], metavar="REPO_ID", help="Sync only this card (repeatable)."
        )
        parser.add_argument(
            "--discover",
            action="store_true",
            help="Also create unpublished draft cards for the profile owner's Hub models that have none.",
        )
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
            help="Run the Hub sync queued in the admin as run N, recording its progress and outcome there "
            "(the admin starts this itself).",
        )

    def execute(self, *args, **options):
        # Bad arguments exit 2 like every other "could not run" (argparse does the same for unknown flags).
        try:
            return super().execute(*args, **options)
        except CommandError as error:
            self.stderr.write(f"sync_hub: {error}")
            sys.exit(2)

    def handle(self, *args, only, discover, dry_run, as_json, timeout, verbosity, run_id=None, **options):
        if timeout <= 0:
            raise CommandError("--timeout must be a positive number of seconds")
        if run_id is not None:
            if only or discover or dry_run:
                raise CommandError("--run-id takes its cards from the run: no --only, --discover or --dry-run")
            self._run_queued(run_id, timeout)
        missing = unknown_repo_ids(only)
        if missing:
            raise CommandError(f"no card for {', '.join(missing)} (add it in the admin first)")

        progress = self._progress if (sys.stderr.isatty() and not as_json and verbosity >= 1) else None
        try:
            with sync_lock(), hard_deadline(timeout + 10):
                report = sync_cards(only=only, discover=discover, dry_run=dry_run, timeout=timeout, progress=progress)
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
                run = sync_runs.execute(run_id, timeout=timeout)
        except SyncRun.DoesNotExist:
            raise CommandError(f"no Hub sync run {run_id}") from None
        except sync_runs.NotQueued as error:
            raise CommandError(str(error)) from None
        except DeadlineExceeded:
            raise CommandError(f"the run did not finish within --timeout ({timeout:g} s)") from None
        line = f"sync_hub run {run.pk}: {run.summary}"
        if run.status == SyncRun.Status.FAILED:
            self.stderr.write(line)
            sys.exit(2)
        for error in run.errors:
            self.stderr.write(f"FAILED {error['repo_id']}: {error['error']}")
        self.stdout.write(line)
        sys.exit(1 if run.failed_count else 0)

    def _progress(self, done: int, total: int, result) -> None:
        sys.stderr.write(f"\r\033[K[{done}/{total}] {result.repo_id}: {result.status}")
        sys.stderr.flush()

    def _print_report(self, report, verbosity: int) -> None:
        # Every text here that came from the Hub went through clean_text(): no control characters.
        for result in report.results:
            if result.status == Status.FAILED:
                self.stderr.write(f"FAILED {result.repo_id}: {result.error}")
            elif verbosity >= 2 or (report.dry_run and result.changed):
                detail = f" ({', '.join(result.changed)})" if result.changed else ""
                self.stdout.write(f"{result.status:9} {result.repo_id}{detail}")
            if verbosity >= 2:
                for warning in result.warnings:
                    self.stdout.write(f"  warning: {warning}")
        if verbosity >= 2:
            for warning in report.warnings:
                self.stdout.write(f"warning: {warning}")
        line = f"sync_hub: {report.summary()}"
        if report.warning_count and verbosity < 2:
            line += " (-v 2 lists the warnings)"
        self.stdout.write(self.style.SUCCESS(line) if report.exit_code == 0 else self.style.WARNING(line))
