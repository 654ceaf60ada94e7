"""The training / validation split, the same in training and in later checks.

The split is carved from the deduplicated Training images only (see
``model.dedup``): images with a near-copy in Testing are gone and each group of
near-duplicates is one image, so no validation image has a near-copy in
training. It is stratified by class and fixed by the seed.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from model import config
from model.data import ImageList, list_images
from model.dedup import DuplicateReport, cached_duplicates


@dataclass
class TrainingSplit:
    """Deduplicated Training images and the indices of each part.

    Attributes:
        pool: The Training images kept after deduplication.
        train: Indices into ``pool`` used for fitting, sorted.
        validation: Indices into ``pool`` held out, sorted.
        duplicates: The duplicate report the pool comes from.
    """

    pool: ImageList
    train: np.ndarray
    validation: np.ndarray
    duplicates: DuplicateReport


def training_split(data_dir: Path, val_fraction: float, seed: int) -> TrainingSplit:
    """Returns the deduplicated, stratified training / validation split."""
    duplicates = cached_duplicates(data_dir)
    all_train = list_images(Path(data_dir) / config.TRAIN_SPLIT)
    kept = set(duplicates.train_kept)
    pool = all_train.subset(np.array([path in kept for path in all_train.paths]))
    train, validation = train_test_split(
        np.arange(len(pool)), test_size=val_fraction, stratify=pool.labels, random_state=seed
    )
    return TrainingSplit(pool, np.sort(train), np.sort(validation), duplicates)
