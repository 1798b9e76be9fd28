import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

from portfolio.backup import VENDOR_NAMES, BackupError, check_restorable, printable, restore_backup
from portfolio.management.base import DocumentedExitCodesCommand

EXIT_CODES = """exit codes:
  0  restored
  1  not restored: the backup is damaged, of another database vendor, or the restore failed
     (the database is then left as it was)
  2  not restored: not confirmed (no terminal and no --yes, or the answer was not "yes")"""


class Command(DocumentedExitCodesCommand):
    epilog = EXIT_CODES
    help = (
        "Replace the whole database and the media files with a backup made by `manage.py backup`. "
        "Every checksum is verified first; the current media are moved aside, never deleted."
    )
    # call_command(..., stdin=...) lets tests answer, or not, the confirmation.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, metavar="DIR", help="The backup folder, e.g. var/backups/2026-…Z.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation (for scripts).")

    def handle(self, *args, path, yes, **options):
        try:
            manifest = check_restorable(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        if not yes:
            self._confirm(path, manifest, options.get("stdin") or sys.stdin)

        try:
            result = restore_backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from None

        # The manifest is input: its text reaches the terminal only escaped (printable).
        made = printable(result.created_at)
        self.stdout.write(self.style.SUCCESS(f"Restored the backup {printable(result.path)} (made {made})."))
        self.stdout.write(f"  database  {connection.settings_dict['NAME']} ({VENDOR_NAMES[result.vendor]})")
        files = "1 file" if result.media_files == 1 else f"{result.media_files} files"
        self.stdout.write(f"  media     {files} into {result.media_root}")
        if result.media_moved_aside:
            self.stdout.write(f"  the media from before the restore are in {result.media_moved_aside}")
        if result.pending_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup predates {len(result.pending_migrations)} migrations of this code: "
                    "run `python manage.py migrate`."
                )
            )
        if not result.cards_rendered:
            self.stdout.write(
                self.style.WARNING(
                    "The cards were not rendered again: after `migrate`, run `python manage.py render_cards`."
                )
            )
        if result.leftover_tables:
            self.stdout.write(
                self.style.WARNING(
                    "These tables are not in the backup and were left as they were: "
                    + ", ".join(result.leftover_tables)
                )
            )

    def _confirm(self, path: Path, manifest: dict, stdin) -> None:
        if not stdin.isatty():
            raise CommandError(
                "Restoring replaces the whole database and the media; with no terminal to confirm on, "
                "add --yes to do it.",
                returncode=2,
            )
        self.stdout.write(
            f"This replaces the whole database {connection.settings_dict['NAME']} and the media in "
            f"{settings.MEDIA_ROOT} with the backup {printable(path)} made {printable(manifest['created_at'])}.\n"
            "What was written since then leaves the database (run `manage.py backup` first to keep it); "
            "the current media are moved aside.\n"
            "Type 'yes' to restore: ",
            ending="",
        )
        self.stdout.flush()
        if stdin.readline().strip().lower() != "yes":
            raise CommandError("Not restored: not confirmed.", returncode=2)
