"""The one rule for what the app states about a scan: a class, or "needs expert review".

A class is named only when the calibrated top probability reaches the model's
threshold and nothing marks the image as unlike the training scans (colour, or
the out-of-distribution gate). The upload page, the batch table, the model
comparison and the PDF report all ask this module.
"""

from dataclasses import dataclass

import numpy as np

EXPERT_REVIEW = "Needs expert review"
CONFIDENT, UNSURE, UNLIKE_TRAINING = "confident", "unsure", "unlike training scans"


@dataclass(frozen=True)
class Decision:
    """What the app says about one scan.

    Attributes:
        top: Index of the most probable class.
        probability: Its calibrated probability.
        reason: ``CONFIDENT``, ``UNSURE`` or ``UNLIKE_TRAINING``.
    """

    top: int
    probability: float
    reason: str

    @property
    def stated(self) -> int | None:
        """The class index the app names, or None when the scan needs expert review."""
        return self.top if self.reason == CONFIDENT else None


def decide(probabilities, confident: bool, caution: str | None) -> Decision:
    """Applies the rule to calibrated probabilities (classes,).

    Args:
        probabilities: Calibrated probabilities in the model's class order.
        confident: Whether the top probability reaches the model's threshold.
        caution: Why the image is unlike the training scans, or None.
    """
    top = int(np.argmax(probabilities))
    reason = UNLIKE_TRAINING if caution else CONFIDENT if confident else UNSURE
    return Decision(top, float(probabilities[top]), reason)
