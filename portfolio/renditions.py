"""Smaller copies of each stored avatar and cover, for `srcset`: made when the image is saved.

Never on a request: a card's HTML is rendered once and stored, and public pages are
cached, so whatever a page names must exist before the page does. The copies sit next
to their image in MEDIA_ROOT (`covers/<name>-800w.avif` beside `covers/<name>.jpg`),
so `manage.py backup` copies them with the media and the media view serves them like
any upload (nosniff, the site's CSP). Their names follow from the image's name and
size, so a page needs no table and no lookup to list them: only a check that they exist.

Why no thumbnail library: easy-thumbnails, sorl-thumbnail and django-imagekit resize
with Pillow too. What they add is making thumbnails on demand (in a template tag, or
when a URL is first asked for) and remembering them by a hashed name in a table or the
cache: exactly what stored card HTML and cached pages cannot rely on. Their save-time
modes (easy-thumbnails' `saved_file` signal with `generate_aliases`, imagekit's
`Optimistic` strategy) run from signals, open the file again without our limits, and
only easy-thumbnails removes its files when the image goes. The rules here fit in a
page of Pillow, which portfolio/images.py already uses to decode every upload.
"""

import io
import logging
import mimetypes
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from PIL import Image, ImageOps, features

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Spec:
    widths: tuple[int, ...]  # ascending; the largest is the most any page shows
    square: bool = False  # cropped to a centred square, as `object-fit: cover` shows it


# By the field's folder (its upload_to). Markdown pictures get none: they are stored at most 1600 px.
SPECS = {
    # The sidebar shows the avatar 5rem or 10rem square (site.css .author__avatar): 160 px is
    # 1x on a desktop and 2x on a phone, 320 px is 2x on a desktop.
    "profile/": Spec((160, 320), square=True),
    # A card's cover is 300-460 px wide in the grid and up to the screen's width on a phone; the
    # model page shows it up to 63rem (1008 px). 400 is a desktop card at 1x, 800 at 2x or a phone;
    # 1200 and 1600 the model page.
    "covers/": Spec((400, 800, 1200, 1600)),
}

# AVIF where Pillow can write it (every current browser shows it: Chrome 85, Firefox 93, Safari 16.4), else WebP.
FORMAT = "AVIF" if features.check("avif") else "WEBP" if features.check("webp") else None
MIME_TYPES = {"AVIF": "image/avif", "WEBP": "image/webp"}
# A detailed 1600 px photo: 115 KB as AVIF at 60 (~0.5 s on 2 cores), 340 KB as the stored JPEG at 88.
SAVE_OPTIONS = {"AVIF": {"quality": 60}, "WEBP": {"quality": 80}}

# The media view names the type from the extension; older systems' tables lack AVIF.
mimetypes.add_type("image/avif", ".avif")


def spec_for(name: str) -> Spec | None:
    return SPECS.get(str(PurePosixPath(name).parent) + "/")


def widths(spec: Spec, size: tuple[int, int]) -> list[int]:
    """The rendition widths of an image of `size`: the spec's steps below it, then its own width (capped)."""
    largest = min(min(size) if spec.square else size[0], spec.widths[-1])
    return [width for width in spec.widths if width < largest] + [largest]


def rendition_name(name: str, width: int, image_format: str | None = FORMAT) -> str:
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}-{width}w.{(image_format or '').lower()}"))


def make_renditions(name: str, *, storage: Storage, missing_only: bool = False) -> list[str]:
    """Write the renditions of the stored image `name` (replacing any); return their names.

    A failure is logged, not raised: the image itself is saved, and pages fall back to it.
    """
    spec = spec_for(name)
    if spec is None or FORMAT is None:
        return []
    written = []
    try:
        with storage.open(name) as file, Image.open(file) as image:
            if image.format == "GIF":
                return []  # an animation is shown as it is (it is at most 1600 px already)
            targets = [(width, rendition_name(name, width)) for width in widths(spec, image.size)]
            if missing_only:
                targets = [(width, target) for width, target in targets if not storage.exists(target)]
            for width, target in targets:
                content = ContentFile(_encode(_resized(image, width, square=spec.square)))
                if storage.exists(target):
                    storage.delete(target)
                written.append(storage.save(target, content))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        logger.warning("Could not make the renditions of %s: %s", name, error)
    return written


def available(name: str, size: tuple[int, int], *, storage: Storage) -> list[tuple[int, str]]:
    """(width, name) of the renditions of `name` that exist: none for an image saved before they did."""
    spec = spec_for(name)
    if spec is None or FORMAT is None:
        return []
    candidates = [(width, rendition_name(name, width)) for width in widths(spec, size)]
    return [(width, rendition) for width, rendition in candidates if storage.exists(rendition)]


def delete_image(name: str, *, storage: Storage) -> None:
    """Delete a stored image and every rendition of it (in any format, of any width)."""
    path = PurePosixPath(name)
    pattern = re.compile(rf"{re.escape(path.stem)}-\d+w\.(?:avif|webp)")
    folder = str(path.parent) if str(path.parent) != "." else ""
    try:
        _, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for file in files:
        if file == path.name or pattern.fullmatch(file):
            storage.delete(f"{folder}/{file}" if folder else file)


def _resized(image: Image.Image, width: int, *, square: bool) -> Image.Image:
    if square:
        return ImageOps.fit(image, (width, width), Image.Resampling.LANCZOS)
    if width == image.width:
        return image
    return image.resize((width, max(1, round(image.height * width / image.width))), Image.Resampling.LANCZOS)


def _encode(image: Image.Image) -> bytes:
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    # Only pixels, as in the image itself (portfolio/images.py): Pillow's AVIF and WebP writers copy
    # an ICC profile, EXIF and XMP from `info`. The stored image carries none; this keeps it so.
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, FORMAT, **SAVE_OPTIONS[FORMAT])
    return buffer.getvalue()
