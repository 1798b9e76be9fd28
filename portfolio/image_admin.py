"""Uploaded images as the admin shows them: a preview beside the file input, a thumbnail in a changelist.

SanitizedImageField hands ImagePreviewWidget to the admin in place of its AdminFileWidget,
so no ModelAdmin needs to say anything for the preview to appear.
"""

from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.db.models.fields.files import ImageFieldFile
from django.utils.html import format_html

from portfolio import renditions
from portfolio.images import ACCEPT

PREVIEW_BOX = (160, 120)
THUMBNAIL_BOX = (64, 36)


def smallest_version(image: ImageFieldFile, box: tuple[int, int]) -> dict | None:
    """The smallest stored version of `image` (a rendition, else the image), with a size that fits `box`."""
    if not image:
        return None
    try:
        size = (image.width, image.height)
    except (OSError, ValueError):  # the file is missing or damaged: the admin still opens
        return None
    if not all(size):
        return None
    url, shown = image.url, size
    found = renditions.available(image.name, size, storage=image.storage)
    if found:
        width, name = found[0]
        url = image.storage.url(name)
        spec = renditions.spec_for(image.name)
        shown = (width, width) if spec and spec.square else (width, round(size[1] * width / size[0]))
    scale = min(1.0, box[0] / shown[0], box[1] / shown[1])
    return {"url": url, "width": max(1, round(shown[0] * scale)), "height": max(1, round(shown[1] * scale))}


def thumbnail(image: ImageFieldFile, box: tuple[int, int] = THUMBNAIL_BOX) -> str:
    """An <img> of `image` for a changelist column, or "" when there is none."""
    version = smallest_version(image, box)
    if version is None:
        return ""
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="" loading="lazy">',
        version["url"],
        version["width"],
        version["height"],
    )


def thumbnail_column(field_name: str, description):
    """A changelist column of each row's image `field_name`, small: `list_display = [thumbnail_column(...), ...]`."""

    @admin.display(description=description)
    def column(obj) -> str:
        return thumbnail(getattr(obj, field_name))

    column.__name__ = f"{field_name}_thumbnail"
    return column


class ImagePreviewWidget(AdminFileWidget):
    """The admin's file input, with the current image shown small above it."""

    template_name = "portfolio/widgets/image_preview.html"

    def __init__(self, attrs=None):
        super().__init__({"accept": ACCEPT, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        is_image = context["widget"]["is_initial"] and isinstance(value, ImageFieldFile)
        context["widget"]["preview"] = smallest_version(value, PREVIEW_BOX) if is_image else None
        return context
