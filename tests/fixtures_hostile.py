"""Hostile and odd uploads, made in code: images, DICOM files and things that are neither.

Every builder returns the bytes of one file. The test images are small (64 x 80
pixels) so that the whole table decodes in well under a second.
"""

import io
import zipfile
import zlib

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    ExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    MRImageStorage,
    RLELossless,
    generate_uid,
)

from model.inputs import MAX_UPLOAD_BYTES

EXIF_ORIENTATION = 0x0112
ROTATE_90_CLOCKWISE = 6  # EXIF orientation: rotate 90 degrees clockwise to display
HTML_FILE_NAME = "<img src=x onerror=alert(1)>.png"
SCRIPT_FILE_NAME = "<script>alert(1)</script>.jpg"

# A grey ramp, different in every row and column: (64, 80) uint8.
SCAN_ARRAY = (np.arange(64 * 80) % 251).reshape(64, 80).astype(np.uint8)
SCAN = Image.fromarray(SCAN_ARRAY, "L")
FLIPPED_SCAN = SCAN.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
# A 12-bit-like ramp as an MR scanner stores it: (64, 64) uint16.
RAMP = (np.arange(64 * 64).reshape(64, 64) % 1000).astype(np.uint16)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def multi_frame(fmt: str, frames: list[Image.Image]) -> bytes:
    """An animated GIF or WebP, or a multi-page TIFF, whose first frame is ``frames[0]``."""
    return encoded(frames[0], fmt, save_all=True, append_images=frames[1:])


def png_header_claiming(width: int, height: int) -> bytes:
    """A valid PNG header (correct CRC) that claims ``width`` x ``height`` pixels."""
    small = encoded(Image.new("L", (1, 1)), "PNG")
    header = b"IHDR" + width.to_bytes(4, "big") + height.to_bytes(4, "big") + small[24:29]
    return small[:12] + header + zlib.crc32(header).to_bytes(4, "big") + small[33:]


def exif_rotated_jpeg(orientation: int = ROTATE_90_CLOCKWISE) -> bytes:
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    return encoded(SCAN.convert("RGB"), "JPEG", exif=exif)


def palette_png_with_transparency() -> bytes:
    """Left half: palette index 1, white but fully transparent; right half: opaque grey."""
    indices = np.full(SCAN_ARRAY.shape, 2, dtype=np.uint8)
    indices[:, :40] = 1
    image = Image.fromarray(indices, "P")
    image.putpalette([0, 0, 0, 255, 255, 255, 128, 128, 128])
    return encoded(image, "PNG", transparency=1)


def rgba_png() -> bytes:
    """White; the left half fully transparent, the right half opaque."""
    alpha = np.full(SCAN_ARRAY.shape, 255, dtype=np.uint8)
    alpha[:, :40] = 0
    white = Image.new("L", SCAN.size, 255)
    return encoded(Image.merge("RGBA", [white, white, white, Image.fromarray(alpha)]), "PNG")


def grey_16_bit_png() -> bytes:
    """Values up to 50 000, far above 255: (64, 80) uint16."""
    return encoded(Image.fromarray(SCAN_ARRAY.astype(np.uint16) * 200), "PNG")


def grey_32_bit_tiff() -> bytes:
    """Values up to 25 000 000 in a mode "I" (int32) image."""
    return encoded(Image.fromarray(SCAN_ARRAY.astype(np.int32) * 100_000, "I"), "TIFF")


def zip_of_a_dicom() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("IM0001.dcm", dicom_bytes())
    return buffer.getvalue()


def too_large_file() -> bytes:
    return b"\xff" * (MAX_UPLOAD_BYTES + 1)


def dicom_dataset(pixels: np.ndarray = RAMP, **attributes) -> Dataset:
    """An uncompressed MR image; ``pixels`` (rows, columns) or (frames, rows, columns)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = Dataset()
    dataset.file_meta = meta
    dataset.SOPClassUID = MRImageStorage
    dataset.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    dataset.Modality = "MR"
    dataset.SeriesDescription = "AX T1 POST <b>gd</b>"
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.SamplesPerPixel = 1
    dataset.Rows, dataset.Columns = pixels.shape[-2:]
    dataset.BitsAllocated = dataset.BitsStored = 8 * pixels.dtype.itemsize
    dataset.HighBit = dataset.BitsStored - 1
    dataset.PixelRepresentation = 0
    if pixels.ndim == 3:
        dataset.NumberOfFrames = pixels.shape[0]
    for key, value in attributes.items():
        setattr(dataset, key, value)
    dataset.PixelData = pixels.tobytes()
    return dataset


def dicom_file(dataset: Dataset) -> bytes:
    """A DICOM Part 10 file: preamble, ``DICM``, file meta, then the dataset."""
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def dicom_bytes(pixels: np.ndarray = RAMP, **attributes) -> bytes:
    return dicom_file(dicom_dataset(pixels, **attributes))


def dicom_jpeg_ls() -> bytes:
    """Claims JPEG-LS compression, which needs a decoder this project does not install."""
    dataset = dicom_dataset()
    dataset.file_meta.TransferSyntaxUID = JPEGLSLossless
    dataset.PixelData = encapsulate([b"\xff\xd8\xff\xf7" + bytes(64)])
    dataset["PixelData"].VR = "OB"
    return dicom_file(dataset)


def dicom_jpeg_baseline() -> bytes:
    """The 64 x 80 scan compressed as JPEG Baseline, which pydicom decodes with Pillow."""
    dataset = dicom_dataset(SCAN_ARRAY)
    dataset.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    dataset.PixelData = encapsulate([encoded(SCAN, "JPEG", quality=95)])
    dataset["PixelData"].VR = "OB"
    return dicom_file(dataset)


def dicom_rle() -> bytes:
    """The ramp compressed with RLE Lossless, which pydicom decodes by itself."""
    dataset = dicom_dataset()
    dataset.compress(RLELossless)
    return dicom_file(dataset)


def dicom_without_part10_header() -> bytes:
    """A bare dataset, no preamble and no ``DICM``: only ``force=True`` would read it."""
    dataset = dicom_dataset()
    dataset.preamble = None
    del dataset.file_meta
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=False, implicit_vr=False, little_endian=True)
    return buffer.getvalue()


def dicom_cut_in_header() -> bytes:
    """Cut inside the file meta header, in the length of its second element."""
    return dicom_bytes()[:153]


def dicom_cut_in_pixels() -> bytes:
    """Cut 100 bytes before the end of the pixel data."""
    return dicom_bytes()[:-100]


def dicom_without_pixels() -> bytes:
    dataset = dicom_dataset()
    del dataset.PixelData
    return dicom_file(dataset)
