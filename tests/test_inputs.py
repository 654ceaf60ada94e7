"""The limits of ``model.inputs`` at their edges; hostile files are in hostile_cases.py."""

import pytest
from PIL import Image

from model import inputs
from model.inputs import MAX_PIXELS, MIN_SIDE, InputError, check_dimensions, decode_upload
from tests.fixtures_hostile import SCAN, dicom_bytes, encoded

LONGEST_SIDE_ALLOWED = int(MIN_SIDE * inputs.MAX_ASPECT_RATIO)  # 128 for a 32-pixel side


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (MIN_SIDE, MIN_SIDE),
        (MIN_SIDE, LONGEST_SIDE_ALLOWED),
        (LONGEST_SIDE_ALLOWED, MIN_SIDE),
        (5000, MAX_PIXELS // 5000),
    ],
    ids=["smallest square", "tallest", "widest", "largest"],
)
def test_sizes_at_the_limits_are_accepted(width, height):
    check_dimensions(width, height)


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        (MIN_SIDE - 1, MIN_SIDE, "at least 32 pixels on each side"),
        (MIN_SIDE, LONGEST_SIDE_ALLOWED + 1, "too long and thin"),
        (5000, MAX_PIXELS // 5000 + 1, "more than we process safely"),
    ],
    ids=["one pixel too narrow", "one pixel too tall", "one row too many"],
)
def test_sizes_just_past_the_limits_are_refused(width, height, message):
    with pytest.raises(InputError, match=message):
        check_dimensions(width, height)


def test_the_smallest_tallest_image_decodes_upright():
    image = Image.new("L", (MIN_SIDE, LONGEST_SIDE_ALLOWED))
    assert decode_upload(encoded(image, "PNG")).rgb.shape == (LONGEST_SIDE_ALLOWED, MIN_SIDE, 3)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (encoded(SCAN, "PNG"), "PNG"),
        (encoded(SCAN, "TIFF"), "TIFF"),
        (encoded(SCAN.convert("RGB"), "BMP"), "BMP"),
        (dicom_bytes(), "DICOM"),
    ],
    ids=["PNG", "TIFF", "BMP", "DICOM"],
)
def test_the_kind_is_read_from_the_content(data, kind):
    assert decode_upload(data).kind == kind


def test_an_unforeseen_decoder_failure_still_gets_a_plain_message(monkeypatch):
    def broken_decoder(image):
        raise RuntimeError("a bug inside the decoder")

    monkeypatch.setattr(inputs, "to_rgb", broken_decoder)
    with pytest.raises(InputError, match="could not be read as an image"):
        decode_upload(encoded(SCAN, "PNG"))


def test_the_browser_lets_over_limit_files_through_so_the_app_can_name_their_size():
    import tomllib

    from model.config import PROJECT_ROOT
    from model.inputs import BROWSER_UPLOAD_MEGABYTES, MAX_UPLOAD_MEGABYTES

    settings = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["server"]["maxUploadSize"] == BROWSER_UPLOAD_MEGABYTES > MAX_UPLOAD_MEGABYTES
