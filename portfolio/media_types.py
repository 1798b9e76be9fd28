"""The only kinds of file the site serves from MEDIA_ROOT, and a backup brings back: the images uploads produce.

Every upload is re-encoded by Pillow into JPEG, PNG, WebP or GIF, and renditions add AVIF
(portfolio/images.py, portfolio/renditions.py). Anything else in MEDIA_ROOT was not put there by
the site (a tampered backup, a stray file), so it is neither served nor restored: served from the
site's origin, an HTML, SVG or JavaScript file would run with the site's CSP ('self').

A file passes only if its extension and its first bytes agree on one of these types.
"""

import os

EXTENSION_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".avif": "image/avif",
}

# Enough for every signature below, the AVIF ftyp box's first brands included.
HEAD_SIZE = 64


def type_by_name(name: str) -> str | None:
    """The image type a file name claims (by its extension, in any case), or None."""
    return EXTENSION_TYPES.get(os.path.splitext(name)[1].lower())


def type_by_content(head: bytes) -> str | None:
    """The image type a file's first bytes (at least HEAD_SIZE of them, if it has that many) show, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[4:8] == b"ftyp":
        # An ISO media file: AVIF if its major brand or a compatible brand (4 bytes each, after the version) says so.
        box_end = min(int.from_bytes(head[:4], "big"), len(head))
        brands = [head[8:12], *(head[i : i + 4] for i in range(16, box_end - 3, 4))]
        if b"avif" in brands or b"avis" in brands:
            return "image/avif"
    return None


def served_type(name: str, head: bytes) -> str | None:
    """The content type to serve `name` with, or None if it is not an image the site produces."""
    claimed = type_by_name(name)
    return claimed if claimed is not None and type_by_content(head) == claimed else None
