"""Uploads trust nothing the browser says: decoded with Pillow, re-encoded, renamed."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, PngImagePlugin

from portfolio.images import MAX_UPLOAD_BYTES
from portfolio.models import Profile
from tests.photos import big_photo

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825


def jpeg_with_gps(size=(64, 32), orientation=None) -> bytes:
    image = Image.new("RGB", size, "orange")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif.get_ifd(GPS_IFD)[2] = (37.0, 33.0, 59.0)  # latitude: where the owner lives
    if orientation:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png_bytes(size=(8, 8), mode="RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, "PNG", **save)
    return buffer.getvalue()


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (8, 8)).save(buffer, "GIF")
    return buffer.getvalue()


def upload(client, name, content, content_type):
    response = client.post(
        "/markdownx/upload/",
        {"image": SimpleUploadedFile(name, content, content_type=content_type)},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    return response.status_code, json.loads(response.content)


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_staff_upload_is_stored_renamed_and_without_exif(staff_client, settings):
    status, body = upload(staff_client, "holiday photo.jpg", jpeg_with_gps(), "image/jpeg")
    assert status == 200, body
    [stored] = stored_files(settings)
    assert body["image_code"] == f"![](/media/markdown/{stored.name})"
    assert stored.suffix == ".jpg" and "holiday" not in stored.name and len(stored.stem) == 32
    with Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (64, 32)
        assert dict(image.getexif()) == {}
    assert b"PhoneMaker" not in stored.read_bytes()


def test_exif_rotation_is_applied_before_the_exif_goes(staff_client, settings):
    status, _ = upload(staff_client, "sideways.jpg", jpeg_with_gps((64, 32), orientation=6), "image/jpeg")
    assert status == 200
    [stored] = stored_files(settings)
    with Image.open(stored) as image:
        assert image.size == (32, 64)


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/gif", "SVG included"),
        ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml",
         "SVG included"),
        ("x.png", b"<html><script>alert(document.cookie)</script></html>", "image/png", "is not a JPEG, PNG"),
        ("x.html", b"<html><script>alert(1)</script></html>", "text/html", "is not a JPEG, PNG"),
        ("x.bmp", b"BM" + b"\x00" * 60, "image/bmp", "is not a JPEG, PNG"),
        ("x.png", png_bytes()[:40], "image/png", "damaged"),
        ("bomb.png", png_bytes((8000, 8000), mode="1"), "image/png", "too many pixels; the limit is 50 megapixels"),
        ("huge-bomb.png", png_bytes((20000, 20000), mode="1"), "image/png", "too many pixels"),
    ],
)  # fmt: skip
def test_what_is_not_an_image_is_refused_with_a_clear_message(staff_client, settings, name, content, content_type,
                                                               message):  # fmt: skip
    status, body = upload(staff_client, name, content, content_type)
    assert status == 400
    assert message in body["image"][0]
    assert stored_files(settings) == []


def test_too_large_a_file_is_refused(staff_client, settings):
    content = png_bytes() + b"\x00" * MAX_UPLOAD_BYTES
    status, body = upload(staff_client, "big.png", content, "image/png")
    assert status == 400 and "the limit is 25.0" in body["image"][0]
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        # A real GIF with a page after it (GIFAR-style): browsers sniffing it as HTML would run the script.
        ("polyglot.gif", gif_bytes() + b"<html><script>alert(1)</script></html>"),
        # A real PNG carrying script in a text chunk.
        ("chunk.png", png_bytes(pnginfo=(lambda info: (info.add_text("c", "<script>alert(1)</script>"), info)[1])(
            PngImagePlugin.PngInfo()))),
    ],
)  # fmt: skip
def test_polyglots_are_re_encoded_to_bare_pixels(staff_client, settings, name, content):
    assert b"<script>" in content
    status, _ = upload(staff_client, name, content, "image/png")
    assert status == 200
    [stored] = stored_files(settings)
    assert b"<script" not in stored.read_bytes()


def test_a_missing_file_is_a_400_not_a_500(staff_client):
    response = staff_client.post("/markdownx/upload/", {})
    assert response.status_code == 400


def test_avatar_goes_through_the_same_rules(staff_client, settings):
    data = {"display_name": "Owner", "hub_username": "owner", "site_title": "P", "notice_title": "N",
            "models_heading": "M", "contributions_heading": "C", "links-TOTAL_FORMS": "0",
            "links-INITIAL_FORMS": "0"}  # fmt: skip
    add = reverse("admin:portfolio_profile_add")
    svg = SimpleUploadedFile("me.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = staff_client.post(add, {**data, "avatar": svg})
    assert response.status_code == 200 and "SVG included" in response.content.decode()
    photo = SimpleUploadedFile("me.jpg", jpeg_with_gps(), content_type="image/jpeg")
    assert staff_client.post(add, {**data, "avatar": photo}).status_code == 302
    avatar = Profile.objects.get().avatar
    assert avatar.name.startswith("profile/") and "me" not in avatar.name.removeprefix("profile/")
    with Image.open(avatar.path) as image:
        assert dict(image.getexif()) == {}


def test_media_is_served_with_nosniff(client, settings):
    (settings.MEDIA_ROOT / "covers").mkdir(parents=True)
    (settings.MEDIA_ROOT / "covers" / "x.png").write_bytes(png_bytes())
    response = client.get("/media/covers/x.png")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/png"


# ---- Photos as people take them: big, sideways, resized on the way in ----

PROFILE_FORM = {"display_name": "Owner", "hub_username": "owner", "site_title": "P", "notice_title": "N",
                "models_heading": "M", "contributions_heading": "C", "links-TOTAL_FORMS": "0",
                "links-INITIAL_FORMS": "0"}  # fmt: skip


def test_a_15_mb_phone_photo_dropped_into_the_editor_is_stored_at_1600_px(staff_client, settings):
    photo = big_photo()
    assert 14_000_000 < len(photo) < 16_500_000
    status, body = upload(staff_client, "IMG_0001.JPG", photo, "image/jpeg")
    assert status == 200, body
    [stored] = stored_files(settings)  # markdown pictures get no renditions
    with Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (1600, 1200)
        assert dict(image.getexif()) == {}
    assert b"PhoneMaker" not in stored.read_bytes()
    assert stored.stat().st_size < 1_500_000


def test_a_15_mb_phone_photo_as_the_avatar_is_stored_at_1600_px_with_its_renditions(staff_client, settings):
    photo = SimpleUploadedFile("IMG_0001.JPG", big_photo(), content_type="image/jpeg")
    response = staff_client.post(reverse("admin:portfolio_profile_add"), {**PROFILE_FORM, "avatar": photo})
    assert response.status_code == 302
    avatar = Profile.objects.get().avatar
    with Image.open(avatar.path) as image:
        assert image.size == (1600, 1200) and dict(image.getexif()) == {}
    stem = avatar.name.removeprefix("profile/").removesuffix(".jpg")
    assert sorted(path.name for path in stored_files(settings)) == sorted(
        [f"{stem}.jpg", f"{stem}-160w.avif", f"{stem}-320w.avif"]
    )
    for width in (160, 320):
        with Image.open(settings.MEDIA_ROOT / "profile" / f"{stem}-{width}w.avif") as image:
            assert image.format == "AVIF" and image.size == (width, width)


def test_a_sideways_phone_photo_is_stored_upright(staff_client, settings):
    status, _ = upload(staff_client, "sideways.jpg", big_photo((4000, 3000), orientation=6), "image/jpeg")
    assert status == 200
    [stored] = stored_files(settings)
    with Image.open(stored) as image:
        assert image.size == (1200, 1600)


def test_a_50_megapixel_image_is_accepted_and_one_pixel_row_more_is_refused(staff_client, settings):
    status, _ = upload(staff_client, "scan.png", png_bytes((8000, 6250), mode="1"), "image/png")
    assert status == 200
    [stored] = stored_files(settings)
    with Image.open(stored) as image:
        assert image.size == (1600, 1250)
    status, body = upload(staff_client, "scan.png", png_bytes((8000, 6251), mode="1"), "image/png")
    assert status == 400 and "too many pixels" in body["image"][0]


def animation(size, frames: int) -> bytes:
    buffer = io.BytesIO()
    images = [Image.new("P", size, index % 2) for index in range(frames)]
    for image in images:
        image.putpalette([255, 0, 0, 0, 0, 255])  # red, blue: frames that differ, so none is merged
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=80, loop=0)
    return buffer.getvalue()


def test_an_animation_is_resized_frame_by_frame_and_a_long_big_one_refused(staff_client, settings):
    status, _ = upload(staff_client, "wave.gif", animation((2000, 1000), 3), "image/gif")
    assert status == 200
    [stored] = stored_files(settings)
    with Image.open(stored) as image:
        assert image.size == (1600, 800) and image.n_frames == 3 and image.info["duration"] == 80
    status, body = upload(staff_client, "long.gif", animation((4000, 4000), 13), "image/gif")
    assert status == 400 and "too many frames" in body["image"][0]


def test_a_big_photo_cut_short_is_refused_although_it_is_read_at_reduced_scale(staff_client, settings):
    status, body = upload(staff_client, "cut.jpg", big_photo((4000, 3000))[:-200_000], "image/jpeg")
    assert status == 400 and "damaged" in body["image"][0]
    assert stored_files(settings) == []
