import numpy as np

from model import dedup
from model.cards import ModelCard
from model.splits import kaggle_pool, load_split, split_from_card, training_split
from tests.conftest import minimal_card


def test_radiopaedia_validation_is_carved_by_case(tiny_dataset, tiny_radiopaedia):
    split = training_split(tiny_dataset, 0.25, seed=3, radiopaedia_dir=tiny_radiopaedia)
    part = split.extra[0]
    groups = np.array(part.case_groups)
    assert not set(groups[part.train]) & set(groups[part.validation])
    assert len(part.validation) > 0 and len(part.train) > len(part.validation)
    # eval cases are never read by training
    assert all(not path.endswith(("_c4_0.png", "_c4_1.png", "_c5_0.png", "_c5_1.png"))
               for path in part.images.paths)  # fmt: skip


def test_every_training_image_is_kept_unless_asked(tiny_dataset):
    report = dedup.cached_duplicates(tiny_dataset)
    all_train = dedup.list_images(tiny_dataset / "Training")
    kept = kaggle_pool(all_train, report, drop_test_leaks=False)
    dropped = kaggle_pool(all_train, report, drop_test_leaks=True)
    assert len(kept) == 31  # 32 images, the pituitary pair collapsed to one
    assert "glioma/g0.png" in kept.paths  # its copy sits in Testing: kept by default
    assert "glioma/g0.png" not in dropped.paths
    assert "pituitary/g7.png" not in kept.paths


def test_no_near_duplicate_straddles_training_and_validation(tiny_dataset, tiny_radiopaedia):
    split = training_split(tiny_dataset, 0.25, seed=3, radiopaedia_dir=tiny_radiopaedia)
    bits, _ = dedup.image_hashes(split.pool)
    assert dedup.hamming_pairs(bits[split.validation], bits[split.train], max_distance=5) == []


def test_split_arrays_concatenate_sources(tiny_dataset, tiny_radiopaedia):
    split = training_split(tiny_dataset, 0.25, seed=3, radiopaedia_dir=tiny_radiopaedia)
    data = load_split(split, 16, "grey")
    assert data.images.shape == (31 + 24, 16, 16, 3)
    assert data.names == ("kaggle", "radiopaedia")
    assert set(data.sources[data.validation]) == {0, 1}
    assert not set(data.train) & set(data.validation)
    assert len(data.train) + len(data.validation) == len(data.images)


def test_the_card_rebuilds_the_same_split(tiny_dataset, tiny_radiopaedia):
    settings = {
        "val_fraction": 0.25,
        "seed": 3,
        "sources": "kaggle,radiopaedia",
        "radiopaedia": str(tiny_radiopaedia),
        "drop_test_leaks": False,
    }
    card = ModelCard.from_json(minimal_card(training_config=settings))
    first = training_split(tiny_dataset, 0.25, seed=3, radiopaedia_dir=tiny_radiopaedia)
    again = split_from_card(card, tiny_dataset)
    np.testing.assert_array_equal(first.validation, again.validation)
    np.testing.assert_array_equal(first.extra[0].validation, again.extra[0].validation)
