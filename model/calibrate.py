r"""Temperature scaling: probabilities whose confidence matches their accuracy.

Usage:
    python -m model.calibrate --weights model/weights/resnet50.keras
    python -m model.calibrate --weights model/weights/baseline.keras --data DIR

The temperature is fitted on the validation split the model was trained with
(deduplicated, see ``model.splits``) by minimising the Brier score, and stored
in the model card (``"temperature"``); 1.0 leaves the model's softmax unchanged. The
low-confidence threshold is then chosen again on the calibrated validation
probabilities, and every split of the report is evaluated again, so that the
card, the report and the app all use the same calibrated numbers.
"""

import argparse
import logging
from pathlib import Path

import keras
import numpy as np

from model import config
from model.calibration import calibration_fields
from model.cards import card_path, input_view, read_json, report_path, write_json
from model.evaluate import (
    evaluate,
    predict_probabilities,
    reevaluate_recorded_splits,
)
from model.metrics import classification_metrics
from model.registry import load_checked
from model.splits import load_split, split_from_card

logger = logging.getLogger(__name__)


def validation_summary(
    model: keras.Model, images: np.ndarray, labels: np.ndarray
) -> tuple[dict, dict]:
    """Validation accuracy, and the temperature and threshold fitted on it.

    Args:
        model: The trained model.
        images: uint8 (N, size, size, 3) validation images.
        labels: (N,) their class indices.

    Returns:
        ({"accuracy", "macro_f1", "images"}, ``calibration.calibration_fields``
        result to merge into the model card).
    """
    probabilities = predict_probabilities(model, images)
    metrics = classification_metrics(probabilities, labels)
    summary = {key: metrics[key] for key in ("accuracy", "macro_f1", "images")}
    return summary, calibration_fields(probabilities, labels)


def validation_images(card: dict, data_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """Loads the validation split that the card's training run held out.

    Args:
        card: A model card written by ``model.train``.
        data_dir: The Kaggle-layout dataset the model was trained on.

    Returns:
        (images uint8 (N, size, size, 3), labels (N,)).

    Raises:
        ValueError: If the card lacks the split settings or the dataset differs
            from the one the model was trained on.
    """
    split = split_from_card(card, data_dir)
    expected = card.get("data", {}).get("sha256")
    if expected and split.duplicates.data_sha256 != expected:
        raise ValueError(
            f"{data_dir} is not the dataset this model was trained on (its sha256 differs from "
            "the card's), so its validation split would differ. Pass the training dataset "
            "with --data."
        )
    data = load_split(split, int(card["input_size"]), input_view(card))
    # (N, size, size, 3) uint8, (N,): the validation images of every source
    return data.images[data.validation], data.labels[data.validation]


def calibrate(weights: Path, data_dir: Path) -> dict:
    """Calibrates a shipped model, updates its card and evaluates it again.

    Never touches the ``.keras`` file or its ``keras_sha256``.

    Args:
        weights: Path to a ``.keras`` file with a model card beside it.
        data_dir: The Kaggle-layout dataset the model was trained on.

    Returns:
        The updated model card.
    """
    weights = Path(weights)
    path = card_path(weights)
    card = read_json(path)
    images, labels = validation_images(card, data_dir)
    model = load_checked(weights)
    validation, fields = validation_summary(model, images, labels)
    card.update(fields)
    card["validation"] = validation
    write_json(path, card)
    calibration = fields["calibration"]
    print(
        f"temperature {fields['temperature']:.4f} on {calibration['images']} validation images: "
        f"Brier {calibration['brier_before']:.4f} -> {calibration['brier_after']:.4f}, "
        f"NLL {calibration['nll_before']:.4f} -> {calibration['nll_after']:.4f}, "
        f"ECE {calibration['ece_before']:.4f} -> {calibration['ece_after']:.4f}; "
        f"threshold {fields['low_confidence_threshold']:.2f} answers "
        f"{fields['low_confidence']['coverage']:.1%} with "
        f"{fields['low_confidence']['accuracy']:.1%} accuracy"
    )
    evaluate(weights, data_dir, model=model)
    reevaluate_recorded_splits(weights, model=model)
    return read_json(path)


def main(argv: list[str] | None = None) -> None:
    """Command line: fit the temperature and threshold of one model, then re-evaluate it."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, required=True, help="the .keras file to calibrate")
    parser.add_argument(
        "--data",
        type=Path,
        default=config.default_data_dir(),
        help="the dataset the model was trained on (default: $BRAIN_MRI_DATA or the shared copy)",
    )
    args = parser.parse_args(argv)
    if not args.weights.is_file():
        parser.error(f"{args.weights} does not exist; pass a .keras file from model/weights/.")
    if not card_path(args.weights).is_file():
        parser.error(
            f"{args.weights} has no model card ({card_path(args.weights).name}); "
            "train it with `python -m model.train`."
        )
    try:
        calibrate(args.weights, args.data)
    except ValueError as error:
        parser.error(str(error))
    print(f"wrote {card_path(args.weights)} and {report_path(args.weights)}")


if __name__ == "__main__":
    main()
