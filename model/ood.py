"""Signs that an image is not a brain MRI slice, so its result is unreliable.

Two checks, in plain words for the page:

* colour: MRI slices are greyscale, so a strongly coloured image (a photo, a
  chart, a screenshot of a coloured viewer) is outside what the models know;
* the model's own out-of-distribution gate (``model.gate``): its features of
  the image are far from those of every training scan.
"""

import cv2
import numpy as np

# Mean HSV saturation (0-1) of the non-dark pixels above which an image counts
# as coloured. Measured: at most 0.061 over the 5708 Kaggle Training images (JPEG
# colour noise on greyscale scans) and 0.0001 over the external Radiopaedia set.
MAX_MEAN_SATURATION = 0.15
DARK_LEVEL = 20  # pixels darker than this (background) are ignored


def mean_saturation(rgb: np.ndarray) -> float:
    """Mean HSV saturation in [0, 1] over the pixels brighter than ``DARK_LEVEL``."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)  # (H, W, 3) uint8, S in 0-255
    bright = hsv[..., 2] > DARK_LEVEL
    if not bright.any():
        return 0.0
    return float(hsv[..., 1][bright].mean() / 255.0)


def unreliable_reason(rgb: np.ndarray) -> str | None:
    """Returns why the image is unlikely to be an MRI slice, or None when it could be one."""
    saturation = mean_saturation(rgb)
    if saturation > MAX_MEAN_SATURATION:
        return (
            f"This image is in colour (mean saturation {saturation:.0%}); MRI slices are "
            "greyscale. It is probably not an MRI slice, so the result below is unreliable "
            "and must not be read as a diagnosis."
        )
    return None


def gate_reason(score: float | None, threshold: float | None) -> str | None:
    """Why the gate flagged an image, in plain words; None when it did not."""
    if score is None or threshold is None or score <= threshold:
        return None
    return (
        "This image does not look like the brain MRI slices the model was trained on: what "
        f"the model sees in it is far from every training scan (distance {score:.1f}, the "
        f"limit is {threshold:.1f}). It may be another kind of image (a CT, an X-ray, a "
        "photo, a diagram or a screenshot), an unusual sequence or a heavily edited scan. "
        "The model names no class for it."
    )
