import numpy as np
import pytest
from PIL import Image

from model.preprocessing import to_model_input, to_rgb

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
