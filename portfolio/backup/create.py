"""Making a backup: the database (SQLite's online backup API or pg_dump) and the media, with a checksummed manifest."""

import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import django
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from portfolio.backup.common import (
    DATABASE_FILES,
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    MEDIA_DIR,
    STAMP_FORMAT,
    BackupError,
    BackupResult,
    _describe,
    _files_in,
    _open_regular,
    _pg_connection_args,
    _pg_tool,
    _refuse_inside_media,
    _refuse_inside_transaction,
    _run,
    _supported_vendor,
    _unused_path,
    default_backup_root,
)
from portfolio.backup.restore import _copy_image


def create_backup(*, output_dir: Path | None = None) -> BackupResult:
    """Write the database and the media into a new timestamped folder under `output_dir` and return what it holds."""
    vendor = _supported_vendor()
    _refuse_inside_transaction("back up")
    root = (Path(output_dir) if output_dir is not None else default_backup_root()).absolute()
    media_root = Path(settings.MEDIA_ROOT)
    _refuse_inside_media(root, media_root, "write backups")

    created_at = datetime.now(UTC).replace(microsecond=0)
    folder = _unused_path(root, created_at.strftime(STAMP_FORMAT))
    database_file = folder / DATABASE_FILES[vendor]
    pg_dump = _pg_tool("pg_dump", _pg_dump_args("pg_dump", database_file)) if vendor == "postgresql" else None

    root.mkdir(parents=True, exist_ok=True)
    # Built under another name and renamed at the end, so a folder with the final name is always a complete backup.
    # Owner-only: it holds password hashes and sessions.
    partial = folder.with_name(folder.name + ".partial")
    partial.mkdir(mode=0o700)
    try:
        migrations = _migration_state()
        if pg_dump:
            _run(_pg_dump_args(pg_dump, partial / database_file.name), "pg_dump")
        else:
            _sqlite_backup(partial / database_file.name)
        # After the database, not before: Django writes an upload's file before the row naming it, so every file the
        # copied rows refer to already exists when the media are copied.
        media_found, skipped = _copy_media(media_root, partial / MEDIA_DIR)
        files = [_describe(partial, file) for file in _files_in(partial)]
        manifest = {
            "format": MANIFEST_FORMAT,
            "created_at": created_at.isoformat().replace("+00:00", "Z"),
            "django_version": django.get_version(),
            "database": {
                "vendor": vendor,
                "name": str(connection.settings_dict["NAME"]),
                "file": database_file.name,
            },
            "migrations": migrations,
            "media": {"root": str(media_root), "found": media_found},
            "files": [{"path": file.path, "size": file.size, "sha256": file.sha256} for file in files],
        }
        (partial / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise

    return BackupResult(
        path=folder,
        created_at=created_at,
        vendor=vendor,
        database=next(file for file in files if file.path == database_file.name),
        media=tuple(file for file in files if file.path.startswith(f"{MEDIA_DIR}/")),
        media_root=media_root,
        media_found=media_found,
        migrations=migrations,
        media_skipped=tuple(skipped),
    )


def _sqlite_backup(target: Path) -> None:
    # Through Django's own open connection rather than a second one opened on settings NAME: it is the database the
    # site really uses (whatever NAME and OPTIONS say), and it works for an in-memory database too (the test
    # suite's). One step (pages=-1) copies every page under a single read lock, so the copy is consistent even while
    # the site is writing: writers wait for it, as they would for any reader.
    connection.ensure_connection()
    target_db = sqlite3.connect(target)
    try:
        connection.connection.backup(target_db)
        # The copy inherits the live journal mode; in WAL mode it would depend on -wal/-shm companion files and
        # could not be opened read-only. One self-contained file is what a backup should be.
        target_db.execute("PRAGMA journal_mode=DELETE")
    finally:
        target_db.close()


def _copy_media(media_root: Path, target: Path) -> tuple[bool, list[str]]:
    """Copy the images under MEDIA_ROOT; return whether it exists, and what was left out.

    Only what a restore accepts is copied, so every backup can be restored: regular files (a link is not followed,
    the backup depends on nothing outside itself) that are images uploads produce.
    """
    if not media_root.is_dir():
        return False, []
    target.mkdir()
    skipped = []
    for directory, dirnames, filenames in os.walk(media_root):
        folder = Path(directory)
        for name in sorted(dirnames):
            if (folder / name).is_symlink():
                skipped.append((folder / name).relative_to(media_root).as_posix())
        for name in sorted(filenames):
            relative = (folder / name).relative_to(media_root).as_posix()
            try:
                with _open_regular(media_root, relative) as source:
                    _copy_image(source, relative, target / relative)
            except BackupError:
                skipped.append(relative)
    return True, skipped


def _migration_state() -> dict[str, str]:
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return {}
    # Rows are inserted as migrations are applied, so the highest id per app is its latest applied migration
    # (names sort the same way only until an app has a merge or a squash).
    latest: dict[str, str] = {}
    for app, name in recorder.migration_qs.order_by("id").values_list("app", "name"):
        latest[app] = name
    return dict(sorted(latest.items()))


def _pg_dump_args(pg_dump: str, target: Path) -> list[str]:
    return [
        pg_dump,
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        "--no-password",  # fail instead of prompting, which would hang under cron
        f"--file={target}",
        *_pg_connection_args(),
        f"--dbname={connection.settings_dict['NAME']}",
    ]
