"""DICOM details of ``model.dicom``; hostile and odd DICOM files are in hostile_cases.py."""

import numpy as np
import pytest

from model.dicom import MAX_TAG_LENGTH, is_dicom, read_slice, to_uint8
from model.inputs import decode_upload
from tests.fixtures_hostile import dicom_bytes

ENOUGH_PIXELS = 10**8


def test_detects_dicom_by_content():
    assert is_dicom(dicom_bytes())
    assert not is_dicom(b"\0" * 200)
    assert not is_dicom(b"DICM")  # too short to hold the 128-byte preamble


def test_window_from_the_file_is_applied():
    narrow = read_slice(dicom_bytes(WindowCenter=500, WindowWidth=100), ENOUGH_PIXELS).grey
    assert (narrow == 0).mean() > 0.3 and (narrow == 255).mean() > 0.3  # values outside clip


def test_without_a_window_the_full_range_is_shown_like_a_16_bit_png():
    grey = read_slice(dicom_bytes(), ENOUGH_PIXELS).grey
    assert grey.min() == 0 and grey.max() == 255
    assert (grey == 255).mean() < 0.005  # nothing clipped: only the brightest pixel is 255


@pytest.mark.parametrize("width", [0, -5, "0", 0.5])
def test_a_window_without_width_falls_back_to_the_full_range(width):
    result = read_slice(dicom_bytes(WindowCenter=500, WindowWidth=width), ENOUGH_PIXELS)
    np.testing.assert_array_equal(result.grey, read_slice(dicom_bytes(), ENOUGH_PIXELS).grey)
    assert any("full range" in note for note in result.notes)


def test_nan_values_become_the_darkest_level():
    values = np.array([[np.nan, 0.0], [5.0, 10.0]])
    np.testing.assert_array_equal(to_uint8(values), [[0, 0], [128, 255]])


def test_a_constant_slice_becomes_black_instead_of_dividing_by_zero():
    assert not to_uint8(np.full((4, 4), 7.0)).any()


def test_harmless_tags_are_plain_text():
    tags = decode_upload(dicom_bytes()).tags
    assert tags == {"Modality": "MR", "Series": "AX T1 POST <b>gd</b>"}  # shown as text only


@pytest.mark.filterwarnings("ignore:The value length:UserWarning")  # too long for its VR
def test_tags_are_cut_to_a_safe_length_and_others_are_left_out():
    data = dicom_bytes(SeriesDescription="x" * 200, PatientName="Doe^Jane")
    tags = decode_upload(data).tags
    assert tags == {"Modality": "MR", "Series": "x" * MAX_TAG_LENGTH}
