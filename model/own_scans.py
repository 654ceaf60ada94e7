r"""Test a model on your own labelled scans: reading them safely, and scoring them.

Usage (the same computation as the app's "Test on your scans" page):
    python -m model.own_scans --weights model/weights/resnet50.keras --data DIR

``DIR`` (or an uploaded ZIP) holds one folder per class; folder names are
matched case-insensitively with common spellings ("no_tumor", "normal",
"Pituitary tumour", ...). Or: several files plus a CSV of file name and class.
Every scan goes through the app's one analysis path (decoding, preprocessing,
the out-of-distribution gate and the abstention threshold), and the figures
come from ``model.metrics.classification_metrics``, the function
``model.evaluate`` uses, so both give the same numbers on the same folder.
"""

import argparse
import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from model import config
from model.decision import CONFIDENT, UNLIKE_TRAINING, UNSURE, Decision
from model.metrics import classification_metrics

# Folder or CSV class names, normalised (lower case, "-" and " " as "_"), per class.
SYNONYMS = {
    "glioma": ("glioma", "gliomas", "glioma_tumor", "glioma_tumour", "glioblastoma", "gbm"),
    "meningioma": ("meningioma", "meningiomas", "meningioma_tumor", "meningioma_tumour"),
    "notumor": (
        "notumor", "notumour", "no_tumor", "no_tumour", "normal", "healthy", "none",
        "negative", "no",
    ),
    "pituitary": (
        "pituitary", "pituitary_tumor", "pituitary_tumour", "pituitary_adenoma", "adenoma",
    ),
}  # fmt: skip
CLASS_BY_NAME = {synonym: name for name, synonyms in SYNONYMS.items() for synonym in synonyms}
ARCHIVE_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar")
SYSTEM_PARTS = ("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini")


@dataclass(frozen=True)
class Limits:
    """What one run may hold, so that an upload cannot take the server down."""

    max_images: int = 300
    max_total_bytes: int = 200 * 1024 * 1024  # uncompressed, all files together
    max_file_bytes: int = 25 * 1024 * 1024
    max_compression_ratio: int = 100  # a larger ratio is the mark of a ZIP bomb


MAX_IMAGES_ENV_VAR = "BRAIN_MRI_OWN_SCANS_MAX_IMAGES"
MAX_MEGABYTES_ENV_VAR = "BRAIN_MRI_OWN_SCANS_MAX_MB"


def configured_limits() -> Limits:
    """The limits of a run: the defaults, or $BRAIN_MRI_OWN_SCANS_MAX_IMAGES and _MAX_MB."""
    import os

    defaults = Limits()
    return Limits(
        max_images=int(os.environ.get(MAX_IMAGES_ENV_VAR, defaults.max_images)),
        max_total_bytes=int(
            os.environ.get(MAX_MEGABYTES_ENV_VAR, defaults.max_total_bytes // 2**20)
        )
        * 2**20,
    )


class OwnScansError(ValueError):
    """An archive or CSV refused as a whole, with the reason in plain words."""


@dataclass
class ScanSet:
    """Labelled scans ready to score, and what was left out."""

    names: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    data: list[bytes] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    unknown_folders: list[str] = field(default_factory=list)

    def add(self, name: str, label: int, data: bytes) -> None:
        """Adds one labelled scan."""
        self.names.append(name)
        self.labels.append(label)
        self.data.append(data)

    def counts(self) -> dict[str, int]:
        """Scans per class name, every class listed."""
        counts = np.bincount(np.asarray(self.labels, int), minlength=len(config.CLASS_NAMES))
        return {name: int(n) for name, n in zip(config.CLASS_NAMES, counts)}


def class_of(name: str) -> int | None:
    """The class index a folder or CSV name means, or None when it means none."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    found = CLASS_BY_NAME.get(key)
    return None if found is None else config.CLASS_NAMES.index(found)


def _check_entry(info: zipfile.ZipInfo, limits: Limits) -> None:
    """Refuses the whole archive for a dangerous entry."""
    path = PurePosixPath(info.filename.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or ":" in info.filename:
        raise OwnScansError(f"The ZIP was refused: {info.filename!r} points outside the archive.")
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        raise OwnScansError(f"The ZIP was refused: {info.filename!r} is a symbolic link.")
    if info.filename.lower().endswith(ARCHIVE_SUFFIXES):
        raise OwnScansError(
            f"The ZIP was refused: it holds another archive ({info.filename!r}). Unpack it "
            "and put the images in class folders."
        )
    if info.compress_size and info.file_size / info.compress_size > limits.max_compression_ratio:
        ratio = info.file_size // info.compress_size
        raise OwnScansError(
            f"The ZIP was refused: {info.filename!r} expands {ratio} times, the mark of a ZIP bomb."
        )


def read_zip(data: bytes, limits: Limits = Limits()) -> ScanSet:
    """Reads a ZIP of class folders (the folder holding each file names its class).

    Raises:
        OwnScansError: For an archive refused as a whole (not a ZIP, too large, too
            many images, a ZIP bomb, a nested archive, a symbolic link or a path
            that leaves the archive).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise OwnScansError("This file is not a ZIP archive we can read.") from error
    for info in entries:
        _check_entry(info, limits)
    if sum(info.file_size for info in entries) > limits.max_total_bytes:
        raise OwnScansError(
            f"The ZIP expands to more than {limits.max_total_bytes // 2**20} MB; "
            "split it into smaller runs."
        )
    found = ScanSet()
    for info in sorted(entries, key=lambda i: i.filename):
        path = PurePosixPath(info.filename)
        if any(part in SYSTEM_PARTS or part.startswith(".") for part in path.parts):
            continue  # operating-system files, not scans
        label = class_of(path.parent.name) if path.parent.name else None
        if label is None:
            folder = path.parent.name or "(top level)"
            if folder not in found.unknown_folders:
                found.unknown_folders.append(folder)
            found.skipped.append((info.filename, f"folder {folder!r} is not a class we know"))
            continue
        if info.file_size > limits.max_file_bytes:
            found.skipped.append((info.filename, "larger than one scan may be"))
            continue
        if len(found.names) >= limits.max_images:
            raise OwnScansError(
                f"The ZIP holds more than {limits.max_images} images; one run takes at most "
                f"{limits.max_images}."
            )
        with archive.open(info) as handle:
            content = handle.read(limits.max_file_bytes + 1)  # headers may lie about size
        found.add(info.filename, label, content)
    return found


def read_files_with_csv(
    files: list[tuple[str, bytes]], table: bytes, limits: Limits = Limits()
) -> ScanSet:
    """Matches uploaded files to a CSV of ``file`` and ``class`` columns.

    Raises:
        OwnScansError: If the CSV cannot be read or lacks a column, or the files
            exceed the limits.
    """
    try:
        rows = list(csv.DictReader(io.StringIO(table.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as error:
        raise OwnScansError("The CSV could not be read; save it as UTF-8 text.") from error
    columns = {key.strip().lower(): key for key in (rows[0].keys() if rows else [])}
    if "file" not in columns or "class" not in columns:
        raise OwnScansError("The CSV needs two columns named 'file' and 'class'.")
    if len(files) > limits.max_images:
        raise OwnScansError(f"One run takes at most {limits.max_images} images.")
    if sum(len(data) for _, data in files) > limits.max_total_bytes:
        raise OwnScansError(f"One run takes at most {limits.max_total_bytes // 2**20} MB.")
    labels = {Path(row[columns["file"]].strip()).name: row[columns["class"]] for row in rows}
    found = ScanSet()
    uploaded = set()
    for name, data in files:
        uploaded.add(name)
        if name not in labels:
            found.skipped.append((name, "not listed in the CSV"))
            continue
        label = class_of(labels[name])
        if label is None:
            found.skipped.append((name, f"class {labels[name]!r} is not one we know"))
            continue
        found.add(name, label, data)
    found.skipped += [
        (name, "listed in the CSV but not uploaded") for name in labels if name not in uploaded
    ]
    return found


def read_folder(folder: Path, limits: Limits = Limits()) -> ScanSet:
    """Reads a folder of class folders from disk, with the rules of ``read_zip``."""
    found = ScanSet()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        if any(part.startswith(".") or part in SYSTEM_PARTS for part in relative.parts):
            continue
        label = class_of(path.parent.name) if path.parent != Path(folder) else None
        if label is None:
            found.skipped.append((str(relative), "not in a class folder"))
            continue
        found.add(str(relative), label, path.read_bytes())
    if len(found.names) > limits.max_images:
        raise OwnScansError(f"The folder holds more than {limits.max_images} images.")
    return found


@dataclass
class ScanRow:
    """One scored scan.

    Attributes:
        file: Its name in the upload.
        truth: The class index its folder or CSV row gives.
        predicted: The most probable class index; None when it could not be read.
        probabilities: The model's uncalibrated probabilities, rounded.
        confident: Whether the top calibrated probability reaches the threshold.
        decision: What the app states about it (``model.decision``).
        error: Why it could not be read, or None.
    """

    file: str
    truth: int
    predicted: int | None = None
    probabilities: list[float] | None = None
    confident: bool = False
    decision: Decision | None = None
    error: str | None = None

    @property
    def flagged(self) -> bool:
        """Whether it was stopped as unlike the training scans (gate or colour)."""
        return self.decision is not None and self.decision.reason == UNLIKE_TRAINING


@dataclass
class OwnResult:
    """Figures of one model on a scan set."""

    rows: list[ScanRow]
    metrics: dict | None  # classification_metrics of the scans that could be read
    answered: int  # confident and not flagged: a class is named
    abstained: int  # below the threshold
    flagged: int  # stopped by the out-of-distribution gate or the colour check
    unreadable: int


def score(
    classifier,
    scans: ScanSet,
    on_progress: Callable[[int, int], None] | None = None,
) -> OwnResult:
    """Runs every scan through the app's analysis path and computes the figures.

    Args:
        classifier: A ``model.inference.Classifier``.
        scans: The labelled scans.
        on_progress: Called with (done, total) after each scan.
    """
    from model.analysis import analyse_bytes
    from model.explain import DEFAULT_METHOD
    from model.inputs import InputError

    rows = []
    for index, (name, label, data) in enumerate(zip(scans.names, scans.labels, scans.data)):
        row = ScanRow(name, label)
        try:
            scan = analyse_bytes(classifier, data, DEFAULT_METHOD)
        except InputError as error:
            row.error = str(error)
        else:
            row.predicted = scan.analysis.predicted
            row.probabilities = [round(float(p), 5) for p in scan.analysis.uncalibrated]
            row.confident = scan.analysis.confident
            row.decision = scan.decision
        rows.append(row)
        if on_progress is not None:
            on_progress(index + 1, len(scans.names))
    read = [row for row in rows if row.error is None]
    metrics = (
        classification_metrics(
            np.asarray([row.probabilities for row in read], np.float32),
            np.asarray([row.truth for row in read]),
        )
        if read
        else None
    )
    reasons = [row.decision.reason for row in read]
    return OwnResult(
        rows=rows,
        metrics=metrics,
        answered=reasons.count(CONFIDENT),
        abstained=reasons.count(UNSURE),
        flagged=reasons.count(UNLIKE_TRAINING),
        unreadable=len(rows) - len(read),
    )


def rows_csv(result: OwnResult, class_names: tuple[str, ...]) -> bytes:
    """One CSV row per scan: truth, prediction, whether right, flags, probabilities."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["file", "true class", "predicted", "right", "confident", "unlike training scans",
         "error", *class_names]
    )  # fmt: skip
    for row in result.rows:
        predicted = "" if row.predicted is None else class_names[row.predicted]
        writer.writerow(
            [
                row.file,
                class_names[row.truth],
                predicted,
                "" if row.predicted is None else row.predicted == row.truth,
                row.confident,
                row.flagged,
                row.error or "",
                *(row.probabilities or [""] * len(class_names)),
            ]
        )
    return buffer.getvalue().encode()


def main(argv: list[str] | None = None) -> None:
    """Command line: score a folder of class folders with one model, as the app does."""
    from model.cards import card_path
    from model.inference import Classifier
    from model.registry import entry_for

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, required=True, help="a .keras file with its card")
    parser.add_argument("--data", type=Path, required=True, help="a folder of class folders")
    args = parser.parse_args(argv)
    if not card_path(args.weights).is_file():
        parser.error(f"{args.weights} has no model card beside it.")
    try:
        scans = read_folder(args.data)
    except OwnScansError as error:
        parser.error(str(error))
    entry = entry_for(args.weights)
    result = score(Classifier(entry), scans)
    metrics = result.metrics or {}
    print(
        f"{len(result.rows)} scans: accuracy {metrics.get('accuracy', float('nan')):.4f}, "
        f"answered {result.answered}, abstained {result.abstained}, flagged {result.flagged}, "
        f"unreadable {result.unreadable}"
    )


if __name__ == "__main__":
    main()
