"""Every image the owner uploads (avatar, cover images, pictures in markdown) goes through here.

An upload is trusted for nothing: not its name, not its extension, not the
content type the browser sent. It must decode, fully, as one of a few raster
formats, within a size and a pixel budget; then it is re-encoded under a new
random name, which drops EXIF (GPS included) and anything smuggled after or
inside the image data (HTML, script, a second file format).
"""

import io
import uuid
import warnings

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # 40 megapixels: far above any portfolio picture, far below a decompression bomb
# Pillow opens only these: SVG, BMP, TIFF, PSD, EPS... are refused before any decoding.
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
IMAGE_HELP = f"JPEG, PNG, WebP or GIF, up to {filesizeformat(MAX_UPLOAD_BYTES)}. Stored re-encoded, without metadata."

NOT_AN_IMAGE = (
    "This file is not a JPEG, PNG, WebP or GIF image (or it is damaged). Other formats, SVG included, are refused."
)


def sanitize_image(upload) -> ContentFile:
    """Decode `upload` strictly and return a re-encoded copy with a random name, or raise ValidationError."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"This image is {filesizeformat(upload.size)}; the limit is {filesizeformat(MAX_UPLOAD_BYTES)}.",
            code="too_large",
        )
    upload.seek(0)
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice it; a warning here is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(upload, formats=list(FORMATS)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise _too_many_pixels(image.width, image.height)
                image.load()  # decode everything: a truncated or forged file fails here, not later
                return _reencode(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise ValidationError(NOT_AN_IMAGE, code="invalid_image") from None


def _too_many_pixels(width: int | None = None, height: int | None = None) -> ValidationError:
    size = f" ({width} × {height})" if width else ""
    return ValidationError(
        f"This image has too many pixels{size}; the limit is {MAX_PIXELS // 1_000_000} megapixels.",
        code="too_many_pixels",
    )


def _reencode(image: Image.Image) -> ContentFile:
    """A fresh file holding only pixels: no EXIF, no text chunks, no trailing bytes."""
    source_format = image.format
    buffer = io.BytesIO()
    if source_format == "GIF":
        # Re-encoded like the rest; animations keep their frames and timing.
        frames = [frame.copy() for frame in _frames(image)]
        frames[0].save(
            buffer,
            "GIF",
            save_all=len(frames) > 1,
            append_images=frames[1:],
            loop=image.info.get("loop", 0),
            duration=image.info.get("duration", 100),
        )
    else:
        # Photos from phones are often stored sideways with an EXIF rotation: apply it
        # before the EXIF goes, or the picture would turn.
        image = ImageOps.exif_transpose(image)
        if source_format == "JPEG":
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.save(buffer, "JPEG", quality=88, optimize=True)
        elif source_format == "WEBP":
            image.save(buffer, "WEBP", quality=88)
        else:
            image.save(buffer, "PNG", optimize=True)
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.{FORMATS[source_format]}")


def _frames(image: Image.Image):
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        yield image


class SanitizedImageFormField(forms.FileField):
    """A file field whose cleaned value is the re-encoded image, ready to save."""

    widget = forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"})

    def to_python(self, data):
        upload = super().to_python(data)
        return None if upload is None else sanitize_image(upload)


class SanitizedImageField(models.ImageField):
    """An ImageField whose uploads, in any ModelForm (the admin's included), go through sanitize_image."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": SanitizedImageFormField, **kwargs})
