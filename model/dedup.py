"""Finds exact and near-duplicate images in a Kaggle-layout dataset.

About a third of the Kaggle Testing images are copies of Training images. This
module finds them with its own code so that

* training drops every Training image that has a near-duplicate in Testing and
  keeps one image per group of near-duplicates inside Training, and
* every metric is also reported on the leak-free subset: the Testing images
  with no near-duplicate in Training.

Near-duplicate: 256-bit difference hashes (``imagehash.dhash``, 16 x 16)
within Hamming distance ``config.NEAR_DUPLICATE_DISTANCE``. Exact: identical
file bytes.

Usage:
    python -m model.dedup --data ../shared/data/brain-tumor-mri --out dedup.json
"""

import argparse
import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from model import config
from model.data import ImageList, folder_sha256, list_images

logger = logging.getLogger(__name__)


@dataclass
class DuplicateReport:
    """What ``find_duplicates`` found.

    Attributes:
        data_sha256: Hash of the dataset's image bytes.
        rule: The near-duplicate rule used.
        summary: Counts, for printing and for model cards.
        test_train_pairs: Each Testing image with a near-duplicate in Training:
            ``{"test", "train", "distance", "exact"}``.
        train_groups: Groups (size >= 2) of near-duplicate Training images.
        leak_free_test: Testing paths with no near-duplicate in Training.
        train_kept: Training paths a model may learn from.
    """

    data_sha256: str
    rule: dict
    summary: dict
    test_train_pairs: list[dict]
    train_groups: list[list[str]]
    leak_free_test: list[str]
    train_kept: list[str]


def image_hashes(images: ImageList) -> tuple[np.ndarray, list[str]]:
    """Returns the dHash bits (N, 4) uint64 and the sha256 of every file."""
    bits, digests = [], []
    for relative in images.paths:
        path = images.root / relative
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
        with Image.open(path) as image:
            hashed = imagehash.dhash(image, hash_size=config.HASH_SIZE)
        bits.append(np.packbits(hashed.hash.flatten()))
    # (N, 32) uint8 -> (N, 4) uint64 so that XOR + popcount is four words per pair.
    return np.ascontiguousarray(np.stack(bits)).view(np.uint64), digests


def hamming_pairs(
    left: np.ndarray, right: np.ndarray, max_distance: int, chunk: int = 256
) -> list[tuple[int, int, int]]:
    """Returns (i, j, distance) for every pair within ``max_distance`` bits.

    Args:
        left: (N, 4) uint64 hashes.
        right: (M, 4) uint64 hashes.
        max_distance: Largest Hamming distance that counts as a match.
        chunk: Rows of ``left`` compared at once, to bound memory.
    """
    pairs = []
    for start in range(0, len(left), chunk):
        block = left[start : start + chunk, None, :] ^ right[None, :, :]  # (c, M, 4)
        distance = np.bitwise_count(block).sum(axis=-1)  # (c, M)
        for i, j in zip(*np.nonzero(distance <= max_distance)):
            pairs.append((start + int(i), int(j), int(distance[i, j])))
    return pairs


def find_duplicates(
    data_dir: Path, max_distance: int = config.NEAR_DUPLICATE_DISTANCE
) -> DuplicateReport:
    """Finds duplicates between Testing and Training and inside Training.

    Args:
        data_dir: Dataset folder holding ``Training/`` and ``Testing/``.
        max_distance: Hamming distance (of 256 bits) that counts as near-duplicate.

    Returns:
        The duplicate report.
    """
    data_dir = Path(data_dir)
    train = list_images(data_dir / config.TRAIN_SPLIT)
    test = list_images(data_dir / config.TEST_SPLIT)
    train_bits, train_sha = image_hashes(train)
    test_bits, test_sha = image_hashes(test)

    cross = hamming_pairs(test_bits, train_bits, max_distance)
    test_train_pairs = [
        {
            "test": test.paths[i],
            "train": train.paths[j],
            "distance": d,
            "exact": test_sha[i] == train_sha[j],
        }
        for i, j, d in cross
    ]
    leaked_test = {i for i, _, _ in cross}
    leaked_train = {j for _, j, _ in cross}

    inner = [(i, j) for i, j, _ in hamming_pairs(train_bits, train_bits, max_distance) if i < j]
    rows = [i for i, _ in inner]
    cols = [j for _, j in inner]
    graph = coo_matrix((np.ones(len(inner)), (rows, cols)), shape=(len(train), len(train)))
    _, component = connected_components(graph, directed=False)

    # Keep the first image (sorted path order) of each group, unless any member
    # of the group leaks into Testing: then the whole group goes.
    leaky_components = {component[j] for j in leaked_train}
    kept, seen = [], set()
    for j, relative in enumerate(train.paths):
        c = component[j]
        if c in seen or c in leaky_components:
            continue
        seen.add(c)
        kept.append(relative)

    members: dict[int, list[str]] = {}
    for j, c in enumerate(component):
        members.setdefault(int(c), []).append(train.paths[j])
    groups = [paths for paths in members.values() if len(paths) > 1]

    exact_test = {p["test"] for p in test_train_pairs if p["exact"]}
    leak_free = [p for i, p in enumerate(test.paths) if i not in leaked_test]
    summary = {
        "train_images": len(train),
        "test_images": len(test),
        "test_with_exact_copy_in_train": len(exact_test),
        "test_with_near_duplicate_in_train": len(leaked_test),
        "test_near_duplicates_by_class": _count_by_class(test.paths[i] for i in leaked_test),
        "leak_free_test_images": len(leak_free),
        "leak_free_test_by_class": _count_by_class(leak_free),
        "train_duplicate_groups": len(groups),
        "train_groups_spanning_classes": sum(
            len({path.split("/", 1)[0] for path in group}) > 1 for group in groups
        ),
        "train_images_in_groups": sum(len(g) for g in groups),
        "train_images_dropped_for_test_leak": sum(len(members[int(c)]) for c in leaky_components),
        "train_images_kept": len(kept),
        "train_kept_by_class": _count_by_class(kept),
    }
    return DuplicateReport(
        data_sha256=folder_sha256(data_dir),
        rule={"hash": f"dhash {config.HASH_SIZE}x{config.HASH_SIZE}", "max_distance": max_distance},
        summary=summary,
        test_train_pairs=test_train_pairs,
        train_groups=groups,
        leak_free_test=leak_free,
        train_kept=kept,
    )


def _count_by_class(paths) -> dict[str, int]:
    counts = dict.fromkeys(config.CLASS_NAMES, 0)
    for path in paths:
        counts[path.split("/", 1)[0]] += 1
    return counts


def cached_duplicates(data_dir: Path) -> DuplicateReport:
    """Returns ``find_duplicates(data_dir)``, cached on disk by the data's content and names."""
    # The key covers the bytes, the file names and class folders, and the rule:
    # moving a file to another class folder must not reuse an old result.
    names = sorted(str(p.relative_to(data_dir)) for p in Path(data_dir).rglob("*") if p.is_file())
    rule = [str(config.HASH_SIZE), str(config.NEAR_DUPLICATE_DISTANCE)]
    key = hashlib.sha256("\n".join([folder_sha256(data_dir), *names, *rule]).encode())
    cache_file = config.cache_dir() / f"dedup-{key.hexdigest()[:16]}.json"
    if cache_file.exists():
        return DuplicateReport(**json.loads(cache_file.read_text()))
    report = find_duplicates(data_dir)
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    cache_file.write_text(json.dumps(asdict(report)))
    return report


def main(argv: list[str] | None = None) -> None:
    """Command line: find duplicates, print the summary, write the JSON list."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=config.default_data_dir(),
        help="dataset folder holding Training/ and Testing/",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("duplicates.json"),
        help="where to write the JSON list of duplicates",
    )
    parser.add_argument(
        "--max-distance",
        type=int,
        default=config.NEAR_DUPLICATE_DISTANCE,
        help="Hamming distance (of 256 bits) that counts as a near-duplicate",
    )
    args = parser.parse_args(argv)
    report = find_duplicates(args.data, args.max_distance)
    args.out.write_text(json.dumps(asdict(report), indent=1))
    for key, value in report.summary.items():
        print(f"{key:40s} {value}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
