"""The confidence below which the app says "unsure" instead of naming a class.

Chosen on the validation split (never on a test or external set), on the
temperature-scaled probabilities the app shows (``model.calibrate``): the
smallest top-1 probability at which the validation images answered reach the
target accuracy while at least half of them are answered (a threshold that
reaches 99 % on a few dozen images measures nothing and would turn nearly every
scan away). When no threshold reaches it, the lowest threshold whose
accuracy is within one point of the best accuracy that still answers at least
half of the images (a higher threshold would turn scans away for a difference
that 500 validation images cannot measure), and the card says what it reaches.

The same numbers at every candidate threshold make the risk-coverage curve:
the accuracy on the images answered against the share of images answered.
"""

import numpy as np

TARGET_ACCURACY = 0.99
MIN_COVERAGE = 0.5
# Accuracy differences below this are noise on a validation split of a few hundred images.
ACCURACY_TOLERANCE = 0.01
# From 0.25, the lowest top-1 probability of four classes (every image answered).
CANDIDATES = np.round(np.arange(0.25, 1.0, 0.01), 2)
DECIMALS = 4


def answered_at(probabilities: np.ndarray, labels: np.ndarray, threshold: float) -> dict:
    """What the app reaches when it answers only at or above ``threshold``.

    Args:
        probabilities: (N, classes) probabilities, as the app compares them.
        labels: (N,) true class indices.
        threshold: Lowest top-1 probability that is answered.

    Returns:
        ``{"threshold", "answered", "coverage", "accuracy"}``: the number and
        share of images answered, and the accuracy on them (None when none is).
    """
    # A Python float compares at the probabilities' precision, as in the app.
    threshold = float(threshold)
    confidence = probabilities.max(axis=1)  # (N,)
    correct = probabilities.argmax(axis=1) == labels  # (N,)
    answered = confidence >= threshold
    return {
        "threshold": threshold,
        "answered": int(answered.sum()),
        "coverage": float(answered.mean()) if len(labels) else 0.0,
        "accuracy": float(correct[answered].mean()) if answered.any() else None,
    }


def risk_coverage(
    probabilities: np.ndarray, labels: np.ndarray, thresholds: np.ndarray = CANDIDATES
) -> dict:
    """The risk-coverage curve: coverage and accuracy at each candidate threshold.

    Args:
        probabilities: (N, classes) probabilities, as the app compares them.
        labels: (N,) true class indices.
        thresholds: Increasing candidate thresholds.

    Returns:
        ``{"threshold", "coverage", "accuracy"}``, one list entry per threshold;
        the accuracy is None where no image is answered.
    """
    points = [answered_at(probabilities, labels, threshold) for threshold in thresholds]
    return {key: [point[key] for point in points] for key in ("threshold", "coverage", "accuracy")}


def choose_threshold(
    probabilities: np.ndarray, labels: np.ndarray, target: float = TARGET_ACCURACY
) -> dict:
    """Picks the threshold from validation predictions.

    Args:
        probabilities: (N, classes) calibrated probabilities on validation images.
        labels: (N,) true class indices.
        target: Accuracy wanted on the images the app answers.

    Returns:
        ``{"threshold", "accuracy", "coverage", "target"}``: the accuracy and
        share of validation images at or above the threshold.
    """
    curve = risk_coverage(probabilities, labels)
    options = [
        (threshold, accuracy, coverage)
        for threshold, coverage, accuracy in zip(
            curve["threshold"], curve["coverage"], curve["accuracy"]
        )
        if accuracy is not None
    ]
    reaching = [option for option in options if option[1] >= target and option[2] >= MIN_COVERAGE]
    if reaching:
        chosen = min(reaching)
    else:
        # Answering at least half; the lowest threshold answers every image.
        enough = [option for option in options if option[2] >= MIN_COVERAGE] or options[:1]
        best = max(option[1] for option in enough)
        chosen = min(option for option in enough if option[1] >= best - ACCURACY_TOLERANCE)
    threshold, accuracy, coverage = chosen
    return {
        "threshold": threshold,
        "accuracy": round(accuracy, DECIMALS),
        "coverage": round(coverage, DECIMALS),
        "target": target,
    }
