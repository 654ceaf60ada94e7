"""The shortcut probe (``model.shortcut_probe``): global image statistics and the probe's scores."""

import numpy as np
import pytest

from model import config, shortcut_probe
from model.shortcut_probe import FEATURE_NAMES, image_statistics
from tests.conftest import external_folder

SIZE = 32
NOTUMOR = config.CLASS_NAMES.index("notumor")


def image(fill: tuple[int, int, int], square: int = SIZE) -> np.ndarray:
    """uint8 (1, SIZE, SIZE, 3): black, with a centred ``square`` of colour ``fill``."""
    images = np.zeros((1, SIZE, SIZE, 3), dtype=np.uint8)
    start = (SIZE - square) // 2
    images[0, start : start + square, start : start + square] = fill
    return images


def statistic(images: np.ndarray, name: str) -> float:
    return float(image_statistics(images)[0, FEATURE_NAMES.index(name)])


@pytest.mark.parametrize(
    ("images", "expected"),
    [
        (image((0, 0, 0)), {"mean": 0, "background": 1, "head_box_fill": 0, "colour": 0}),
        (image((200, 200, 200)), {"mean": 200, "background": 0, "head_box_fill": 1, "colour": 0}),
        (image((200, 200, 200), SIZE // 2), {"background": 0.75, "head_box_fill": 0.25}),
        (image((200, 100, 100)), {"colour": 100, "border_mean": 400 / 3}),
        (image((5, 5, 5)), {"background": 1, "histogram_0": 1}),  # at or below level 10
    ],
)  # fmt: skip
def test_the_statistics_of_simple_images(images, expected):
    for name, value in expected.items():
        assert statistic(images, name) == pytest.approx(value, abs=1e-4), name


def test_there_is_one_row_of_every_statistic_per_image():
    images = np.concatenate([image((0, 0, 0)), image((90, 90, 90), 8), image((10, 200, 30))])
    features = image_statistics(images)
    assert features.shape == (3, len(FEATURE_NAMES)) and features.dtype == np.float32
    histogram = features[:, : shortcut_probe.HISTOGRAM_BINS]
    np.testing.assert_allclose(histogram.sum(axis=1), 1.0, atol=1e-6)  # shares of the pixels


def test_the_head_view_is_grey_and_keeps_the_size():
    shaded = image((1, 1, 1), 20) * np.linspace(100, 200, SIZE, dtype=np.uint8)[:, None, None]
    images = np.concatenate([image((120, 60, 30), 12), shaded])  # (2, SIZE, SIZE, 3)
    views = shortcut_probe.head_view(images)
    assert views.shape == images.shape and views.dtype == np.uint8
    assert (views[..., 0] == views[..., 1]).all() and (views[..., 1] == views[..., 2]).all()
    assert views[1].max() > 240 > images[1].max()  # the head's levels are stretched


class FixedAnswers:
    """A fitted probe's stand-in that predicts the given classes, whatever the features."""

    def __init__(self, answers: list[int]):
        self.answers = np.asarray(answers)

    def predict(self, features: np.ndarray) -> np.ndarray:
        return self.answers[: len(features)]


@pytest.mark.parametrize(
    ("predicted", "labels", "four_class", "tumour_or_not"),
    [
        ([0, 1, 2, 3], [0, 1, 2, 3], 1.0, 1.0),
        ([1, 0, 3, 2], [0, 1, 2, 3], 0.0, 0.5),  # tumour for tumour is right in the second
        ([NOTUMOR] * 4, [0, 1, 2, 3], 0.25, 0.25),
    ],
)
def test_the_probe_scores_four_classes_and_tumour_or_not(
    predicted, labels, four_class, tumour_or_not
):
    features = np.zeros((len(labels), len(FEATURE_NAMES)), np.float32)
    accuracy = shortcut_probe.probe_accuracy(FixedAnswers(predicted), features, np.array(labels))
    assert accuracy == (four_class, tumour_or_not)


def test_the_class_summary_has_a_row_per_present_class():
    features = image_statistics(np.concatenate([image((0, 0, 0)), image((200, 200, 200))]))
    rows = shortcut_probe.class_summary("Somewhere", features, np.array([0, 0]))
    assert len(rows) == 1 and rows[0].startswith("| Somewhere | glioma | 2 |")
    assert rows[0].count("|") == 4 + len(shortcut_probe.SUMMARY_FEATURES)


@pytest.mark.parametrize("flags", [[], ["--head-view"]])
def test_the_command_prints_the_probe_on_leak_free_testing_and_an_external_folder(
    flags, tiny_dataset, tmp_path, capsys
):
    external = external_folder(tiny_dataset, tmp_path / "external")
    shortcut_probe.main(["--data", str(tiny_dataset), "--external", str(external), *flags])
    printed = capsys.readouterr().out
    assert "| Kaggle leak-free Testing | 10 |" in printed
    assert "| External | 6 |" in printed
    assert "| Kaggle Training (deduplicated) | glioma |" in printed
    assert "| External | meningioma |" not in printed  # no meningioma in the folder
