"""Photos as phones take them, made on the spot: big, noisy (so they do not compress), with EXIF."""

import io
from functools import cache

from PIL import Image

ORIENTATION = 0x0112
GPS_IFD = 0x8825


@cache
def big_photo(size: tuple[int, int] = (6000, 4500), *, orientation: int | None = None, sigma: int = 12) -> bytes:
    """A JPEG of `size` full of noise at quality 95: 6000 x 4500 is about 15 MB, like a phone's best setting."""
    image = Image.merge("RGB", [Image.effect_noise(size, sigma) for _ in range(3)])
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif.get_ifd(GPS_IFD)[2] = (37.0, 33.0, 59.0)  # latitude: where the owner lives
    if orientation:
        exif[ORIENTATION] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def small_image(size=(64, 32), image_format="PNG", color="teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, image_format)
    return buffer.getvalue()
