import numpy as np
import pytest

from model import cards, evaluate, gate, registry
from model.data import list_images, load_arrays
from model.gate import __main__ as gate_command
from model.ood import gate_reason
from tests.conftest import copy_model_files, external_folder


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


# The command (model/gate/__main__.py), on a copy of the session's tiny trained model.


@pytest.fixture
def weights_with_a_stale_report(tiny_training_run, tiny_dataset, tmp_path):
    """A copy of the tiny model whose report holds gate flags of a stale threshold (0: all)."""
    weights = copy_model_files(tiny_training_run, tmp_path / "model")
    card = cards.read_json(cards.card_path(weights))
    card["ood_gate"]["threshold"] = 0.0
    cards.write_json(cards.card_path(weights), card)
    external = evaluate.SplitSource(external_folder(tiny_dataset, tmp_path / "external"))
    evaluate.evaluate(weights, tiny_dataset)
    evaluate.evaluate_splits(weights, {**evaluate.recorded_splits(weights), "external": external})
    return weights


def flagged_share(weights, folder) -> float:
    """The share of a folder's images the card's gate flags, computed afresh."""
    card = cards.read_card(weights)
    model = registry.load_checked(weights)
    images = load_arrays(list_images(folder), card.input_size, view=card.input_view)
    return round(float(evaluate.gate_flags(model, weights, card, images).mean()), 4)


def test_the_command_refits_the_gate_and_every_split_of_the_report(
    weights_with_a_stale_report, tiny_dataset, tmp_path
):
    weights = weights_with_a_stale_report
    stale = cards.read_json(cards.report_path(weights))["splits"]
    assert {result["ood_flagged"] for result in stale.values()} == {1.0}

    gate_command.main(["--weights", str(weights), "--data", str(tiny_dataset)])

    card = cards.read_card(weights)
    assert card.ood_gate["threshold"] > 0
    assert card.ood_gate["sha256"] == cards.file_sha256(gate.gate_path(weights))
    assert card.keras_sha256 == cards.file_sha256(weights)  # the weights are untouched
    splits = cards.read_json(cards.report_path(weights))["splits"]
    assert set(splits) == set(stale)
    assert splits["official"]["ood_flagged"] == flagged_share(weights, tiny_dataset / "Testing")
    assert splits["external"]["ood_flagged"] == flagged_share(weights, tmp_path / "external")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ((), "has no model card"),
        (("m.keras", "m.json"), "m.json: The model card lacks the required key"),
    ],
)
def test_the_command_explains_what_is_missing(files, message, tmp_path, capsys):
    for name in files:
        (tmp_path / name).write_text("{}")
    with pytest.raises(SystemExit):
        gate_command.main(["--weights", str(tmp_path / "m.keras"), "--data", str(tmp_path)])
    assert message in capsys.readouterr().err
