from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portfolio.backup import (
    MANIFEST_NAME,
    MEDIA_DIR,
    VENDOR_NAMES,
    BackupError,
    create_backup,
    default_backup_root,
    format_size,
    printable,
)


class Command(BaseCommand):
    help = (
        "Back up the database and the media files (MEDIA_ROOT) into a new timestamped folder, with a manifest of "
        "checksums. Consistent while the site is running. Bring it back with `manage.py restore FOLDER`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            metavar="DIR",
            help=f"Create the backup folder in DIR (default: {default_backup_root()}).",
        )

    def handle(self, *args, output, **options):
        try:
            result = create_backup(output_dir=output)
        except BackupError as error:
            raise CommandError(str(error)) from None

        self.stdout.write(self.style.SUCCESS(f"Backup written to {result.path}"))
        database = f"{VENDOR_NAMES[result.vendor]} database"
        self.stdout.write(f"  {result.database.path:<14} {format_size(result.database.size):>10}  {database}")
        if not result.media_found:
            self.stdout.write(f"  {MEDIA_DIR + '/':<14} {'-':>10}  no media files ({result.media_root} does not exist)")
        else:
            count = len(result.media)
            files = f"{count} file{'' if count == 1 else 's'}"
            self.stdout.write(
                f"  {MEDIA_DIR + '/':<14} {format_size(result.media_size):>10}  {files} from {result.media_root}"
            )
        apps = len(result.migrations)
        self.stdout.write(f"  {MANIFEST_NAME:<14} {'':>10}  sha256 of every file, migration state of {apps} apps")
        self.stdout.write(f"  {'total':<14} {format_size(result.total_size):>10}")
        if result.media_skipped:
            # A restore accepts only the images uploads produce: these would make the backup unrestorable.
            self.stdout.write(
                self.style.WARNING(
                    f"Left out {len(result.media_skipped)} files in {result.media_root} that are links or not images "
                    "uploads produce (JPEG, PNG, WebP, GIF, AVIF): "
                    + ", ".join(printable(name) for name in result.media_skipped[:20])
                    + (" …" if len(result.media_skipped) > 20 else "")
                )
            )
