"""The bundled models: discovering their cards and loading trusted weights.

A model is registered by the pair ``<name>.keras`` + ``<name>.json`` (its
card) in ``model/weights/``. Loading checks the file's sha256 against the
card and uses ``safe_mode=True``, so only the weights this project shipped run.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from model import config
from model.cards import (
    CardError,
    ModelCard,
    card_path,
    file_sha256,
    model_title,
    read_card,
    read_json,
    report_path,
)

logger = logging.getLogger(__name__)

# The main model is listed first and is the app's default.
PREFERRED_ORDER = ("resnet50", "baseline")


class WeightsError(RuntimeError):
    """A weights file that is missing, altered, or not a model this project made."""


@dataclass(frozen=True)
class ModelEntry:
    """One registered model.

    Attributes:
        name: File stem, e.g. ``resnet50``.
        weights: Path of the ``.keras`` file.
        card: The model card.
    """

    name: str
    weights: Path
    card: ModelCard

    @property
    def input_size(self) -> int:
        """Square input size in pixels."""
        return self.card.input_size

    @property
    def leak_free_accuracy(self) -> float | None:
        """Accuracy on the leak-free Testing subset, if evaluated."""
        return (self.card.metrics or {}).get("leak_free", {}).get("accuracy")

    @property
    def title(self) -> str:
        """Human-readable name, e.g. ``ResNet50`` or ``Baseline CNN (b6)``."""
        return model_title(self.name, self.card.architecture)

    @property
    def label(self) -> str:
        """The name a selector shows: the title, "(main)" for the main model.

        No accuracy: a single one would mislead, as the models score very
        differently on Kaggle and on other hospitals' scans (the sidebar shows
        both under the selector).
        """
        return f"{self.title} (main)" if self.name == PREFERRED_ORDER[0] else self.title

    def report(self) -> dict | None:
        """Returns the evaluation report, or None when the model was never evaluated."""
        path = report_path(self.weights)
        return read_json(path) if path.exists() else None


def discover(folder: Path | None = None) -> list[ModelEntry]:
    """Lists every model in ``folder`` that has both a ``.keras`` file and a card.

    Args:
        folder: Where to look; ``config.weights_dir()`` when None.

    Returns:
        Entries with the main model (ResNet50) first, then the others by name. A
        model whose card is malformed is left out, with a warning that says why.
    """
    folder = config.weights_dir() if folder is None else Path(folder)
    entries = []
    for weights in sorted(folder.glob("*.keras")):
        if not card_path(weights).exists():
            continue
        try:
            entries.append(ModelEntry(weights.stem, weights, read_card(weights)))
        except CardError as error:
            logger.warning("%s is left out: %s", weights.name, error)

    def order(entry: ModelEntry) -> tuple[int, str]:
        rank = PREFERRED_ORDER.index(entry.name) if entry.name in PREFERRED_ORDER else 99
        return rank, entry.name

    return sorted(entries, key=order)


def load_model(entry: ModelEntry) -> "keras.Model":  # noqa: F821
    """Loads a registered model after checking its sha256 against the card.

    Raises:
        WeightsError: The file is missing, its hash differs from the card, or
            Keras cannot load it safely.
    """
    if not entry.weights.is_file():
        raise WeightsError(f"The weights file {entry.weights.name} is missing.")
    expected = entry.card.keras_sha256
    actual = file_sha256(entry.weights)
    if expected != actual:
        raise WeightsError(
            f"The weights file {entry.weights.name} does not match its model card "
            "(sha256 differs), so it was changed or replaced after training. "
            "It will not be loaded; restore the file from the repository."
        )
    import keras  # here, not at the top: listing models must not wait for TensorFlow

    try:
        return keras.saving.load_model(entry.weights, safe_mode=True, compile=False)
    except Exception as error:  # Keras raises many types for a bad file
        raise WeightsError(
            f"The weights file {entry.weights.name} could not be loaded safely: {error}"
        ) from error


def entry_for(weights: Path) -> ModelEntry:
    """The registry entry of a ``.keras`` file with its card beside it.

    Raises:
        WeightsError: If the card is missing or malformed.
    """
    weights = Path(weights)
    card_file = card_path(weights)
    if not card_file.is_file():
        raise WeightsError(f"{weights.name} has no model card ({card_file.name}) beside it.")
    try:
        return ModelEntry(weights.stem, weights, read_card(weights))
    except CardError as error:
        raise WeightsError(str(error)) from error


def load_checked(weights: Path) -> "keras.Model":  # noqa: F821
    """Loads a ``.keras`` file with a card beside it, after the sha256 check of ``load_model``."""
    return load_model(entry_for(weights))
