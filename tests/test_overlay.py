import numpy as np
import pytest

from model.overlay import COLORMAPS, blend, colorize, fit_within, overlay, resize_map

IMAGE = np.full((30, 50, 3), 100, dtype=np.uint8)  # not square on purpose
CAM = np.linspace(0, 1, 16 * 16, dtype=np.float32).reshape(16, 16)


@pytest.mark.parametrize("colormap", list(COLORMAPS))
def test_colorize_gives_rgb_uint8_of_the_map_shape(colormap):
    colours = colorize(CAM, colormap)
    assert colours.shape == (16, 16, 3) and colours.dtype == np.uint8


def test_jet_runs_from_blue_to_red():
    colours = colorize(np.array([[0.0, 1.0]]), "Jet")
    assert colours[0, 0, 2] > colours[0, 0, 0]  # low: blue
    assert colours[0, 1, 0] > colours[0, 1, 2]  # high: red


def test_resize_map_follows_the_image_aspect_ratio():
    assert resize_map(CAM, 50, 30).shape == (30, 50)


@pytest.mark.parametrize("opacity", [0.0, 0.3, 1.0])
def test_overlay_keeps_shape_dtype_and_range(opacity):
    blended = overlay(IMAGE, CAM, opacity, "Jet")
    assert blended.shape == IMAGE.shape and blended.dtype == np.uint8
    assert blended.min() >= 0 and blended.max() <= 255


def test_opacity_zero_is_the_image_and_one_is_the_heatmap():
    heat = np.full_like(IMAGE, 200)
    np.testing.assert_array_equal(blend(IMAGE, heat, 0.0), IMAGE)
    np.testing.assert_array_equal(blend(IMAGE, heat, 1.0), heat)
    np.testing.assert_array_equal(blend(IMAGE, heat, 0.5), np.full_like(IMAGE, 150))


def test_out_of_range_opacity_is_clipped():
    heat = np.full_like(IMAGE, 200)
    np.testing.assert_array_equal(blend(IMAGE, heat, 7.0), heat)


def test_fit_within_shrinks_long_side_and_keeps_small_images():
    big = np.zeros((2000, 1000, 3), dtype=np.uint8)
    assert fit_within(big, 500).shape == (500, 250, 3)
    assert fit_within(IMAGE, 500) is IMAGE
