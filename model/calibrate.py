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
from scipy.optimize import minimize_scalar

from model import config
from model.cards import card_path, input_view, read_json, report_path, write_json
from model.evaluate import (
    evaluate,
    predict_probabilities,
    reevaluate_recorded_splits,
)
from model.metrics import classification_metrics, expected_calibration_error
from model.registry import load_checked
from model.splits import load_split, split_from_card
from model.temperature import apply_temperature, scaled_log_probabilities
from model.threshold import choose_threshold

logger = logging.getLogger(__name__)

# The search range of the temperature: far wider than any sensible fit.
MIN_TEMPERATURE = 0.05
MAX_TEMPERATURE = 20.0
TEMPERATURE_DECIMALS = 4
# The Brier score, not the negative log-likelihood: both are proper scoring
# rules, but a confident mistake costs the log-likelihood without bound. On the
# ResNet50 validation split 6 % of the images give their true class a
# probability below 1e-5; fitted by likelihood, the temperature became 5.5 and
# left every answer under-confident (expected calibration error 0.11 -> 0.51);
# fitted by the Brier score it is 0.75 (0.11 -> 0.11).
DEFAULT_LOSS = "brier"
METRIC_DECIMALS = 4


def negative_log_likelihood(
    probabilities: np.ndarray, labels: np.ndarray, temperature: float = 1.0
) -> float:
    """Mean negative log-probability of the true class after temperature scaling.

    Args:
        probabilities: (N, classes) softmax outputs.
        labels: (N,) true class indices.
        temperature: Applied first; 1.0 scores the probabilities as they are.
    """
    log_probabilities = scaled_log_probabilities(probabilities, temperature)  # (N, classes)
    return float(-log_probabilities[np.arange(len(labels)), labels].mean())


def brier_score(probabilities: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean squared distance to the one-hot label after temperature scaling.

    Args:
        probabilities: (N, classes) softmax outputs.
        labels: (N,) true class indices.
        temperature: Applied first; 1.0 scores the probabilities as they are.

    Returns:
        A score between 0 (certain and right) and 2 (certain and wrong).
    """
    scaled = np.exp(scaled_log_probabilities(probabilities, temperature))  # (N, classes)
    one_hot = np.eye(scaled.shape[-1])[labels]  # (N, classes)
    return float(((scaled - one_hot) ** 2).sum(axis=-1).mean())


# The losses a temperature can be fitted with.
LOSSES = {"brier": brier_score, "nll": negative_log_likelihood}


def fit_temperature(
    probabilities: np.ndarray, labels: np.ndarray, loss: str = DEFAULT_LOSS
) -> float:
    """Finds the temperature that minimises a loss on held-out predictions.

    Searches the log of the temperature, so that softening and sharpening by
    the same factor are equally far from 1.

    Args:
        probabilities: (N, classes) softmax outputs on held-out images.
        labels: (N,) true class indices.
        loss: ``"brier"`` (the default, see ``DEFAULT_LOSS``) or ``"nll"``
            (negative log-likelihood, as in Guo et al. 2017).

    Returns:
        The fitted temperature, between ``MIN_TEMPERATURE`` and ``MAX_TEMPERATURE``.
    """
    if len(labels) == 0:
        raise ValueError("Fitting a temperature needs at least one validation image.")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, not {loss!r}.")
    result = minimize_scalar(
        lambda log_temperature: LOSSES[loss](probabilities, labels, float(np.exp(log_temperature))),
        bounds=(np.log(MIN_TEMPERATURE), np.log(MAX_TEMPERATURE)),
        method="bounded",
    )
    return float(np.exp(result.x))


def calibration_fields(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """The model-card fields fitted on validation predictions.

    Fits the temperature (with ``DEFAULT_LOSS``), then chooses the
    low-confidence threshold on the calibrated probabilities: the app compares
    calibrated probabilities with it.

    Args:
        probabilities: (N, classes) softmax outputs on the validation images.
        labels: (N,) true class indices.

    Returns:
        ``{"temperature", "calibration", "low_confidence_threshold",
        "low_confidence"}``, ready to merge into a card. ``calibration`` holds
        the Brier score, negative log-likelihood and expected calibration
        error before and after scaling.
    """
    temperature = round(fit_temperature(probabilities, labels), TEMPERATURE_DECIMALS)
    calibrated = apply_temperature(probabilities, temperature)  # (N, classes)
    low_confidence = choose_threshold(calibrated, labels)
    low_confidence["probabilities"] = "calibrated"
    numbers = {
        "brier_before": brier_score(probabilities, labels),
        "brier_after": brier_score(probabilities, labels, temperature),
        "nll_before": negative_log_likelihood(probabilities, labels),
        "nll_after": negative_log_likelihood(probabilities, labels, temperature),
        "ece_before": expected_calibration_error(probabilities, labels),
        "ece_after": expected_calibration_error(calibrated, labels),
    }
    return {
        "temperature": temperature,
        "calibration": {
            "method": "temperature scaling",
            "loss": DEFAULT_LOSS,
            "fitted_on": "validation",
            "images": int(len(labels)),
            **{key: round(value, METRIC_DECIMALS) for key, value in numbers.items()},
        },
        "low_confidence_threshold": low_confidence["threshold"],
        "low_confidence": low_confidence,
    }


def validation_summary(
    model: keras.Model, images: np.ndarray, labels: np.ndarray
) -> tuple[dict, dict]:
    """Validation accuracy, and the temperature and threshold fitted on it.

    Args:
        model: The trained model.
        images: uint8 (N, size, size, 3) validation images.
        labels: (N,) their class indices.

    Returns:
        ({"accuracy", "macro_f1", "images"}, ``calibrate.calibration_fields``
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
