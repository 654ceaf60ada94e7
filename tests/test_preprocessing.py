import numpy as np
import pytest
from PIL import Image

from model.preprocessing import (
    crop_to_head,
    finite_values,
    head_box,
    model_frame,
    model_input_and_head_box,
    normalise_intensity,
    to_model_input,
    to_rgb,
)

GREY = np.arange(64 * 48, dtype=np.uint32).reshape(48, 64) % 256


def image_in_mode(mode: str) -> Image.Image:
    grey = Image.fromarray(GREY.astype(np.uint8), mode="L")
    if mode == "I;16":
        return Image.fromarray((GREY * 200).astype(np.uint16))
    if mode == "P":
        return grey.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE)
    return grey.convert(mode)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "LA", "P", "CMYK", "I;16", "I", "F"])
def test_every_mode_becomes_rgb_uint8(mode):
    array = to_model_input(image_in_mode(mode), 32)
    assert array.shape == (32, 32, 3)
    assert array.dtype == np.uint8


def test_grayscale_gives_three_equal_channels():
    rgb = np.asarray(to_rgb(image_in_mode("L")))
    assert (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()


def test_sixteen_bit_is_rescaled_by_its_own_range_not_clipped():
    sixteen = Image.fromarray(np.array([[1000, 2000], [3000, 51000]], dtype=np.uint16))
    rgb = np.asarray(to_rgb(sixteen))[..., 0]
    assert rgb.min() == 0 and rgb.max() == 255
    assert 0 < rgb[0, 1] < rgb[1, 0] < 255


def test_transparent_pixels_become_black():
    rgba = Image.new("RGBA", (4, 4), (200, 200, 200, 0))
    assert np.asarray(to_rgb(rgba)).max() == 0


def test_resize_is_pillow_antialiased_bilinear():
    image = image_in_mode("RGB")
    expected = np.asarray(image.resize((20, 20), Image.Resampling.BILINEAR))
    np.testing.assert_array_equal(to_model_input(image, 20), expected)


def test_same_size_is_left_untouched():
    image = Image.fromarray(np.full((16, 16, 3), 7, dtype=np.uint8))
    np.testing.assert_array_equal(to_model_input(image, 16), np.asarray(image))


def synthetic_head(size: int = 96, offset: int = 0) -> np.ndarray:
    """uint8 (size, size): a bright disc ('head') with a darker blob, off-centre by ``offset``."""
    yy, xx = np.mgrid[0:size, 0:size]
    centre = size // 2 + offset
    head = ((yy - centre) ** 2 + (xx - centre) ** 2 < (size // 4) ** 2) * 120.0
    head += ((yy - centre) ** 2 + (xx - centre - 5) ** 2 < 36) * 80.0
    return head.astype(np.uint8)


def test_crop_to_head_keeps_the_head_and_drops_a_border_and_a_label():
    gray = np.pad(synthetic_head(), 40)  # (176, 176): wide black border
    gray[2:8, 2:30] = 255  # a text label in the corner, not connected to the head
    cropped = crop_to_head(gray)
    side = cropped.shape[0]
    assert cropped.shape == (side, side)
    assert 48 <= side <= 56  # the disc's diameter (48) plus a small margin
    assert cropped.max() == 200  # the blob inside the head is kept
    assert (cropped > 0).mean() > 0.6  # the head fills the frame


def test_crop_to_head_frames_shifted_heads_alike():
    centred = crop_to_head(np.pad(synthetic_head(), 40))
    shifted = crop_to_head(np.pad(synthetic_head(offset=15), 40))
    np.testing.assert_array_equal(centred, shifted)


def test_normalise_intensity_removes_a_contrast_and_brightness_shift():
    gray = synthetic_head() + np.random.default_rng(0).integers(0, 20, (96, 96)).astype(np.uint8)
    shifted = np.clip(gray.astype(np.float32) * 0.6 + 15, 0, 255).astype(np.uint8)
    shifted[gray < 20] = 0  # the background stays black in both
    difference = np.abs(
        normalise_intensity(gray).astype(int) - normalise_intensity(shifted).astype(int)
    )
    assert difference.mean() < 3 and np.percentile(difference, 99) <= 8


def test_a_blank_image_survives_cropping_and_normalising():
    blank = np.zeros((40, 40), dtype=np.uint8)
    assert normalise_intensity(crop_to_head(blank)).max() == 0


def test_the_head_view_is_the_cropped_normalised_grey_image():
    gray = np.pad(synthetic_head(), 40)
    image = Image.fromarray(gray).convert("RGB")
    expected = Image.fromarray(normalise_intensity(crop_to_head(gray))).resize(
        (32, 32), Image.Resampling.BILINEAR
    )
    view = to_model_input(image, 32, view="head")
    assert view.shape == (32, 32, 3)
    np.testing.assert_array_equal(view[..., 0], np.asarray(expected))
    np.testing.assert_array_equal(view[..., 0], view[..., 2])  # grey in all three channels


def test_model_frame_is_the_head_crop_in_the_original_colours():
    gray = np.pad(synthetic_head(), 40)
    rgb = np.stack([gray, gray // 2, gray // 3], axis=-1)
    frame = model_frame(rgb, "head")
    np.testing.assert_array_equal(frame[..., 0], crop_to_head(gray))
    assert model_frame(rgb, "full") is rgb


@pytest.mark.parametrize("view", ["full", "grey", "head"])
def test_the_model_input_comes_with_the_head_square_it_was_cropped_to(view):
    gray = np.pad(synthetic_head(), 40)
    rgb = np.stack([gray, gray // 2, gray // 3], axis=-1)
    image = Image.fromarray(rgb)
    model_input, box = model_input_and_head_box(image, 32, view)
    np.testing.assert_array_equal(model_input, to_model_input(image, 32, view))
    assert box == (head_box(np.asarray(image.convert("L"))) if view == "head" else None)
    np.testing.assert_array_equal(model_frame(rgb, view, box), model_frame(rgb, view))


def test_an_unknown_view_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="full, head"):
        to_model_input(Image.new("RGB", (40, 40)), 32, view="zoomed")


@pytest.mark.parametrize(
    ("values", "expected_fill"),
    [
        ([0.2, 0.9, np.nan], 0.0),  # non-negative scan: the background is no signal, 0
        ([-3.0, 1.5, np.nan], -3.0),  # negative values (z-scores, CT): the lowest one
        ([0.2, np.inf, -np.inf], 0.0),
    ],
)
def test_non_finite_background_becomes_no_signal(values, expected_fill):
    filled = finite_values(np.array([values], dtype=np.float64))
    assert np.isfinite(filled).all()
    assert filled[0, -1] == expected_fill
