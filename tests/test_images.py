"""Avatars and covers with their renditions: made on save, listed in srcset, gone with their image."""

import io
import re
from html.parser import HTMLParser

import pytest
from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from models_showcase.models import ModelCard
from portfolio import renditions
from portfolio.backup import create_backup, restore_backup
from portfolio.models import Profile
from portfolio.templatetags.pictures import FIRST_ROW, PLACES
from tests.builders import make_card, make_profile
from tests.photos import small_image

pytestmark = pytest.mark.django_db


def jpeg(size, name="photo.jpg") -> ContentFile:
    return ContentFile(small_image(size, "JPEG"), name=name)


def media_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


class Tags(HTMLParser):
    """Every start tag of a page, as (tag, attributes)."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str, css_class: str | None = None) -> list[dict]:
        return [a for t, a in self.tags if t == tag and (css_class is None or css_class in a.get("class", "").split())]


def pictures(html: str, css_class: str) -> list[tuple[dict, dict]]:
    """(source attributes, img attributes) of each <picture> whose <img> has `css_class`."""
    found = re.findall(r"<picture>(<source [^>]*>)(<img [^>]*>)</picture>", html)
    pairs = [(Tags(source).tags[0][1], Tags(img).tags[0][1]) for source, img in found]
    return [(source, img) for source, img in pairs if css_class in img.get("class", "").split()]


def srcset_widths(srcset: str) -> list[int]:
    return [int(candidate.rsplit(" ", 1)[1].removesuffix("w")) for candidate in srcset.split(", ")]


# ---- What is made, and when ----


def test_a_cover_gets_the_widths_below_its_own_and_its_own(settings):
    card = make_card(cover_image=jpeg((1000, 600), "c.jpg"))
    stem = card.cover_image.name.removesuffix(".jpg")
    assert media_files(settings) == sorted(
        [f"{stem}.jpg", f"{stem}-400w.avif", f"{stem}-800w.avif", f"{stem}-1000w.avif"]
    )
    for width, height in [(400, 240), (800, 480), (1000, 600)]:
        with Image.open(settings.MEDIA_ROOT / f"{stem}-{width}w.avif") as image:
            assert (image.format, image.size) == ("AVIF", (width, height))


def test_a_large_cover_stops_at_1600_and_a_small_one_gets_one_copy(settings):
    big = make_card(cover_image=jpeg((1600, 900), "big.jpg")).cover_image
    small = make_card(cover_image=jpeg((320, 180), "small.jpg")).cover_image
    assert [width for width, _ in renditions.available(big.name, (1600, 900), storage=big.storage)] == [
        400, 800, 1200, 1600
    ]  # fmt: skip
    assert [width for width, _ in renditions.available(small.name, (320, 180), storage=small.storage)] == [320]


def test_an_avatar_gets_centred_squares_for_1x_and_2x(settings):
    profile = make_profile(avatar=jpeg((900, 600), "me.jpg"))
    stem = profile.avatar.name.removesuffix(".jpg")
    for width in (160, 320):
        with Image.open(settings.MEDIA_ROOT / f"{stem}-{width}w.avif") as image:
            assert image.size == (width, width)


def test_saving_again_without_a_new_image_makes_nothing(settings, monkeypatch):
    card = make_card(cover_image=jpeg((800, 450)))
    calls = []
    monkeypatch.setattr(renditions, "make_renditions", lambda *a, **k: calls.append(a))
    card.title = "Renamed"
    card.save()
    assert calls == []


def test_an_animation_is_shown_as_it_is(settings):
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (600, 300), color) for color in ("red", "blue")]
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    card = make_card(cover_image=ContentFile(buffer.getvalue(), name="a.gif"))
    assert media_files(settings) == [card.cover_image.name]


def test_a_rendition_that_cannot_be_made_leaves_the_image_saved(settings, caplog):
    card = make_card(cover_image=ContentFile(b"not an image", name="broken.jpg"))
    assert media_files(settings) == [card.cover_image.name]
    assert "Could not make the renditions" in caplog.text


# ---- Gone with their image ----


def admin_form_data(client, url, **overrides) -> dict:
    """What the admin's form at `url` would post unchanged (files aside), with `overrides`."""
    context = client.get(url).context
    form = context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or isinstance(field, forms.FileField) or value is False:
            continue
        data[name] = "on" if value is True else [str(v) for v in value] if isinstance(value, list) else value
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        for name in ("TOTAL_FORMS", "INITIAL_FORMS"):
            data[f"{formset.prefix}-{name}"] = formset.initial_form_count()
        for inline_form in formset.initial_forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value is not None:
                    data[inline_form.add_prefix(name)] = value
    return {**data, **overrides}


def test_replacing_a_cover_in_the_admin_deletes_the_old_one_and_its_renditions(
    staff_client, settings, django_capture_on_commit_callbacks
):
    card = make_card(cover_image=jpeg((900, 500), "old.jpg"))
    old = media_files(settings)
    assert len(old) == 4
    url = reverse("admin:models_showcase_modelcard_change", args=[card.pk])
    new = SimpleUploadedFile("new.png", small_image((500, 300)), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, admin_form_data(staff_client, url, cover_image=new))
    assert response.status_code == 302
    card.refresh_from_db()
    stem = card.cover_image.name.removesuffix(".png")
    assert media_files(settings) == sorted([f"{stem}.png", f"{stem}-400w.avif", f"{stem}-500w.avif"])
    # The stored card shows the new picture.
    assert f'src="/media/{stem}.png"' in card.card_html


def test_clearing_the_avatar_deletes_it_and_its_renditions(staff_client, settings, django_capture_on_commit_callbacks):
    profile = make_profile(avatar=jpeg((400, 400)))
    assert len(media_files(settings)) == 3
    url = reverse("admin:portfolio_profile_change", args=[profile.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, admin_form_data(staff_client, url, **{"avatar-clear": "on"}))
    assert response.status_code == 302
    assert not Profile.objects.get().avatar
    assert media_files(settings) == []


def test_a_form_that_does_not_save_deletes_nothing(staff_client, settings, django_capture_on_commit_callbacks):
    card = make_card(cover_image=jpeg((900, 500)))
    before = media_files(settings)
    url = reverse("admin:models_showcase_modelcard_change", args=[card.pk])
    new = SimpleUploadedFile("new.png", small_image((500, 300)), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, admin_form_data(staff_client, url, cover_image=new, repo_id="not an id"))
    assert response.status_code == 200  # the form again, with its error
    assert media_files(settings) == before


def test_deleting_a_card_deletes_its_cover_and_renditions(settings, django_capture_on_commit_callbacks):
    keep = make_card(cover_image=jpeg((900, 500)))
    kept = media_files(settings)
    with django_capture_on_commit_callbacks(execute=True):
        make_card(cover_image=jpeg((900, 500))).delete()
        ModelCard.objects.filter(pk=make_card(cover_image=jpeg((700, 500))).pk).delete()
    assert media_files(settings) == kept
    assert keep.cover_image.name in kept


# ---- Shown with srcset, sizes, width and height ----


def test_the_home_page_lists_renditions_with_sizes_and_lazy_loads_below_the_first_row(client, settings):
    make_profile(avatar=jpeg((1200, 900)))
    cards = [make_card(cover_image=jpeg((1600, 900)), sort_order=n) for n in range(FIRST_ROW + 2)]
    html = client.get("/").content.decode()

    [(source, img)] = pictures(html, "author__avatar")
    assert source["type"] == "image/avif" and srcset_widths(source["srcset"]) == [160, 320]
    assert source["sizes"] == PLACES["avatar"].sizes
    assert (img["width"], img["height"], img["loading"], img["alt"]) == ("160", "160", "eager", "")
    assert img["src"] == Profile.objects.get().avatar.url

    covers = pictures(html, "model-card__cover")
    assert len(covers) == len(cards)
    for position, (source, img) in enumerate(covers):
        assert srcset_widths(source["srcset"]) == [400, 800, 1200, 1600]
        assert source["sizes"] == PLACES["card"].sizes
        assert (img["width"], img["height"]) == ("1600", "900")
        assert img["loading"] == ("eager" if position < FIRST_ROW else "lazy")
    # The stored fragment knows no position: the page decides.
    assert 'loading="lazy"' in ModelCard.objects.get(pk=cards[0].pk).card_html


def test_the_model_page_shows_its_cover_at_once_with_the_larger_renditions(client):
    card = make_card(cover_image=jpeg((1200, 800)))
    html = client.get(card.get_absolute_url()).content.decode()
    [(source, img)] = pictures(html, "model-detail__cover")
    assert srcset_widths(source["srcset"]) == [400, 800, 1200]
    assert all(url.startswith("/media/covers/") for url in re.findall(r"(\S+) \d+w", source["srcset"]))
    assert source["sizes"] == PLACES["detail"].sizes
    assert (img["width"], img["height"], img["loading"]) == ("1200", "800", "eager")


def test_an_image_without_renditions_or_without_its_file_is_still_shown(client, settings):
    """Uploaded before renditions existed (or its file lost): a plain <img>, as before."""
    card = make_card(cover_image=jpeg((900, 500)))
    for name in settings.MEDIA_ROOT.rglob("*.avif"):
        name.unlink()
    make_card(cover_image="covers/missing.png")
    ModelCard.objects.update(card_html="")  # rendered again, from the files as they are now
    html = client.get("/").content.decode()
    assert "<picture>" not in html
    covers = Tags(html).find("img", "model-card__cover")
    assert {"src": card.cover_image.url, "width": "900", "height": "500"}.items() <= covers[0].items()
    assert covers[1]["src"] == "/media/covers/missing.png" and "width" not in covers[1]

    # The command makes what is missing, and the cards show it.
    call_command("make_renditions", stdout=None)
    assert len(pictures(client.get("/").content.decode(), "model-card__cover")) == 1
    assert renditions.make_renditions(card.cover_image.name, storage=card.cover_image.storage, missing_only=True) == []


def test_renditions_are_served_as_images_with_nosniff(client):
    card = make_card(cover_image=jpeg((500, 300)))
    [(_, name), _] = renditions.available(card.cover_image.name, (500, 300), storage=card.cover_image.storage)
    response = client.get(card.cover_image.storage.url(name))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/avif"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db(transaction=True)
def test_renditions_go_into_backups_and_come_back(settings, tmp_path):
    card = make_card(cover_image=jpeg((900, 500)))
    files = media_files(settings)
    backup = create_backup(output_dir=tmp_path / "backups")
    assert {f"media/{name}" for name in files} <= {file.path for file in backup.media}
    for path in settings.MEDIA_ROOT.rglob("*.avif"):
        path.unlink()
    restore_backup(backup.path)
    assert media_files(settings) == files
    assert card.cover_image.name in files


# ---- In the admin ----


def test_the_admin_shows_a_small_preview_beside_the_file_input(staff_client):
    profile = make_profile(avatar=jpeg((900, 600)))
    card = make_card(cover_image=jpeg((1600, 900)))
    page = staff_client.get(reverse("admin:portfolio_profile_change", args=[profile.pk])).content.decode()
    [preview] = Tags(page).find("img", "image-input__preview")
    assert preview["src"].endswith("-160w.avif") and (preview["width"], preview["height"]) == ("120", "120")
    assert 'accept="image/jpeg,image/png,image/webp,image/gif"' in page

    page = staff_client.get(reverse("admin:models_showcase_modelcard_change", args=[card.pk])).content.decode()
    [preview] = Tags(page).find("img", "image-input__preview")
    assert preview["src"].endswith("-400w.avif") and (preview["width"], preview["height"]) == ("160", "90")

    add = staff_client.get(reverse("admin:models_showcase_modelcard_add")).content.decode()
    assert Tags(add).find("img", "image-input__preview") == []


def test_the_card_changelist_shows_each_cover_as_a_thumbnail(staff_client):
    make_card("tester/with-cover", cover_image=jpeg((1600, 900)))
    make_card("tester/without-cover")
    make_card("tester/lost-cover", cover_image="covers/missing.png")
    page = staff_client.get(reverse("admin:models_showcase_modelcard_changelist")).content.decode()
    [thumbnail] = [img for img in Tags(page).find("img") if "/media/covers/" in img.get("src", "")]
    assert thumbnail["src"].endswith("-400w.avif") and (thumbnail["width"], thumbnail["height"]) == ("64", "36")


def test_a_file_another_row_still_names_is_kept(settings, django_capture_on_commit_callbacks):
    first = make_card(cover_image=jpeg((900, 500)))
    make_card(cover_image=first.cover_image.name)  # a copied row: the same file
    files = media_files(settings)
    with django_capture_on_commit_callbacks(execute=True):
        first.delete()
    assert media_files(settings) == files
