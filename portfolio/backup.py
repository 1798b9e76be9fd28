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

The management commands ``backup`` and ``restore`` are thin wrappers around the functions here.
"""

import errno
import hashlib
import json
import os
import re
import shlex
import shutil
import sqlite3
import stat
import subprocess
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import django
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from portfolio import media_types

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
MEDIA_DIR = "media"
DATABASE_FILES = {"sqlite": "db.sqlite3", "postgresql": "database.dump"}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
STAMP_FORMAT = "%Y-%m-%dT%H%M%SZ"
COPY_CHUNK = 1 << 20
IMAGE_KINDS = "JPEG, PNG, WebP, GIF or AVIF, by name and by content"
# A restore waits at most this long for a lock the running site holds, then fails (and rolls back) instead of
# hanging; the site's own queries are short, so only a stuck transaction makes it give up.
RESTORE_LOCK_TIMEOUT = "60s"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do about it."""


@dataclass(frozen=True)
class BackupFile:
    path: str  # relative to the backup folder, with forward slashes
    size: int
    sha256: str


@dataclass(frozen=True)
class BackupResult:
    path: Path
    created_at: datetime
    vendor: str
    database: BackupFile
    media: tuple[BackupFile, ...]
    media_root: Path
    media_found: bool  # False: MEDIA_ROOT did not exist, so the backup has no media/ folder
    migrations: dict[str, str]
    # Files in MEDIA_ROOT left out: links, and files that are not images uploads produce (a restore would refuse them)
    media_skipped: tuple[str, ...] = ()

    @property
    def media_size(self) -> int:
        return sum(file.size for file in self.media)

    @property
    def total_size(self) -> int:
        return self.database.size + self.media_size


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    vendor: str
    created_at: str  # the backup's, as written in its manifest
    media_root: Path
    media_files: int
    media_moved_aside: Path | None  # where the media from before the restore are now; None if there were none
    pending_migrations: tuple[str, ...]  # this code's migrations the restored database has not applied
    leftover_tables: tuple[str, ...]  # PostgreSQL: tables the backup does not have, left as they were
    cards_rendered: bool = True  # False: pending migrations, so the cards were not rendered again (render_cards)


def default_backup_root() -> Path:
    return Path(getattr(settings, "BACKUP_ROOT", None) or Path(settings.BASE_DIR) / "var" / "backups")


def format_size(size: int) -> str:
    units = ("B", "KB", "MB", "GB", "TB")
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    return f"{size} B" if unit == 0 else f"{value:.1f} {units[unit]}"


def printable(value: object) -> str:
    """`value` as text that is safe on a terminal: control and format characters are shown as escapes.

    Manifest fields and file names are input; an escape code or a bidi override in one would otherwise
    reach the operator's terminal (retitle it, hide text, fake a line of output).
    """
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") or char == "\\"
        else char
        for char in str(value)
    )


# ---- Backup


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


# ---- Verify


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


# ---- Restore


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
    from models_showcase.models import ModelCard
    from models_showcase.rendering import refresh_card_html
    from portfolio.page_cache import content_changed

    if render_cards:
        refresh_card_html(ModelCard.objects.values_list("pk", flat=True))
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


# ---- Shared


def _supported_vendor() -> str:
    if connection.vendor not in DATABASE_FILES:
        supported = " and ".join(VENDOR_NAMES.values())
        raise BackupError(
            f"Backup and restore support {supported}; this site's database is {connection.display_name} "
            f"({connection.vendor}). Use that database's own backup tools."
        )
    return connection.vendor


def _refuse_inside_transaction(action: str) -> None:
    # SQLite would copy this connection's uncommitted writes; on PostgreSQL the locks they hold would block pg_restore.
    if connection.in_atomic_block:
        raise BackupError(f"Cannot {action} inside a database transaction (transaction.atomic); run it outside one.")


def _refuse_inside_media(path: Path, media_root: Path, action: str) -> None:
    # Under MEDIA_ROOT a backup would be served to anyone who guesses its URL, and would back itself up.
    if path.resolve().is_relative_to(media_root.resolve()):
        raise BackupError(f"Cannot {action} inside MEDIA_ROOT ({media_root}): choose a folder outside it.")


def _unused_path(parent: Path, name: str) -> Path:
    # Two runs in the same second get -2, -3...; never reuse, never overwrite.
    candidate, number = parent / name, 1
    while candidate.exists() or candidate.with_name(candidate.name + ".partial").exists():
        number += 1
        candidate = parent / f"{name}-{number}"
    return candidate


def _files_in(folder: Path) -> Iterator[Path]:
    # A link in a backup could make a restore copy anything on the machine into MEDIA_ROOT, where it is served.
    for directory, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in dirnames:
            if Path(directory, name).is_symlink():
                raise BackupError(f"{Path(directory, name)} is a symbolic link; a backup holds only regular files.")
        for filename in sorted(filenames):
            file = Path(directory, filename)
            if file.parent == folder and filename == MANIFEST_NAME:
                continue
            if file.is_symlink():
                raise BackupError(f"{file} is a symbolic link; a backup holds only regular files.")
            yield file


def _open_regular(folder: Path, name: str) -> BinaryIO:
    """Open `folder`/`name` for reading, following no link below `folder`; BackupError unless it is a regular file.

    Each folder on the way is opened relative to the one before (O_NOFOLLOW), so a link swapped in for the file or
    for any folder above it (media/ itself) fails the open instead of being followed; O_NONBLOCK: a FIFO does not
    hang the open, and is then refused as not a regular file.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    *folders, filename = PurePosixPath(name).parts
    shown = printable(PurePosixPath(folder.as_posix(), name))
    try:
        directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as error:
        raise BackupError(f"{shown} cannot be opened: {error.strerror}.") from None
    try:
        for part in folders:
            inner = os.open(part, flags | os.O_DIRECTORY, dir_fd=directory)
            os.close(directory)
            directory = inner
        descriptor = os.open(filename, flags | os.O_NONBLOCK, dir_fd=directory)
    except OSError as error:
        reason = "it or a folder above it is a symbolic link" if error.errno in (errno.ELOOP, errno.ENOTDIR) else ""
        raise BackupError(f"{shown} cannot be opened: {reason or error.strerror}.") from None
    finally:
        os.close(directory)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise BackupError(f"{shown} is not a regular file.")
    return open(descriptor, "rb")  # the caller's with-block closes it


def _read_all(file: BinaryIO) -> tuple[int, str, bytes]:
    """Size, sha256 and first bytes of an open file, read once."""
    head = file.read(media_types.HEAD_SIZE)
    digest, size = hashlib.sha256(head), len(head)
    while chunk := file.read(COPY_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest(), head


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


def _describe(folder: Path, file: Path) -> BackupFile:
    return BackupFile(path=file.relative_to(folder).as_posix(), size=file.stat().st_size, sha256=_sha256(file))


def _sha256(file: Path) -> str:
    with file.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _pg_connection_args() -> list[str]:
    settings_dict = connection.settings_dict
    args = []
    if settings_dict.get("USER"):
        args.append(f"--username={settings_dict['USER']}")
    if settings_dict.get("HOST"):
        args.append(f"--host={settings_dict['HOST']}")
    if settings_dict.get("PORT"):
        args.append(f"--port={settings_dict['PORT']}")
    return args


def _pg_env() -> dict[str, str]:
    # Django's own mapping for dbshell: PGPASSWORD and the OPTIONS' sslmode, service, passfile... as environment
    # variables. The password never goes on a command line, where any local user could read it in `ps`.
    _, env = connection.client.settings_to_cmd_args_env(connection.settings_dict, [])
    return env or {}


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


def _pg_tool(name: str, args: list[str]) -> str:
    """The tool's path, or a BackupError saying how to install it and the exact command to run by hand."""
    found = shutil.which(name)
    if found:
        return found
    env = {key: ("<the database password>" if key == "PGPASSWORD" else value) for key, value in _pg_env().items()}
    by_hand = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
    by_hand = f"{by_hand} {shlex.join([name, *args[1:]])}".strip()
    if name == "pg_dump":
        folder = next(Path(arg.removeprefix("--file=")).parent for arg in args if arg.startswith("--file="))
        by_hand = f"mkdir -p {shlex.quote(str(folder))} && {by_hand}"
        by_hand += f"\nthen copy MEDIA_ROOT ({settings.MEDIA_ROOT}) to {folder / MEDIA_DIR}."
    raise BackupError(
        f"{name} was not found on PATH. Install the PostgreSQL client tools (Debian/Ubuntu: "
        f"apt install postgresql-client, of the server's major version or newer), or run by hand:\n  {by_hand}"
    )


def _run(args: list[str], what: str, *, extra_env: dict[str, str] | None = None, failed: str = "") -> str:
    env = {**os.environ, **_pg_env(), **(extra_env or {})}
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603 (no shell)
    if result.returncode != 0:
        detail = result.stderr.strip() or result.stdout.strip() or "no output"
        raise BackupError(f"{what} failed (exit code {result.returncode}): {detail} {failed}".strip())
    return result.stdout
