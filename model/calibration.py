"""Temperature scaling fitted on validation predictions, and the threshold chosen after it.

The numbers ``model.calibrate`` (and every refit, ``model.refit``) writes into a
model card: one temperature, fitted by minimising the Brier score, and the
low-confidence threshold chosen on the calibrated probabilities. Applying the
temperature at prediction time lives in ``model.temperature``.
"""

import numpy as np
from scipy.optimize import minimize_scalar

from model.metrics import expected_calibration_error
from model.temperature import apply_temperature, scaled_log_probabilities
from model.threshold import choose_threshold

# The search range of the temperature: far wider than any sensible fit.
MIN_TEMPERATURE = 0.05
MAX_TEMPERATURE = 20.0
TEMPERATURE_DECIMALS = 4
# The Brier score, not the negative log-likelihood: both are proper scoring
# rules, but a confident mistake costs the log-likelihood without bound. On the
# ResNet50 validation split 6 % of the images give their true class a
# probability below 1e-5; fitted by likelihood, the temperature became 5.5 and
# left every answer under-confident (expected calibration error 0.11 -> 0.51);
# fitted by the Brier score it is 0.75 (0.11 -> 0.11).
DEFAULT_LOSS = "brier"
METRIC_DECIMALS = 4


def negative_log_likelihood(
    probabilities: np.ndarray, labels: np.ndarray, temperature: float = 1.0
) -> float:
    """Mean negative log-probability of the true class after temperature scaling.

    Args:
        probabilities: (N, classes) softmax outputs.
        labels: (N,) true class indices.
        temperature: Applied first; 1.0 scores the probabilities as they are.
    """
    log_probabilities = scaled_log_probabilities(probabilities, temperature)  # (N, classes)
    return float(-log_probabilities[np.arange(len(labels)), labels].mean())


def brier_score(probabilities: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean squared distance to the one-hot label after temperature scaling.

    Args:
        probabilities: (N, classes) softmax outputs.
        labels: (N,) true class indices.
        temperature: Applied first; 1.0 scores the probabilities as they are.

    Returns:
        A score between 0 (certain and right) and 2 (certain and wrong).
    """
    scaled = np.exp(scaled_log_probabilities(probabilities, temperature))  # (N, classes)
    one_hot = np.eye(scaled.shape[-1])[labels]  # (N, classes)
    return float(((scaled - one_hot) ** 2).sum(axis=-1).mean())


# The losses a temperature can be fitted with.
LOSSES = {"brier": brier_score, "nll": negative_log_likelihood}


def fit_temperature(
    probabilities: np.ndarray, labels: np.ndarray, loss: str = DEFAULT_LOSS
) -> float:
    """Finds the temperature that minimises a loss on held-out predictions.

    Searches the log of the temperature, so that softening and sharpening by
    the same factor are equally far from 1.

    Args:
        probabilities: (N, classes) softmax outputs on held-out images.
        labels: (N,) true class indices.
        loss: ``"brier"`` (the default, see ``DEFAULT_LOSS``) or ``"nll"``
            (negative log-likelihood, as in Guo et al. 2017).

    Returns:
        The fitted temperature, between ``MIN_TEMPERATURE`` and ``MAX_TEMPERATURE``.
    """
    if len(labels) == 0:
        raise ValueError("Fitting a temperature needs at least one validation image.")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, not {loss!r}.")
    result = minimize_scalar(
        lambda log_temperature: LOSSES[loss](probabilities, labels, float(np.exp(log_temperature))),
        bounds=(np.log(MIN_TEMPERATURE), np.log(MAX_TEMPERATURE)),
        method="bounded",
    )
    return float(np.exp(result.x))


def calibration_fields(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """The model-card fields fitted on validation predictions.

    Fits the temperature (with ``DEFAULT_LOSS``), then chooses the
    low-confidence threshold on the calibrated probabilities: the app compares
    calibrated probabilities with it.

    Args:
        probabilities: (N, classes) softmax outputs on the validation images.
        labels: (N,) true class indices.

    Returns:
        ``{"temperature", "calibration", "low_confidence_threshold",
        "low_confidence"}``, ready to merge into a card. ``calibration`` holds
        the Brier score, negative log-likelihood and expected calibration
        error before and after scaling.
    """
    temperature = round(fit_temperature(probabilities, labels), TEMPERATURE_DECIMALS)
    calibrated = apply_temperature(probabilities, temperature)  # (N, classes)
    low_confidence = choose_threshold(calibrated, labels)
    low_confidence["probabilities"] = "calibrated"
    numbers = {
        "brier_before": brier_score(probabilities, labels),
        "brier_after": brier_score(probabilities, labels, temperature),
        "nll_before": negative_log_likelihood(probabilities, labels),
        "nll_after": negative_log_likelihood(probabilities, labels, temperature),
        "ece_before": expected_calibration_error(probabilities, labels),
        "ece_after": expected_calibration_error(calibrated, labels),
    }
    return {
        "temperature": temperature,
        "calibration": {
            "method": "temperature scaling",
            "loss": DEFAULT_LOSS,
            "fitted_on": "validation",
            "images": int(len(labels)),
            **{key: round(value, METRIC_DECIMALS) for key, value in numbers.items()},
        },
        "low_confidence_threshold": low_confidence["threshold"],
        "low_confidence": low_confidence,
    }
