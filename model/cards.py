"""A model's card, and where a model's files live and how they are read and written.

For ``model/weights/<name>.keras`` the project keeps, beside it:
``<name>.json`` (model card, ``ModelCard``), ``<name>.history.json`` (per-epoch
metrics) and ``<name>.report.json`` (evaluation).
"""

import dataclasses
import hashlib
import json
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.config import CLASS_NAMES, DEFAULT_VIEW, INPUT_VIEWS

# How the pages and reports name an architecture.
ARCHITECTURE_TITLES = {"resnet50": "ResNet50", "baseline": "Baseline CNN"}


def model_title(name: str, architecture: str | None) -> str:
    """Human-readable model name, e.g. ``ResNet50`` or ``Baseline CNN (b6)``.

    Args:
        name: The model's name (its file stem), e.g. ``b6``.
        architecture: The card's architecture, e.g. ``baseline``.
    """
    title = ARCHITECTURE_TITLES.get(architecture, name)
    if name not in (*ARCHITECTURE_TITLES, title):
        title = f"{title} ({name})"
    return title


def card_path(weights: Path) -> Path:
    """Returns the model card path for a ``.keras`` file."""
    return Path(weights).with_suffix(".json")


def history_path(weights: Path) -> Path:
    """Returns the training-history path for a ``.keras`` file."""
    return Path(weights).with_suffix(".history.json")


def report_path(weights: Path) -> Path:
    """Returns the evaluation-report path for a ``.keras`` file."""
    return Path(weights).with_suffix(".report.json")


def file_sha256(path: Path) -> str:
    """Returns the sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json(path: Path) -> dict:
    """Reads a JSON file."""
    return json.loads(Path(path).read_text())


def write_json(path: Path, data: dict) -> None:
    """Writes a JSON file atomically (a reader never sees half a file)."""
    path = Path(path)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(data, indent=1) + "\n")
    temporary.replace(path)


# The threshold of a card without a fitted one: the top class must have half the mass.
DEFAULT_THRESHOLD = 0.5
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")


class CardError(ValueError):
    """A model card that is not valid JSON of the shape ``model.train`` writes."""


def frozen(value: Any) -> Any:
    """A read-only copy of JSON data: objects as mapping proxies, arrays as tuples."""
    if isinstance(value, Mapping):
        return types.MappingProxyType({key: frozen(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(frozen(item) for item in value)
    return value


def thawed(value: Any) -> Any:
    """The JSON data of a ``frozen`` value: dicts and lists again."""
    if isinstance(value, Mapping):
        return {key: thawed(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thawed(item) for item in value]
    return value


def _kind(value: Any) -> str:
    """The JSON name of a value's type, for error messages."""
    names = {bool: "true/false", int: "a number", float: "a number", str: "a string"}
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return names.get(type(value), type(value).__name__)


def _require(condition: bool, key: str, wanted: str, value: Any) -> None:
    """Raises a CardError naming the key, what it must be and what it is."""
    if not condition:
        raise CardError(f"'{key}' must be {wanted}, not {_kind(value)} ({value!r:.60}).")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, kw_only=True)
class ModelCard:
    """What ``model.train`` records about a model, read by every consumer.

    Fields are in the order the card's JSON keeps them. Optional fields are None
    when the card lacks the key (older cards, or a card before calibration);
    ``to_json`` leaves them out. Nested sections are read-only mappings with the
    JSON's keys (their shape is documented where they are written).

    Attributes:
        name: The model's name; ``<name>.keras`` is its weights file.
        architecture: ``model.architectures`` name, e.g. ``resnet50``.
        classes: Class names in the order of the model's outputs.
        input_size: Square input size in pixels.
        input_view: What the model sees of an image (``config.INPUT_VIEWS``).
        input: The input contract in words.
        preprocessing_in_model: What the model's own first layers do to the input.
        output: The output contract in words.
        initial_weights: ``none`` or ``imagenet``.
        initial_weights_note: How the weights began, in words.
        continued_from: With ``--init-from``: the model this run continued.
        gradcam_layer: The layer the Grad-CAM heatmap is computed on.
        temperature: Calibration temperature (``model.calibration``).
        calibration: Calibration numbers before and after scaling, on validation.
        low_confidence_threshold: Below this calibrated top probability the app
            names no class.
        low_confidence: What the threshold reaches on validation.
        ood_gate: The out-of-distribution gate: its file's ``sha256``, its
            ``threshold``, the scored ``layer`` and how it was fitted (``model.gate``).
        training_config: Every ``model.train.TrainConfig`` setting of the run.
        precision: The dtype policy training ran in.
        data: Which images trained and validated the model.
        licence: What the training data allows the weights to be used for.
        recipe: The training recipe in one sentence.
        batchnorm_recalibration: How the batch-norm statistics were recomputed.
        validation: Validation accuracy, macro-F1 and image count.
        epochs_run: Epochs trained, those of a continued model included.
        wall_time_seconds: Training time, that of a continued model included.
        machine: CPU, cores and library versions of the training machine.
        keras_sha256: sha256 of the ``.keras`` file: loading checks it.
        keras_bytes: Size of the ``.keras`` file.
        metrics: Headline numbers per evaluated split (``model.evaluate``).
    """

    name: str
    architecture: str
    classes: tuple[str, ...] = CLASS_NAMES
    input_size: int
    input_view: str = DEFAULT_VIEW
    input: str | None = None
    preprocessing_in_model: str | None = None
    output: str | None = None
    initial_weights: str | None = None
    initial_weights_note: str | None = None
    continued_from: Mapping[str, Any] | None = None
    gradcam_layer: str
    temperature: float | None = None
    calibration: Mapping[str, Any] | None = None
    low_confidence_threshold: float | None = None
    low_confidence: Mapping[str, Any] | None = None
    ood_gate: Mapping[str, Any] | None = None
    training_config: Mapping[str, Any] | None = None
    precision: str | None = None
    data: Mapping[str, Any] | None = None
    licence: str | None = None
    recipe: str | None = None
    batchnorm_recalibration: Mapping[str, Any] | None = None
    validation: Mapping[str, Any] | None = None
    epochs_run: int | None = None
    wall_time_seconds: float | None = None
    machine: Mapping[str, Any] | None = None
    keras_sha256: str
    keras_bytes: int | None = None
    metrics: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        """Makes the card read-only throughout and checks every field.

        Raises:
            CardError: For a field of the wrong type or out of range.
        """
        for item in dataclasses.fields(self):
            object.__setattr__(self, item.name, frozen(getattr(self, item.name)))
        self._check_texts()
        self._check_numbers()
        self._check_sections()

    def _check_texts(self) -> None:
        for key in ("name", "architecture", "gradcam_layer"):
            value = getattr(self, key)
            _require(isinstance(value, str) and value != "", key, "a non-empty string", value)
        for key in (
            "input", "preprocessing_in_model", "output", "initial_weights",
            "initial_weights_note", "precision", "licence", "recipe",
        ):  # fmt: skip
            value = getattr(self, key)
            _require(value is None or isinstance(value, str), key, "a string", value)
        classes = self.classes
        _require(
            isinstance(classes, tuple)
            and len(classes) >= 2
            and all(isinstance(name, str) and name for name in classes)
            and len(set(classes)) == len(classes),
            "classes",
            "an array of at least two different class names",
            classes,
        )
        views = " or ".join(INPUT_VIEWS)
        _require(self.input_view in INPUT_VIEWS, "input_view", views, self.input_view)
        sha256 = self.keras_sha256
        _require(
            isinstance(sha256, str) and SHA256_PATTERN.fullmatch(sha256) is not None,
            "keras_sha256",
            "64 lower-case hexadecimal digits",
            sha256,
        )

    def _check_numbers(self) -> None:
        size = self.input_size
        _require(
            isinstance(size, int) and not isinstance(size, bool) and size > 0,
            "input_size",
            "a whole number of pixels above 0",
            size,
        )
        temperature = self.temperature
        _require(
            temperature is None or (_is_number(temperature) and temperature > 0),
            "temperature",
            "a number above 0",
            temperature,
        )
        threshold = self.low_confidence_threshold
        _require(
            threshold is None or (_is_number(threshold) and 0 <= threshold <= 1),
            "low_confidence_threshold",
            "a number from 0 to 1",
            threshold,
        )
        for key in ("epochs_run", "keras_bytes"):
            value = getattr(self, key)
            whole = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            _require(value is None or whole, key, "a whole number", value)
        seconds = self.wall_time_seconds
        _require(seconds is None or _is_number(seconds), "wall_time_seconds", "a number", seconds)

    def _check_sections(self) -> None:
        for key in (
            "continued_from", "calibration", "low_confidence", "ood_gate", "training_config",
            "data", "batchnorm_recalibration", "validation", "machine", "metrics",
        ):  # fmt: skip
            value = getattr(self, key)
            _require(value is None or isinstance(value, Mapping), key, "an object", value)
        if self.ood_gate is not None:
            sha256 = self.ood_gate.get("sha256")
            threshold = self.ood_gate.get("threshold")
            _require(isinstance(sha256, str), "ood_gate.sha256", "a string", sha256)
            _require(_is_number(threshold), "ood_gate.threshold", "a number", threshold)

    @classmethod
    def from_json(cls, data: Any) -> "ModelCard":
        """Reads a card from its parsed JSON object.

        Args:
            data: The card's JSON, parsed (``json.loads`` of a ``<name>.json`` file).

        Raises:
            CardError: If the JSON is not an object, lacks a required key, has an
                unknown key or a value of the wrong type or range.
        """
        if not isinstance(data, Mapping):
            raise CardError(f"A model card must be a JSON object, not {_kind(data)}.")
        fields = dataclasses.fields(cls)
        known = {item.name for item in fields}
        unknown = [key for key in data if key not in known]
        if unknown:
            raise CardError(f"Unknown key {unknown[0]!r} in the model card.")
        required = [
            item.name
            for item in fields
            if item.default is dataclasses.MISSING and item.name not in data
        ]
        if required:
            raise CardError(f"The model card lacks the required key {required[0]!r}.")
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        """The card as a JSON object (plain dicts and lists), without the unset fields."""
        return {
            item.name: thawed(getattr(self, item.name))
            for item in dataclasses.fields(self)
            if getattr(self, item.name) is not None
        }

    def __reduce__(self) -> tuple:
        """Pickles the card as its JSON (mapping proxies cannot be pickled), e.g. for caches."""
        return (ModelCard.from_json, (self.to_json(),))

    @property
    def answer_threshold(self) -> float:
        """The threshold the app applies: ``DEFAULT_THRESHOLD`` for a card without one."""
        threshold = self.low_confidence_threshold
        return DEFAULT_THRESHOLD if threshold is None else float(threshold)

    @property
    def scaling_temperature(self) -> float:
        """The temperature the app applies: 1.0 (no change) for an uncalibrated card."""
        return 1.0 if self.temperature is None else float(self.temperature)

    @property
    def gate_layer(self) -> str:
        """The layer the gate scores; cards before the choice was stored used Grad-CAM's."""
        return (self.ood_gate or {}).get("layer", self.gradcam_layer)

    @property
    def title(self) -> str:
        """Human-readable model name, e.g. ``ResNet50`` (``model_title``)."""
        return model_title(self.name, self.architecture)


def read_card(weights: Path) -> ModelCard:
    """Reads the model card beside a ``.keras`` file.

    Raises:
        FileNotFoundError: If there is no card.
        CardError: If the card is malformed; the message names the file.
    """
    path = card_path(weights)
    try:
        return ModelCard.from_json(json.loads(path.read_text()))
    except json.JSONDecodeError as error:
        raise CardError(f"{path.name} is not valid JSON: {error}") from error
    except CardError as error:
        raise CardError(f"{path.name}: {error}") from error


def write_card(weights: Path, card: ModelCard) -> None:
    """Writes the model card beside a ``.keras`` file (atomically)."""
    write_json(card_path(weights), card.to_json())
