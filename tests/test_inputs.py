import io
import zlib

import numpy as np
import pytest
from PIL import Image

from model.inputs import MAX_UPLOAD_BYTES, InputError, decode_upload


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


SCAN = Image.fromarray((np.arange(64 * 80) % 251).reshape(64, 80).astype(np.uint8), "L")


def exif_rotated_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    return encoded(SCAN.convert("RGB"), "JPEG", exif=exif)


def two_frame_gif() -> bytes:
    frames = [SCAN.convert("P"), SCAN.transpose(Image.Transpose.FLIP_LEFT_RIGHT).convert("P")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


VALID = [
    ("grey JPEG", encoded(SCAN, "JPEG"), (64, 80)),
    ("RGB PNG", encoded(SCAN.convert("RGB"), "PNG"), (64, 80)),
    ("RGBA PNG", encoded(SCAN.convert("RGBA"), "PNG"), (64, 80)),
    ("palette PNG", encoded(SCAN.convert("P"), "PNG"), (64, 80)),
    (
        "16-bit PNG",
        encoded(Image.fromarray((np.asarray(SCAN) * 200).astype(np.uint16)), "PNG"),
        (64, 80),
    ),
    ("CMYK JPEG", encoded(SCAN.convert("CMYK"), "JPEG"), (64, 80)),
    ("BMP", encoded(SCAN.convert("RGB"), "BMP"), (64, 80)),
    ("TIFF", encoded(SCAN, "TIFF"), (64, 80)),
    ("WebP", encoded(SCAN.convert("RGB"), "WEBP"), (64, 80)),
    ("EXIF-rotated JPEG", exif_rotated_jpeg(), (80, 64)),
    ("animated GIF", two_frame_gif(), (64, 80)),
]


@pytest.mark.parametrize(("name", "data", "shape"), VALID, ids=[v[0] for v in VALID])
def test_valid_images_become_rgb_arrays(name, data, shape):
    decoded = decode_upload(data)
    assert decoded.rgb.shape == (*shape, 3)
    assert decoded.rgb.dtype == np.uint8


def test_notes_say_what_was_done():
    assert any("first one" in note for note in decode_upload(two_frame_gif()).notes)
    assert any("rotated" in note for note in decode_upload(exif_rotated_jpeg()).notes)


def huge_png_header() -> bytes:
    """A valid PNG header that claims 100000 x 100000 pixels (with a correct CRC)."""
    small = encoded(Image.new("L", (1, 1)), "PNG")
    side = (100_000).to_bytes(4, "big")
    header = b"IHDR" + side + side + small[24:29]  # width, height, depth, colour type...
    return small[:12] + header + zlib.crc32(header).to_bytes(4, "big") + small[33:]


INVALID = [
    ("empty", b"", "empty"),
    ("random bytes", bytes(range(256)) * 4, "not an image"),
    ("PDF", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "not an image"),
    ("ZIP", b"PK\x03\x04" + b"\0" * 100, "not an image"),
    ("truncated JPEG", encoded(SCAN, "JPEG")[:-400], "damaged"),
    ("truncated PNG", encoded(SCAN, "PNG")[:200], "damaged|not an image"),
    ("too large file", b"\xff" * (MAX_UPLOAD_BYTES + 1), "larger than"),
    ("100000 x 100000 header", huge_png_header(), "too many pixels|more than we process"),
    ("1 x 1", encoded(Image.new("L", (1, 1)), "PNG"), "at least 32"),
    ("strip", encoded(Image.new("L", (2000, 40)), "PNG"), "long and thin"),
]


@pytest.mark.parametrize(("name", "data", "message"), INVALID, ids=[v[0] for v in INVALID])
def test_bad_files_raise_a_plain_words_error(name, data, message):
    with pytest.raises(InputError, match=message):
        decode_upload(data)
