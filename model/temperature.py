"""Temperature scaling applied to softmax outputs: the part the app needs at prediction time.

Fitting the temperature lives in ``model.calibration``; this module imports only
NumPy and SciPy, so the prediction path loads no training or evaluation code.
"""

import numpy as np
from scipy.special import logsumexp

EPSILON = 1e-12


def scaled_log_probabilities(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Log-probabilities after dividing the logits by a temperature, in float64.

    The log of a softmax output equals the logits up to a constant per image,
    so the model's logits are not needed.

    Args:
        probabilities: float array (..., classes) of softmax outputs.
        temperature: Positive scalar; above 1 softens, below 1 sharpens.

    Returns:
        float64 array of the same shape: the log-softmax of the scaled logits.
    """
    logits = np.log(np.clip(np.asarray(probabilities, dtype=np.float64), EPSILON, 1.0))
    scaled = logits / float(temperature)
    return scaled - logsumexp(scaled, axis=-1, keepdims=True)


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Rescales softmax outputs as if their logits were divided by a temperature.

    Args:
        probabilities: float array (..., classes) of softmax outputs.
        temperature: Positive scalar; above 1 softens, below 1 sharpens.

    Returns:
        float32 array of the same shape whose last axis sums to 1.
    """
    return np.exp(scaled_log_probabilities(probabilities, temperature)).astype(np.float32)
