"""The training / validation split, the same in training and in later checks.

Kaggle: the split is carved from the Training images with each group of
near-duplicates inside Training collapsed to one image (see ``model.dedup``), so
no validation image has a near-copy in training. By default every group is kept,
also those with a near-copy in Testing: the leak-free Testing subset stays clean
whatever training sees. ``drop_test_leaks`` restores the older rule (drop every
group that touches Testing) for a clean official-split number.

Radiopaedia (optional second source): only the manifest's ``train`` role is
read, and its validation part is carved by case group, so no case has slices on
both sides. Both parts are stratified by class and fixed by the seed.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, train_test_split

from model import config
from model.cards import ModelCard
from model.data import ImageList, list_images, load_arrays
from model.dedup import DuplicateReport, cached_duplicates
from model.sources import CaseImages, case_images


@dataclass
class SourcePart:
    """One source's images and the indices of its training and validation parts."""

    name: str
    images: ImageList
    train: np.ndarray
    validation: np.ndarray
    case_groups: tuple[str, ...] = ()


@dataclass
class TrainingSplit:
    """Training images of every source and the indices of each part.

    Attributes:
        pool: The Kaggle Training images kept (near-duplicate groups collapsed).
        train: Indices into ``pool`` used for fitting, sorted.
        validation: Indices into ``pool`` held out, sorted.
        duplicates: The duplicate report the pool comes from.
        extra: Further sources (Radiopaedia), each with its own parts.
    """

    pool: ImageList
    train: np.ndarray
    validation: np.ndarray
    duplicates: DuplicateReport
    extra: list[SourcePart] = field(default_factory=list)

    def parts(self) -> list[SourcePart]:
        """Every source as a ``SourcePart``, Kaggle first."""
        return [SourcePart("kaggle", self.pool, self.train, self.validation), *self.extra]

    def counts(self) -> dict:
        """Images per source and part, for the model card."""
        return {
            part.name: {
                "train": int(len(part.train)),
                "validation": int(len(part.validation)),
                "train_by_class": _class_counts(part.images.labels[part.train]),
            }
            for part in self.parts()
        }


def _class_counts(labels: np.ndarray) -> dict[str, int]:
    counts = np.bincount(labels, minlength=len(config.CLASS_NAMES))
    return {name: int(n) for name, n in zip(config.CLASS_NAMES, counts) if n}


def kaggle_pool(
    all_train: ImageList, duplicates: DuplicateReport, drop_test_leaks: bool
) -> ImageList:
    """The Training images a model may learn from: one per near-duplicate group.

    Args:
        all_train: Every image of the Training folder.
        duplicates: The dedup report of the dataset.
        drop_test_leaks: Also drop every group with a near-copy in Testing.
    """
    if drop_test_leaks:
        kept = set(duplicates.train_kept)
        return all_train.subset(np.array([path in kept for path in all_train.paths]))
    # Groups list their members in sorted path order: keep the first of each.
    dropped = {path for group in duplicates.train_groups for path in sorted(group)[1:]}
    return all_train.subset(np.array([path not in dropped for path in all_train.paths]))


def case_split(cases: CaseImages, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Splits images by case group, stratified by class, about ``val_fraction`` held out."""
    folds = max(2, round(1 / val_fraction))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    labels = cases.images.labels
    train, validation = next(splitter.split(np.zeros(len(labels)), labels, cases.case_groups))
    return np.sort(train), np.sort(validation)


def training_split(
    data_dir: Path,
    val_fraction: float,
    seed: int,
    radiopaedia_dir: Path | None = None,
    drop_test_leaks: bool = False,
) -> TrainingSplit:
    """Returns the deduplicated, stratified training / validation split of every source.

    Args:
        data_dir: The Kaggle folder holding Training/ and Testing/.
        val_fraction: Share of each source held out for validation.
        seed: Fixes both splits.
        radiopaedia_dir: A Radiopaedia folder with manifest.csv, or None for Kaggle only.
        drop_test_leaks: See ``kaggle_pool``.
    """
    duplicates = cached_duplicates(data_dir)
    all_train = list_images(Path(data_dir) / config.TRAIN_SPLIT)
    pool = kaggle_pool(all_train, duplicates, drop_test_leaks)
    train, validation = train_test_split(
        np.arange(len(pool)), test_size=val_fraction, stratify=pool.labels, random_state=seed
    )
    split = TrainingSplit(pool, np.sort(train), np.sort(validation), duplicates)
    if radiopaedia_dir is not None:
        cases = case_images(radiopaedia_dir, "train")
        part_train, part_validation = case_split(cases, val_fraction, seed)
        split.extra.append(
            SourcePart("radiopaedia", cases.images, part_train, part_validation, cases.case_groups)
        )
    return split


@dataclass
class SplitArrays:
    """Decoded images of every source, concatenated, Kaggle first.

    Attributes:
        images: uint8 (N, size, size, 3).
        labels: (N,) class indices.
        sources: (N,) index of each image's source in ``names``.
        names: Source names.
        paths: Each image's path relative to its source's folder.
        train: Indices of the training images, sorted.
        validation: Indices of the validation images, sorted.
    """

    images: np.ndarray
    labels: np.ndarray
    sources: np.ndarray
    names: tuple[str, ...]
    paths: tuple[str, ...]
    train: np.ndarray
    validation: np.ndarray


def load_split(split: TrainingSplit, size: int, view: str) -> SplitArrays:
    """Decodes every source's images at ``size`` (cached on disk) and concatenates them."""
    arrays, labels, sources, paths, train, validation = [], [], [], [], [], []
    offset = 0
    for index, part in enumerate(split.parts()):
        key = split.duplicates.data_sha256 if part.name == "kaggle" else f"{part.name}-src"
        arrays.append(load_arrays(part.images, size, cache_key=key, view=view))
        labels.append(part.images.labels)
        sources.append(np.full(len(part.images), index))
        paths.extend(part.images.paths)
        train.append(part.train + offset)
        validation.append(part.validation + offset)
        offset += len(part.images)
    return SplitArrays(
        images=np.concatenate(arrays),
        labels=np.concatenate(labels),
        sources=np.concatenate(sources),
        names=tuple(part.name for part in split.parts()),
        paths=tuple(paths),
        train=np.concatenate(train),
        validation=np.concatenate(validation),
    )


def split_from_card(card: ModelCard, data_dir: Path) -> TrainingSplit:
    """Rebuilds the training / validation split a model card's run used.

    Raises:
        ValueError: If the card lacks the split settings.
    """
    settings = card.training_config or {}
    if "val_fraction" not in settings or "seed" not in settings:
        raise ValueError(
            "The model card has no training_config with val_fraction and seed, so its "
            "validation split cannot be rebuilt; retrain the model with `python -m model.train`."
        )
    sources = settings.get("sources", "kaggle")
    radiopaedia = settings.get("radiopaedia") if "radiopaedia" in sources else None
    # Cards written before the keep-all rule dropped every group touching Testing.
    drop_test_leaks = settings.get("drop_test_leaks", "sources" not in settings)
    return training_split(
        data_dir,
        settings["val_fraction"],
        settings["seed"],
        radiopaedia_dir=Path(radiopaedia) if radiopaedia else None,
        drop_test_leaks=drop_test_leaks,
    )
