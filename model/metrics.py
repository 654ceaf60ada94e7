"""Classification metrics computed from predicted probabilities.

Pure functions over numpy arrays (no model, no files), so they are easy to
test and the same numbers come out of training, evaluation and the app.
"""

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)

from model import config

CALIBRATION_BINS = 15


def reliability_diagram(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = CALIBRATION_BINS
) -> dict:
    """Accuracy against confidence, per equal-width bin of the top-1 confidence.

    A perfectly calibrated model has, in every bin, an accuracy equal to its
    mean confidence. Only bins holding at least one image are listed.

    Args:
        probabilities: (N, classes) softmax outputs.
        labels: (N,) true class indices.
        bins: Number of equal-width confidence bins over (0, 1].

    Returns:
        ``{"bins", "lower", "upper", "confidence", "accuracy", "count"}``: the
        bin count, then one list entry per non-empty bin (its edges, mean
        confidence, accuracy and number of images).
    """
    confidence = probabilities.max(axis=1)  # (N,)
    correct = probabilities.argmax(axis=1) == labels  # (N,)
    edges = np.linspace(0.0, 1.0, bins + 1)
    diagram = {
        "bins": bins,
        "lower": [],
        "upper": [],
        "confidence": [],
        "accuracy": [],
        "count": [],
    }
    for low, high in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            diagram["lower"].append(round(float(low), 4))
            diagram["upper"].append(round(float(high), 4))
            diagram["confidence"].append(float(confidence[in_bin].mean()))
            diagram["accuracy"].append(float(correct[in_bin].mean()))
            diagram["count"].append(int(in_bin.sum()))
    return diagram


def expected_calibration_error(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = CALIBRATION_BINS
) -> float:
    """Returns the expected calibration error of the top-1 confidence.

    The gap between accuracy and mean confidence in each bin of the
    reliability diagram, weighted by the share of images in the bin.

    Args:
        probabilities: (N, classes) softmax outputs.
        labels: (N,) true class indices.
        bins: Number of equal-width confidence bins.
    """
    diagram = reliability_diagram(probabilities, labels, bins)
    counts = np.array(diagram["count"], dtype=float)
    gaps = np.abs(np.array(diagram["accuracy"]) - np.array(diagram["confidence"]))
    return float((counts * gaps).sum() / max(len(labels), 1))


def tumour_detection(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Tumour (any of the three tumour classes) against no tumour.

    Returns:
        sensitivity (share of true tumours predicted as any tumour class) and
        specificity (share of true "no tumour" images predicted as no tumour);
        None where the split has no image of that kind.
    """
    no_tumour = config.CLASS_NAMES.index("notumor")
    true_tumour = labels != no_tumour
    predicted_tumour = probabilities.argmax(axis=1) != no_tumour
    sensitivity = predicted_tumour[true_tumour].mean() if true_tumour.any() else None
    specificity = (~predicted_tumour[~true_tumour]).mean() if (~true_tumour).any() else None
    return {
        "tumour_sensitivity": None if sensitivity is None else float(sensitivity),
        "tumour_specificity": None if specificity is None else float(specificity),
    }


def classification_metrics(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Computes every metric a report holds.

    Classes absent from ``labels`` (pituitary in a three-class external set)
    still count as possible predictions: predicting them is simply wrong.

    Args:
        probabilities: (N, 4) softmax outputs in ``config.CLASS_NAMES`` order.
        labels: (N,) true class indices.

    Returns:
        accuracy, macro_f1 (over the classes present), per-class
        precision/recall/f1/support, confusion matrix (rows: true class),
        one-vs-rest ROC-AUC per present class and their macro mean, ECE,
        tumour-vs-no-tumour sensitivity and specificity.
    """
    predictions = probabilities.argmax(axis=1)
    all_classes = list(range(len(config.CLASS_NAMES)))
    present = sorted(set(labels.tolist()))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predictions, labels=all_classes, zero_division=0
    )
    per_class = {
        name: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, name in enumerate(config.CLASS_NAMES)
    }
    auc = {}
    for k in present:
        positives = labels == k
        if 0 < positives.sum() < len(labels):
            auc[config.CLASS_NAMES[k]] = float(roc_auc_score(positives, probabilities[:, k]))
    return {
        "images": int(len(labels)),
        "accuracy": float(accuracy_score(labels, predictions)),
        "macro_f1": float(
            f1_score(labels, predictions, labels=present, average="macro", zero_division=0)
        ),
        "per_class": per_class,
        "confusion_matrix": confusion_matrix(labels, predictions, labels=all_classes).tolist(),
        "roc_auc": auc,
        "roc_auc_macro": float(np.mean(list(auc.values()))) if auc else None,
        "expected_calibration_error": expected_calibration_error(probabilities, labels),
        **tumour_detection(probabilities, labels),
    }
