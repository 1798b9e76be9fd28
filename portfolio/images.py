"""Every image the owner uploads (avatar, cover images, pictures in markdown) goes through here.

An upload is trusted for nothing: not its name, not its extension, not the
content type the browser sent. It must decode, fully, as one of a few raster
formats, within a size and a pixel budget; then it is re-encoded under a new
random name, which drops EXIF (GPS included) and anything smuggled after or
inside the image data (HTML, script, a second file format).

Photos come as people take them: a phone's 12 MB, 50-megapixel JPEG, stored
sideways with an EXIF rotation. They are accepted, turned upright and stored at
most MAX_SIDE pixels wide or high; avatars and covers then get smaller copies
for the places they are shown (portfolio/renditions.py).
"""

import io
import uuid
import warnings
from functools import partial

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import signals
from django.template.defaultfilters import filesizeformat
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portfolio import renditions

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo; far below a decompression bomb
# An animation is decoded frame by frame: its frames together get a budget of their own.
MAX_ANIMATION_PIXELS = 4 * MAX_PIXELS
MAX_SIDE = 1600  # stored images are at most this wide and high: sharp on a 2x screen at the site's widths
# Pillow's own check, in open() before any pixel is decoded, uses the same limit: it warns above it
# (an error here, see sanitize_image) and refuses twice it. Nothing on this site opens bigger images.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Pillow opens only these: SVG, BMP, TIFF, PSD, EPS... are refused before any decoding.
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
IMAGE_HELP = format_lazy(
    _(
        "JPEG, PNG, WebP or GIF, up to {size} MB and {megapixels} megapixels: a phone's photo is fine. "
        "Stored re-encoded, without metadata, at most {side} px wide or high."
    ),
    size=MAX_UPLOAD_BYTES // 2**20,
    megapixels=MAX_PIXELS // 1_000_000,
    side=MAX_SIDE,
)

NOT_AN_IMAGE = _(
    "This file is not a JPEG, PNG, WebP or GIF image (or it is damaged). Other formats, SVG included, are refused."
)


def sanitize_image(upload, *, max_side: int = MAX_SIDE) -> ContentFile:
    """Decode `upload` strictly and return a re-encoded copy, at most `max_side` px, with a random name.

    Raises ValidationError for anything that is not a whole image of an allowed format within the limits.
    """
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("This image is %(size)s; the limit is %(limit)s."),
            code="too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_UPLOAD_BYTES)},
        )
    upload.seek(0)
    with warnings.catch_warnings():
        # Pillow only warns between its limit and twice it; a warning here is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(upload, formats=list(FORMATS)) as image:
                # Pillow's own check stops the same images, unless something in the process turned it off.
                if image.width * image.height > MAX_PIXELS:
                    raise _too_many_pixels(image.width, image.height)
                if image.format == "JPEG":
                    # A JPEG can be decoded at 1/2, 1/4 or 1/8 scale: a 50-megapixel photo bound for
                    # 1600 px is read at 2000 px and needs a sixteenth of the memory. Every byte is
                    # still decoded, so a damaged file fails all the same.
                    image.draft(None, _fitted(image.size, max_side))
                image.load()  # decode everything: a truncated or forged file fails here, not later
                return _reencode(image, max_side)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise ValidationError(NOT_AN_IMAGE, code="invalid_image") from None


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ValidationError:
    params = {"limit": MAX_PIXELS // 1_000_000, "width": width, "height": height}
    if width:
        message = _("This image has too many pixels (%(width)s × %(height)s); the limit is %(limit)s megapixels.")
    else:
        message = _("This image has too many pixels; the limit is %(limit)s megapixels.")
    return ValidationError(message, code="too_many_pixels", params=params)


def _fitted(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """`size` scaled down (never up) to fit in a max_side square, keeping its proportions."""
    scale = min(1.0, max_side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _reencode(image: Image.Image, max_side: int) -> ContentFile:
    """A fresh file holding only pixels, at most max_side px: no EXIF, no text chunks, no trailing bytes."""
    source_format = image.format
    buffer = io.BytesIO()
    if source_format == "GIF":
        # Re-encoded like the rest; animations keep their frames and timing.
        count = getattr(image, "n_frames", 1)
        if count * image.width * image.height > MAX_ANIMATION_PIXELS:
            raise ValidationError(
                _("This animation has too many frames for its size (%(count)s); make it shorter or smaller."),
                code="too_many_pixels",
                params={"count": count},
            )
        frames = [_shrunk(frame.copy(), max_side) for frame in _frames(image)]
        frames[0].save(
            buffer,
            "GIF",
            save_all=len(frames) > 1,
            append_images=frames[1:],
            loop=image.info.get("loop", 0),
            duration=image.info.get("duration", 100),
        )
    else:
        image = _shrunk(image, max_side)
        # Photos from phones are often stored sideways with an EXIF rotation: apply it before
        # the EXIF goes, or the picture would turn. After shrinking (within a square, so the
        # same size either way): the rotation then copies a small image, not a big one.
        image = ImageOps.exif_transpose(image)
        if source_format == "JPEG":
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.save(buffer, "JPEG", quality=88, optimize=True)
        elif source_format == "WEBP":
            image.save(buffer, "WEBP", quality=88)
        else:
            # Not optimize=True: on a 1600 px image it takes seconds to save a few per cent.
            image.save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.{FORMATS[source_format]}")


def _shrunk(image: Image.Image, max_side: int) -> Image.Image:
    """`image` resized in place to fit in a max_side square (or as it is, when it fits)."""
    if max(image.size) <= max_side:
        return image
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        # Palette, bilevel and 16-bit images resize only pixel by pixel, if at all: smooth them as grey or colour.
        image = image.convert("L" if image.mode == "1" else "RGBA" if image.has_transparency_data else "RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


def _frames(image: Image.Image):
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        yield image


def make_missing_renditions() -> int:
    """Make the renditions any stored image lacks (uploaded before they existed, say); return how many."""
    made = 0
    for model, field in _image_fields():
        names = model._base_manager.exclude(**{field.attname: ""}).values_list(field.attname, flat=True)
        for name in names.distinct():
            made += len(renditions.make_renditions(name, storage=field.storage, missing_only=True))
    return made


class SanitizedImageFormField(forms.FileField):
    """A file field whose cleaned value is the re-encoded image, ready to save."""

    widget = forms.ClearableFileInput(attrs={"accept": ACCEPT})

    def to_python(self, data):
        upload = super().to_python(data)
        return None if upload is None else sanitize_image(upload)


REPLACED = "_sanitized_images_replaced"  # on an instance: field attname -> the file name a form replaced


class SanitizedImageField(models.ImageField):
    """An ImageField whose uploads, in any ModelForm (the admin's included), go through sanitize_image.

    When a new image is saved, its renditions are made (portfolio/renditions.py decides which, by
    the field's folder). An image replaced or cleared in a form, or whose row is deleted, goes from
    storage with its renditions once the transaction commits; files are never shared between rows
    (each upload gets a random name), so nothing else can be showing it.
    """

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not cls._meta.abstract:
            # As ImageField keeps its dimension fields up to date: a field's own files are its business.
            signals.post_delete.connect(self._delete_files_of_row, sender=cls)

    def formfield(self, **kwargs):
        from django.contrib.admin.widgets import AdminFileWidget

        from portfolio.image_admin import ImagePreviewWidget

        if kwargs.get("widget") is AdminFileWidget:  # the admin's choice for every file field
            kwargs["widget"] = ImagePreviewWidget
        return super().formfield(**{"form_class": SanitizedImageFormField, **kwargs})

    def save_form_data(self, instance, data):
        previous = getattr(instance, self.attname).name
        super().save_form_data(instance, data)
        if previous and previous != getattr(instance, self.attname).name:
            instance.__dict__.setdefault(REPLACED, {})[self.attname] = previous

    def pre_save(self, model_instance, add):
        file = getattr(model_instance, self.attname)
        uploaded = bool(file) and not file._committed
        file = super().pre_save(model_instance, add)  # stores an uploaded file under its final name
        if uploaded:
            renditions.make_renditions(file.name, storage=file.storage)
        replaced = model_instance.__dict__.get(REPLACED, {}).pop(self.attname, None)
        if replaced:
            transaction.on_commit(partial(_delete_unless_used, replaced, storage=self.storage))
        return file

    def _delete_files_of_row(self, sender, instance, **kwargs):
        name = getattr(instance, self.attname).name
        if name:
            transaction.on_commit(partial(_delete_unless_used, name, storage=self.storage))


def _image_fields():
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, SanitizedImageField):
                yield model, field


def _delete_unless_used(name: str, *, storage) -> None:
    """Delete a stored image and its renditions, unless a row still names it (a copied row, fixtures)."""
    if not any(model._base_manager.filter(**{field.attname: name}).exists() for model, field in _image_fields()):
        renditions.delete_image(name, storage=storage)
