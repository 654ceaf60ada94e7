import numpy as np
from PIL import Image

from model.ood import mean_saturation, unreliable_reason
from tests.conftest import SAMPLES_DIR


def test_greyscale_scans_are_not_flagged():
    for sample in SAMPLES_DIR.glob("*.jpg"):
        rgb = np.asarray(Image.open(sample).convert("RGB"))
        assert unreliable_reason(rgb) is None, sample.name


def test_a_colourful_image_is_flagged():
    rgb = np.zeros((64, 64, 3), dtype=np.uint8)
    rgb[:, :32] = (220, 40, 40)
    rgb[:, 32:] = (40, 200, 60)
    assert mean_saturation(rgb) > 0.5
    assert "colour" in unreliable_reason(rgb)


def test_black_image_has_no_saturation():
    assert mean_saturation(np.zeros((8, 8, 3), dtype=np.uint8)) == 0.0
