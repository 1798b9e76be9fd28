"""Uploads as an attacker sends them: animation bombs, metadata to smuggle, multi-picture JPEGs, probing visitors."""

import importlib
import io
import json
import time

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import clear_url_caches, reverse
from PIL import Image, ImageCms, PngImagePlugin

from portfolio import editor_views
from portfolio.images import MAX_FRAMES, SanitizedImageFormField, _gif_frames
from portfolio.models import Profile
from tests.builders import make_card
from tests.photos import animation, gif_bomb, mpo

pytestmark = pytest.mark.django_db

EDITOR = "/markdownx/upload/"
PREVIEW = "/markdownx/markdownify/"
PROFILE_FORM = {"display_name": "Owner", "hub_username": "owner", "site_title": "P", "notice_title": "N",
                "models_heading": "M", "contributions_heading": "C", "links-TOTAL_FORMS": "0",
                "links-INITIAL_FORMS": "0"}  # fmt: skip


def upload(client, content, name="x.gif"):
    response = client.post(EDITOR, {"image": SimpleUploadedFile(name, content, content_type="image/gif")})
    return response.status_code, json.loads(response.content) if response.status_code in (200, 400) else None


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


# ---- 1. Animation bombs: refused before any frame is decoded ----


@pytest.mark.parametrize(
    ("canvas", "frames"),
    [
        ((2000, 2000), 150),  # the attack as it came: 3.5 KB, 600 megapixels of frames
        ((2000, 2000), 13),  # 52 megapixels: one frame over the budget
        ((1000, 1000), 51),
        ((7000, 7000), 2),  # one frame is a whole photo's budget
        ((1, 1), MAX_FRAMES + 1),  # few pixels, too many frames
        ((1, 1), 1_000_000),  # 23 MB of one-pixel frames: counting them all would take seconds
    ],
)
def test_an_animation_bomb_is_refused_at_once(staff_client, settings, canvas, frames):
    content = gif_bomb(canvas, frames)
    started = time.perf_counter()
    status, body = upload(staff_client, content)
    elapsed = time.perf_counter() - started
    assert status == 400 and "too many frames for its size" in body["image"][0]
    assert elapsed < 1.0  # measured: 0.02-0.1 s and a few MB, against 46 s and 2.4 GB
    assert stored_files(settings) == []


@pytest.mark.parametrize(("canvas", "frames"), [((1, 1), MAX_FRAMES), ((400, 300), 40), ((1600, 1000), 2)])
def test_an_animation_within_the_budget_keeps_its_frames(staff_client, settings, canvas, frames):
    status, body = upload(staff_client, gif_bomb(canvas, frames))
    assert status == 200, body
    [stored] = stored_files(settings)
    with Image.open(stored) as image:
        assert image.format == "GIF" and image.size == canvas and image.is_animated
        assert image.info["loop"] == 0 and image.info["duration"] == 50


def test_frames_are_counted_as_pillow_counts_them():
    """The early-stopping count reads the same blocks Pillow reads: local palettes, comments, extensions."""
    samples = [
        gif_bomb((30, 20), 17),
        animation((64, 48), 9, "GIF", comment=b"a comment"),
        animation((64, 48), 1, "GIF"),
    ]
    local_palettes = [Image.new("P", (40, 30), index) for index in range(5)]
    for index, frame in enumerate(local_palettes):
        frame.putpalette([index * 40, 0, 0] * 256)
    buffer = io.BytesIO()
    local_palettes[0].save(buffer, "GIF", save_all=True, append_images=local_palettes[1:])
    samples.append(buffer.getvalue())
    for sample in samples:
        with Image.open(io.BytesIO(sample)) as image:
            assert _gif_frames(sample, limit=MAX_FRAMES) == image.n_frames
    assert _gif_frames(gif_bomb((1, 1), 5000), limit=10) == 11  # stops counting past the limit
    assert _gif_frames(b"\x89PNG\r\n\x1a\n", limit=10) == 0


@pytest.mark.parametrize(
    ("image_format", "save"), [("PNG", {}), ("WEBP", {"lossless": True}), ("WEBP", {"quality": 50})]
)
def test_an_apng_or_animated_webp_is_stored_as_its_first_frame(staff_client, settings, image_format, save):
    """One frame's work, whatever the frame count: a 2000 x 2000 canvas of 60 frames takes one frame's time."""
    content = animation((2000, 2000), 60, image_format, **save)
    with Image.open(io.BytesIO(content)) as image:
        assert image.n_frames == 60
    started = time.perf_counter()
    status, body = upload(staff_client, content, name="x.png")
    assert status == 200, body
    assert time.perf_counter() - started < 2.0  # measured: ~0.2 s
    [stored] = stored_files(settings)
    with Image.open(stored) as image:
        assert image.format == image_format and image.size == (1600, 1600)
        assert getattr(image, "n_frames", 1) == 1


# ---- 1. The editor's upload needs the right to edit a markdown field ----


def staff_with(django_user_model, *permissions: str):
    user = django_user_model.objects.create_user("editor", "e@example.com", "a-long-test-passphrase", is_staff=True)
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    client = Client()
    client.force_login(user)
    return client


def test_staff_without_permissions_may_not_use_the_editor_endpoints(django_user_model, settings):
    client = staff_with(django_user_model, "models_showcase.view_modelcard", "portfolio.view_profile")
    for path in (EDITOR, PREVIEW):
        response = client.post(path, {"content": "x", "image": SimpleUploadedFile("x.gif", gif_bomb((8, 8), 1))})
        assert response.status_code == 403 and not response.has_header("Location")
    assert stored_files(settings) == []


@pytest.mark.parametrize("permission", editor_views.EDITOR_PERMISSIONS)
def test_any_markdown_model_permission_opens_the_editor_endpoints(django_user_model, settings, permission):
    client = staff_with(django_user_model, permission)
    response = client.post(EDITOR, {"image": SimpleUploadedFile("x.gif", gif_bomb((8, 8), 1))})
    assert response.status_code == 200
    assert client.post(PREVIEW, {"content": "**x**"}).status_code == 200
    assert client.get(EDITOR).status_code == 405  # allowed in, but only to POST


# ---- 2. Only pixels survive: no comment, EXIF, XMP, text chunk or colour profile ----

PAYLOAD = b"PAYLOAD-7c1e<script>alert(1)</script>"
METADATA_KEYS = {"comment", "icc_profile", "exif", "xmp", "XML:com.adobe.xmp", "dpi", "Description", "note"}


def exif_with_payload() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010E] = PAYLOAD.decode()  # ImageDescription
    exif[0x010F] = "PhoneMaker"
    return exif


def png_text(kind: str) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    if kind == "tEXt":
        info.add_text("Description", PAYLOAD.decode())
    elif kind == "zTXt":
        info.add_text("Description", PAYLOAD.decode(), zip=True)
    elif kind == "iTXt":
        info.add_itxt("note", PAYLOAD.decode(), lang="en", tkey="note", zip=False)
    else:  # XMP travels in an iTXt chunk of its own name
        info.add_itxt("XML:com.adobe.xmp", f"<x:xmpmeta>{PAYLOAD.decode()}</x:xmpmeta>", zip=True)
    return info


def image_with(image_format: str, mode: str = "RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (40, 30), "teal" if mode != "P" else 1).save(buffer, image_format, **save)
    return buffer.getvalue()


GARBAGE_ICC = PAYLOAD * 20
METADATA = {
    "JPEG COM": ("JPEG", image_with("JPEG", comment=PAYLOAD)),
    "JPEG EXIF": ("JPEG", image_with("JPEG", exif=exif_with_payload())),
    "JPEG XMP": ("JPEG", image_with("JPEG", xmp=b"<x:xmpmeta>" + PAYLOAD + b"</x:xmpmeta>")),
    "JPEG ICC": ("JPEG", image_with("JPEG", icc_profile=GARBAGE_ICC)),
    "JPEG everything, trailing bytes too": (
        "JPEG",
        image_with("JPEG", comment=PAYLOAD, exif=exif_with_payload(), icc_profile=GARBAGE_ICC, dpi=(300, 300))
        + PAYLOAD,
    ),
    "PNG tEXt": ("PNG", image_with("PNG", pnginfo=png_text("tEXt"))),
    "PNG zTXt": ("PNG", image_with("PNG", pnginfo=png_text("zTXt"))),
    "PNG iTXt": ("PNG", image_with("PNG", pnginfo=png_text("iTXt"))),
    "PNG XMP": ("PNG", image_with("PNG", pnginfo=png_text("XMP"))),
    "PNG iCCP": ("PNG", image_with("PNG", icc_profile=GARBAGE_ICC)),
    "PNG eXIf": ("PNG", image_with("PNG", exif=exif_with_payload())),
    "PNG pHYs": ("PNG", image_with("PNG", dpi=(300, 300), pnginfo=png_text("tEXt"))),
    "PNG palette": ("PNG", image_with("PNG", mode="P", pnginfo=png_text("zTXt"), icc_profile=GARBAGE_ICC)),
    "GIF comment": ("GIF", image_with("GIF", mode="P", comment=PAYLOAD)),
    "GIF comment, animated": ("GIF", animation((40, 30), 3, "GIF", comment=PAYLOAD)),
    "WebP EXIF": ("WEBP", image_with("WEBP", exif=exif_with_payload())),
    "WebP XMP": ("WEBP", image_with("WEBP", xmp=b"<x:xmpmeta>" + PAYLOAD + b"</x:xmpmeta>")),
    "WebP ICC": ("WEBP", image_with("WEBP", icc_profile=GARBAGE_ICC)),
    "WebP lossless, everything": (
        "WEBP",
        image_with("WEBP", lossless=True, exif=exif_with_payload(), xmp=PAYLOAD, icc_profile=GARBAGE_ICC),
    ),
}
# Where each format keeps metadata in the file: none of these may be written.
MARKERS = {
    "JPEG": [b"\xff\xfe", b"Exif\x00\x00", b"http://ns.adobe.com/xap", b"ICC_PROFILE"],
    "PNG": [b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf", b"pHYs"],
    "GIF": [b"\x21\xfe"],  # the comment extension
    "WEBP": [b"EXIF", b"XMP ", b"ICCP"],
}


def assert_only_pixels(path, image_format: str):
    content = path.read_bytes()
    assert b"PAYLOAD-7c1e" not in content and b"<script" not in content and b"PhoneMaker" not in content
    for marker in MARKERS.get(image_format, []):
        assert marker not in content, marker
    with Image.open(path) as image:
        assert image.format == image_format
        assert METADATA_KEYS.isdisjoint(image.info), image.info
        assert dict(image.getexif()) == {}


@pytest.mark.parametrize("kind", METADATA)
def test_metadata_of_every_kind_is_gone_from_the_stored_file(staff_client, settings, kind):
    image_format, content = METADATA[kind]
    assert PAYLOAD in content or any(chunk in content for chunk in (b"zTXt", b"iTXt", b"iCCP"))  # compressed
    status, body = upload(staff_client, content)
    assert status == 200, body
    [stored] = stored_files(settings)
    assert_only_pixels(stored, image_format)


@pytest.mark.parametrize("kind", ["JPEG everything, trailing bytes too", "PNG iCCP", "PNG zTXt", "WebP ICC"])
def test_metadata_is_gone_from_an_avatar_and_its_renditions(staff_client, settings, kind):
    image_format, content = METADATA[kind]
    avatar = SimpleUploadedFile("me.img", content, content_type="image/png")
    assert (
        staff_client.post(reverse("admin:portfolio_profile_add"), {**PROFILE_FORM, "avatar": avatar}).status_code == 302
    )
    files = stored_files(settings)
    assert len(files) == 2  # the avatar and its one rendition (it is 30 px high)
    for path in files:
        assert_only_pixels(path, image_format if path.name == Profile.objects.get().avatar.name[8:] else "AVIF")


def test_renditions_carry_no_metadata_even_from_an_image_stored_with_some(settings):
    """An image stored before this rule (or put in media by hand) still gives bare renditions."""
    from django.core.files.base import ContentFile

    content = image_with("JPEG", comment=PAYLOAD, exif=exif_with_payload(), icc_profile=GARBAGE_ICC)
    card = make_card(cover_image=ContentFile(content, name="old.jpg"))
    renditions = [path for path in stored_files(settings) if path.suffix == ".avif"]
    assert renditions and card.cover_image.name
    for path in renditions:
        assert_only_pixels(path, "AVIF")


@pytest.mark.parametrize("profile", ["sRGB", "garbage", "cut short"])
@pytest.mark.parametrize(
    ("image_format", "mode"), [("JPEG", "RGB"), ("PNG", "RGBA"), ("WEBP", "RGB"), ("JPEG", "CMYK")]
)
def test_a_valid_colour_profile_is_applied_then_dropped_and_an_invalid_one_ignored(
    staff_client, settings, profile, image_format, mode
):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    icc = {"sRGB": srgb, "garbage": GARBAGE_ICC, "cut short": srgb[:200]}[profile]
    status, body = upload(staff_client, image_with(image_format, mode=mode, icc_profile=icc))
    assert status == 200, body
    [stored] = stored_files(settings)
    assert_only_pixels(stored, image_format)
    with Image.open(stored) as image:
        assert image.mode == ("RGBA" if mode == "RGBA" else "RGB")
        if mode != "CMYK":  # (an sRGB profile on a CMYK image does not fit it: ignored, converted as before)
            red, green, blue = image.convert("RGB").getpixel((20, 15))
            assert red < 12 and abs(green - 128) < 12 and abs(blue - 128) < 12  # still teal


# ---- 3. A multi-picture JPEG is its first picture, never a 500 ----


@pytest.mark.parametrize(
    ("content", "size"),
    [
        (mpo(), (64, 32)),
        (mpo(((64, 32), (48, 48), (300, 200))), (64, 32)),
        (mpo(((2400, 1200), (48, 48))), (1600, 800)),  # read at reduced scale, like any JPEG
        (mpo(((64, 32), (48, 48)), orientation=6), (32, 64)),  # turned upright, like any photo
    ],
)
def test_a_multi_picture_jpeg_is_stored_as_its_first_picture(staff_client, settings, content, size):
    status, body = upload(staff_client, content, name="portrait.mpo")
    assert status == 200, body
    [stored] = stored_files(settings)
    assert stored.suffix == ".jpg"
    with Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == size
    assert stored.read_bytes().count(b"\xff\xd8\xff") == 1  # one picture: the others are gone
    assert_only_pixels(stored, "JPEG")


def test_a_multi_picture_jpeg_as_avatar_or_cover(staff_client, settings):
    photo = SimpleUploadedFile("me.jpg", mpo(((900, 600), (300, 200))), content_type="image/jpeg")
    assert (
        staff_client.post(reverse("admin:portfolio_profile_add"), {**PROFILE_FORM, "avatar": photo}).status_code == 302
    )
    with Image.open(Profile.objects.get().avatar.path) as image:
        assert (image.format, image.size) == ("JPEG", (900, 600))
    cover = SanitizedImageFormField().clean(SimpleUploadedFile("c.jpg", mpo(((1000, 500), (10, 10)))))
    card = make_card(cover_image=cover)
    with Image.open(card.cover_image.path) as image:
        assert (image.format, image.size) == ("JPEG", (1000, 500))
    assert sorted(path.name.rsplit("-", 1)[-1] for path in stored_files(settings) if path.suffix == ".avif") == [
        "1000w.avif", "160w.avif", "320w.avif", "400w.avif", "800w.avif"
    ]  # fmt: skip


def test_a_damaged_multi_picture_jpeg_is_a_form_error(staff_client, settings):
    status, body = upload(staff_client, mpo()[:300], name="cut.mpo")
    assert status == 400 and "damaged" in body["image"][0]


# ---- 5. Visitors learn nothing of the admin's path ----

SECRET = "door-7f3a9c2e/"


@pytest.fixture
def secret_admin_path():
    """The admin at a secret path (DJANGO_ADMIN_URL), with the URLs built again for it."""
    import portfolio.urls

    with override_settings(ADMIN_URL=SECRET):
        importlib.reload(portfolio.urls)
        clear_url_caches()
        try:
            yield SECRET
        finally:
            pass
    importlib.reload(portfolio.urls)
    clear_url_caches()


def visitor_with_csrf_cookie() -> Client:
    """What the attacker did: chose a csrftoken, sent it as cookie and header, with a same-site Origin."""
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "A" * 32
    return client


def assert_reveals_nothing(response):
    assert response.status_code in (403, 404)
    assert not response.has_header("Location")
    content = response.content.decode(errors="replace")
    assert "door-7f3a9c2e" not in content and "admin" not in content.lower() and "login" not in content.lower()
    assert all("door-7f3a9c2e" not in value for value in response.headers.values())


@pytest.mark.parametrize("path", [PREVIEW, EDITOR])
@pytest.mark.parametrize("method", ["post", "get", "head", "put", "delete", "options", "patch"])
def test_a_visitor_gets_a_bare_403_from_the_editor_endpoints(secret_admin_path, settings, path, method):
    assert Client().get(f"/{secret_admin_path}").status_code == 302  # the admin did move
    client = visitor_with_csrf_cookie()
    response = getattr(client, method)(
        path,
        {"content": "<b>x</b>"} if method in ("post", "get") else "",
        headers={"x-csrftoken": "A" * 32, "origin": "http://testserver", "x-requested-with": "XMLHttpRequest"},
    )
    assert_reveals_nothing(response)
    assert stored_files(settings) == []


@pytest.mark.parametrize("path", [PREVIEW, EDITOR])
def test_a_signed_in_non_staff_user_gets_a_bare_403(secret_admin_path, django_user_model, path):
    user = django_user_model.objects.create_user("reader", "r@example.com", "a-long-test-passphrase")
    client = Client()
    client.force_login(user)
    assert_reveals_nothing(client.post(path, {"content": "x", "image": SimpleUploadedFile("x.gif", b"GIF89a")}))
    assert_reveals_nothing(client.get(path))
