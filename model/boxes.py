"""Tumour boxes of ``lesion-boxes.csv``: reading them and turning them into masks.

Each row names a Kaggle image (``Training/glioma/x.jpg``) and a box in
coordinates normalised 0-1 to the image's width and height. Training uses the
Training rows as localisation supervision (``model.localisation``); the
localisation check (``model.pointing``) uses the Testing rows.
"""

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model import config

BOXES_ENV_VAR = "BRAIN_MRI_BOXES"
DEFAULT_BOXES_FILE = config.PROJECT_ROOT.parent / "shared" / "data" / "lesion-boxes.csv"
COLUMNS = ("file", "class", "x_center", "y_center", "width", "height")


def default_boxes_file() -> Path:
    """Returns $BRAIN_MRI_BOXES if set, else the shared lesion-boxes.csv."""
    return Path(os.environ.get(BOXES_ENV_VAR, DEFAULT_BOXES_FILE))


@dataclass(frozen=True)
class Box:
    """A box in normalised image coordinates (0-1), centre and size."""

    x_center: float
    y_center: float
    width: float
    height: float

    def pixels(self, height: int, width: int, grow: float = 0.0) -> tuple[int, int, int, int]:
        """(top, left, bottom, right) in pixels of an image of that size, clipped to it.

        Args:
            height: Image height in pixels.
            width: Image width in pixels.
            grow: Added on every side, as a share of the image side (0.07: 7 %).
        """
        half_w, half_h = self.width / 2 + grow, self.height / 2 + grow
        # Edges round to the nearest pixel boundary (a box never vanishes: at least 1 px).
        top = int(round((self.y_center - half_h) * height))
        bottom = max(top + 1, int(round((self.y_center + half_h) * height)))
        left = int(round((self.x_center - half_w) * width))
        right = max(left + 1, int(round((self.x_center + half_w) * width)))
        return max(top, 0), max(left, 0), min(bottom, height), min(right, width)

    def mask(self, height: int, width: int, grow: float = 0.0) -> np.ndarray:
        """Boolean (height, width) mask of the box (grown by ``grow``)."""
        top, left, bottom, right = self.pixels(height, width, grow)
        mask = np.zeros((height, width), dtype=bool)
        mask[top:bottom, left:right] = True
        return mask


def read_boxes(path: Path, split: str | None = None) -> dict[str, Box]:
    """Reads the box file into {path relative to the split folder: Box}.

    Args:
        path: ``lesion-boxes.csv``.
        split: ``Training`` or ``Testing`` to keep that split's rows only
            (keys then drop the split, e.g. ``glioma/x.jpg``); None keeps all
            rows with their full relative path.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: If a column is missing or a coordinate is outside 0-1.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: pass the tumour box file (lesion-boxes.csv) with --boxes or "
            f"${BOXES_ENV_VAR}."
        )
    boxes = {}
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path} lacks the column(s) {', '.join(missing)}.")
        for number, row in enumerate(reader, start=2):
            box = Box(*(float(row[c]) for c in COLUMNS[2:]))
            if not all(0 <= v <= 1 for v in (box.x_center, box.y_center, box.width, box.height)):
                raise ValueError(f"{path} line {number}: coordinates must lie in 0-1.")
            name = row["file"]
            if split is not None:
                head, _, rest = name.partition("/")
                if head != split:
                    continue
                name = rest
            boxes[name] = box
    return boxes


def box_masks(paths: tuple[str, ...], boxes: dict[str, Box], size: int) -> np.ndarray:
    """uint8 (N, size, size, 1) masks: 1 inside the image's box, 0 elsewhere or without a box."""
    masks = np.zeros((len(paths), size, size, 1), dtype=np.uint8)
    for index, relative in enumerate(paths):
        box = boxes.get(relative)
        if box is not None:
            masks[index, ..., 0] = box.mask(size, size)
    return masks
