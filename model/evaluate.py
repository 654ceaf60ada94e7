r"""Evaluates a saved model and writes its report.

Usage:
    python -m model.evaluate --weights model/weights/baseline.keras
    python -m model.evaluate --weights model/weights/resnet50.keras \
        --data ../shared/data/external-radiopaedia-dev --split external

Without ``--split`` the dataset folder must hold ``Testing/``: the model is
measured on the official Testing split and on the leak-free subset (Testing
images with no near-duplicate in Training, found by ``model.dedup``). With
``--split NAME``, ``--data`` is any folder of class subfolders, which may hold
only some of the four classes.

Each split records the raw model's metrics and, with the temperature and
low-confidence threshold of the model card (``model.calibrate``), the
calibration error before and after temperature scaling, the reliability
diagram and the risk-coverage curve of the calibrated probabilities, and what
the app answers at the card's threshold.
"""

import argparse
import csv
import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from model import config, gate
from model.cards import ModelCard, read_card, read_json, report_path, write_card, write_json
from model.data import ImageList, folder_sha256, list_images, load_arrays
from model.dedup import cached_duplicates
from model.metrics import classification_metrics, expected_calibration_error, reliability_diagram
from model.ood_check import non_mri_inputs
from model.registry import load_checked
from model.sources import MANIFEST, ROLES, case_images
from model.temperature import apply_temperature
from model.threshold import answered_at, risk_coverage

logger = logging.getLogger(__name__)

PREDICT_BATCH = 64
PROBABILITY_DECIMALS = 5
# The splits that one evaluation of the Kaggle Testing folder writes.
TESTING_SPLITS = ("official", "leak_free")


def predict_probabilities(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """Returns the softmax of ``model`` for (N, size, size, 3) uint8 images, as (N, 4) float32."""
    return np.asarray(model.predict(images, batch_size=PREDICT_BATCH, verbose=0), dtype=np.float32)


def calibration_result(
    probabilities: np.ndarray, calibrated: np.ndarray, labels: np.ndarray, temperature: float
) -> dict:
    """Calibration error before and after temperature scaling, and the diagram after.

    Args:
        probabilities: (N, classes) raw softmax outputs.
        calibrated: (N, classes) the same after temperature scaling.
        labels: (N,) true class indices.
        temperature: The model card's temperature (1.0: not calibrated).
    """
    return {
        "temperature": float(temperature),
        "ece_before": expected_calibration_error(probabilities, labels),
        "ece_after": expected_calibration_error(calibrated, labels),
        "reliability": reliability_diagram(calibrated, labels),
    }


def split_result(
    images: ImageList,
    probabilities: np.ndarray,
    temperature: float = 1.0,
    threshold: float | None = None,
) -> dict:
    """Returns the metrics of one split plus the per-image predictions behind them.

    Args:
        images: The split's images and labels.
        probabilities: (N, classes) raw softmax outputs, one row per image.
        temperature: The model card's temperature.
        threshold: The card's low-confidence threshold on calibrated
            probabilities; None leaves out what the app answers at it.

    Returns:
        ``metrics.classification_metrics`` of the raw probabilities (argmax and
        accuracy do not change with the temperature), plus ``calibration``,
        ``risk_coverage`` and ``abstention`` of the calibrated ones, and the
        raw per-image ``probabilities``.
    """
    labels = images.labels
    calibrated = apply_temperature(probabilities, temperature)  # (N, classes)
    result = classification_metrics(probabilities, labels)
    result["calibration"] = calibration_result(probabilities, calibrated, labels, temperature)
    result["risk_coverage"] = risk_coverage(calibrated, labels)
    if threshold is not None:
        result["abstention"] = answered_at(calibrated, labels, threshold)
    result["files"] = list(images.paths)
    result["labels"] = labels.tolist()
    result["probabilities"] = np.round(probabilities, PROBABILITY_DECIMALS).tolist()
    return result


BREAKDOWN_COLUMN = "sequence"


def breakdown(data_dir: Path, images: ImageList, probabilities: np.ndarray) -> dict | None:
    """Accuracy and tumour sensitivity per MRI sequence, from the folder's manifest.csv.

    The manifest (columns ``file`` and ``sequence``, as in the external set)
    is optional; without it there is no breakdown.
    """
    manifest = Path(data_dir) / MANIFEST
    if not manifest.exists():
        return None
    with open(manifest, newline="") as handle:
        groups = {row["file"]: row[BREAKDOWN_COLUMN] for row in csv.DictReader(handle)}
    names = np.array([groups.get(path, "unknown") for path in images.paths])
    result = {}
    for name in sorted(set(names)):
        chosen = names == name
        metrics = classification_metrics(probabilities[chosen], images.labels[chosen])
        result[name] = {
            key: metrics[key]
            for key in ("images", "accuracy", "tumour_sensitivity", "tumour_specificity")
        }
    return result


def leak_free_mask(data_dir: Path, official: ImageList) -> np.ndarray:
    """True for the Testing images with no near-duplicate in Training."""
    leak_free = set(cached_duplicates(data_dir).leak_free_test)
    return np.array([path in leak_free for path in official.paths])


def evaluate(
    weights: Path,
    data_dir: Path,
    split: str | None = None,
    model: keras.Model | None = None,
    role: str | None = None,
) -> dict:
    """Evaluates ``weights`` and merges the results into its report file.

    Args:
        weights: Path to a ``.keras`` file with a model card beside it.
        data_dir: Kaggle-layout folder (no ``split``) or a folder of class
            subfolders (with ``split``).
        split: Name under which to store a custom folder's results.
        model: The model loaded from ``weights``, when the caller has it.
        role: With a manifest folder, only the images of this role (``eval``:
            the Radiopaedia cases never used in training).

    Returns:
        The updated report.
    """
    weights = Path(weights)
    if model is None:
        model = load_checked(weights)
    card = read_card(weights)
    # 1.0 for a card without a temperature; no abstention figures without a threshold.
    temperature, threshold = card.scaling_temperature, card.low_confidence_threshold
    view = card.input_view
    size = int(model.input_shape[1])
    data_dir = Path(data_dir)
    if role is not None:
        images = case_images(data_dir, role).images
    else:
        images = list_images(data_dir / config.TEST_SPLIT if split is None else data_dir)
    arrays = load_arrays(images, size, view=view)  # (N, size, size, 3) uint8
    probabilities = predict_probabilities(model, arrays)
    flagged = gate_flags(model, weights, card, arrays)  # (N,) bool, or None without a gate
    if split is None:
        # The leak-free subset reuses the official predictions.
        keep = leak_free_mask(data_dir, images)
        results = {
            "official": split_result(images, probabilities, temperature, threshold),
            "leak_free": split_result(
                images.subset(keep), probabilities[keep], temperature, threshold
            ),
        }
        if flagged is not None:
            results["official"]["ood_flagged"] = round(float(flagged.mean()), 4)
            results["leak_free"]["ood_flagged"] = round(float(flagged[keep].mean()), 4)
    else:
        results = {split: split_result(images, probabilities, temperature, threshold)}
        if flagged is not None:
            results[split]["ood_flagged"] = round(float(flagged.mean()), 4)
        by_sequence = breakdown(data_dir, images, probabilities)
        if by_sequence:
            results[split]["by_sequence"] = by_sequence

    report_file = report_path(weights)
    report = read_json(report_file) if report_file.exists() else {"splits": {}}
    report["model"] = weights.stem
    if split is None and flagged is not None:
        non_mri = gate_flags(model, weights, card, non_mri_inputs(size, view))
        report["ood"] = {
            "non_mri_images": len(non_mri),
            "non_mri_flagged": round(float(non_mri.mean()), 4),
            "set": "model.ood_check.non_mri_images: generated images, pydicom's non-MR test "
            "files, and sample scans tiled, cropped to a corner or framed as a screenshot",
        }
        print(f"out-of-distribution set {len(non_mri)} images  flagged {non_mri.mean():.1%}")
    data = {"folder": str(data_dir), "sha256": folder_sha256(data_dir)}
    if role is not None:
        data["role"] = role
    for name, result in results.items():
        result["data"] = data
        report["splits"][name] = result
        print(summary_line(name, result))
    write_json(report_file, report)
    write_card(weights, dataclasses.replace(card, metrics=card_metrics(report)))
    return report


def gate_flags(
    model: keras.Model, weights: Path, card: ModelCard, images: np.ndarray
) -> np.ndarray | None:
    """(N,) True where the model's out-of-distribution gate flags an image; None without a gate."""
    entry = card.ood_gate
    if not entry:
        return None
    fitted = gate.load(weights, entry["sha256"])
    features = gate.pooled_features(model, images, card.gate_layer)  # (N, channels)
    return gate.scores(features, fitted) > float(entry["threshold"])


def summary_line(name: str, result: dict) -> str:
    """One printed line of a split's headline numbers."""
    calibration = result["calibration"]
    line = (
        f"{name:10s} {result['images']:5d} images  accuracy {result['accuracy']:.4f}  "
        f"macro-F1 {result['macro_f1']:.4f}  ECE {calibration['ece_before']:.4f} -> "
        f"{calibration['ece_after']:.4f} at temperature {calibration['temperature']:.2f}"
    )
    abstention = result.get("abstention")
    if result.get("ood_flagged") is not None:
        line += f"  gate flags {result['ood_flagged']:.1%}"
    if abstention and abstention["accuracy"] is not None:
        line += (
            f"  threshold {abstention['threshold']:.2f}: answers {abstention['coverage']:.1%} "
            f"with accuracy {abstention['accuracy']:.1%}"
        )
    return line


@dataclass(frozen=True)
class SplitSource:
    """Where the images of a custom split come from.

    Attributes:
        folder: A folder of class subfolders, or a manifest folder.
        role: With a manifest folder, only the images of this role.
    """

    folder: Path
    role: str | None = None


def recorded_splits(weights: Path) -> dict[str, SplitSource]:
    """The custom splits of the report (every split but the Testing ones), by name."""
    report_file = report_path(weights)
    if not report_file.exists():
        return {}
    return {
        name: SplitSource(Path(result["data"]["folder"]), result["data"].get("role"))
        for name, result in read_json(report_file)["splits"].items()
        if name not in TESTING_SPLITS
    }


def evaluate_splits(
    weights: Path, splits: dict[str, SplitSource], model: keras.Model | None = None
) -> None:
    """Evaluates each custom split from its folder; a folder that is gone is skipped.

    Used after the card's temperature, threshold, gate or weights changed, so that
    no split keeps the old numbers; a skipped split is named in a warning.
    """
    for name, source in splits.items():
        if source.folder.is_dir():
            evaluate(weights, source.folder, name, model=model, role=source.role)
        else:
            logger.warning(
                "%s: the folder %s of split %r is missing; its numbers are those of the model "
                "before this change. Run `python -m model.evaluate --weights %s --data FOLDER "
                "--split %s` to update them.",
                weights.name,
                source.folder,
                name,
                weights,
                name,
            )


def card_metrics(report: dict) -> dict:
    """Each split's headline numbers, for the model card's ``metrics``."""
    return {
        name: {
            "images": result["images"],
            "accuracy": round(result["accuracy"], 4),
            "macro_f1": round(result["macro_f1"], 4),
            "recall": {
                k: round(v["recall"], 4) for k, v in result["per_class"].items() if v["support"]
            },
        }
        for name, result in report["splits"].items()
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: evaluate one .keras file and write its report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, required=True, help="the .keras file to evaluate")
    parser.add_argument(
        "--data",
        type=Path,
        default=config.default_data_dir(),
        help="dataset folder (default: $BRAIN_MRI_DATA or the shared copy)",
    )
    parser.add_argument(
        "--split", default=None, help="name for a custom folder of class subfolders given by --data"
    )
    parser.add_argument(
        "--role",
        choices=ROLES,
        default=None,
        help="with a folder holding manifest.csv: only its images of this role "
        "(eval: the Radiopaedia cases never used in training)",
    )
    args = parser.parse_args(argv)
    if not args.weights.is_file():
        parser.error(f"{args.weights} does not exist; pass a .keras file from model/weights/.")
    if args.role and not args.split:
        parser.error("--role needs --split NAME (for example --split radiopaedia_eval).")
    try:
        evaluate(args.weights, args.data, args.split, role=args.role)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    print(f"wrote {report_path(args.weights)}")


if __name__ == "__main__":
    main()
