"""The table of hostile and odd inputs: what each one becomes, or why it is refused.

Shared by test_hostile_inputs.py (every row, against the functions) and
test_app_rejects.py (the refused uploads, through the app).

Each row names the function it feeds (``decode_upload`` for uploaded bytes,
``load_model`` for a registered weights file), the file name a user would see,
a builder that makes the input in code, and the expected outcome. The names are
often misleading on purpose (a PDF named .png): the type is read from the
content, and ``decode_upload`` is never given the name at all.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from model.inputs import MIN_SIDE, InputError, decode_upload
from model.registry import ModelEntry, WeightsError, discover, load_model
from tests.conftest import tiny_classifier_model
from tests.fixtures_hostile import (
    FLIPPED_SCAN,
    HTML_FILE_NAME,
    RAMP,
    SCAN,
    SCAN_ARRAY,
    dicom_bytes,
    dicom_cut_in_header,
    dicom_cut_in_pixels,
    dicom_jpeg_baseline,
    dicom_jpeg_ls,
    dicom_rle,
    dicom_without_part10_header,
    dicom_without_pixels,
    encoded,
    exif_rotated_jpeg,
    grey_16_bit_png,
    grey_32_bit_tiff,
    multi_frame,
    palette_png_with_transparency,
    png_header_claiming,
    rgba_png,
    too_large_file,
    zip_of_a_dicom,
)

NOT_AN_IMAGE = "This file is not an image we can read."
DAMAGED = "The image file is damaged or incomplete"
TOO_MANY_PIXELS = "than we process safely (50 megapixels). Resize it first."
NO_PIXEL_DATA = "The DICOM file holds no image (no pixel data)"
TOO_SMALL = f"at least {MIN_SIDE} pixels on each side are needed"


@dataclass(frozen=True)
class Feed:
    """The function a row feeds, and the pytest fixtures its builder is given."""

    function: Callable
    fixtures: tuple[str, ...] = ()


UPLOAD = Feed(decode_upload)  # build() -> the uploaded bytes
WEIGHTS = Feed(load_model, fixtures=("tiny_weights_dir",))  # build(folder) -> a ModelEntry


@dataclass(frozen=True)
class Decoded:
    """The upload becomes a uint8 RGB array of ``shape`` (height, width) x 3.

    Attributes:
        shape: Expected (height, width).
        note: A substring of one of the notes; empty when no note is expected.
        pixels: A named property of the (height, width, 3) array, or None.
    """

    shape: tuple[int, int]
    note: str = ""
    pixels: Callable[[np.ndarray], bool] | None = None


@dataclass(frozen=True)
class Refused:
    """The input is refused with this error, whose message contains ``message``."""

    error: type[Exception]
    message: str


@dataclass(frozen=True)
class Case:
    """One row: its id, the function it feeds, the file name, a builder, the outcome."""

    id: str
    feeds: Feed
    file_name: str
    build: Callable
    expected: Decoded | Refused


def upload_pixels(data: bytes) -> np.ndarray:
    return decode_upload(data).rgb


def full_range(rgb: np.ndarray) -> bool:
    """Rescaled by the image's own range: its darkest pixel is 0 and its brightest 255."""
    return rgb.min() == 0 and rgb.max() == 255


def is_the_scan_rescaled_by_its_own_range(rgb: np.ndarray) -> bool:
    """Stretched from the image's own minimum and maximum to 0-255, not clipped at 255."""
    expected = SCAN_ARRAY * (255 / SCAN_ARRAY.max())  # (64, 80) float
    return np.abs(rgb - expected[..., None]).max() <= 0.5


def left_half_black_right_half_not(rgb: np.ndarray) -> bool:
    """Transparent pixels (the left half) composited onto black; opaque ones kept."""
    return not rgb[:, :40].any() and rgb[:, 40:].min() > 0


def is_black(rgb: np.ndarray) -> bool:
    """Every pixel is black (no information: nothing to stretch)."""
    return not rgb.any()


def scan_with(background: float) -> np.ndarray:
    """float32 (64, 80): the scan in 0-1, with its darkest pixels set to ``background``."""
    values = SCAN_ARRAY.astype(np.float32) / 255
    values[SCAN_ARRAY == SCAN_ARRAY.min()] = background
    return values


def is_the_scan_with_a_black_background(rgb: np.ndarray) -> bool:
    """Non-finite pixels become no signal (0, the scan has no negative values), black;
    the rest is stretched from 0, as the same scan saved without NaN would be."""
    finite = SCAN_ARRAY != SCAN_ARRAY.min()
    expected = np.where(finite, SCAN_ARRAY * (255 / SCAN_ARRAY.max()), 0)
    return np.abs(rgb - expected[..., None]).max() <= 0.5


def is_the_scan(rgb: np.ndarray) -> bool:
    """Lossless: exactly the grey values of the scan, in all three channels."""
    return all(np.array_equal(rgb[..., channel], SCAN_ARRAY) for channel in range(3))


def is_the_first_frame(rgb: np.ndarray) -> bool:
    """The first frame (the scan), not the others (the scan mirrored)."""
    return is_the_scan(rgb)


def is_the_plain_jpeg_turned_clockwise(rgb: np.ndarray) -> bool:
    """The same pixels as the JPEG without EXIF, turned 90 degrees clockwise."""
    upright = upload_pixels(encoded(SCAN.convert("RGB"), "JPEG"))
    return np.array_equal(rgb, np.rot90(upright, k=-1))


def is_the_plain_jpeg_unturned(rgb: np.ndarray) -> bool:
    """An invalid EXIF orientation is ignored: the pixels are the JPEG's as stored."""
    return np.array_equal(rgb, upload_pixels(encoded(SCAN.convert("RGB"), "JPEG")))


def is_monochrome2_inverted(rgb: np.ndarray) -> bool:
    """MONOCHROME1 shows low values bright: the exact negative of MONOCHROME2."""
    return np.array_equal(rgb, 255 - upload_pixels(dicom_bytes()))


def is_the_middle_frame(rgb: np.ndarray) -> bool:
    """Of five frames, the third (the ramp) was used, not the others (the ramp flipped)."""
    return np.array_equal(rgb, upload_pixels(dicom_bytes(RAMP)))


def is_the_uncompressed_ramp(rgb: np.ndarray) -> bool:
    """Lossless compression gives exactly the pixels of the uncompressed file."""
    return np.array_equal(rgb, upload_pixels(dicom_bytes(RAMP)))


def is_inverted_by_the_negative_slope(rgb: np.ndarray) -> bool:
    """The modality LUT (slope -1) was applied: the negative of the stored values.

    Within one grey level, since rounding before or after the inversion may differ.
    """
    negative = 255 - upload_pixels(dicom_bytes()).astype(int)
    return np.abs(rgb.astype(int) - negative).max() <= 1


def swapped_for_another_valid_model(folder: Path) -> ModelEntry:
    """The registered tiny model's file replaced by another valid model (other weights)."""
    keras.utils.set_random_seed(1)
    tiny_classifier_model().save(folder / "tiny.keras")
    return discover(folder)[0]


def other_frames(count: int) -> np.ndarray:
    """(count, 64, 64) uint16: the ramp flipped, so any frame but the ramp is told apart."""
    return np.stack([RAMP[::-1]] * count)


CASES = [
    # Not images at all, whatever their names say.
    Case("zero-byte file", UPLOAD, "scan.jpg", lambda: b"", Refused(InputError, "file is empty")),
    Case(
        "random bytes named .jpg",
        UPLOAD,
        "scan.jpg",
        lambda: np.random.default_rng(0).bytes(5000),
        Refused(InputError, NOT_AN_IMAGE),
    ),
    Case(
        "PDF named .png",
        UPLOAD,
        "scan.png",
        lambda: b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n",
        Refused(InputError, NOT_AN_IMAGE),
    ),
    Case("ZIP named .dcm", UPLOAD, "series.dcm", zip_of_a_dicom, Refused(InputError, NOT_AN_IMAGE)),
    Case(
        "EPS named .png (Pillow would run Ghostscript)",
        UPLOAD,
        "scan.png",
        lambda: b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 80\nshowpage\n",
        Refused(InputError, NOT_AN_IMAGE),
    ),
    Case(
        "SVG with a script named .png",
        UPLOAD,
        "scan.png",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        Refused(InputError, NOT_AN_IMAGE),
    ),
    Case(
        "file over 25 MB",
        UPLOAD,
        "scan.png",
        too_large_file,
        Refused(InputError, "larger than 25 MB"),
    ),
    # Damaged images.
    Case(
        "truncated JPEG",
        UPLOAD,
        "scan.jpg",
        lambda: encoded(SCAN, "JPEG")[:-400],
        Refused(InputError, DAMAGED),
    ),
    Case(
        "truncated PNG",
        UPLOAD,
        "scan.png",
        lambda: encoded(SCAN, "PNG")[:200],
        Refused(InputError, DAMAGED),
    ),
    # Sizes refused from the header, before any pixel is decoded.
    Case(
        "PNG header claims 100000 x 100000",
        UPLOAD,
        "scan.png",
        lambda: png_header_claiming(100_000, 100_000),
        Refused(InputError, TOO_MANY_PIXELS),
    ),
    Case(
        "PNG header claims 12000 x 12000 (the message names its real size)",
        UPLOAD,
        "scan.png",
        lambda: png_header_claiming(12_000, 12_000),
        Refused(InputError, f"The image has 144 megapixels, more {TOO_MANY_PIXELS}"),
    ),
    Case(
        "PNG header claims 8000 x 8000 (Pillow only warns)",
        UPLOAD,
        "scan.png",
        lambda: png_header_claiming(8000, 8000),
        Refused(InputError, f"8000 x 8000 pixels, more {TOO_MANY_PIXELS}"),
    ),
    Case(
        "1 x 1 image",
        UPLOAD,
        "scan.png",
        lambda: encoded(Image.new("L", (1, 1)), "PNG"),
        Refused(InputError, f"The image is 1 x 1 pixels; {TOO_SMALL}"),
    ),
    Case(
        "10000 x 20 strip",
        UPLOAD,
        "scan.png",
        lambda: encoded(Image.new("L", (10_000, 20)), "PNG"),
        Refused(InputError, f"The image is 10000 x 20 pixels; {TOO_SMALL}"),
    ),
    Case(
        "2000 x 40 strip",
        UPLOAD,
        "scan.png",
        lambda: encoded(Image.new("L", (2000, 40)), "PNG"),
        Refused(InputError, "too long and thin to be one MRI slice"),
    ),
    # Odd but valid images.
    Case("grey JPEG", UPLOAD, "scan.jpg", lambda: encoded(SCAN, "JPEG"), Decoded((64, 80))),
    Case(
        "16-bit grey PNG",
        UPLOAD,
        "scan.png",
        grey_16_bit_png,
        Decoded((64, 80), pixels=is_the_scan_rescaled_by_its_own_range),
    ),
    Case(
        "32-bit grey TIFF",
        UPLOAD,
        "scan.tif",
        grey_32_bit_tiff,
        Decoded((64, 80), pixels=is_the_scan_rescaled_by_its_own_range),
    ),
    Case(
        "CMYK JPEG",
        UPLOAD,
        "scan.jpg",
        lambda: encoded(SCAN.convert("CMYK"), "JPEG"),
        Decoded((64, 80)),
    ),
    Case(
        "palette PNG with transparency",
        UPLOAD,
        "scan.png",
        palette_png_with_transparency,
        Decoded((64, 80), pixels=left_half_black_right_half_not),
    ),
    Case(
        "RGBA PNG",
        UPLOAD,
        "scan.png",
        rgba_png,
        Decoded((64, 80), pixels=left_half_black_right_half_not),
    ),
    Case(
        "EXIF-rotated JPEG",
        UPLOAD,
        "scan.jpg",
        exif_rotated_jpeg,
        Decoded((80, 64), note="rotated", pixels=is_the_plain_jpeg_turned_clockwise),
    ),
    Case(
        "JPEG with an invalid EXIF orientation",
        UPLOAD,
        "scan.jpg",
        lambda: exif_rotated_jpeg(orientation=9),
        Decoded((64, 80), pixels=is_the_plain_jpeg_unturned),
    ),
    Case(
        "animated GIF",
        UPLOAD,
        "scan.gif",
        lambda: multi_frame("GIF", [SCAN, FLIPPED_SCAN]),
        Decoded((64, 80), note="first one was used", pixels=is_the_first_frame),
    ),
    Case(
        "multi-page TIFF",
        UPLOAD,
        "scan.tif",
        lambda: multi_frame("TIFF", [SCAN, FLIPPED_SCAN, FLIPPED_SCAN]),
        Decoded((64, 80), note="3 frames; the first one was used", pixels=is_the_first_frame),
    ),
    Case(
        "WebP",
        UPLOAD,
        "scan.webp",
        lambda: encoded(SCAN.convert("RGB"), "WEBP"),
        Decoded((64, 80)),
    ),
    Case(
        "BMP",
        UPLOAD,
        "scan.bmp",
        lambda: encoded(SCAN.convert("RGB"), "BMP"),
        Decoded((64, 80), pixels=is_the_scan),
    ),
    Case(
        "file name containing HTML",
        UPLOAD,
        HTML_FILE_NAME,
        lambda: encoded(SCAN, "PNG"),
        Decoded((64, 80), pixels=is_the_scan),
    ),
    # DICOM.
    Case(
        "DICOM MONOCHROME2 with rescale slope and intercept",
        UPLOAD,
        "IM0001.dcm",
        lambda: dicom_bytes(RescaleSlope=-1, RescaleIntercept=1000),
        Decoded((64, 64), pixels=is_inverted_by_the_negative_slope),
    ),
    Case(
        "DICOM MONOCHROME1",
        UPLOAD,
        "IM0001.dcm",
        lambda: dicom_bytes(PhotometricInterpretation="MONOCHROME1"),
        Decoded((64, 64), pixels=is_monochrome2_inverted),
    ),
    Case(
        "multi-frame DICOM",
        UPLOAD,
        "IM0001.dcm",
        lambda: dicom_bytes(np.concatenate([other_frames(2), RAMP[None], other_frames(2)])),
        Decoded(
            (64, 64), note="5 frames; frame 3 (the middle) was used", pixels=is_the_middle_frame
        ),
    ),
    Case(
        "DICOM compressed as RLE Lossless (decoded)",
        UPLOAD,
        "IM0001.dcm",
        dicom_rle,
        Decoded((64, 64), pixels=is_the_uncompressed_ramp),
    ),
    Case(
        "DICOM compressed as JPEG Baseline (decoded)",
        UPLOAD,
        "IM0001",
        dicom_jpeg_baseline,
        Decoded((64, 80), pixels=full_range),
    ),
    Case(
        "DICOM compressed as JPEG-LS (no decoder)",
        UPLOAD,
        "IM0001.dcm",
        dicom_jpeg_ls,
        Refused(InputError, "compressed as JPEG-LS Lossless Image Compression, which this"),
    ),
    Case(
        "non-DICOM file named .dcm",
        UPLOAD,
        "IM0001.dcm",
        lambda: b"Export failed: no images in the selected series.\n",
        Refused(InputError, NOT_AN_IMAGE),
    ),
    Case(
        "DICOM without its Part 10 header (never read with force=True)",
        UPLOAD,
        "IM0001.dcm",
        dicom_without_part10_header,
        Refused(InputError, NOT_AN_IMAGE),
    ),
    Case(
        "DICOM cut short in its header",
        UPLOAD,
        "IM0001.dcm",
        dicom_cut_in_header,
        Refused(InputError, "The DICOM file is damaged or incomplete. Export the slice again."),
    ),
    Case(
        "DICOM cut short in its pixels",
        UPLOAD,
        "IM0001.dcm",
        dicom_cut_in_pixels,
        Refused(InputError, "pixel data could not be decoded; the file may be cut short"),
    ),
    Case(
        "DICOM magic and nothing else",
        UPLOAD,
        "IM0001.dcm",
        lambda: b"\0" * 128 + b"DICM" + b"\0" * 50,
        Refused(InputError, NO_PIXEL_DATA),
    ),
    Case(
        "DICOM without pixel data",
        UPLOAD,
        "IM0001.dcm",
        dicom_without_pixels,
        Refused(InputError, NO_PIXEL_DATA),
    ),
    Case(
        "DICOM header claims 65535 x 65535",
        UPLOAD,
        "IM0001.dcm",
        lambda: dicom_bytes(Rows=65_535, Columns=65_535),
        Refused(InputError, "The DICOM file holds more pixels than we process safely"),
    ),
    Case(
        "DICOM of 8 x 8 pixels",
        UPLOAD,
        "IM0001.dcm",
        lambda: dicom_bytes(np.zeros((8, 8), np.uint16)),
        Refused(InputError, f"The image is 8 x 8 pixels; {TOO_SMALL}"),
    ),
    # Issue 16: blank images, NaN and infinite floats, windows without width.
    Case(
        "all-black PNG",
        UPLOAD,
        "scan.png",
        lambda: encoded(Image.new("L", (256, 256), 0), "PNG"),
        Decoded((256, 256), pixels=is_black),
    ),
    Case(
        "all-white PNG",
        UPLOAD,
        "scan.png",
        lambda: encoded(Image.new("L", (256, 256), 255), "PNG"),
        Decoded((256, 256)),
    ),
    Case(
        "constant grey 16-bit PNG",
        UPLOAD,
        "scan.png",
        lambda: encoded(Image.fromarray(np.full((64, 64), 1234, np.uint16)), "PNG"),
        Decoded((64, 64), pixels=is_black),
    ),
    Case(
        "float TIFF with NaN background",
        UPLOAD,
        "scan.tif",
        lambda: encoded(Image.fromarray(scan_with(np.nan), "F"), "TIFF"),
        Decoded((64, 80), pixels=is_the_scan_with_a_black_background),
    ),
    Case(
        "float TIFF with infinite background",
        UPLOAD,
        "scan.tif",
        lambda: encoded(Image.fromarray(scan_with(np.inf), "F"), "TIFF"),
        Decoded((64, 80), pixels=is_the_scan_with_a_black_background),
    ),
    Case(
        "float TIFF that is all NaN",
        UPLOAD,
        "scan.tif",
        lambda: encoded(Image.fromarray(np.full((64, 64), np.nan, np.float32), "F"), "TIFF"),
        Decoded((64, 64), pixels=is_black),
    ),
    Case(
        "DICOM with window width 0",
        UPLOAD,
        "IM0001.dcm",
        lambda: dicom_bytes(WindowCenter=100, WindowWidth=0),
        Decoded((64, 64), note="full range", pixels=is_the_uncompressed_ramp),
    ),
    Case(
        "DICOM with a negative window width",
        UPLOAD,
        "IM0001.dcm",
        lambda: dicom_bytes(WindowCenter=100, WindowWidth=-10),
        Decoded((64, 64), note="full range", pixels=is_the_uncompressed_ramp),
    ),
    Case(
        "12-bit DICOM without a window",
        UPLOAD,
        "IM0001.dcm",
        lambda: dicom_bytes(RAMP * 4, BitsStored=12, HighBit=11),
        Decoded((64, 64), pixels=is_the_uncompressed_ramp),
    ),
    Case(
        "signed 16-bit DICOM with negative values",
        UPLOAD,
        "IM0001.dcm",
        lambda: dicom_bytes(
            (RAMP.astype(np.int32) - 30_000).astype(np.int16), PixelRepresentation=1
        ),
        Decoded((64, 64), pixels=is_the_uncompressed_ramp),
    ),
    # Further odd files.
    Case(
        "1-bit PNG",
        UPLOAD,
        "scan.png",
        lambda: encoded(SCAN.convert("1"), "PNG"),
        Decoded((64, 80)),
    ),
    Case(
        "progressive JPEG",
        UPLOAD,
        "scan.jpg",
        lambda: encoded(SCAN, "JPEG", progressive=True),
        Decoded((64, 80)),
    ),
    Case(
        "JPEG with trailing bytes",
        UPLOAD,
        "scan.jpg",
        lambda: encoded(SCAN, "JPEG") + b"\0garbage" * 100,
        Decoded((64, 80)),
    ),
    Case(
        "JPEG named .dcm",
        UPLOAD,
        "IM0001.dcm",
        lambda: encoded(SCAN, "JPEG"),
        Decoded((64, 80)),
    ),
    Case(
        "fully transparent PNG",
        UPLOAD,
        "scan.png",
        lambda: encoded(Image.new("RGBA", (64, 64), (255, 255, 255, 0)), "PNG"),
        Decoded((64, 64), pixels=is_black),
    ),
    Case(
        "lossless WebP",
        UPLOAD,
        "scan.webp",
        lambda: encoded(SCAN, "WEBP", lossless=True),
        Decoded((64, 80), pixels=is_the_scan),
    ),
    Case(
        "TIFF with LZW compression",
        UPLOAD,
        "scan.tif",
        lambda: encoded(SCAN, "TIFF", compression="tiff_lzw"),
        Decoded((64, 80), pixels=is_the_scan),
    ),
    Case(
        "grey image with an alpha channel (LA)",
        UPLOAD,
        "scan.png",
        lambda: encoded(SCAN.convert("LA"), "PNG"),
        Decoded((64, 80), pixels=is_the_scan),
    ),
    Case(
        "plain text named .jpg",
        UPLOAD,
        "scan.jpg",
        lambda: b"This is not an image, just some words.\n" * 10,
        Refused(InputError, NOT_AN_IMAGE),
    ),
    Case(
        "HTML page named .png",
        UPLOAD,
        "scan.png",
        lambda: b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>",
        Refused(InputError, NOT_AN_IMAGE),
    ),
    # Weights.
    Case(
        "weights file whose hash does not match its card",
        WEIGHTS,
        "tiny.keras",
        swapped_for_another_valid_model,
        Refused(WeightsError, "tiny.keras does not match its model card (sha256 differs)"),
    ),
]
