"""Temperature scaling of softmax outputs (``model.temperature``), as the app applies it."""

import numpy as np
import pytest

from model.temperature import apply_temperature, scaled_log_probabilities
from tests.conftest import softmax

PROBABILITIES = softmax(np.random.default_rng(1).normal(0, 3.0, (50, 4)))  # (50, 4)
TEMPERATURES = (0.5, 1.0, 2.5)


@pytest.mark.parametrize("temperature", TEMPERATURES)
def test_scaled_probabilities_keep_the_ranking_and_sum_to_one(temperature):
    scaled = apply_temperature(PROBABILITIES, temperature)
    assert scaled.dtype == np.float32 and scaled.shape == PROBABILITIES.shape
    np.testing.assert_allclose(scaled.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(scaled.argmax(axis=1), PROBABILITIES.argmax(axis=1))


@pytest.mark.parametrize("temperature", TEMPERATURES)
def test_dividing_the_logits_is_raising_the_probabilities_to_one_over_the_temperature(
    temperature,
):
    powered = PROBABILITIES ** (1 / temperature)
    expected = powered / powered.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(apply_temperature(PROBABILITIES, temperature), expected, atol=1e-6)
    np.testing.assert_allclose(
        scaled_log_probabilities(PROBABILITIES, temperature), np.log(expected), atol=1e-9
    )


@pytest.mark.parametrize(
    ("temperature", "top_change"),
    [(1.0, "same"), (2.0, "softer"), (0.5, "sharper")],
)
def test_above_one_softens_and_below_one_sharpens(temperature, top_change):
    before = PROBABILITIES.max(axis=1)
    after = apply_temperature(PROBABILITIES, temperature).max(axis=1)
    if top_change == "same":
        np.testing.assert_allclose(after, before, atol=1e-6)
    elif top_change == "softer":
        assert (after <= before + 1e-6).all()
    else:
        assert (after >= before - 1e-6).all()


def test_a_zero_probability_stays_finite_and_one_image_keeps_its_shape():
    certain = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)  # (classes,)
    log_probabilities = scaled_log_probabilities(certain, 2.0)
    assert log_probabilities.dtype == np.float64 and np.isfinite(log_probabilities).all()
    scaled = apply_temperature(certain, 2.0)
    assert scaled.shape == (4,) and scaled.argmax() == 0
    np.testing.assert_allclose(scaled.sum(), 1.0, atol=1e-6)
