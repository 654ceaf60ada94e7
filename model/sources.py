"""The training sources besides the Kaggle folder: Radiopaedia cases with a manifest.

Layout of a Radiopaedia folder (``../shared/data/external-radiopaedia-dev``):
class subfolders of images plus ``manifest.csv`` with the columns ``file``
(relative to the folder), ``class``, ``sequence``, ``case_group`` and ``role``.
``role`` splits the cases: ``train`` may be fitted, validated and calibrated on;
``eval`` is for evaluation only and is never read by training.
"""

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model import config
from model.data import ImageList

MANIFEST = "manifest.csv"
REQUIRED_COLUMNS = ("file", "class", "case_group", "role")
TRAIN_ROLE, EVAL_ROLE = "train", "eval"
ROLES = (TRAIN_ROLE, EVAL_ROLE)
KAGGLE, RADIOPAEDIA = "kaggle", "radiopaedia"
SOURCES = (KAGGLE, RADIOPAEDIA)
RADIOPAEDIA_ENV_VAR = "BRAIN_MRI_RADIOPAEDIA"
DEFAULT_RADIOPAEDIA_DIR = (
    config.PROJECT_ROOT.parent / "shared" / "data" / "external-radiopaedia-dev"
)
# How the report names the Radiopaedia splits.
EVAL_SPLIT = "radiopaedia_eval"


def default_radiopaedia_dir() -> Path:
    """Returns $BRAIN_MRI_RADIOPAEDIA if set, else the shared developers' half."""
    return Path(os.environ.get(RADIOPAEDIA_ENV_VAR, DEFAULT_RADIOPAEDIA_DIR))


@dataclass(frozen=True)
class CaseImages:
    """Images of one role of a manifest folder, with the case group of each."""

    images: ImageList
    case_groups: tuple[str, ...]
    sequences: tuple[str, ...]


def read_manifest(root: Path) -> list[dict]:
    """Reads ``manifest.csv`` and checks its columns and files.

    Raises:
        FileNotFoundError: If the manifest or a file it names is missing.
        ValueError: If a column is missing or a class or role is unknown.
    """
    manifest = Path(root) / MANIFEST
    if not manifest.is_file():
        raise FileNotFoundError(
            f"{manifest} is missing. A Radiopaedia folder needs a manifest.csv with the "
            f"columns {', '.join(REQUIRED_COLUMNS)}; pass the folder with --radiopaedia."
        )
    with open(manifest, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{manifest} lacks the column(s) {', '.join(missing)}.")
        rows = list(reader)
    for number, row in enumerate(rows, start=2):
        if row["class"] not in config.CLASS_NAMES:
            raise ValueError(f"{manifest} line {number}: unknown class {row['class']!r}.")
        if row["role"] not in ROLES:
            raise ValueError(
                f"{manifest} line {number}: role must be one of {', '.join(ROLES)}, "
                f"not {row['role']!r}."
            )
        if not (Path(root) / row["file"]).is_file():
            raise FileNotFoundError(
                f"{manifest} line {number} names {row['file']}, which is not in {root}. "
                "Restore the file or remove its row."
            )
    return rows


def case_images(root: Path, role: str) -> CaseImages:
    """Returns the images of one role, sorted by path, with their case groups.

    Args:
        root: A folder with ``manifest.csv``.
        role: ``train`` or ``eval``.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}.")
    rows = sorted((r for r in read_manifest(root) if r["role"] == role), key=lambda r: r["file"])
    if not rows:
        raise ValueError(f"{Path(root) / MANIFEST} has no image with role {role!r}.")
    labels = np.asarray([config.CLASS_NAMES.index(r["class"]) for r in rows], dtype=np.int64)
    return CaseImages(
        images=ImageList(Path(root), tuple(r["file"] for r in rows), labels),
        case_groups=tuple(r["case_group"] for r in rows),
        sequences=tuple(r.get("sequence", "unknown") for r in rows),
    )


def parse_sources(text: str) -> tuple[str, ...]:
    """Turns ``kaggle,radiopaedia`` into a tuple, checking each name."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in SOURCES]
    if not names or unknown:
        raise ValueError(
            f"--sources takes a comma-separated list of {', '.join(SOURCES)}, not {text!r}."
        )
    if "kaggle" not in names:
        raise ValueError("--sources must include kaggle (it holds the pituitary class).")
    return names
