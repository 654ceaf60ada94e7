import numpy as np
import pytest

from model import config
from model.data import folder_sha256, list_images, load_arrays
from model.preprocessing import load_model_input


def test_class_order_is_fixed():
    assert config.CLASS_NAMES == ("glioma", "meningioma", "notumor", "pituitary")


def test_lists_images_with_labels_in_class_order(tiny_dataset):
    images = list_images(tiny_dataset / "Training")
    assert len(images) == 32
    assert images.paths[0] == "glioma/g0.png"
    assert images.class_counts() == dict.fromkeys(config.CLASS_NAMES, 8)
    for path, label in zip(images.paths, images.labels):
        assert path.split("/")[0] == config.CLASS_NAMES[label]


def test_folder_with_only_some_classes(tmp_path, tiny_dataset):
    for name in ("glioma", "notumor"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "a.png").write_bytes(
            (tiny_dataset / "Training" / name / "g1.png").read_bytes()
        )
    (tmp_path / "unrelated").mkdir()
    images = list_images(tmp_path)
    assert images.paths == ("glioma/a.png", "notumor/a.png")
    assert images.labels.tolist() == [0, 2]


@pytest.mark.parametrize("make", [lambda p: p / "missing", lambda p: p])
def test_missing_or_empty_folder_says_what_to_do(tmp_path, make):
    with pytest.raises(FileNotFoundError, match="class folders|--data"):
        list_images(make(tmp_path))


def test_load_arrays_matches_single_image_path_and_caches(tiny_dataset):
    images = list_images(tiny_dataset / "Testing")
    first = load_arrays(images, 24, cache_key="abc")
    assert first.shape == (12, 24, 24, 3) and first.dtype == np.uint8
    for i, relative in enumerate(images.paths):
        np.testing.assert_array_equal(first[i], load_model_input(images.root / relative, 24))
    cached = list((config.cache_dir()).glob("images-*.npy"))
    assert len(cached) == 1
    np.testing.assert_array_equal(load_arrays(images, 24, cache_key="abc"), first)


def test_folder_hash_changes_with_content(tmp_path, tiny_dataset):
    before = folder_sha256(tiny_dataset / "Testing")
    assert before == folder_sha256(tiny_dataset / "Testing")
    assert before != folder_sha256(tiny_dataset / "Training")


def test_each_view_has_its_own_cache(tiny_dataset):
    images = list_images(tiny_dataset / "Training")
    full = load_arrays(images, 24, cache_key="abc")
    head = load_arrays(images, 24, cache_key="abc", view="head")
    assert not np.array_equal(full, head)
    np.testing.assert_array_equal(
        head[0], load_model_input(images.root / images.paths[0], 24, "head")
    )
    np.testing.assert_array_equal(load_arrays(images, 24, cache_key="abc"), full)
