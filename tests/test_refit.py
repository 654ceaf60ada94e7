"""The post-training refit step (model.refit) on a copy of the session's tiny trained model."""

import logging

import pytest

from model import cards, evaluate, gate, refit
from tests.conftest import altered_copy, copy_model_files, external_folder


@pytest.fixture
def weights(tiny_training_run, tmp_path):
    """A copy of the tiny trained baseline with a stale card and a custom split in its report."""
    copied = copy_model_files(tiny_training_run, tmp_path / "model")
    card = cards.read_json(cards.card_path(copied))
    card["temperature"] = 3.0  # numbers of an older model
    card["validation"] = {"accuracy": 0.0, "macro_f1": 0.0, "images": 0}
    cards.write_json(cards.card_path(copied), card)
    return copied


def test_every_recorded_split_is_evaluated_again(weights, tiny_dataset, tmp_path):
    external = external_folder(tiny_dataset, tmp_path / "external")
    evaluate.evaluate(weights, external, "external")  # recorded with the stale temperature

    card = refit.refit(weights, tiny_dataset)

    assert card.temperature != 3.0
    assert card.validation["images"] == card.data["validation_images"]
    report = cards.read_json(cards.report_path(weights))
    for name in ("official", "leak_free", "radiopaedia_eval", "external"):
        result = report["splits"][name]
        assert result["calibration"]["temperature"] == card.temperature, name
        assert result["abstention"]["threshold"] == card.low_confidence_threshold, name
        assert card.metrics[name]["accuracy"] == pytest.approx(result["accuracy"], abs=1e-4)


def test_the_gate_is_refitted_only_when_asked(weights, tiny_dataset):
    gate_file = gate.gate_path(weights)
    before = gate_file.read_bytes()
    refit.refit(weights, tiny_dataset)
    assert gate_file.read_bytes() == before  # calibration alone leaves the gate alone

    card = refit.refit(weights, tiny_dataset, refit_gate=True)
    assert card.ood_gate["sha256"] == cards.file_sha256(gate_file)
    assert card.keras_sha256 == cards.file_sha256(weights)  # the weights are untouched


def test_a_new_split_is_evaluated_with_the_recorded_ones(weights, tiny_dataset, tmp_path):
    external = external_folder(tiny_dataset, tmp_path / "external")
    refit.refit(weights, tiny_dataset, new_splits={"external": evaluate.SplitSource(external)})
    report = cards.read_json(cards.report_path(weights))
    assert report["splits"]["external"]["images"] == 6
    assert "radiopaedia_eval" in report["splits"]


def test_a_split_whose_folder_is_gone_is_named_in_a_warning(
    weights, tiny_dataset, tmp_path, caplog
):
    external = external_folder(tiny_dataset, tmp_path / "external")
    evaluate.evaluate(weights, external, "external")
    for file in external.rglob("*.png"):
        file.unlink()
    for folder in sorted(external.iterdir()):
        folder.rmdir()
    external.rmdir()
    with caplog.at_level(logging.WARNING, logger="model.evaluate"):
        card = refit.refit(weights, tiny_dataset)
    assert "'external' is missing" in caplog.text
    report = cards.read_json(cards.report_path(weights))
    assert report["splits"]["official"]["calibration"]["temperature"] == card.temperature


def test_another_dataset_is_refused(weights, tiny_dataset, tmp_path):
    other = altered_copy(tiny_dataset, tmp_path / "other")
    with pytest.raises(ValueError, match="not the dataset this model was trained on"):
        refit.training_data(cards.read_card(weights), other)
