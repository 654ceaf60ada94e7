import numpy as np
import pytest

from model.metrics import (
    classification_metrics,
    expected_calibration_error,
    reliability_diagram,
    tumour_detection,
)


def test_perfectly_calibrated_confidences_have_zero_error():
    probabilities = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]])
    assert expected_calibration_error(probabilities, np.array([0, 1])) == 0.0


def test_overconfident_wrong_answers_have_large_error():
    probabilities = np.array([[0.99, 0.01, 0, 0]] * 4)
    assert expected_calibration_error(probabilities, np.array([1, 1, 1, 1])) == pytest.approx(0.99)


def test_metrics_on_three_classes_count_pituitary_predictions_as_wrong():
    labels = np.array([0, 0, 1, 2])
    probabilities = np.array(
        [
            [0.9, 0.05, 0.03, 0.02],
            [0.1, 0.1, 0.1, 0.7],  # glioma called pituitary: wrong
            [0.1, 0.8, 0.05, 0.05],
            [0.1, 0.1, 0.7, 0.1],
        ]
    )
    result = classification_metrics(probabilities, labels)
    assert result["accuracy"] == 0.75
    assert result["per_class"]["glioma"]["recall"] == 0.5
    assert result["per_class"]["pituitary"]["support"] == 0
    assert result["confusion_matrix"][0] == [1, 0, 0, 1]
    assert set(result["roc_auc"]) == {"glioma", "meningioma", "notumor"}
    # F1 over the three classes present: glioma 2/3, meningioma 1, notumor 1.
    assert result["macro_f1"] == pytest.approx((2 / 3 + 1 + 1) / 3)


def test_tumour_sensitivity_and_specificity():
    # true: glioma, meningioma, notumor, notumor; predicted: pituitary, notumor, notumor, glioma
    probabilities = np.eye(4)[[3, 2, 2, 0]]
    result = tumour_detection(probabilities, np.array([0, 1, 2, 2]))
    assert result == {"tumour_sensitivity": 0.5, "tumour_specificity": 0.5}


def test_tumour_detection_without_normal_images():
    result = tumour_detection(np.eye(4)[[0]], np.array([0]))
    assert result["tumour_specificity"] is None and result["tumour_sensitivity"] == 1.0


def test_reliability_diagram_bins_the_top_confidence():
    # Two images at 0.95 (one right), two at 0.65 (both right), one at 0.35 (wrong).
    probabilities = np.array(
        [
            [0.95, 0.05, 0, 0],
            [0.95, 0.05, 0, 0],
            [0.65, 0.35, 0, 0],
            [0.35, 0.65, 0, 0],
            [0.35, 0.3, 0.2, 0.15],
        ]
    )
    labels = np.array([0, 1, 0, 1, 1])
    diagram = reliability_diagram(probabilities, labels, bins=10)
    assert diagram["bins"] == 10
    assert diagram["count"] == [1, 2, 2]  # empty bins are left out
    assert diagram["lower"] == [0.3, 0.6, 0.9]
    assert diagram["confidence"] == pytest.approx([0.35, 0.65, 0.95])
    assert diagram["accuracy"] == pytest.approx([0.0, 1.0, 0.5])


def test_calibration_error_is_the_weighted_gap_of_the_diagram():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (500, 4))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = rng.integers(0, 4, 500)
    diagram = reliability_diagram(probabilities, labels)
    assert sum(diagram["count"]) == 500
    gaps = np.abs(np.array(diagram["accuracy"]) - np.array(diagram["confidence"]))
    expected = float((np.array(diagram["count"]) * gaps).sum() / 500)
    assert expected_calibration_error(probabilities, labels) == pytest.approx(expected)
