"""Bringing a backup back: verified before anything is touched, one descriptor per file (see the package)."""

import hashlib
import json
import os
import re
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from portfolio import media_types
from portfolio.backup.common import (
    COPY_CHUNK,
    IMAGE_KINDS,
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    MEDIA_DIR,
    RESTORE_LOCK_TIMEOUT,
    STAMP_FORMAT,
    VENDOR_NAMES,
    BackupError,
    RestoreResult,
    _files_in,
    _open_regular,
    _pg_connection_args,
    _pg_tool,
    _read_all,
    _refuse_inside_media,
    _refuse_inside_transaction,
    _run,
    _supported_vendor,
    _unused_path,
    printable,
)


def verify_backup(path: Path) -> None:
    """Raise BackupError unless every file the manifest lists is there, unchanged, and nothing else is."""
    path = Path(path)
    manifest = _read_manifest(path)
    listed = {entry["path"]: entry for entry in manifest["files"]}
    present = {file.relative_to(path).as_posix() for file in _files_in(path)}
    problems = [f"{printable(name)} is missing" for name in sorted(listed.keys() - present)]
    problems += [f"{printable(name)} is not listed in the manifest" for name in sorted(present - listed.keys())]
    for name in sorted(listed.keys() & present):
        entry = listed[name]
        try:
            with _open_regular(path, name) as file:
                size, sha256, head = _read_all(file)
        except BackupError as error:
            problems.append(str(error))
            continue
        if size != entry["size"]:
            problems.append(f"{printable(name)} has {size} bytes, the manifest says {entry['size']}")
        elif sha256 != entry["sha256"]:
            problems.append(f"{printable(name)} does not match its sha256 checksum")
        elif name.startswith(f"{MEDIA_DIR}/") and media_types.served_type(name, head) is None:
            problems.append(f"{printable(name)} is not an image uploads produce ({IMAGE_KINDS})")
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise BackupError(
            f"The backup {printable(path)} is damaged or was modified, so it will not be restored: {shown}."
        )


def check_restorable(path: Path) -> dict[str, Any]:
    """Verify the backup and that it fits this site's database; return its manifest. Touches nothing."""
    path = Path(path)
    verify_backup(path)
    manifest = _read_manifest(path)
    vendor = _supported_vendor()
    theirs = manifest["database"]["vendor"]
    if theirs != vendor:
        raise BackupError(
            f"The backup {printable(path)} is of a {printable(VENDOR_NAMES.get(theirs, theirs))} database and "
            f"this site uses "
            f"{VENDOR_NAMES[vendor]}: a backup can only be restored into the same kind of database."
        )
    return manifest


def _read_manifest(path: Path) -> dict[str, Any]:
    manifest_file = path / MANIFEST_NAME
    if not path.is_dir():
        raise BackupError(
            f"{printable(path)} is not a folder: give the backup folder, e.g. var/backups/2026-11-26T173000Z."
        )
    if not manifest_file.is_file():
        raise BackupError(f"{printable(path)} is not a complete backup: it has no {MANIFEST_NAME}.")
    try:
        manifest = json.loads(manifest_file.read_text("utf-8"))
        if manifest["format"] != MANIFEST_FORMAT:
            raise BackupError(
                f"{printable(manifest_file)} is format {printable(manifest['format'])}; "
                f"this code reads {MANIFEST_FORMAT}."
            )
        if not isinstance(manifest["created_at"], str) or not isinstance(manifest["database"]["vendor"], str):
            raise ValueError("the creation time or the database vendor is not text")
        database_file = manifest["database"]["file"]
        files = manifest["files"]
        names = [entry["path"] for entry in files]
        if not all(_safe_relative(name) for name in names) or database_file not in names:
            raise ValueError("a file path is unsafe, or the database file is not listed")
        if not all(isinstance(entry["size"], int) and isinstance(entry["sha256"], str) for entry in files):
            raise ValueError("a size or a checksum is not of the right type")
    except (ValueError, KeyError, TypeError) as error:
        raise BackupError(f"{printable(manifest_file)} is not a valid backup manifest ({printable(error)}).") from None
    return manifest


def _safe_relative(name: object) -> bool:
    # The manifest is input like any other: no absolute paths, no way out of the backup folder.
    if not isinstance(name, str) or not name:
        return False
    parts = PurePosixPath(name).parts
    return not PurePosixPath(name).is_absolute() and ".." not in parts and "\\" not in name


def restore_backup(path: Path) -> RestoreResult:
    """Replace the database and the media with the backup's, after verifying it; the current media are moved aside."""
    path = Path(path)
    manifest = check_restorable(path)
    _refuse_inside_transaction("restore")
    media_root = Path(settings.MEDIA_ROOT)
    _refuse_inside_media(path, media_root, "restore a backup")
    vendor = manifest["database"]["vendor"]
    stamp = datetime.now(UTC).strftime(STAMP_FORMAT)
    entries = {entry["path"]: entry for entry in manifest["files"]}
    media_entries = [entry for name, entry in entries.items() if name.startswith(f"{MEDIA_DIR}/")]

    # Everything is first copied out of the backup, each file checked again as it is copied from the one descriptor
    # it is read through: what is restored is what was checked, whatever happens to the backup meanwhile. Next to
    # MEDIA_ROOT (owner-only: it holds the database), so the media move in by renaming.
    staging = _unused_path(media_root.parent, f"{media_root.name}.restoring-{stamp}")
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staging.mkdir(mode=0o700)
    try:
        database_file = staging / manifest["database"]["file"]
        with _open_regular(path, manifest["database"]["file"]) as source:
            _copy_checked(source, entries[manifest["database"]["file"]], database_file)
        staged_media = staging / MEDIA_DIR
        staged_media.mkdir()
        for entry in media_entries:
            with _open_regular(path, entry["path"]) as source:
                _copy_checked(source, entry, staging / entry["path"], image=True)

        leftover_tables: tuple[str, ...] = ()
        # The database first: if it fails, it is left as it was (one transaction) and the media are not touched.
        if vendor == "postgresql":
            leftover_tables = _restore_postgresql(database_file)
        else:
            _restore_sqlite(database_file)
        has_media = (path / MEDIA_DIR).is_dir() or bool(media_entries)
        moved_aside = _restore_media(staged_media if has_media else None, media_root, stamp)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    pending = _pending_migrations()
    cards_rendered = _refresh_pages(render_cards=not pending)
    return RestoreResult(
        path=path,
        vendor=vendor,
        created_at=manifest["created_at"],
        media_root=media_root,
        media_files=len(media_entries),
        media_moved_aside=moved_aside,
        pending_migrations=pending,
        leftover_tables=leftover_tables,
        cards_rendered=cards_rendered,
    )


def _refresh_pages(*, render_cards: bool) -> bool:
    """After a restore, nothing shown may come from before it: stored cards are rendered again, cached pages dropped.

    With migrations pending the code's models may not match the restored tables: the cards are rendered by
    `manage.py render_cards` after `migrate`. Returns whether they were rendered here.
    """
    from models_showcase.models import HubCard
    from models_showcase.rendering import refresh_card_html
    from portfolio.page_cache import content_changed

    if render_cards:
        refresh_card_html(HubCard.objects.values_list("pk", flat=True))
    content_changed()
    return render_cards


def _restore_sqlite(database_file: Path) -> None:
    # Django's connection is closed first so no transaction or state from before the restore survives it (an
    # in-memory database, the test suite's, is kept open by Django and survives the close). The backup API then
    # writes every page *into* a fresh connection under SQLite's own write lock, in one transaction: other processes
    # with the file open (the running site) see the restored database on their next query, where copying a file
    # over an open database could corrupt it.
    connection.close()
    connection.ensure_connection()
    # Read-only: restoring must not change the backup, or its checksums would no longer match.
    source = sqlite3.connect(f"{database_file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    except sqlite3.Error as error:
        raise BackupError(
            f"SQLite could not restore {database_file}: {error}. The database was left as it was."
        ) from None
    finally:
        source.close()


def _restore_postgresql(dump: Path) -> tuple[str, ...]:
    args = [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--no-password",
        *_pg_connection_args(),
        f"--dbname={connection.settings_dict['NAME']}",
        str(dump),
    ]
    args[0] = _pg_tool("pg_restore", args)
    # An idle connection holds no lock, but one left inside a transaction would make the DROPs wait for it.
    connection.close()
    options = f"{os.environ.get('PGOPTIONS', '')} -c lock_timeout={RESTORE_LOCK_TIMEOUT}".strip()
    _run(args, "pg_restore", extra_env={"PGOPTIONS": options}, failed="The database was left as it was.")
    connection.close()
    # --clean drops only what the dump has: a table created by a migration newer than the backup stays as it was.
    listing = _run([args[0], "--list", str(dump)], "pg_restore --list")
    in_backup = set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", listing, flags=re.MULTILINE))
    return tuple(sorted(set(connection.introspection.table_names()) - in_backup))


def _restore_media(source: Path | None, media_root: Path, stamp: str) -> Path | None:
    """Move the current media aside, then the checked copies in `source` (next to MEDIA_ROOT) into MEDIA_ROOT."""
    aside = None
    if media_root.is_dir() and any(media_root.iterdir()):
        aside = _unused_path(media_root.parent, f"{media_root.name}.before-restore-{stamp}")
        aside.mkdir()
        # The contents move, not MEDIA_ROOT itself: it may be a mount point, and keeps its owner and permissions.
        for child in media_root.iterdir():
            shutil.move(child, aside / child.name)
    media_root.mkdir(parents=True, exist_ok=True)
    if source is not None:
        for child in source.iterdir():
            shutil.move(child, media_root / child.name)
    return aside


def _pending_migrations() -> tuple[str, ...]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return tuple(f"{migration.app_label}.{migration.name}" for migration, backwards in plan if not backwards)


def _copy_checked(source: BinaryIO, entry: dict[str, Any], target: Path, *, image: bool = False) -> None:
    """Copy an open backup file to `target`, raising BackupError unless the copy is what the manifest describes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with target.open("xb") as out:
        head = source.read(media_types.HEAD_SIZE)
        chunk = head
        while chunk:
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
            chunk = source.read(COPY_CHUNK)
    name = printable(entry["path"])
    if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
        raise BackupError(f"{name} changed while it was restored (its size or checksum no longer match); not restored.")
    if image and media_types.served_type(entry["path"], head) is None:
        raise BackupError(f"{name} is not an image uploads produce ({IMAGE_KINDS}); not restored.")


def _copy_image(source: BinaryIO, name: str, target: Path) -> None:
    """Copy an open file to `target` if it is an image uploads produce; BackupError (and no copy) if not."""
    head = source.read(media_types.HEAD_SIZE)
    if media_types.served_type(name, head) is None:
        raise BackupError(f"{printable(name)} is not an image uploads produce.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("xb") as out:
        out.write(head)
        shutil.copyfileobj(source, out, COPY_CHUNK)
