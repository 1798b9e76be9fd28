"""`{% picture %}`: an uploaded avatar or cover with its renditions, sized for where it is shown.

    {% load pictures %}{% picture card.cover_image "card" css_class="model-card__cover" %}

renders templates/portfolio/_picture.html: a <picture> whose <source> lists the renditions
(portfolio/renditions.py) with the `sizes` of the place, around an <img> of the stored image
itself (JPEG, PNG, WebP or GIF, at most 1600 px) for a browser that shows neither AVIF nor
WebP. It reads only the image's file (its size, which renditions exist), never the request:
a card's HTML is stored (models_showcase/rendering.py).
"""

from dataclasses import dataclass

from django import template
from django.db.models.fields.files import ImageFieldFile

from portfolio import renditions

register = template.Library()


@dataclass(frozen=True)
class Place:
    sizes: str  # how wide the image is shown, as site.css lays it out
    lazy: bool  # below the fold: loaded as it scrolls into view
    box: tuple[int, int] | None = None  # fixed width and height attributes, for a picture CSS crops


# These mirror site.css: .layout (80rem at most, 1rem padding, a 13rem sidebar and 2rem gap
# from 64em), .model-grid (300 px columns or wider, 1.5rem gaps), .author__avatar (5rem, 10rem
# from 64em). A size here that is a little too large costs bytes, never sharpness.
PLACES = {
    "avatar": Place(sizes="(min-width: 64em) 10rem, 5rem", lazy=False, box=(160, 160)),
    # One column under 41rem, two (or three) beside each other above; three in the widest layout.
    "card": Place(
        sizes="(min-width: 80rem) 20rem, (min-width: 64em) calc(50vw - 9.25rem), "
        "(min-width: 41rem) calc(50vw - 1.75rem), calc(100vw - 2rem)",
        lazy=True,
    ),
    "detail": Place(sizes="(min-width: 80rem) 63rem, (min-width: 64em) calc(100vw - 17rem), calc(100vw - 2rem)",
                    lazy=False),
}  # fmt: skip

# The widest grid shows three cards a row: their covers are above the fold on the home page.
FIRST_ROW = 3
LAZY = 'loading="lazy"'


@register.inclusion_tag("portfolio/_picture.html")
def picture(image: ImageFieldFile, place: str, css_class: str = "", alt: str = "") -> dict:
    where = PLACES[place]
    context = {"src": image.url, "css_class": css_class, "alt": alt, "loading": "lazy" if where.lazy else "eager"}
    try:
        size = (image.width, image.height)
    except (OSError, ValueError):  # the file is missing or damaged: the page still renders
        return context
    if not all(size):
        return context
    context["width"], context["height"] = where.box or size
    found = renditions.available(image.name, size, storage=image.storage)
    if found:
        context["type"] = renditions.MIME_TYPES[renditions.FORMAT]
        context["srcset"] = ", ".join(f"{image.storage.url(name)} {width}w" for width, name in found)
        context["sizes"] = where.sizes
    return context


@register.filter
def above_the_fold(card_html: str, index: int) -> str:
    """A stored card with its cover loaded at once when it is in the first row (`index` counts from 0)."""
    return card_html.replace(LAZY, 'loading="eager"', 1) if index < FIRST_ROW else card_html
