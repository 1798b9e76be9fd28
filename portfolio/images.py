"""Every image the owner uploads (avatar, cover images, pictures in markdown) goes through here.

An upload is trusted for nothing: not its name, not its extension, not the
content type the browser sent. It must decode, fully, as one of a few raster
formats, within a size and a pixel budget; then it is re-encoded under a new
random name, which drops EXIF (GPS included) and anything smuggled after or
inside the image data (HTML, script, a second file format). Only pixels are
kept: comments, EXIF, XMP, text chunks and colour profiles go (a valid profile is
first applied, so the colours stay as they were shown).

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
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from portfolio import renditions

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo; far below a decompression bomb
# A GIF keeps its animation, and each frame is decoded at the full canvas size however small the
# change it draws (a 4 KB file can ask for 150 frames of 2000 x 2000). So before any frame is decoded:
# its frames together get one photo's pixels (a 1000 x 1000 animation of 50 frames: ~1.5 s, ~120 MB),
# and at most MAX_FRAMES of them (each frame costs ~0.1 ms however small: a million 1 px frames fit in 25 MB).
MAX_ANIMATION_PIXELS = MAX_PIXELS
MAX_FRAMES = 1000
MAX_SIDE = 1600  # stored images are at most this wide and high: sharp on a 2x screen at the site's widths
# Pillow's own check, in open() before any pixel is decoded, uses the same limit: it warns above it
# (an error here, see sanitize_image) and refuses twice it. Nothing on this site opens bigger images.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Pillow opens only these: SVG, BMP, TIFF, PSD, EPS... are refused before any decoding.
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
# Pillow's JPEG reader answers "MPO" for a multi-picture JPEG (phones' portrait and 3D modes): the first
# picture is a JPEG, and that is what is kept. An APNG and an animated WebP keep their first frame too.
READ_AS = {**{name: name for name in FORMATS}, "MPO": "JPEG"}
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
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
    frames = 0
    if upload.read(6) in (b"GIF87a", b"GIF89a"):
        upload.seek(0)
        frames = _gif_frames(upload.read(), limit=MAX_FRAMES)  # counted in the raw bytes, before any is decoded
    upload.seek(0)
    with warnings.catch_warnings():
        # Pillow only warns between its limit and twice it; a warning here is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(upload, formats=list(FORMATS)) as image:
                source_format = READ_AS.get(image.format)
                if source_format is None:
                    raise ValidationError(NOT_AN_IMAGE, code="invalid_image")
                # Pillow's own check stops the same images, unless something in the process turned it off.
                if image.width * image.height > MAX_PIXELS:
                    raise _too_many_pixels(image.width, image.height)
                if source_format == "GIF":
                    _check_animation(max(frames, 1), image.size)
                if source_format == "JPEG":
                    # A JPEG can be decoded at 1/2, 1/4 or 1/8 scale: a 50-megapixel photo bound for
                    # 1600 px is read at 2000 px and needs a sixteenth of the memory. Every byte is
                    # still decoded, so a damaged file fails all the same.
                    image.draft(None, _fitted(image.size, max_side))
                image.load()  # decode everything: a truncated or forged file fails here, not later
                return _reencode(image, source_format, max_side, frames=max(frames, 1))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise ValidationError(NOT_AN_IMAGE, code="invalid_image") from None


def _gif_frames(data: bytes, *, limit: int) -> int:
    """How many frames the GIF `data` holds (0 if it is no GIF), counting no further than limit + 1.

    Pillow's n_frames walks the whole file, a million frames if there are (a few seconds); this walks
    the same blocks and stops early. Only this many frames are then decoded, whatever Pillow would find.
    """
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        return 0
    position = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)  # after the global colour table
    frames = 0
    try:
        while frames <= limit:
            if data[position] == 0x2C:  # an image descriptor: a frame, its local colour table, LZW code size
                frames += 1
                packed = data[position + 9]
                position += 11 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)
            elif data[position] == 0x21:  # an extension: its label, then data sub-blocks
                position += 2
            else:
                break  # the trailer, or junk
            while size := data[position]:  # data sub-blocks, up to an empty one
                position += size + 1
            position += 1
    except IndexError:
        pass  # cut short: Pillow refuses it or reads what is there
    return frames


def _check_animation(frames: int, size: tuple[int, int]) -> None:
    width, height = size
    if frames > MAX_FRAMES or frames * width * height > MAX_ANIMATION_PIXELS:
        raise ValidationError(
            _(
                "This animation has too many frames for its size (%(count)s frames of %(width)s × %(height)s "
                "pixels); the limit is %(limit)s megapixels for all frames together and %(frames)s frames. "
                "Make it shorter or smaller."
            ),
            code="too_many_pixels",
            params={
                "count": f"{MAX_FRAMES}+" if frames > MAX_FRAMES else frames,
                "width": width,
                "height": height,
                "limit": MAX_ANIMATION_PIXELS // 1_000_000,
                "frames": MAX_FRAMES,
            },
        )


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


def _reencode(image: Image.Image, source_format: str, max_side: int, *, frames: int = 1) -> ContentFile:
    """A fresh file holding only pixels, at most max_side px: no metadata, no text chunks, no trailing bytes."""
    buffer = io.BytesIO()
    if source_format == "GIF":
        # Re-encoded like the rest; an animation keeps its frames and their timing. Frames are made one
        # at a time as the encoder asks for them: it keeps only its own palette copy of each.
        copies = (_pixels_only(_shrunk(frame.copy(), max_side), "duration") for frame in _frames(image, frames))
        loop = image.info.get("loop", 0)
        first = next(copies)
        first.save(buffer, "GIF", save_all=frames > 1, append_images=copies, loop=loop)
    else:
        profile = image.info.get("icc_profile")
        image = _shrunk(image, max_side)
        # Photos from phones are often stored sideways with an EXIF rotation: apply it before
        # the EXIF goes, or the picture would turn. After shrinking (within a square, so the
        # same size either way): the rotation then copies a small image, not a big one.
        image = ImageOps.exif_transpose(image)
        image = _in_srgb(image, profile)
        if source_format == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image = _pixels_only(image)
        if source_format == "JPEG":
            image.save(buffer, "JPEG", quality=88, optimize=True)
        elif source_format == "WEBP":
            image.save(buffer, "WEBP", quality=88)
        else:
            # Not optimize=True: on a 1600 px image it takes seconds to save a few per cent.
            image.save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.{FORMATS[source_format]}")


def _pixels_only(image: Image.Image, *keep: str) -> Image.Image:
    """`image` without the metadata Pillow would write again (comment, EXIF, XMP, ICC, text, dpi...).

    Pillow's writers copy some of `info` into the new file (a JPEG's comment, a GIF's, an ICC profile):
    only transparency, which is part of the pixels, and what `keep` names are left.
    """
    image.info = {key: image.info[key] for key in ("transparency", *keep) if key in image.info}
    return image


def _in_srgb(image: Image.Image, profile: bytes | None) -> Image.Image:
    """`image` converted from its ICC profile to sRGB, so it looks the same once the profile is gone.

    A profile that does not parse, or does not fit the image's mode, is ignored: the pixels stay as they are.
    """
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return ImageCms.profileToProfile(image, source, SRGB, outputMode="RGBA" if image.mode == "RGBA" else "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


def _shrunk(image: Image.Image, max_side: int) -> Image.Image:
    """`image` resized in place to fit in a max_side square (or as it is, when it fits)."""
    if max(image.size) <= max_side:
        return image
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        # Palette, bilevel and 16-bit images resize only pixel by pixel, if at all: smooth them as grey or colour.
        image = image.convert("L" if image.mode == "1" else "RGBA" if image.has_transparency_data else "RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


def _frames(image: Image.Image, count: int):
    for index in range(count):
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
            # No `sender`: a proxy's row (a DatasetCard is a HubCard) is deleted with the proxy as sender.
            signals.post_delete.connect(self._delete_files_of_row)

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
        if not isinstance(instance, self.model):
            return
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
