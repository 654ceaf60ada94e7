"""The one place where an image becomes the array a model is fed.

Training, evaluation and the app all call ``to_model_input``: resizing is part
of the model's contract (TensorFlow's bilinear resize and Pillow's antialiased
resize gave 93.5 % and 96.5 % for the same model), so it happens here and
nowhere else. Everything after this point (scaling, normalisation) is a layer
inside the saved model.
"""

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from model.config import DEFAULT_VIEW, INPUT_VIEWS

RESAMPLE = Image.Resampling.BILINEAR  # antialiased when shrinking


def to_rgb(image: Image.Image) -> Image.Image:
    """Converts any Pillow mode (L, I;16, RGBA, P, CMYK, ...) to 8-bit RGB.

    Transparent pixels are composited onto black, the background of an MRI.
    """
    if image.mode == "RGB":
        return image
    if image.mode == "P" or image.mode.endswith("A") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in WIDE_MODES:
        # Rescale by the image's own range instead of clipping at 255.
        values = finite_values(np.asarray(image, dtype=np.float64))
        low, high = float(values.min()), float(values.max())
        scale = 255.0 / (high - low) if high > low else 0.0
        grey = ((values - low) * scale).round().astype(np.uint8)
        return Image.fromarray(grey, mode="L").convert("RGB")
    return image.convert("RGB")


WIDE_MODES = ("I", "I;16", "I;16B", "I;16L", "F")
# "grey" view: levels from the darkest pixel to this percentile become 0-255, so one
# hot pixel or a burnt-in label does not darken the whole scan.
GREY_HIGH_PERCENTILE = 99.9


def finite_values(values: np.ndarray) -> np.ndarray:
    """Replaces NaN and infinite values (skull-stripped background) with "no signal".

    No signal is 0, where the scan has no negative values (the background of the
    same scan saved without NaN), else the lowest finite value (CT units, z-scores).

    Args:
        values: float64 (height, width).
    """
    finite = np.isfinite(values)
    if finite.all():
        return values
    fill = min(0.0, float(values[finite].min())) if finite.any() else 0.0
    return np.where(finite, values, fill)


def grey_levels(image: Image.Image) -> np.ndarray:
    """The grey levels of any image, stretched from its darkest pixel to its 99.9th percentile.

    A linear copy of a scan in another bit depth or format gives the same array.

    Returns:
        uint8 (height, width).
    """
    if image.mode in WIDE_MODES:
        values = finite_values(np.asarray(image, dtype=np.float64))
    else:
        values = np.asarray(to_rgb(image).convert("L"), dtype=np.float64)
    low = float(values.min())
    high = float(np.percentile(values, GREY_HIGH_PERCENTILE))
    if high <= low:
        high = float(values.max())
    scale = 255.0 / (high - low) if high > low else 0.0
    return np.clip((values - low) * scale, 0, 255).round().astype(np.uint8)


# The square around the head, as (top, left, side) in pixels (``head_box``).
HeadBox = tuple[int, int, int]


def to_model_input(image: Image.Image, size: int, view: str = DEFAULT_VIEW) -> np.ndarray:
    """Returns the model input for one image.

    Args:
        image: A decoded Pillow image of any mode and size.
        size: The model's square input size in pixels.
        view: One of ``INPUT_VIEWS``, from the model card.

    Returns:
        uint8 array of shape (size, size, 3), raw 0-255 RGB values.
    """
    return model_input_and_head_box(image, size, view)[0]


def model_input_and_head_box(
    image: Image.Image, size: int, view: str = DEFAULT_VIEW
) -> tuple[np.ndarray, HeadBox | None]:
    """The model input for one image, and the head square it was cropped to.

    Args:
        image: A decoded Pillow image of any mode and size.
        size: The model's square input size in pixels.
        view: One of ``INPUT_VIEWS``, from the model card.

    Returns:
        (uint8 (size, size, 3) raw 0-255 RGB values; for the "head" view the
        ``head_box`` of the image, which ``model_frame`` crops, else None).
    """
    if view == "grey":
        rgb = Image.fromarray(grey_levels(image)).convert("RGB")
    else:
        rgb = to_rgb(image)
    box = None
    if view == "head":
        gray = np.asarray(rgb.convert("L"))
        box = head_box(gray)
        rgb = Image.fromarray(normalise_intensity(crop_square(gray, *box))).convert("RGB")
    elif view not in INPUT_VIEWS:
        raise ValueError(f"Unknown input view {view!r}; use one of {', '.join(INPUT_VIEWS)}.")
    if rgb.size != (size, size):
        rgb = rgb.resize((size, size), RESAMPLE)
    return np.asarray(rgb, dtype=np.uint8), box


def load_model_input(path: Path, size: int, view: str = DEFAULT_VIEW) -> np.ndarray:
    """Decodes an image file and returns ``to_model_input`` of it."""
    with Image.open(path) as image:
        image.load()
        return to_model_input(image, size, view)


def model_frame(
    rgb: np.ndarray, view: str = DEFAULT_VIEW, box: HeadBox | None = None
) -> np.ndarray:
    """The part of an image the model sees, in the original colours, for overlays.

    Args:
        rgb: uint8 (height, width, 3).
        view: One of ``INPUT_VIEWS``.
        box: For "head", the square already found for the model input
            (``model_input_and_head_box``); None finds it here.

    Returns:
        uint8 (h, w, 3): the image itself, or the square head crop for "head".
    """
    if view != "head":
        return rgb
    if box is None:
        box = head_box(np.asarray(Image.fromarray(rgb).convert("L")))
    return crop_square(rgb, *box)


# Source-invariant view of a scan (issue 4): framing and intensity differ between
# the sources of the Kaggle classes, so a model can learn the source instead of
# the anatomy (see ``model.shortcut_probe``).
FOREGROUND_SHARE_OF_PEAK = 0.1  # foreground: brighter than 10 % of the 99th percentile
MIN_FOREGROUND_LEVEL = 10
HEAD_MARGIN = 0.04  # share of the box side added around the head
LOW_PERCENTILE, HIGH_PERCENTILE = 1.0, 99.0


def foreground_mask(gray: np.ndarray) -> np.ndarray:
    """Boolean (height, width) mask of the largest bright region (the head).

    Args:
        gray: uint8 (height, width).
    """
    level = max(MIN_FOREGROUND_LEVEL, FOREGROUND_SHARE_OF_PEAK * np.percentile(gray, 99))
    mask = (gray > level).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:  # nothing bright: keep the whole image
        return np.ones_like(gray, dtype=bool)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return labels == largest


def head_box(gray: np.ndarray) -> tuple[int, int, int]:
    """The square around the head with a small margin, as (top, left, side) in pixels.

    The square may reach past the image's edges; ``crop_square`` pads with black.

    Args:
        gray: uint8 (height, width).
    """
    mask = foreground_mask(gray)
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
    side = max(1, int(round(max(bottom - top, right - left) * (1 + 2 * HEAD_MARGIN))))
    centre_y, centre_x = (top + bottom) // 2, (left + right) // 2
    return int(centre_y - side // 2), int(centre_x - side // 2), side


def crop_square(image: np.ndarray, top: int, left: int, side: int) -> np.ndarray:
    """Crops (side, side, ...) at (top, left), padding with black outside the image."""
    square = np.zeros((side, side, *image.shape[2:]), dtype=image.dtype)
    y0, x0 = top, left
    source = image[max(y0, 0) : y0 + side, max(x0, 0) : x0 + side]
    square[
        max(-y0, 0) : max(-y0, 0) + source.shape[0], max(-x0, 0) : max(-x0, 0) + source.shape[1]
    ] = source
    return square


def crop_to_head(gray: np.ndarray) -> np.ndarray:
    """Crops a square around the head, padding with black, so every head fills the frame alike.

    Args:
        gray: uint8 (height, width).

    Returns:
        uint8 (side, side) with the head centred.
    """
    return crop_square(gray, *head_box(gray))


def normalise_intensity(gray: np.ndarray) -> np.ndarray:
    """Stretches the head's 1st-99th percentile of grey levels to 0-255.

    Args:
        gray: uint8 (height, width).

    Returns:
        uint8 (height, width); the background stays black.
    """
    mask = foreground_mask(gray)
    low, high = np.percentile(gray[mask], (LOW_PERCENTILE, HIGH_PERCENTILE))
    scale = 255.0 / (high - low) if high > low else 0.0
    stretched = np.clip((gray.astype(np.float32) - low) * scale, 0, 255)
    return np.where(mask | (gray > low), stretched, 0).astype(np.uint8)
