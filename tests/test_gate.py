import numpy as np
import pytest

from model import gate
from model.ood import gate_reason


def features(count: int, shift: float = 0.0, seed: int = 0) -> np.ndarray:
    """(count, 16) features: a few strong directions plus small noise."""
    rng = np.random.default_rng(seed)
    basis = np.random.default_rng(99).normal(size=(4, 16))
    return rng.normal(size=(count, 4)) @ basis + rng.normal(scale=0.1, size=(count, 16)) + shift


def test_far_features_score_higher_than_near_ones():
    fitted = gate.fit(features(500), components=4)
    near = gate.scores(features(100, seed=1), fitted)
    far = gate.scores(features(100, shift=3.0, seed=2), fitted)
    assert np.median(near) < 3 < np.median(far)
    assert near.shape == (100,)


def test_training_scores_average_two():
    train = features(400)
    fitted = gate.fit(train, components=4)
    assert gate.scores(train, fitted).mean() == pytest.approx(2.0, rel=1e-3)


def test_a_single_feature_vector_is_scored():
    fitted = gate.fit(features(50), components=4)
    assert gate.scores(features(1)[0], fitted).shape == (1,)


def test_the_gate_file_round_trips_and_is_checked(tmp_path):
    weights = tmp_path / "m.keras"
    fitted = gate.fit(features(50), components=4)
    path = gate.save(fitted, weights)
    loaded = gate.load(weights)
    np.testing.assert_allclose(loaded["directions"], fitted["directions"])
    with pytest.raises(ValueError, match="sha256"):
        gate.load(weights, expected_sha256="0" * 64)
    assert path.name == "m.gate.npz"
    assert gate.load(tmp_path / "other.keras") is None


@pytest.mark.parametrize(
    ("score", "threshold", "flagged"),
    [
        (None, None, False),
        (1.0, None, False),
        (1.0, 5.0, False),
        (5.0, 5.0, False),
        (9.0, 5.0, True),
    ],
)
def test_gate_reason_speaks_only_when_flagged(score, threshold, flagged):
    reason = gate_reason(score, threshold)
    assert (reason is not None) == flagged
    if flagged:
        assert "does not look like the brain MRI slices" in reason
