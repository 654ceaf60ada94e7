import numpy as np
import pytest

from model.threshold import choose_threshold


def synthetic(confidences, correct):
    """Validation predictions whose top-1 confidence and correctness are given."""
    probabilities, labels = [], []
    for confidence, is_right in zip(confidences, correct):
        rest = (1 - confidence) / 3
        probabilities.append([confidence, rest, rest, rest])
        labels.append(0 if is_right else 1)
    return np.array(probabilities), np.array(labels)


def test_smallest_threshold_that_reaches_the_target():
    # Wrong answers only below 0.6: everything at or above 0.6 is right.
    probabilities, labels = synthetic([0.4, 0.5, 0.55, 0.6, 0.8, 0.9, 0.95], [1, 0, 0, 1, 1, 1, 1])
    choice = choose_threshold(probabilities, labels, target=0.99)
    assert choice["threshold"] == pytest.approx(0.56)
    assert choice["accuracy"] == 1.0 and choice["coverage"] == pytest.approx(4 / 7, abs=1e-4)


def test_unreachable_target_reports_what_is_reached():
    # A confident mistake at the top: no threshold reaches 99 %.
    probabilities, labels = synthetic([0.97, 0.9, 0.8, 0.7, 0.6, 0.5], [0, 1, 1, 1, 1, 0])
    choice = choose_threshold(probabilities, labels, target=0.99)
    assert choice["accuracy"] < 0.99
    assert choice["coverage"] >= 0.5
    # Best accuracy while answering at least half: 4 of the 5 answers at or above 0.51.
    assert choice["accuracy"] == pytest.approx(0.8)
    assert choice["threshold"] == pytest.approx(0.51)
