"""Reading a dataset folder in the Kaggle layout into arrays.

Layout: ``<root>/<split>/<class>/<image>``, for example
``Training/glioma/Tr-gl_0001.jpg``. A folder may hold only some of the four
classes (an external set without pituitary, say).
"""

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model import config
from model.config import DEFAULT_VIEW
from model.preprocessing import load_model_input

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageList:
    """Image files of one split with their labels.

    Attributes:
        root: The folder the relative paths start from.
        paths: Paths relative to ``root``, sorted, e.g. ``glioma/x.jpg``.
        labels: Class index of each path, in ``config.CLASS_NAMES`` order.
    """

    root: Path
    paths: tuple[str, ...]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.paths)

    def subset(self, keep: np.ndarray) -> "ImageList":
        """Returns the images whose entry in the boolean mask ``keep`` is true."""
        keep = np.asarray(keep, dtype=bool)
        paths = tuple(p for p, k in zip(self.paths, keep) if k)
        return ImageList(self.root, paths, self.labels[keep])

    def class_counts(self) -> dict[str, int]:
        """Returns the number of images per class name."""
        counts = np.bincount(self.labels, minlength=len(config.CLASS_NAMES))
        return {name: int(n) for name, n in zip(config.CLASS_NAMES, counts)}


def list_images(split_dir: Path) -> ImageList:
    """Lists the images of a folder of class subfolders.

    Args:
        split_dir: A folder such as ``Training/`` holding one subfolder per class.

    Returns:
        The sorted image list. Subfolders that are not a known class are ignored.

    Raises:
        FileNotFoundError: If the folder does not exist or holds no class folder.
    """
    split_dir = Path(split_dir)
    if not split_dir.is_dir():
        raise FileNotFoundError(
            f"{split_dir} is not a folder. Pass --data with the dataset folder "
            f"(holding Training/ and Testing/) or set ${config.DATA_ENV_VAR}."
        )
    paths, labels = [], []
    for index, name in enumerate(config.CLASS_NAMES):
        class_dir = split_dir / name
        if not class_dir.is_dir():
            continue
        for file in sorted(class_dir.iterdir()):
            if file.suffix.lower() in config.IMAGE_SUFFIXES:
                paths.append(f"{name}/{file.name}")
                labels.append(index)
    if not paths:
        raise FileNotFoundError(
            f"{split_dir} holds no images in class folders named {', '.join(config.CLASS_NAMES)}."
        )
    return ImageList(split_dir, tuple(paths), np.asarray(labels, dtype=np.int64))


def folder_sha256(root: Path) -> str:
    """Returns the sha256 over all image bytes under ``root``, files in sorted path order."""
    digest = hashlib.sha256()
    files = sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in config.IMAGE_SUFFIXES)
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def load_arrays(
    images: ImageList, size: int, cache_key: str | None = None, view: str = DEFAULT_VIEW
) -> np.ndarray:
    """Decodes and resizes every image once, with an optional on-disk cache.

    Args:
        images: The images to load.
        size: The model's input size.
        cache_key: If given, the array is cached under ``config.cache_dir()``
            with this key, so later runs do not decode the JPEGs again.
        view: What the model sees of each image (``preprocessing.INPUT_VIEWS``).

    Returns:
        uint8 array of shape (len(images), size, size, 3).
    """
    cache_file = None
    if cache_key:
        names = hashlib.sha256("\n".join(images.paths).encode()).hexdigest()[:12]
        suffix = "" if view == DEFAULT_VIEW else f"-{view}"
        cache_file = config.cache_dir() / f"images-{cache_key[:16]}-{names}-{size}{suffix}.npy"
        if cache_file.exists():
            array = np.load(cache_file)
            if array.shape == (len(images), size, size, 3):
                return array
    array = np.empty((len(images), size, size, 3), dtype=np.uint8)
    for i, relative in enumerate(images.paths):
        array[i] = load_model_input(images.root / relative, size, view)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache_file.with_suffix(f".{os.getpid()}.tmp.npy")  # runs may race
        np.save(temporary, array)
        temporary.replace(cache_file)
        logger.info("cached %d decoded images in %s", len(images), cache_file)
    return array
