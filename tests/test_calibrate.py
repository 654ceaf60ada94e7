"""The calibrate command on a copy of the session's tiny trained model."""

import keras
import numpy as np
import pytest

from model import calibrate, calibration, cards, evaluate
from model.splits import load_split, split_from_card
from model.temperature import apply_temperature
from tests.conftest import altered_copy, copy_model_files


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
    assert calibration.MIN_TEMPERATURE <= temperature <= calibration.MAX_TEMPERATURE
    # 8 Kaggle and 6 Radiopaedia validation images (two of its train-role cases)
    assert card["calibration"]["images"] == card["data"]["validation_images"] == 14
    assert card["low_confidence_threshold"] == card["low_confidence"]["threshold"]

    # The card's numbers are those of the validation split training used.
    typed = cards.read_card(trained)
    data = load_split(split_from_card(typed, tiny_dataset), typed.input_size, typed.input_view)
    model = keras.saving.load_model(trained, safe_mode=True, compile=False)
    probabilities = evaluate.predict_probabilities(model, data.images[data.validation])
    assert calibration.fit_temperature(
        probabilities, data.labels[data.validation]
    ) == pytest.approx(temperature, abs=1e-3)

    report = cards.read_json(cards.report_path(trained))
    for name in ("official", "leak_free", "external"):
        result = report["splits"][name]
        assert result["calibration"]["temperature"] == temperature, name
        assert result["abstention"]["threshold"] == card["low_confidence_threshold"], name
        assert sum(result["calibration"]["reliability"]["count"]) == result["images"]
        stored = np.asarray(result["probabilities"])
        calibrated = apply_temperature(stored, temperature)
        answered = calibrated.max(axis=1) >= card["low_confidence_threshold"]
        assert result["abstention"]["answered"] == answered.sum()


def test_command_explains_a_missing_card(tmp_path, capsys):
    weights = tmp_path / "orphan.keras"
    weights.write_bytes(b"not a model")
    with pytest.raises(SystemExit):
        calibrate.main(["--weights", str(weights)])
    assert "no model card" in capsys.readouterr().err


def test_command_refuses_another_dataset(trained, tiny_dataset, tmp_path, capsys):
    other = altered_copy(tiny_dataset, tmp_path / "other")
    with pytest.raises(SystemExit):
        calibrate.main(["--weights", str(trained), "--data", str(other)])
    assert "not the dataset this model was trained on" in capsys.readouterr().err
