"""Colouring and blending a class activation map for display. Pure functions."""

import cv2
import numpy as np

# Perceptually uniform maps first: Inferno (the default) reads in grey and for
# colour-blind readers; Jet is kept for those used to it.
COLORMAPS = {
    "Inferno": cv2.COLORMAP_INFERNO,
    "Viridis": cv2.COLORMAP_VIRIDIS,
    "Turbo": cv2.COLORMAP_TURBO,
    "Jet": cv2.COLORMAP_JET,
    "Hot": cv2.COLORMAP_HOT,
}
DEFAULT_COLORMAP = "Inferno"


def colorize(cam: np.ndarray, colormap: str = DEFAULT_COLORMAP) -> np.ndarray:
    """Maps a [0, 1] float map (H, W) to uint8 RGB colours (H, W, 3)."""
    levels = np.round(np.clip(cam, 0.0, 1.0) * 255).astype(np.uint8)
    bgr = cv2.applyColorMap(levels, COLORMAPS[colormap])
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def resize_map(cam: np.ndarray, width: int, height: int) -> np.ndarray:
    """Stretches a (size, size) map back to an image's own (height, width).

    The model input was stretched to a square, so stretching the map back
    puts each value over the pixels it was computed from.
    """
    return cv2.resize(cam.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)


def blend(image: np.ndarray, heat: np.ndarray, opacity: float) -> np.ndarray:
    """Returns ``(1 - opacity) * image + opacity * heat`` as uint8 (H, W, 3)."""
    opacity = float(np.clip(opacity, 0.0, 1.0))
    mixed = (1.0 - opacity) * image.astype(np.float32) + opacity * heat.astype(np.float32)
    return np.clip(np.round(mixed), 0, 255).astype(np.uint8)


def overlay(
    image: np.ndarray, cam: np.ndarray, opacity: float = 0.4, colormap: str = DEFAULT_COLORMAP
) -> np.ndarray:
    """Colours ``cam``, fits it to ``image`` (H, W, 3) uint8 and blends the two."""
    height, width = image.shape[:2]
    heat = colorize(resize_map(cam, width, height), colormap)
    return blend(image, heat, opacity)


def fit_within(image: np.ndarray, max_side: int) -> np.ndarray:
    """Shrinks an (H, W, 3) image so its longer side is at most ``max_side``, keeping its shape."""
    height, width = image.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def legend(colormap: str = DEFAULT_COLORMAP, width: int = 256, height: int = 14) -> np.ndarray:
    """uint8 (height, width, 3) colour bar from no evidence (left) to the strongest (right)."""
    ramp = np.tile(np.linspace(0.0, 1.0, width, dtype=np.float32), (height, 1))
    return colorize(ramp, colormap)
