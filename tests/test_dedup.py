import json

import numpy as np

from model import dedup
from model.data import list_images


def test_finds_planted_exact_and_near_duplicates(tiny_dataset):
    report = dedup.find_duplicates(tiny_dataset)
    pairs = {(p["test"], p["train"]): p for p in report.test_train_pairs}
    assert pairs[("glioma/t0.png", "glioma/g0.png")]["exact"] is True
    assert pairs[("glioma/t0.png", "glioma/g0.png")]["distance"] == 0
    near = pairs[("meningioma/t0.png", "meningioma/g0.png")]
    assert near["exact"] is False
    assert report.summary["test_with_exact_copy_in_train"] == 1
    assert report.summary["test_with_near_duplicate_in_train"] == 2


def test_leak_free_subset_excludes_every_leaked_test_image(tiny_dataset):
    report = dedup.find_duplicates(tiny_dataset)
    assert "glioma/t0.png" not in report.leak_free_test
    assert "meningioma/t0.png" not in report.leak_free_test
    assert len(report.leak_free_test) == 4 * 3 - 2


def test_training_drops_leaks_and_collapses_groups(tiny_dataset):
    report = dedup.find_duplicates(tiny_dataset)
    assert "glioma/g0.png" not in report.train_kept
    assert "meningioma/g0.png" not in report.train_kept
    assert ["pituitary/g6.png", "pituitary/g7.png"] in report.train_groups
    assert "pituitary/g6.png" in report.train_kept
    assert "pituitary/g7.png" not in report.train_kept
    assert len(report.train_kept) == 4 * 8 - 3


def test_hamming_pairs_counts_bits():
    left = np.array([[0, 0, 0, 0]], dtype=np.uint64)
    right = np.array([[0, 0, 0, 0b111], [0, 0, 0, 0b111111]], dtype=np.uint64)
    assert dedup.hamming_pairs(left, right, max_distance=5) == [(0, 0, 3)]


def test_command_line_writes_json(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "dups.json"
    dedup.main(["--data", str(tiny_dataset), "--out", str(out)])
    written = json.loads(out.read_text())
    assert written["summary"]["test_images"] == 12
    assert "test_with_near_duplicate_in_train" in capsys.readouterr().out


def test_cached_result_equals_fresh_result(tiny_dataset):
    assert dedup.cached_duplicates(tiny_dataset) == dedup.cached_duplicates(tiny_dataset)
    assert len(list_images(tiny_dataset / "Testing")) == 12
