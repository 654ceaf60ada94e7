"""DICOM slices to display-ready pixel values, with pydicom.

Steps, in the order a viewer applies them: the modality LUT (rescale slope and
intercept), then the VOI LUT or window stored in the file (or the full range of values when
there is none, or when its width is not positive, as a viewer's automatic
window does; the full range keeps a DICOM export identical to a 16-bit PNG of
the same slice), then MONOCHROME1 inversion. Multi-frame files give
their middle frame.
"""

import io
from dataclasses import dataclass, field

import numpy as np
import pydicom
from pydicom.multival import MultiValue
from pydicom.pixels import apply_modality_lut, apply_voi_lut

DICOM_MAGIC_OFFSET = 128
SAFE_TAGS = {"Modality": "Modality", "SeriesDescription": "Series"}
MAX_TAG_LENGTH = 64


class DicomError(ValueError):
    """A DICOM file that cannot be turned into an image; the message is for the user."""


@dataclass
class DicomSlice:
    """One slice ready for display.

    Attributes:
        grey: uint8 array (rows, columns) or (rows, columns, 3) for colour files.
        notes: Things the user should know (which frame was used, ...).
        tags: A few harmless tags as plain text, e.g. {"Modality": "MR"}.
    """

    grey: np.ndarray
    notes: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


def is_dicom(data: bytes) -> bool:
    """True for a DICOM Part 10 file (``DICM`` after the 128-byte preamble)."""
    return data[DICOM_MAGIC_OFFSET : DICOM_MAGIC_OFFSET + 4] == b"DICM"


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Rescales by the array's own range to 0-255."""
    values = values.astype(np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros(values.shape, dtype=np.uint8)
    values = np.where(finite, values, values[finite].min())
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.round((values - low) * (255.0 / (high - low))).astype(np.uint8)


def has_usable_window(dataset: pydicom.Dataset) -> bool:
    """True when the file holds a VOI LUT, or a window whose every width is at least 1."""
    if "VOILUTSequence" in dataset:
        return True
    if "WindowCenter" not in dataset or "WindowWidth" not in dataset:
        return False
    widths = dataset.WindowWidth
    widths = list(widths) if isinstance(widths, MultiValue) else [widths]
    try:
        return all(float(width) >= 1 for width in widths)
    except (TypeError, ValueError):
        return False


def read_slice(data: bytes, max_pixels: int) -> DicomSlice:
    """Decodes the bytes of a DICOM Part 10 file (never with ``force=True``).

    Args:
        data: The file's bytes.
        max_pixels: Largest rows x columns x frames decoded.

    Raises:
        DicomError: With a plain-words reason.
    """
    try:
        dataset = pydicom.dcmread(io.BytesIO(data))
    except Exception as error:  # a file cut short raises struct.error, BytesLengthException...
        raise DicomError(
            "The DICOM file is damaged or incomplete. Export the slice again."
        ) from error
    try:
        return _pixels(dataset, max_pixels)
    except DicomError:
        raise
    except Exception as error:  # malformed tags, LUTs or windows in a hostile file
        raise DicomError(
            "The DICOM file has values that cannot be turned into an image. Export the "
            "slice as PNG or JPEG."
        ) from error


def _pixels(dataset: pydicom.Dataset, max_pixels: int) -> DicomSlice:
    """Applies the LUTs and windows of ``read_slice`` to a parsed dataset."""
    if "PixelData" not in dataset:
        raise DicomError(
            "The DICOM file holds no image (no pixel data): it was cut short, or it is a "
            "report or index rather than a slice. Export the slice again."
        )
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    if int(dataset.get("Rows", 0)) * int(dataset.get("Columns", 0)) * frames > max_pixels:
        raise DicomError(
            "The DICOM file holds more pixels than we process safely. Export the one "
            "slice as PNG or JPEG."
        )
    try:
        pixels = dataset.pixel_array
    except Exception as error:  # pydicom raises several types for missing decoders
        syntax = dataset.file_meta.get("TransferSyntaxUID")
        if syntax is not None and syntax.is_transfer_syntax and syntax.is_compressed:
            raise DicomError(
                f"The DICOM file is compressed as {syntax.name}, which this installation "
                "cannot decode. Export the slice uncompressed, or as PNG or JPEG."
            ) from error
        raise DicomError(
            "The DICOM pixel data could not be decoded; the file may be cut short. "
            "Export the slice again."
        ) from error

    notes = []
    colour = dataset.get("SamplesPerPixel", 1) == 3
    if frames > 1:
        middle = frames // 2
        pixels = pixels[middle]
        notes.append(f"The file holds {frames} frames; frame {middle + 1} (the middle) was used.")
    if colour:
        grey = to_uint8(pixels)
    else:
        values = apply_modality_lut(pixels, dataset)
        if has_usable_window(dataset):
            values = apply_voi_lut(values, dataset)
        elif "WindowWidth" in dataset:
            notes.append(
                "The file's display window has no width, so the full range of values was used."
            )
        grey = to_uint8(values)
        if dataset.get("PhotometricInterpretation") == "MONOCHROME1":
            grey = 255 - grey
    tags = {}
    for keyword, label in SAFE_TAGS.items():
        value = str(dataset.get(keyword, "")).strip()
        if value:
            tags[label] = value[:MAX_TAG_LENGTH]
    return DicomSlice(grey=grey, notes=notes, tags=tags)
