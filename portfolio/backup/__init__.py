"""Backups of the whole site, and bringing one back: "nothing lost".

A backup is one folder named after its UTC time (``2026-11-26T173000Z``) holding:

- the database: ``db.sqlite3`` (SQLite's online backup API) or ``database.dump`` (``pg_dump --format=custom``);
- ``media/``: a copy of MEDIA_ROOT, the uploads;
- ``manifest.json``: when, which database vendor, the migration state, and every file's size and sha256.

Restoring verifies every checksum before it touches anything, refuses a backup of another vendor, and never
deletes the current media: they are moved aside to ``<MEDIA_ROOT>.before-restore-<time>``.

A backup is trusted input: whoever can write one can put any row in the database. Checksums catch damage, not
tampering, so a restore also refuses what the site itself would never have written (docs/SECURITY.md): a symbolic
link anywhere, a media file that is not an image uploads produce (``portfolio/media_types.py``). Every file is read
from one descriptor opened without following links, checked and copied from it, so nothing can be swapped between
the check and the copy; manifest text is printed only through ``printable``.

The management commands ``backup`` and ``restore`` are thin wrappers around the functions here."""

from portfolio.backup.common import (
    COPY_CHUNK,
    DATABASE_FILES,
    IMAGE_KINDS,
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    MEDIA_DIR,
    RESTORE_LOCK_TIMEOUT,
    STAMP_FORMAT,
    VENDOR_NAMES,
    BackupError,
    BackupFile,
    BackupResult,
    RestoreResult,
    default_backup_root,
    format_size,
    printable,
)
from portfolio.backup.create import create_backup
from portfolio.backup.restore import check_restorable, restore_backup, verify_backup

__all__ = [
    "COPY_CHUNK",
    "DATABASE_FILES",
    "IMAGE_KINDS",
    "MANIFEST_FORMAT",
    "MANIFEST_NAME",
    "MEDIA_DIR",
    "RESTORE_LOCK_TIMEOUT",
    "STAMP_FORMAT",
    "VENDOR_NAMES",
    "BackupError",
    "BackupFile",
    "BackupResult",
    "RestoreResult",
    "check_restorable",
    "create_backup",
    "default_backup_root",
    "format_size",
    "printable",
    "restore_backup",
    "verify_backup",
]
