"""What a backup and a restore share: its layout, its results and errors, safe file reading, the database tools."""

import errno
import hashlib
import os
import shlex
import shutil
import stat
import subprocess
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.conf import settings
from django.db import connection

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
