"""How far image statistics alone go: a probe for shortcuts in the training data.

If a classifier that sees only global statistics of an image (its intensity
histogram, how much of it is background, how large the head is in the frame,
whether the file was stored in colour) can tell the Kaggle classes apart, a
CNN can learn the same shortcut instead of the anatomy. The probe fits such a
classifier on the deduplicated Kaggle training images and scores it on the
leak-free Testing subset and on an external folder; it also prints the
statistics per class and source side by side.

Usage:
    python -m model.shortcut_probe --external ../shared/data/external-radiopaedia-dev
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.ensemble import HistGradientBoostingClassifier

from model import config
from model.data import ImageList, folder_sha256, list_images, load_arrays
from model.evaluate import leak_free_mask
from model.preprocessing import crop_to_head, normalise_intensity
from model.splits import training_split

PROBE_SIZE = 96
HISTOGRAM_BINS = 16
BACKGROUND_LEVEL = 10  # grey levels at or below this count as background
BORDER = 4  # pixels of the frame whose mean is one feature

FEATURE_NAMES = (
    [f"histogram_{i}" for i in range(HISTOGRAM_BINS)]
    + [f"percentile_{p}" for p in (1, 5, 50, 95, 99)]
    + ["mean", "std", "background", "border_mean", "head_box_fill", "colour"]
)
SUMMARY_FEATURES = ("mean", "std", "background", "head_box_fill", "colour", "percentile_99")


def image_statistics(images: np.ndarray) -> np.ndarray:
    """Global statistics of each image, blind to where anything is.

    Args:
        images: uint8 (N, size, size, 3).

    Returns:
        float32 (N, len(FEATURE_NAMES)).
    """
    rgb = images.astype(np.float32)  # (N, size, size, 3)
    gray = rgb.mean(axis=-1)  # (N, size, size)
    flat = gray.reshape(len(gray), -1)  # (N, size * size)
    histogram = (
        np.stack([np.histogram(row, bins=HISTOGRAM_BINS, range=(0, 255))[0] for row in flat])
        / flat.shape[1]
    )  # (N, bins), shares
    percentiles = np.percentile(flat, (1, 5, 50, 95, 99), axis=1).T  # (N, 5)
    foreground = gray > BACKGROUND_LEVEL  # (N, size, size)
    border = np.concatenate(
        [gray[:, :BORDER].reshape(len(gray), -1), gray[:, -BORDER:].reshape(len(gray), -1)],
        axis=1,
    )
    box_fill = np.array([_box_fill(mask) for mask in foreground])  # (N,)
    colour = np.abs(rgb[..., 0] - rgb[..., 1]).mean(axis=(1, 2)) + np.abs(
        rgb[..., 1] - rgb[..., 2]
    ).mean(axis=(1, 2))  # (N,) 0 for a grey image
    columns = [
        histogram,
        percentiles,
        flat.mean(axis=1, keepdims=True),
        flat.std(axis=1, keepdims=True),
        1.0 - foreground.reshape(len(gray), -1).mean(axis=1, keepdims=True),
        border.mean(axis=1, keepdims=True),
        box_fill[:, None],
        colour[:, None],
    ]
    return np.concatenate(columns, axis=1).astype(np.float32)


def head_view(images: np.ndarray) -> np.ndarray:
    """Grey, cropped to the head and intensity-normalised copies of (N, size, size, 3) images."""
    size = images.shape[1]
    views = np.empty_like(images)
    for i, image in enumerate(images):
        gray = normalise_intensity(crop_to_head(image.mean(axis=-1).astype(np.uint8)))
        resized = np.asarray(Image.fromarray(gray).resize((size, size), Image.Resampling.BILINEAR))
        views[i] = resized[..., None]  # broadcast to 3 channels
    return views


def _box_fill(mask: np.ndarray) -> float:
    """Share of the frame covered by the bounding box of the foreground."""
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return 0.0
    height, width = rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1
    return float(height * width) / mask.size


def probe_accuracy(
    classifier: HistGradientBoostingClassifier, features: np.ndarray, labels: np.ndarray
) -> tuple[float, float]:
    """Four-class accuracy and tumour-vs-no-tumour accuracy of the probe."""
    predicted = classifier.predict(features)
    notumor = config.CLASS_NAMES.index("notumor")
    binary = np.mean((predicted == notumor) == (labels == notumor))
    return float(np.mean(predicted == labels)), float(binary)


def class_summary(name: str, features: np.ndarray, labels: np.ndarray) -> list[str]:
    """Markdown table rows: the mean of a few statistics per class of one source."""
    rows = []
    for index, class_name in enumerate(config.CLASS_NAMES):
        chosen = features[labels == index]
        if not len(chosen):
            continue
        values = [chosen[:, FEATURE_NAMES.index(f)].mean() for f in SUMMARY_FEATURES]
        cells = " | ".join(f"{v:.2f}" for v in values)
        rows.append(f"| {name} | {class_name} | {len(chosen)} | {cells} |")
    return rows


def main(argv: list[str] | None = None) -> None:
    """Fits the probe and prints its accuracy and the statistics per class and source."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=config.default_data_dir(), help="Kaggle folder"
    )
    parser.add_argument(
        "--external", type=Path, default=None, help="a folder of class subfolders to score"
    )
    parser.add_argument(
        "--head-view",
        action="store_true",
        help="probe the images after preprocessing.crop_to_head and normalise_intensity",
    )
    args = parser.parse_args(argv)
    view = head_view if args.head_view else (lambda images: images)

    split = training_split(args.data, val_fraction=0.1, seed=config.SEED)
    data_key = folder_sha256(args.data)
    train_images = load_arrays(split.pool, PROBE_SIZE, cache_key=data_key)
    official = list_images(args.data / config.TEST_SPLIT)
    test_images = load_arrays(official, PROBE_SIZE, cache_key=data_key)
    leak_free = leak_free_mask(args.data, official)

    train_features = image_statistics(view(train_images))
    test_features = image_statistics(view(test_images))
    classifier = HistGradientBoostingClassifier(random_state=config.SEED)
    classifier.fit(train_features, split.pool.labels)

    sources: list[tuple[str, np.ndarray, np.ndarray]] = [
        ("Kaggle Training (deduplicated)", train_features, split.pool.labels),
        ("Kaggle leak-free Testing", test_features[leak_free], official.labels[leak_free]),
    ]
    if args.external is not None:
        external: ImageList = list_images(args.external)
        external_features = image_statistics(view(load_arrays(external, PROBE_SIZE)))
        sources.append(("External", external_features, external.labels))

    print("\nProbe on global image statistics (fitted on Kaggle Training):\n")
    print("| scored on | images | 4-class accuracy | tumour vs no tumour |")
    print("|---|---|---|---|")
    for name, features, labels in sources[1:]:
        accuracy, binary = probe_accuracy(classifier, features, labels)
        print(f"| {name} | {len(labels)} | {accuracy:.1%} | {binary:.1%} |")

    print("\nMean statistics per class (grey levels 0-255; shares 0-1):\n")
    print("| source | class | images | " + " | ".join(SUMMARY_FEATURES) + " |")
    print("|---" * (3 + len(SUMMARY_FEATURES)) + "|")
    for name, features, labels in sources:
        print("\n".join(class_summary(name, features, labels)))


if __name__ == "__main__":
    main()
