import numpy as np
import pytest

from model.threshold import answered_at, choose_threshold, risk_coverage


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


def test_risk_coverage_lists_accuracy_against_the_share_answered():
    probabilities, labels = synthetic([0.4, 0.5, 0.55, 0.6, 0.8, 0.9, 0.95], [1, 0, 0, 1, 1, 1, 1])
    curve = risk_coverage(probabilities, labels, thresholds=np.array([0.25, 0.56, 0.85, 0.99]))
    assert curve["threshold"] == [0.25, 0.56, 0.85, 0.99]
    assert curve["coverage"] == pytest.approx([1.0, 4 / 7, 2 / 7, 0.0])
    assert curve["accuracy"][:3] == pytest.approx([5 / 7, 1.0, 1.0])
    assert curve["accuracy"][3] is None  # nothing answered at 0.99


def test_answered_at_counts_the_images_at_or_above_the_threshold():
    probabilities, labels = synthetic([0.4, 0.5, 0.6, 0.9], [1, 0, 1, 1])
    assert answered_at(probabilities, labels, 0.5) == {
        "threshold": 0.5,
        "answered": 3,
        "coverage": 0.75,
        "accuracy": pytest.approx(2 / 3),
    }


def test_the_default_curve_matches_the_chosen_threshold():
    rng = np.random.default_rng(0)
    confidences = rng.uniform(0.3, 1.0, 200)
    probabilities, labels = synthetic(confidences, rng.uniform(size=200) < confidences)
    choice = choose_threshold(probabilities, labels)
    curve = risk_coverage(probabilities, labels)
    index = curve["threshold"].index(choice["threshold"])
    assert choice["coverage"] == pytest.approx(curve["coverage"][index], abs=1e-4)
    assert choice["accuracy"] == pytest.approx(curve["accuracy"][index], abs=1e-4)
    # Coverage never grows with the threshold.
    assert all(a >= b for a, b in zip(curve["coverage"], curve["coverage"][1:]))


def test_a_model_confident_on_few_images_still_gets_a_threshold():
    # Only one image in ten above 0.5, and a mistake among the confident ones.
    probabilities, labels = synthetic([0.9] + [0.3] * 9, [0] + [1] * 9)
    choice = choose_threshold(probabilities, labels, target=0.99)
    assert choice["threshold"] == pytest.approx(0.25)  # answer everything
    assert choice["coverage"] == 1.0


def test_unreachable_target_takes_the_lowest_threshold_within_a_point_of_the_best():
    # 200 images, 80 % right at every confidence, plus one more right among the top 50.
    confidences = np.repeat([0.4, 0.6, 0.8, 0.95], 50)
    correct = np.tile(np.arange(50) % 5 != 0, 4)  # 40 of every 50 right
    correct[150] = True  # one more right among the most confident
    probabilities, labels = synthetic(confidences, correct)
    choice = choose_threshold(probabilities, labels, target=0.99)
    # Above 0.80 only a quarter is answered; 0.61-0.80 answer half at 81 %, the best;
    # answering everything (0.25) reaches 80.5 %, within one point, so it is chosen.
    assert choice["threshold"] == pytest.approx(0.25)
    assert choice["coverage"] == 1.0


def test_a_target_reached_only_on_a_few_images_does_not_turn_the_rest_away():
    # 100 % right above 0.95 on 5 of 100 images, 85 % right below: reaching 99 % would
    # answer 5 %, so the threshold falls back to the best accuracy answering half.
    confidences = np.concatenate([np.full(5, 0.97), np.linspace(0.4, 0.9, 95)])
    correct = np.concatenate([np.ones(5, bool), np.arange(95) % 7 != 0])
    probabilities, labels = synthetic(confidences, correct)
    choice = choose_threshold(probabilities, labels, target=0.99)
    assert choice["coverage"] >= 0.5
    assert choice["accuracy"] < 0.99
