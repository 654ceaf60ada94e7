import io

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, JPEGLSLossless, MRImageStorage, generate_uid

from model.dicom import is_dicom, read_slice
from model.inputs import InputError, decode_upload

RAMP = (np.arange(64 * 64).reshape(64, 64) % 1000).astype(np.uint16)


def dicom_bytes(pixels=RAMP, syntax=ExplicitVRLittleEndian, **attributes) -> bytes:
    """A DICOM Part 10 MR image made in code."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    dataset = Dataset()
    dataset.file_meta = meta
    dataset.SOPClassUID = MRImageStorage
    dataset.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    dataset.Modality = "MR"
    dataset.SeriesDescription = "AX T1 POST <b>gd</b>"
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.SamplesPerPixel = 1
    dataset.Rows, dataset.Columns = pixels.shape[-2:]
    dataset.BitsAllocated = dataset.BitsStored = 16
    dataset.HighBit = 15
    dataset.PixelRepresentation = 0
    if pixels.ndim == 3:
        dataset.NumberOfFrames = pixels.shape[0]
    for key, value in attributes.items():
        setattr(dataset, key, value)
    dataset.PixelData = pixels.astype(np.uint16).tobytes()
    if syntax.is_compressed:  # bytes that claim to be JPEG-LS (no decoder is installed)
        dataset.PixelData = encapsulate([b"\xff\xd8\xff\xf7" + bytes(64)])
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def test_detects_dicom_by_content():
    assert is_dicom(dicom_bytes())
    assert not is_dicom(b"\0" * 200)


def test_monochrome2_with_rescale_slope_and_intercept():
    grey = read_slice(dicom_bytes(RescaleSlope=2, RescaleIntercept=-100), 10**8).grey
    assert grey.dtype == np.uint8 and grey.shape == (64, 64)
    assert grey.min() == 0 and grey.max() == 255


def test_window_from_the_file_is_applied():
    narrow = read_slice(dicom_bytes(WindowCenter=500, WindowWidth=100), 10**8).grey
    assert (narrow == 0).mean() > 0.3 and (narrow == 255).mean() > 0.3  # values outside clip


def test_monochrome1_is_inverted():
    normal = read_slice(dicom_bytes(), 10**8).grey
    inverted = read_slice(dicom_bytes(PhotometricInterpretation="MONOCHROME1"), 10**8).grey
    np.testing.assert_array_equal(inverted, 255 - normal)


def test_multi_frame_uses_the_middle_frame_and_says_so():
    other = RAMP[::-1]
    frames = np.stack([other, other, RAMP, other, other])
    result = read_slice(dicom_bytes(frames), 10**8)
    assert "frame 3" in result.notes[0]
    np.testing.assert_array_equal(result.grey, read_slice(dicom_bytes(RAMP), 10**8).grey)


def test_harmless_tags_are_plain_text():
    tags = decode_upload(dicom_bytes()).tags
    assert tags == {"Modality": "MR", "Series": "AX T1 POST <b>gd</b>"}  # shown as text only


def test_upload_of_dicom_gives_rgb():
    decoded = decode_upload(dicom_bytes())
    assert decoded.kind == "DICOM" and decoded.rgb.shape == (64, 64, 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (dicom_bytes(syntax=JPEGLSLossless), "cannot decode"),
        (dicom_bytes()[:400], "damaged|no image"),
        (b"\0" * 128 + b"DICM" + b"\0" * 50, "damaged|no image"),
        (dicom_bytes(np.zeros((8, 8), np.uint16)), "at least 32"),
    ],
    ids=["compressed JPEG-LS", "truncated", "header only", "tiny"],
)
def test_unusable_dicom_gets_a_reason(data, message):
    with pytest.raises(InputError, match=message):
        decode_upload(data)
