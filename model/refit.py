"""The one post-training step: what follows whenever a model's weights or calibration change.

``model.train`` runs it after exporting a model, ``model.calibrate`` on a shipped
model, ``model.batchnorm`` after new batch-norm statistics, and ``python -m
model.gate`` to fit the gate of a shipped model again. In that order it:

1. rebuilds the validation split the model was trained with (unless the caller
   still holds it), refusing a dataset other than the card's;
2. measures validation accuracy and fits the temperature and the
   low-confidence threshold on it (``model.calibration``);
3. refits the out-of-distribution gate, when the weights changed;
4. writes these into the model card;
5. evaluates the Testing splits and every split already recorded in the
   report again, so that no number of the report is left from before.
"""

import dataclasses
from pathlib import Path

import keras
import numpy as np

from model import gate
from model.architectures import GATE_LAYERS
from model.calibration import calibration_fields
from model.cards import ModelCard, read_card, write_card
from model.evaluate import (
    SplitSource,
    evaluate,
    evaluate_splits,
    predict_probabilities,
    recorded_splits,
)
from model.metrics import classification_metrics
from model.registry import load_checked
from model.splits import SplitArrays, load_split, split_from_card

# What the card keeps of the validation metrics.
VALIDATION_KEYS = ("accuracy", "macro_f1", "images")


def training_data(card: ModelCard, data_dir: Path) -> SplitArrays:
    """Loads the training and validation images of the run that made ``card``.

    Args:
        card: A model card written by ``model.train``.
        data_dir: The Kaggle-layout dataset the model was trained on.

    Returns:
        Every source's images at the card's input size and view, with the
        indices of the training and validation parts.

    Raises:
        ValueError: If the card lacks the split settings or the dataset differs
            from the one the model was trained on.
    """
    split = split_from_card(card, data_dir)
    expected = (card.data or {}).get("sha256")
    if expected and split.duplicates.data_sha256 != expected:
        raise ValueError(
            f"{data_dir} is not the dataset this model was trained on (its sha256 differs from "
            "the card's), so its validation split would differ. Pass the training dataset "
            "with --data."
        )
    return load_split(split, card.input_size, card.input_view)


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
    probabilities = predict_probabilities(model, images)  # (N, classes)
    metrics = classification_metrics(probabilities, labels)
    summary = {key: metrics[key] for key in VALIDATION_KEYS}
    return summary, calibration_fields(probabilities, labels)


def refitted_fields(
    model: keras.Model, weights: Path, card: ModelCard, data: SplitArrays, refit_gate: bool
) -> dict:
    """The card fields fitted on the training run's data: validation, calibration, gate.

    Args:
        model: The model of ``weights``.
        weights: Its ``.keras`` path; the gate is written beside it.
        card: Its model card (for the architecture and Grad-CAM layer).
        data: The run's images, from ``training_data`` or training itself.
        refit_gate: Whether to fit the out-of-distribution gate again.
    """
    validation_images = data.images[data.validation]  # (N, size, size, 3) uint8
    validation, calibration = validation_summary(
        model, validation_images, data.labels[data.validation]
    )
    fields = {**calibration, "validation": validation}
    if refit_gate:
        layer = GATE_LAYERS.get(card.architecture, card.gradcam_layer)
        train_images = data.images[data.train]  # (M, size, size, 3) uint8
        fields["ood_gate"] = gate.fit_for_model(
            model, weights, train_images, validation_images, layer
        )
    return fields


def summary_line(card: ModelCard) -> str:
    """One printed line of the refitted numbers."""
    calibration, answered = card.calibration, card.low_confidence
    line = (
        f"validation accuracy {card.validation['accuracy']:.4f}; temperature "
        f"{card.temperature:.4f} on {calibration['images']} validation images: "
        f"Brier {calibration['brier_before']:.4f} -> {calibration['brier_after']:.4f}, "
        f"NLL {calibration['nll_before']:.4f} -> {calibration['nll_after']:.4f}, "
        f"ECE {calibration['ece_before']:.4f} -> {calibration['ece_after']:.4f}; "
        f"threshold {card.low_confidence_threshold:.2f} answers "
        f"{answered['coverage']:.1%} with {answered['accuracy']:.1%} accuracy"
    )
    if card.ood_gate:
        line += f"; gate threshold {card.ood_gate['threshold']:.3f}"
    return line


def refit(
    weights: Path,
    data_dir: Path,
    *,
    model: keras.Model | None = None,
    data: SplitArrays | None = None,
    refit_gate: bool = False,
    new_splits: dict[str, SplitSource] | None = None,
) -> ModelCard:
    """Refits the card's validation numbers (and gate), then evaluates every split again.

    Never touches the ``.keras`` file or its ``keras_sha256``.

    Args:
        weights: Path to a ``.keras`` file with its model card beside it.
        data_dir: The Kaggle-layout dataset the model was trained on.
        model: The model loaded from ``weights``, when the caller has it;
            otherwise it is loaded through the registry (sha256 checked).
        data: The training run's images, when the caller has them; otherwise
            rebuilt from the card (``training_data``).
        refit_gate: Whether the weights changed, so the gate is fitted again.
        new_splits: Custom splits to evaluate besides those the report records.

    Returns:
        The updated model card.
    """
    weights = Path(weights)
    card = read_card(weights)
    if data is None:
        data = training_data(card, data_dir)
    if model is None:
        model = load_checked(weights)
    card = dataclasses.replace(card, **refitted_fields(model, weights, card, data, refit_gate))
    write_card(weights, card)
    print(summary_line(card), flush=True)
    evaluate(weights, data_dir, model=model)
    evaluate_splits(weights, {**recorded_splits(weights), **(new_splits or {})}, model=model)
    return read_card(weights)
