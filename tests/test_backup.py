"""Backup and restore ("nothing lost"), on whichever database the suite runs on (SQLite or PostgreSQL).

transaction=True: the rows must really be committed for sqlite3's backup API or pg_dump to see them. On SQLite the
test database is in memory; the backup code reads and writes it through Django's own open connection, which is what
it does with a database file too, so the same code path is tested.
"""

import hashlib
import io
import json
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from contributions.models import Contribution
from models_showcase.models import Badge, ModelCard
from portfolio.backup import (
    MANIFEST_NAME,
    BackupError,
    create_backup,
    restore_backup,
    verify_backup,
)
from portfolio.models import Profile
from tests.builders import Terminal, make_badge, make_card, make_contribution, make_profile

pytestmark = pytest.mark.django_db(transaction=True)

BIO = "한국어 문장 임베딩과 리랭커를 만듭니다."
CARD_TITLE = "한국어 BGE-m3 🏆"
WRITEUP = "**문제**: 배치 안의 중복 음성 샘플. 해결: 마스킹."
# Starts as a PNG does: a restore brings back only files that are images by name and by their first bytes.
AVATAR = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8 + "아바타".encode()


@pytest.fixture
def content(media_root):
    make_profile(display_name="홍길동", bio=BIO)
    badge = make_badge("🎯 AutoRAG 챔피언", emoji="🎯")
    make_card("dragonkue/BGE-m3-ko", badges=[badge], title=CARD_TITLE, description="검색 **최고** 성능")
    make_contribution(title="GISTEmbedLoss 1차 개선", writeup=WRITEUP)
    (media_root / "profile").mkdir(parents=True)
    (media_root / "profile" / "avatar.png").write_bytes(AVATAR)


def change_everything(media_root: Path) -> None:
    """What happens after a backup: edits, deletions, additions, in the database and in the media."""
    Profile.objects.update(bio="changed")
    ModelCard.objects.all().delete()
    Contribution.objects.all().delete()
    Badge.objects.update(label="renamed")
    make_card("someone/new-model", title="added after the backup")
    (media_root / "profile" / "avatar.png").write_bytes(b"overwritten")
    (media_root / "added-after-backup.txt").write_text("new")


def assert_changed_state(media_root: Path) -> None:
    assert Profile.objects.get().bio == "changed"
    assert list(ModelCard.objects.values_list("repo_id", flat=True)) == ["someone/new-model"]
    assert not Contribution.objects.exists()
    assert (media_root / "profile" / "avatar.png").read_bytes() == b"overwritten"
    assert not list(media_root.parent.glob("*.before-restore-*"))


def test_round_trip_brings_back_rows_and_media(content, media_root, backups):
    backup = create_backup(output_dir=backups)
    change_everything(media_root)

    result = restore_backup(backup.path)

    profile = Profile.objects.get()
    assert (profile.display_name, profile.bio) == ("홍길동", BIO)
    card = ModelCard.objects.get()
    assert (card.repo_id, card.title, card.description) == ("dragonkue/BGE-m3-ko", CARD_TITLE, "검색 **최고** 성능")
    assert [badge.label for badge in card.badges.all()] == ["🎯 AutoRAG 챔피언"]
    contribution = Contribution.objects.get()
    assert (contribution.title, contribution.writeup) == ("GISTEmbedLoss 1차 개선", WRITEUP)
    assert "<strong>문제</strong>" in contribution.writeup_html

    assert (media_root / "profile" / "avatar.png").read_bytes() == AVATAR
    assert not (media_root / "added-after-backup.txt").exists()
    # Nothing lost: the media from before the restore were moved aside, next to MEDIA_ROOT.
    aside = result.media_moved_aside
    assert aside is not None
    assert aside.parent == media_root.parent
    assert aside.name.startswith("media.before-restore-")
    assert (aside / "profile" / "avatar.png").read_bytes() == b"overwritten"
    assert (aside / "added-after-backup.txt").read_text() == "new"

    assert result.pending_migrations == ()
    assert result.leftover_tables == ()
    # The site keeps working on the restored database: a new row gets a fresh primary key.
    make_card("someone/after-restore")
    assert ModelCard.objects.count() == 2


@pytest.mark.parametrize("damaged", ["database", "media"])
def test_a_damaged_backup_is_refused_before_anything_is_touched(damaged, content, media_root, backups):
    backup = create_backup(output_dir=backups)
    change_everything(media_root)
    file = backup.path / (backup.database.path if damaged == "database" else "media/profile/avatar.png")
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0x01
    file.write_bytes(bytes(data))

    with pytest.raises(BackupError, match=r"damaged.*does not match its sha256 checksum") as error:
        restore_backup(backup.path)

    assert file.relative_to(backup.path).as_posix() in str(error.value)
    assert_changed_state(media_root)


def test_a_backup_with_a_missing_or_extra_file_is_refused(content, media_root, backups):
    backup = create_backup(output_dir=backups)
    (backup.path / "media" / "profile" / "avatar.png").unlink()
    (backup.path / "media" / "smuggled.html").write_text("<script>")

    with pytest.raises(BackupError) as error:
        verify_backup(backup.path)

    assert "media/profile/avatar.png is missing" in str(error.value)
    assert "media/smuggled.html is not listed in the manifest" in str(error.value)


def test_a_backup_with_a_symbolic_link_is_refused(content, media_root, backups, tmp_path):
    backup = create_backup(output_dir=backups)
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "secret.txt").write_text("not for the web")
    (backup.path / "media" / "link").symlink_to(tmp_path / "private", target_is_directory=True)

    with pytest.raises(BackupError, match="symbolic link"):
        restore_backup(backup.path)

    assert not (media_root / "link").exists()


def test_restore_refuses_without_yes_when_there_is_no_terminal(content, media_root, backups):
    backup = create_backup(output_dir=backups)
    change_everything(media_root)

    with pytest.raises(CommandError, match="--yes") as error:
        # Even "yes" on a pipe is not a confirmation: only a terminal or --yes is.
        call_command("restore", str(backup.path), stdin=io.StringIO("yes\n"), stdout=io.StringIO())

    assert error.value.returncode == 2
    assert_changed_state(media_root)


@pytest.mark.parametrize("answer", ["no", ""])
def test_restore_on_a_terminal_does_nothing_unless_the_answer_is_yes(answer, content, media_root, backups):
    backup = create_backup(output_dir=backups)
    change_everything(media_root)
    out = io.StringIO()

    with pytest.raises(CommandError, match="not confirmed") as error:
        call_command("restore", str(backup.path), stdin=Terminal(f"{answer}\n"), stdout=out)

    assert error.value.returncode == 2
    assert "Type 'yes' to restore" in out.getvalue()
    assert_changed_state(media_root)


def test_restore_on_a_terminal_answered_yes(content, media_root, backups):
    backup = create_backup(output_dir=backups)
    change_everything(media_root)

    call_command("restore", str(backup.path), stdin=Terminal("yes\n"), stdout=io.StringIO())

    assert Profile.objects.get().bio == BIO


def test_manifest_records_migration_state_and_checksums(content, backups):
    backup = create_backup(output_dir=backups)
    manifest = json.loads((backup.path / MANIFEST_NAME).read_text("utf-8"))

    # Every migration of the code is applied in the test database, so each app's latest is its leaf node.
    leaves = dict(MigrationLoader(connection).graph.leaf_nodes())
    assert manifest["migrations"] == leaves
    assert {"admin", "auth", "contenttypes", "sessions", "portfolio", "models_showcase"} <= manifest[
        "migrations"
    ].keys()

    assert manifest["database"]["vendor"] == connection.vendor
    assert datetime.fromisoformat(manifest["created_at"]) == backup.created_at
    assert backup.path.name == backup.created_at.strftime("%Y-%m-%dT%H%M%SZ")
    assert manifest["media"]["found"] is True
    listed = {entry["path"]: entry for entry in manifest["files"]}
    on_disk = sorted(p.relative_to(backup.path).as_posix() for p in backup.path.rglob("*") if p.is_file())
    assert sorted([*listed, MANIFEST_NAME]) == on_disk
    assert manifest["database"]["file"] in listed
    for name, entry in listed.items():
        data = (backup.path / name).read_bytes()
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert listed["media/profile/avatar.png"]["sha256"] == hashlib.sha256(AVATAR).hexdigest()


def test_commands_print_the_backup_folder_and_restore_it(content, media_root, backups):
    out = io.StringIO()
    call_command("backup", "--output", str(backups), stdout=out)

    [folder] = backups.iterdir()
    printed = out.getvalue()
    assert f"Backup written to {folder}" in printed
    assert "media/" in printed
    assert "1 file" in printed
    assert MANIFEST_NAME in printed

    change_everything(media_root)
    out = io.StringIO()
    call_command("restore", str(folder), "--yes", stdout=out)

    assert f"Restored the backup {folder}" in out.getvalue()
    assert "media.before-restore-" in out.getvalue()
    assert Profile.objects.get().bio == BIO


def test_restore_exits_2_from_the_command_line_without_a_terminal(content, backups, monkeypatch, capsys):
    backup = create_backup(output_dir=backups)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["manage.py", "restore", str(backup.path)]).execute()

    assert exit_.value.code == 2
    assert "--yes" in capsys.readouterr().err


def test_no_media_root_is_recorded_and_restores_to_empty_media(media_root, backups):
    make_profile(bio=BIO)
    assert not media_root.exists()
    out = io.StringIO()
    call_command("backup", "--output", str(backups), stdout=out)
    [folder] = backups.iterdir()
    manifest = json.loads((folder / MANIFEST_NAME).read_text("utf-8"))
    assert manifest["media"]["found"] is False
    assert not (folder / "media").exists()
    assert "no media files" in out.getvalue()

    media_root.mkdir()
    (media_root / "later.txt").write_text("later")
    result = restore_backup(folder)

    assert list(media_root.iterdir()) == []
    assert (result.media_moved_aside / "later.txt").read_text() == "later"


@pytest.fixture
def unapplied_latest_portfolio_migration():
    """The backup looks older than the code: portfolio's latest migration is not recorded as applied."""
    recorder = MigrationRecorder(connection)
    name = recorder.migration_qs.filter(app="portfolio").order_by("-id").values_list("name", flat=True)[0]
    recorder.record_unapplied("portfolio", name)
    yield f"portfolio.{name}"
    # django_migrations is not flushed between tests: put the row back for the rest of the suite.
    recorder.record_applied("portfolio", name)


def test_restore_tells_which_migrations_the_backup_lacks(unapplied_latest_portfolio_migration, backups):
    backup = create_backup(output_dir=backups)
    out = io.StringIO()
    call_command("restore", str(backup.path), "--yes", stdout=out)

    assert restore_backup(backup.path).pending_migrations == (unapplied_latest_portfolio_migration,)
    assert "run `python manage.py migrate`" in out.getvalue()


def test_a_backup_of_another_vendor_is_refused(content, media_root, backups):
    backup = create_backup(output_dir=backups)
    manifest_file = backup.path / MANIFEST_NAME
    manifest = json.loads(manifest_file.read_text("utf-8"))
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    manifest["database"]["vendor"] = other
    manifest_file.write_text(json.dumps(manifest))
    change_everything(media_root)

    with pytest.raises(BackupError, match="a backup can only be restored into the same kind of database"):
        restore_backup(backup.path)

    assert_changed_state(media_root)


def test_unsupported_vendor_is_named(monkeypatch, backups):
    monkeypatch.setattr(connection, "vendor", "oracle")

    with pytest.raises(CommandError, match="support SQLite and PostgreSQL"):
        call_command("backup", "--output", str(backups), stdout=io.StringIO())
    assert not backups.exists()


def test_backup_refuses_to_run_inside_a_transaction(backups):
    with transaction.atomic(), pytest.raises(BackupError, match="inside a database transaction"):
        create_backup(output_dir=backups)


def test_backups_are_never_written_inside_media_root(media_root):
    with pytest.raises(BackupError, match="inside MEDIA_ROOT"):
        create_backup(output_dir=media_root / "backups")


def test_two_backups_in_the_same_second_get_two_folders(content, backups):
    first = create_backup(output_dir=backups)
    second = create_backup(output_dir=backups)
    assert first.path != second.path
    verify_backup(first.path)
    verify_backup(second.path)


only_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump is only used with PostgreSQL")


@only_postgresql
def test_the_password_goes_to_pg_dump_in_its_environment_not_its_arguments(monkeypatch, backups):
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "s3cret-pass")  # trust auth: ignored by the server
    calls = []
    real_run = subprocess.run

    def recording_run(args, **kwargs):
        calls.append((args, kwargs["env"]))
        return real_run(args, **kwargs)

    monkeypatch.setattr(subprocess, "run", recording_run)
    create_backup(output_dir=backups)

    [(args, env)] = calls
    assert Path(args[0]).name == "pg_dump"
    assert env["PGPASSWORD"] == "s3cret-pass"
    assert not any("s3cret" in arg for arg in args)


@only_postgresql
def test_restore_names_the_tables_the_backup_does_not_have(content, backups):
    backup = create_backup(output_dir=backups)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE made_after_the_backup (id integer)")
    try:
        assert restore_backup(backup.path).leftover_tables == ("made_after_the_backup",)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE made_after_the_backup")


@only_postgresql
def test_missing_pg_dump_says_what_to_run_by_hand(monkeypatch, tmp_path, backups):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "s3cret-pass")

    with pytest.raises(CommandError) as error:
        call_command("backup", "--output", str(backups), stdout=io.StringIO())

    message = str(error.value)
    assert "pg_dump was not found on PATH" in message
    assert "pg_dump --format=custom --no-owner --no-privileges" in message
    assert f"--dbname={connection.settings_dict['NAME']}" in message
    assert "PGPASSWORD='<the database password>' pg_dump" in message
    assert "s3cret" not in message
    assert not backups.exists()
