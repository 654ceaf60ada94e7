"""Fitting the temperature and the threshold (model.calibration) on synthetic predictions."""

import numpy as np
import pytest

from model import calibration
from model.metrics import expected_calibration_error
from model.temperature import apply_temperature
from model.threshold import answered_at
from tests.conftest import softmax


def calibrated_sample(images: int = 20000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities with labels drawn from them: calibrated by construction."""
    rng = np.random.default_rng(seed)
    probabilities = softmax(rng.normal(0, 2.0, (images, 4)))
    labels = np.array([rng.choice(4, p=row) for row in probabilities])
    return probabilities, labels


@pytest.mark.parametrize("loss", sorted(calibration.LOSSES))
def test_fitting_lowers_the_loss_of_an_overconfident_model(loss):
    probabilities, labels = calibrated_sample()
    # Logits three times too large: the same ranking, far too confident.
    overconfident = apply_temperature(probabilities, 1 / 3)
    temperature = calibration.fit_temperature(overconfident, labels, loss)
    assert temperature == pytest.approx(3.0, rel=0.1)
    before = calibration.negative_log_likelihood(overconfident, labels)
    after = calibration.negative_log_likelihood(overconfident, labels, temperature)
    assert after < before - 0.1
    assert calibration.brier_score(overconfident, labels, temperature) < calibration.brier_score(
        overconfident, labels
    )


@pytest.mark.parametrize("loss", sorted(calibration.LOSSES))
def test_an_already_calibrated_model_keeps_a_temperature_near_one(loss):
    probabilities, labels = calibrated_sample()
    assert calibration.fit_temperature(probabilities, labels, loss) == pytest.approx(1.0, abs=0.05)


def test_a_few_certain_mistakes_do_not_soften_every_answer():
    # Why the Brier score is the default: 5 % of the answers are certain and wrong.
    probabilities, labels = calibrated_sample()
    wrong = np.arange(len(labels)) % 20 == 0
    certain = np.full((wrong.sum(), 4), 1e-9)
    certain[np.arange(wrong.sum()), (labels[wrong] + 1) % 4] = 1.0
    probabilities[wrong] = certain / certain.sum(axis=1, keepdims=True)
    by_likelihood = calibration.fit_temperature(probabilities, labels, "nll")
    by_brier = calibration.fit_temperature(probabilities, labels, "brier")
    assert by_likelihood > 2 and by_brier == pytest.approx(1.0, abs=0.15)
    errors = {
        temperature: expected_calibration_error(
            apply_temperature(probabilities, temperature), labels
        )
        for temperature in (by_likelihood, by_brier)
    }
    assert errors[by_brier] < errors[by_likelihood]


def test_an_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="loss must be one of"):
        calibration.fit_temperature(np.eye(4), np.arange(4), "hinge")


def test_calibration_fields_choose_the_threshold_on_calibrated_probabilities():
    probabilities, labels = calibrated_sample(4000)
    overconfident = apply_temperature(probabilities, 1 / 3)
    fields = calibration.calibration_fields(overconfident, labels)
    numbers = fields["calibration"]
    assert numbers["brier_after"] < numbers["brier_before"]
    assert numbers["nll_after"] < numbers["nll_before"]
    assert numbers["ece_after"] < numbers["ece_before"]
    assert fields["low_confidence_threshold"] == fields["low_confidence"]["threshold"]
    # What the card says the threshold reaches holds for calibrated probabilities.
    calibrated = apply_temperature(overconfident, fields["temperature"])
    reached = answered_at(calibrated, labels, fields["low_confidence_threshold"])
    assert fields["low_confidence"]["coverage"] == pytest.approx(reached["coverage"], abs=1e-4)
    assert fields["low_confidence"]["accuracy"] == pytest.approx(reached["accuracy"], abs=1e-4)
    assert fields["low_confidence"]["probabilities"] == "calibrated"
