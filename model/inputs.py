"""Turns uploaded bytes into an RGB array, or a plain-words reason why not.

The type is detected from the content, never from the file name. Limits are
checked from the header, before any pixel is decoded.
"""

import io
import re
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from model.dicom import DicomError, is_dicom, read_slice
from model.preprocessing import to_rgb

MAX_UPLOAD_MEGABYTES = 25
MAX_UPLOAD_BYTES = MAX_UPLOAD_MEGABYTES * 1000 * 1000  # decimal megabytes, as the browser shows
# The browser lets files up to this size through (.streamlit/config.toml
# maxUploadSize), so a file over MAX_UPLOAD_MEGABYTES reaches this module and gets
# a message naming its size; only files over this size are stopped by the browser.
BROWSER_UPLOAD_MEGABYTES = 4 * MAX_UPLOAD_MEGABYTES
MAX_PIXELS = 50_000_000  # about 7000 x 7000
MIN_SIDE = 32
MAX_ASPECT_RATIO = 4.0
ACCEPTED_FORMATS = ("JPEG", "PNG", "BMP", "TIFF", "WEBP", "GIF")
EXIF_ORIENTATION_TAG = 0x0112
# EXIF orientations that turn or mirror the image; 1 is "as stored", other values are invalid.
EXIF_TRANSFORMING_ORIENTATIONS = range(2, 9)

# Pillow refuses anything twice this size outright, and we refuse anything
# above it from the header (see decode_upload).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class InputError(ValueError):
    """An upload that cannot be classified; the message is meant for the user."""


@dataclass
class DecodedImage:
    """An uploaded image ready for ``preprocessing.to_model_input``.

    Attributes:
        rgb: uint8 array (height, width, 3).
        kind: Detected format, e.g. "JPEG".
        notes: Things the user should know (first frame used, rotated, ...).
        tags: For DICOM, a few harmless tags as plain text (modality, series).
    """

    rgb: np.ndarray
    kind: str
    notes: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


def too_many_pixels(size: str) -> InputError:
    """The error for an image above ``MAX_PIXELS``; ``size`` says how large it is."""
    return InputError(
        f"The image {size}, more than we process safely ({MAX_PIXELS // 1_000_000} "
        "megapixels). Resize it first."
    )


def check_dimensions(width: int, height: int) -> None:
    """Refuses images too large, too small or too long and thin to be one slice.

    Raises:
        InputError: With the reason.
    """
    if width * height > MAX_PIXELS:
        raise too_many_pixels(f"is {width} x {height} pixels")
    if min(width, height) < MIN_SIDE:
        raise InputError(
            f"The image is {width} x {height} pixels; at least {MIN_SIDE} pixels "
            "on each side are needed to classify it."
        )
    if max(width, height) / min(width, height) > MAX_ASPECT_RATIO:
        raise InputError(
            f"The image is {width} x {height} pixels, too long and thin to be one MRI "
            "slice. Crop it to the slice."
        )


def decode_dicom(data: bytes) -> DecodedImage:
    """Decodes a DICOM Part 10 file; see ``model.dicom``.

    Raises:
        InputError: With a plain-words reason.
    """
    try:
        dicom_slice = read_slice(data, MAX_PIXELS)
    except DicomError as error:
        raise InputError(str(error)) from error
    height, width = dicom_slice.grey.shape[:2]
    check_dimensions(width, height)
    grey = dicom_slice.grey
    rgb = grey if grey.ndim == 3 else np.repeat(grey[..., None], 3, axis=-1)
    return DecodedImage(rgb=rgb, kind="DICOM", notes=dicom_slice.notes, tags=dicom_slice.tags)


def _decode(data: bytes) -> DecodedImage:
    """``decode_upload`` without its last-resort handler for unforeseen decoder errors."""
    if not data:
        raise InputError("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(
            f"The file is {len(data) / 1e6:.1f} MB: larger than {MAX_UPLOAD_MEGABYTES} "
            "MB, the limit for one file. Export the slice as a smaller JPEG or PNG."
        )
    if is_dicom(data):
        return decode_dicom(data)
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError as error:
        # Pillow refuses twice MAX_PIXELS before reading the size out to us; its
        # message names the pixel count ("Image size (144000000 pixels) exceeds ...").
        found = re.search(r"\((\d+) pixels\)", str(error))
        size = (
            f"has {int(found.group(1)) / 1_000_000:.0f} megapixels"
            if found
            else f"has over {2 * MAX_PIXELS // 1_000_000} megapixels"
        )
        raise too_many_pixels(size) from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise InputError(
            "This file is not an image we can read. Upload a JPEG, PNG, BMP, TIFF, "
            "WebP, GIF or DICOM file of one MRI slice."
        ) from error
    check_dimensions(*image.size)
    notes = []
    if getattr(image, "n_frames", 1) > 1:
        notes.append(f"The file holds {image.n_frames} frames; the first one was used.")
        image.seek(0)
    try:
        image.load()
        transposed = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError) as error:
        raise InputError(
            "The image file is damaged or incomplete and could not be decoded. Save or "
            "export it again."
        ) from error
    if image.getexif().get(EXIF_ORIENTATION_TAG) in EXIF_TRANSFORMING_ORIENTATIONS:
        notes.append("The image was rotated or mirrored as its EXIF orientation says.")
    rgb = np.asarray(to_rgb(transposed), dtype=np.uint8)
    return DecodedImage(rgb=rgb, kind=image.format or "image", notes=notes)


def decode_upload(data: bytes) -> DecodedImage:
    """Decodes an uploaded file: an image or a DICOM slice.

    Args:
        data: The file's bytes.

    Returns:
        The decoded image.

    Raises:
        InputError: With a message in plain words for every file that cannot be
            used, including failures of the decoders that nobody foresaw.
    """
    try:
        return _decode(data)
    except InputError:
        raise
    except Exception as error:  # a decoder bug must not reach the page as a traceback
        raise InputError(
            "The file could not be read as an image. Save it as PNG or JPEG and upload it again."
        ) from error
