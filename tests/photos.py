"""Photos as phones take them, made on the spot: big, noisy (so they do not compress), with EXIF."""

import io
import struct
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


def gif_bomb(canvas: tuple[int, int], frames: int) -> bytes:
    """A GIF written byte by byte: a `canvas` of 2 colours and `frames` frames of one pixel each.

    What an attacker sends: tiny (23 bytes a frame), yet every frame asks for the whole canvas when decoded.
    """
    width, height = canvas
    data = bytearray(b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff")
    data += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    for index in range(frames):
        data += b"\x21\xf9\x04\x04\x05\x00\x00\x00"  # graphic control: keep the previous frame, 50 ms
        # One pixel, colour index % 2, LZW with 2-bit codes: clear (4), the pixel, end (5), 3 bits each.
        codes = 4 | (index % 2) << 3 | 5 << 6
        data += b"\x2c" + struct.pack("<HHHHB", index % width, index // width % height, 1, 1, 0)
        data += bytes([2, 2, codes & 0xFF, codes >> 8, 0])
    return bytes(data + b"\x3b")


def animation(size: tuple[int, int], frames: int, image_format: str, **save) -> bytes:
    """A Pillow-made animation (GIF, PNG as APNG, WebP) whose frames differ by one pixel, so none is merged."""

    def frame(index: int) -> Image.Image:
        image = Image.new("L", size, 0)
        image.putpixel((index % size[0], 0), 255 * (index % 2))
        return image.convert("RGB") if image_format == "WEBP" else image

    buffer = io.BytesIO()
    first = frame(0)
    first.save(buffer, image_format, save_all=True, append_images=[frame(i) for i in range(1, frames)],
               duration=50, loop=0, **save)  # fmt: skip
    return buffer.getvalue()


def mpo(sizes=((64, 32), (48, 48)), *, orientation: int | None = None) -> bytes:
    """A multi-picture JPEG (phones' portrait and 3D modes), as Pillow writes one: a picture per size."""
    colors = ("orange", "purple", "green", "teal")
    pictures = [Image.new("RGB", size, colors[index % 4]) for index, size in enumerate(sizes)]
    save = {}
    if orientation:  # (an empty EXIF would make Pillow write a plain JPEG)
        save["exif"] = Image.Exif()
        save["exif"][ORIENTATION] = orientation
    buffer = io.BytesIO()
    pictures[0].save(buffer, "MPO", save_all=True, append_images=pictures[1:], **save)
    return buffer.getvalue()
