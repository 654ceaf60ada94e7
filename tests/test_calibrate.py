import keras
import numpy as np
import pytest

from model import calibrate, cards, evaluate
from model.metrics import expected_calibration_error
from model.splits import load_split, split_from_card
from model.threshold import answered_at
from tests.conftest import copy_model_files


def softmax(logits: np.ndarray) -> np.ndarray:
    exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def calibrated_sample(images: int = 20000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities with labels drawn from them: calibrated by construction."""
    rng = np.random.default_rng(seed)
    probabilities = softmax(rng.normal(0, 2.0, (images, 4)))
    labels = np.array([rng.choice(4, p=row) for row in probabilities])
    return probabilities, labels


@pytest.mark.parametrize("loss", sorted(calibrate.LOSSES))
def test_fitting_lowers_the_loss_of_an_overconfident_model(loss):
    probabilities, labels = calibrated_sample()
    # Logits three times too large: the same ranking, far too confident.
    overconfident = calibrate.apply_temperature(probabilities, 1 / 3)
    temperature = calibrate.fit_temperature(overconfident, labels, loss)
    assert temperature == pytest.approx(3.0, rel=0.1)
    before = calibrate.negative_log_likelihood(overconfident, labels)
    after = calibrate.negative_log_likelihood(overconfident, labels, temperature)
    assert after < before - 0.1
    assert calibrate.brier_score(overconfident, labels, temperature) < calibrate.brier_score(
        overconfident, labels
    )


@pytest.mark.parametrize("loss", sorted(calibrate.LOSSES))
def test_an_already_calibrated_model_keeps_a_temperature_near_one(loss):
    probabilities, labels = calibrated_sample()
    assert calibrate.fit_temperature(probabilities, labels, loss) == pytest.approx(1.0, abs=0.05)


def test_a_few_certain_mistakes_do_not_soften_every_answer():
    # Why the Brier score is the default: 5 % of the answers are certain and wrong.
    probabilities, labels = calibrated_sample()
    wrong = np.arange(len(labels)) % 20 == 0
    certain = np.full((wrong.sum(), 4), 1e-9)
    certain[np.arange(wrong.sum()), (labels[wrong] + 1) % 4] = 1.0
    probabilities[wrong] = certain / certain.sum(axis=1, keepdims=True)
    by_likelihood = calibrate.fit_temperature(probabilities, labels, "nll")
    by_brier = calibrate.fit_temperature(probabilities, labels, "brier")
    assert by_likelihood > 2 and by_brier == pytest.approx(1.0, abs=0.15)
    errors = {
        temperature: expected_calibration_error(
            calibrate.apply_temperature(probabilities, temperature), labels
        )
        for temperature in (by_likelihood, by_brier)
    }
    assert errors[by_brier] < errors[by_likelihood]


def test_an_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="loss must be one of"):
        calibrate.fit_temperature(np.eye(4), np.arange(4), "hinge")


def test_apply_temperature_keeps_the_ranking_and_sums_to_one():
    probabilities = softmax(np.random.default_rng(1).normal(0, 3.0, (50, 4)))
    for temperature in (0.5, 1.0, 2.5):
        scaled = calibrate.apply_temperature(probabilities, temperature)
        assert scaled.dtype == np.float32 and scaled.shape == probabilities.shape
        np.testing.assert_allclose(scaled.sum(axis=1), 1.0, atol=1e-6)
        np.testing.assert_array_equal(scaled.argmax(axis=1), probabilities.argmax(axis=1))
    np.testing.assert_allclose(
        calibrate.apply_temperature(probabilities, 1.0), probabilities, atol=1e-6
    )
    softer = calibrate.apply_temperature(probabilities, 2.0).max(axis=1)
    assert (softer <= probabilities.max(axis=1) + 1e-6).all()


def test_calibration_fields_choose_the_threshold_on_calibrated_probabilities():
    probabilities, labels = calibrated_sample(4000)
    overconfident = calibrate.apply_temperature(probabilities, 1 / 3)
    fields = calibrate.calibration_fields(overconfident, labels)
    numbers = fields["calibration"]
    assert numbers["brier_after"] < numbers["brier_before"]
    assert numbers["nll_after"] < numbers["nll_before"]
    assert numbers["ece_after"] < numbers["ece_before"]
    assert fields["low_confidence_threshold"] == fields["low_confidence"]["threshold"]
    # What the card says the threshold reaches holds for calibrated probabilities.
    calibrated = calibrate.apply_temperature(overconfident, fields["temperature"])
    reached = answered_at(calibrated, labels, fields["low_confidence_threshold"])
    assert fields["low_confidence"]["coverage"] == pytest.approx(reached["coverage"], abs=1e-4)
    assert fields["low_confidence"]["accuracy"] == pytest.approx(reached["accuracy"], abs=1e-4)
    assert fields["low_confidence"]["probabilities"] == "calibrated"


@pytest.fixture
def trained(tiny_training_run, tmp_path):
    """A copy of the session's tiny trained baseline, its card reset to no calibration."""
    weights = copy_model_files(tiny_training_run, tmp_path / "model")
    card = cards.read_json(cards.card_path(weights))
    for key in ("temperature", "calibration", "low_confidence"):
        card.pop(key)
    card["low_confidence_threshold"] = 0.5
    cards.write_json(cards.card_path(weights), card)
    return weights


def test_command_calibrates_the_card_and_the_report(trained, tiny_dataset, tmp_path):
    weights_bytes = trained.read_bytes()
    sha256 = cards.read_json(cards.card_path(trained))["keras_sha256"]
    external = tmp_path / "external"
    for name in ("glioma", "notumor"):
        (external / name).mkdir(parents=True)
        for file in (tiny_dataset / "Testing" / name).iterdir():
            (external / name / file.name).write_bytes(file.read_bytes())
    evaluate.main(["--weights", str(trained), "--data", str(external), "--split", "external"])

    calibrate.main(["--weights", str(trained), "--data", str(tiny_dataset)])

    assert trained.read_bytes() == weights_bytes
    card = cards.read_json(cards.card_path(trained))
    assert card["keras_sha256"] == sha256
    temperature = card["temperature"]
    assert calibrate.MIN_TEMPERATURE <= temperature <= calibrate.MAX_TEMPERATURE
    # 8 Kaggle and 6 Radiopaedia validation images (two of its train-role cases)
    assert card["calibration"]["images"] == card["data"]["validation_images"] == 14
    assert card["low_confidence_threshold"] == card["low_confidence"]["threshold"]

    # The card's numbers are those of the validation split training used.
    data = load_split(split_from_card(card, tiny_dataset), 32, card["input_view"])
    model = keras.saving.load_model(trained, safe_mode=True, compile=False)
    probabilities = evaluate.predict_probabilities(model, data.images[data.validation])
    assert calibrate.fit_temperature(probabilities, data.labels[data.validation]) == pytest.approx(
        temperature, abs=1e-3
    )

    report = cards.read_json(cards.report_path(trained))
    for name in ("official", "leak_free", "external"):
        result = report["splits"][name]
        assert result["calibration"]["temperature"] == temperature, name
        assert result["abstention"]["threshold"] == card["low_confidence_threshold"], name
        assert sum(result["calibration"]["reliability"]["count"]) == result["images"]
        stored = np.asarray(result["probabilities"])
        calibrated = calibrate.apply_temperature(stored, temperature)
        answered = calibrated.max(axis=1) >= card["low_confidence_threshold"]
        assert result["abstention"]["answered"] == answered.sum()


def test_command_explains_a_missing_card(tmp_path, capsys):
    weights = tmp_path / "orphan.keras"
    weights.write_bytes(b"not a model")
    with pytest.raises(SystemExit):
        calibrate.main(["--weights", str(weights)])
    assert "no model card" in capsys.readouterr().err


def test_command_refuses_another_dataset(trained, tiny_dataset, tmp_path, capsys):
    other = tmp_path / "other"
    for file in tiny_dataset.rglob("*.png"):
        target = other / file.relative_to(tiny_dataset)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.read_bytes())
    (other / "Training" / "glioma" / "g1.png").unlink()
    with pytest.raises(SystemExit):
        calibrate.main(["--weights", str(trained), "--data", str(other)])
    assert "not the dataset this model was trained on" in capsys.readouterr().err
