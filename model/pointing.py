r"""Does the heatmap point at the tumour? The pointing game on scans with known tumour boxes.

Usage:
    python -m model.pointing --weights model/weights/resnet50.keras
    python -m model.pointing --weights model/weights/resnet50.keras --methods all
    python -m model.pointing --weights runs/x.keras --split validation   # for choosing recipes

For each Kaggle tumour image with a box in ``lesion-boxes.csv`` (Testing: the
leak-free ones; ``--split validation``: the Training rows the model's own
validation split holds out), the map of the true class is computed and scored:

* hit: its hottest pixel lies inside the box grown by ``TOLERANCE`` of the
  image side on every side (the pointing game);
* mass: the share of the map's total inside the box itself.

An all-zero map (no positive evidence) is a miss with no mass. The same two
figures for a map that knows nothing, a centred Gaussian, are the baseline to
beat. Results go into the model's report under ``localisation``, per method.
"""

import argparse
import logging
from pathlib import Path

import numpy as np

from model import config
from model.boxes import Box, default_boxes_file, read_boxes
from model.registry import load_checked

logger = logging.getLogger(__name__)

TOLERANCE = 0.07  # the box grows by 7 % of the image side for the pointing game
CENTRE_SIGMA = 0.25  # the centre baseline: a Gaussian with this share of the side as sigma
DECIMALS = 4


def pointing_hit(heatmap: np.ndarray, box: Box, tolerance: float = TOLERANCE) -> bool:
    """True when the hottest pixel of a (height, width) map lies in the grown box.

    An all-zero map points nowhere: a miss.
    """
    if not np.any(heatmap > 0):
        return False
    row, column = np.unravel_index(int(np.argmax(heatmap)), heatmap.shape)
    return bool(box.mask(*heatmap.shape, grow=tolerance)[row, column])


def mass_inside(heatmap: np.ndarray, box: Box) -> float:
    """Share of a non-negative (height, width) map's total inside the box (0 for an empty map)."""
    total = float(heatmap.sum())
    if total <= 0:
        return 0.0
    return float(heatmap[box.mask(*heatmap.shape)].sum() / total)


def centre_map(size: int) -> np.ndarray:
    """float32 (size, size) Gaussian at the image centre, peak 1: the map that knows nothing."""
    axis = (np.arange(size) + 0.5) / size - 0.5
    yy, xx = np.meshgrid(axis, axis, indexing="ij")
    return np.exp(-(xx**2 + yy**2) / (2 * CENTRE_SIGMA**2)).astype(np.float32)


def score(heatmaps: list[np.ndarray], boxes: list[Box], classes: list[str]) -> dict:
    """Hit rate and mean mass inside the box, overall and per class.

    Args:
        heatmaps: One non-negative (size, size) map per image.
        boxes: The box of each image.
        classes: The class name of each image.
    """
    hits = np.array([pointing_hit(m, b) for m, b in zip(heatmaps, boxes)], dtype=float)
    masses = np.array([mass_inside(m, b) for m, b in zip(heatmaps, boxes)], dtype=float)
    empty = np.array([not np.any(m > 0) for m in heatmaps], dtype=float)
    names = np.array(classes)

    def figures(chosen: np.ndarray) -> dict:
        return {
            "images": int(chosen.sum()),
            "hit_rate": round(float(hits[chosen].mean()), DECIMALS) if chosen.any() else None,
            "mass_inside": round(float(masses[chosen].mean()), DECIMALS) if chosen.any() else None,
            "empty_maps": int(empty[chosen].sum()),
        }

    result = figures(np.ones(len(heatmaps), dtype=bool))
    result["per_class"] = {name: figures(names == name) for name in sorted(set(classes))}
    return result


def tumour_images(boxes: dict[str, Box], keep: set[str] | None) -> list[str]:
    """The box file's images (paths relative to the split folder), optionally only ``keep``."""
    return sorted(p for p in boxes if keep is None or p in keep)


def model_heatmaps(model, layer: str, images: np.ndarray, labels: np.ndarray, method: str):
    """The map of each image's true class, (size, size) in [0, 1], with one method."""
    from model.explain import DEFAULT_METHOD, Explainer, GradcamFunction

    if method == DEFAULT_METHOD:
        function = GradcamFunction(model, layer)
        return [function(image, int(label))[1] for image, label in zip(images, labels)]
    explainer = Explainer(model, layer)
    return [explainer.explain(image, int(label), method) for image, label in zip(images, labels)]


def box_images(weights: Path, data_dir: Path, boxes_file: Path, split: str):
    """The tumour images with boxes of a split, as (ImageList, [Box]).

    ``leak_free``: Testing images with no near-copy in Training; ``validation``:
    Training images the model's validation split held out.
    """
    from model.cards import read_card
    from model.data import ImageList
    from model.dedup import cached_duplicates
    from model.splits import split_from_card

    if split == "leak_free":
        boxes = read_boxes(boxes_file, config.TEST_SPLIT)
        keep = set(cached_duplicates(data_dir).leak_free_test)
        folder = Path(data_dir) / config.TEST_SPLIT
    elif split == "validation":
        boxes = read_boxes(boxes_file, config.TRAIN_SPLIT)
        kaggle = split_from_card(read_card(weights), data_dir)
        keep = {kaggle.pool.paths[i] for i in kaggle.validation}
        folder = Path(data_dir) / config.TRAIN_SPLIT
    else:
        raise ValueError(f"--split must be leak_free or validation, not {split!r}.")
    paths = tuple(tumour_images(boxes, keep))
    labels = np.array([config.CLASS_NAMES.index(p.split("/", 1)[0]) for p in paths])
    return ImageList(folder, paths, labels), [boxes[p] for p in paths]


def check(weights: Path, data_dir: Path, boxes_file: Path, methods: list[str], split: str) -> dict:
    """Scores every method and the centre baseline, and writes them into the model's report."""
    from model.cards import read_card, read_json, report_path, write_json
    from model.data import load_arrays

    card = read_card(weights)
    model = load_checked(weights)
    size, layer = card.input_size, card.gradcam_layer
    images, boxes = box_images(weights, data_dir, boxes_file, split)
    arrays = load_arrays(images, size, view=card.input_view)  # (N, size, size, 3)
    classes = [p.split("/", 1)[0] for p in images.paths]
    result = {
        "images": len(images),
        "layer": layer,
        "input_size": size,
        "tolerance": TOLERANCE,
        "centre": score([centre_map(size)] * len(images), boxes, classes),
        "methods": {},
    }
    for method in methods:
        maps = model_heatmaps(model, layer, arrays, images.labels, method)
        result["methods"][method] = score(maps, boxes, classes)
        print(summary_line(method, result["methods"][method]), flush=True)
    print(summary_line("centre", result["centre"]))
    report_file = report_path(weights)
    report = read_json(report_file) if report_file.exists() else {"splits": {}}
    report.setdefault("localisation", {})[split] = result
    write_json(report_file, report)
    return result


def summary_line(name: str, figures: dict) -> str:
    """One printed line: hit rate and mass inside the box."""
    return (
        f"{name:12s} {figures['images']:4d} images  pointing hit {figures['hit_rate']:.1%}  "
        f"mass inside box {figures['mass_inside']:.1%}  empty maps {figures['empty_maps']}"
    )


def main(argv: list[str] | None = None) -> None:
    """Command line: run the check and write it into the model's report."""
    from model.explain import DEFAULT_METHOD, METHODS

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, required=True, help="a .keras file with its card")
    parser.add_argument(
        "--data", type=Path, default=config.default_data_dir(), help="the Kaggle folder"
    )
    parser.add_argument("--boxes", type=Path, default=default_boxes_file(), help="lesion-boxes.csv")
    parser.add_argument(
        "--methods",
        nargs="+",
        default=[DEFAULT_METHOD],
        help=f"explanation methods ({', '.join(METHODS)}) or all",
    )
    parser.add_argument(
        "--split",
        default="leak_free",
        choices=("leak_free", "validation"),
        help="leak_free (Testing, to report) or validation (Training rows, to choose recipes)",
    )
    args = parser.parse_args(argv)
    methods = list(METHODS) if args.methods == ["all"] else args.methods
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}.")
    if not args.weights.is_file():
        parser.error(f"{args.weights} does not exist; pass a .keras file from model/weights/.")
    try:
        check(args.weights, args.data, args.boxes, methods, args.split)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))


if __name__ == "__main__":
    main()
