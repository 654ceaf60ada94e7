import numpy as np
import pytest

from model import pointing
from model.boxes import Box
from model.cards import read_json, report_path
from tests.conftest import copy_model_files

SIZE = 64
SQUARE = Box(x_center=0.25, y_center=0.25, width=0.2, height=0.2)  # top-left square


def square_scan() -> np.ndarray:
    """A dark scan whose only evidence is a bright square in the top-left corner."""
    scan = np.zeros((SIZE, SIZE), np.float32)
    scan[SQUARE.mask(SIZE, SIZE)] = 1.0
    return scan


def test_a_map_on_the_square_hits_and_its_opposite_misses():
    on_square = square_scan()
    opposite = np.flip(square_scan(), axis=(0, 1))
    assert pointing.pointing_hit(on_square, SQUARE)
    assert pointing.mass_inside(on_square, SQUARE) == pytest.approx(1.0)
    assert not pointing.pointing_hit(opposite, SQUARE)
    assert pointing.mass_inside(opposite, SQUARE) == 0.0


def test_an_empty_map_is_a_miss_with_no_mass():
    empty = np.zeros((SIZE, SIZE), np.float32)
    assert not pointing.pointing_hit(empty, SQUARE)
    assert pointing.mass_inside(empty, SQUARE) == 0.0


def test_the_tolerance_grows_the_box():
    near = np.zeros((SIZE, SIZE), np.float32)
    near[22, 22] = 1.0  # just outside the box (it ends at 22), inside 7 % of 64 px
    assert pointing.pointing_hit(near, SQUARE)
    assert not pointing.pointing_hit(near, SQUARE, tolerance=0.0)


def test_the_centre_map_peaks_at_the_centre():
    centre = pointing.centre_map(SIZE)
    assert np.unravel_index(centre.argmax(), centre.shape) in {
        (31, 31),
        (31, 32),
        (32, 31),
        (32, 32),
    }
    assert pointing.pointing_hit(centre, Box(0.5, 0.5, 0.1, 0.1))


def test_scores_per_class():
    maps = [square_scan(), np.flip(square_scan(), axis=(0, 1))]
    result = pointing.score(maps, [SQUARE, SQUARE], ["glioma", "pituitary"])
    assert result["hit_rate"] == 0.5 and result["images"] == 2
    assert result["per_class"]["glioma"]["hit_rate"] == 1.0
    assert result["per_class"]["pituitary"]["hit_rate"] == 0.0


def test_the_check_finds_the_square_of_a_model_that_looks_there(
    tiny_training_run, tiny_dataset, tiny_boxes, tmp_path
):

    weights = copy_model_files(tiny_training_run, tmp_path / "model")
    result = pointing.check(weights, tiny_dataset, tiny_boxes, ["Grad-CAM"], "leak_free")
    assert result["images"] > 0
    assert result["centre"]["hit_rate"] is not None
    assert set(result["methods"]["Grad-CAM"]["per_class"]) <= {"glioma", "meningioma", "pituitary"}
    assert read_json(report_path(weights))["localisation"]["leak_free"] == result
