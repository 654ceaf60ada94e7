import pytest

from model.decision import CONFIDENT, UNLIKE_TRAINING, UNSURE, decide

PROBABILITIES = [0.1, 0.7, 0.15, 0.05]


@pytest.mark.parametrize(
    ("confident", "caution", "reason", "stated"),
    [
        (True, None, CONFIDENT, 1),
        (False, None, UNSURE, None),
        (True, "in colour", UNLIKE_TRAINING, None),  # the gate wins over confidence
        (False, "in colour", UNLIKE_TRAINING, None),
    ],
)
def test_a_class_is_named_only_when_confident_and_like_the_training_scans(
    confident, caution, reason, stated
):
    decision = decide(PROBABILITIES, confident, caution)
    assert decision.reason == reason and decision.stated == stated
    assert decision.top == 1 and decision.probability == pytest.approx(0.7)
