"""The confidence below which the app says "unsure" instead of naming a class.

Chosen on the validation split (never on a test or external set): the smallest
top-1 probability at which the validation images answered reach the target
accuracy. When no threshold reaches it, the one with the best accuracy that
still answers at least half of the images, and the card says what it reaches.
"""

import numpy as np

TARGET_ACCURACY = 0.99
MIN_COVERAGE = 0.5
# From 0.25, the lowest top-1 probability of four classes (every image answered).
CANDIDATES = np.round(np.arange(0.25, 1.0, 0.01), 2)


def choose_threshold(
    probabilities: np.ndarray, labels: np.ndarray, target: float = TARGET_ACCURACY
) -> dict:
    """Picks the threshold from validation predictions.

    Args:
        probabilities: (N, classes) softmax outputs on validation images.
        labels: (N,) true class indices.
        target: Accuracy wanted on the images the app answers.

    Returns:
        ``{"threshold", "accuracy", "coverage", "target"}``: the accuracy and
        share of validation images at or above the threshold.
    """
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    options = []
    for threshold in CANDIDATES:
        answered = confidence >= threshold
        if answered.any():
            options.append((float(threshold), correct[answered].mean(), answered.mean()))
    reaching = [option for option in options if option[1] >= target]
    if reaching:
        chosen = min(reaching)
    else:
        chosen = max((o for o in options if o[2] >= MIN_COVERAGE), key=lambda o: (o[1], -o[0]))
    threshold, accuracy, coverage = chosen
    return {
        "threshold": threshold,
        "accuracy": round(float(accuracy), 4),
        "coverage": round(float(coverage), 4),
        "target": target,
    }
