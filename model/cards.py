"""Where a model's files live and how they are read and written.

For ``model/weights/<name>.keras`` the project keeps, beside it:
``<name>.json`` (model card), ``<name>.history.json`` (per-epoch metrics) and
``<name>.report.json`` (evaluation).
"""

import hashlib
import json
from pathlib import Path

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


def input_view(card: dict) -> str:
    """What the model sees of an image (``preprocessing.INPUT_VIEWS``); "full" for older cards."""
    return card.get("input_view", "full")


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
