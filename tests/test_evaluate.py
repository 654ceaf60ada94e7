"""Evaluation and the report (``model.evaluate``), on small arrays and the tiny trained model."""

from pathlib import Path

import keras
import numpy as np
import pytest

from model import cards, config, evaluate
from model.data import ImageList, list_images, load_arrays
from tests.conftest import copy_model_files, external_folder

# Four images, one per class; the model is right on the first three.
PROBABILITIES = np.array(
    [
        [0.7, 0.1, 0.1, 0.1],
        [0.2, 0.6, 0.1, 0.1],
        [0.1, 0.1, 0.5, 0.3],
        [0.4, 0.3, 0.2, 0.1],
    ],
    dtype=np.float32,
)
IMAGES = ImageList(
    Path("folder"),
    ("glioma/a.png", "meningioma/b.png", "notumor/c.png", "pituitary/d.png"),
    np.arange(4),
)
CLASSES_BUT_PITUITARY = ("glioma", "meningioma", "notumor")


@pytest.fixture
def weights(tiny_training_run, tmp_path):
    """A copy of the session's tiny trained baseline (tests here change its report)."""
    return copy_model_files(tiny_training_run, tmp_path / "model")


@pytest.mark.parametrize(
    ("temperature", "threshold", "answered"),
    [
        (1.0, None, None),  # no threshold: no abstention figures
        (1.0, 0.5, 3),  # 0.7, 0.6 and 0.5 reach it (at or above)
        (1.0, 0.0, 4),
        (2.0, 0.5, 0),  # softened below the threshold
    ],
)
def test_a_split_result_holds_metrics_calibration_and_abstention(temperature, threshold, answered):
    result = evaluate.split_result(IMAGES, PROBABILITIES, temperature, threshold)
    assert result["accuracy"] == 0.75 and result["images"] == 4
    assert result["calibration"]["temperature"] == temperature
    assert sum(result["calibration"]["reliability"]["count"]) == 4
    if temperature == 1.0:
        assert result["calibration"]["ece_before"] == result["calibration"]["ece_after"]
    if answered is None:
        assert "abstention" not in result
    else:
        assert result["abstention"]["answered"] == answered
    assert result["files"] == list(IMAGES.paths) and result["labels"] == [0, 1, 2, 3]
    np.testing.assert_allclose(result["probabilities"], PROBABILITIES, atol=1e-5)


ANSWERS_HALF = {"threshold": 0.5, "coverage": 0.5, "accuracy": 1.0}
ANSWERS_NONE = {"threshold": 0.9, "coverage": 0.0, "accuracy": None}


@pytest.mark.parametrize(
    ("extra", "present", "absent"),
    [
        ({}, [], ["gate flags", "answers"]),
        ({"ood_flagged": 0.25}, ["gate flags 25.0%"], ["answers"]),
        ({"abstention": ANSWERS_HALF}, ["threshold 0.50: answers 50.0% with accuracy 100.0%"],
         ["gate flags"]),
        ({"abstention": ANSWERS_NONE}, [], ["answers"]),  # no accuracy when nothing is answered
    ],
)  # fmt: skip
def test_the_summary_line_names_what_the_split_has(extra, present, absent):
    result = {**evaluate.split_result(IMAGES, PROBABILITIES), **extra}
    line = evaluate.summary_line("mine", result)
    assert line.startswith("mine") and "accuracy 0.7500" in line
    assert [part for part in present if part not in line] == []
    assert [part for part in absent if part in line] == []


def test_the_card_metrics_keep_the_headline_numbers_and_the_recall_of_present_classes():
    three_classes = ImageList(Path("x"), IMAGES.paths[:3], IMAGES.labels[:3])
    report = {"splits": {"mine": evaluate.split_result(three_classes, PROBABILITIES[:3])}}
    metrics = evaluate.card_metrics(report)["mine"]
    assert metrics["images"] == 3 and metrics["accuracy"] == 1.0
    assert set(metrics["recall"]) == {"glioma", "meningioma", "notumor"}  # pituitary absent


def test_the_breakdown_groups_by_the_manifest_sequence(tmp_path):
    assert evaluate.breakdown(tmp_path, IMAGES, PROBABILITIES) is None  # no manifest
    rows = ["file,class,sequence", "glioma/a.png,glioma,T1", "meningioma/b.png,meningioma,T1"]
    (tmp_path / "manifest.csv").write_text("\n".join(rows) + "\n")
    groups = evaluate.breakdown(tmp_path, IMAGES, PROBABILITIES)
    assert {name: group["images"] for name, group in groups.items()} == {"T1": 2, "unknown": 2}
    assert groups["T1"]["accuracy"] == 1.0 and groups["unknown"]["accuracy"] == 0.5


def test_the_recorded_splits_are_the_custom_ones(weights, tmp_path):
    assert evaluate.recorded_splits(tmp_path / "none.keras") == {}
    recorded = evaluate.recorded_splits(weights)
    assert set(recorded) == {"radiopaedia_eval"}  # official and leak_free come from --data
    assert recorded["radiopaedia_eval"].role == "eval"


def test_evaluate_a_folder_with_three_classes(weights, tiny_dataset, tmp_path):
    external = external_folder(tiny_dataset, tmp_path / "external", CLASSES_BUT_PITUITARY)
    rows = ["file,class,sequence"] + [
        f"{path.parent.name}/{path.name},{path.parent.name},{'T1' if i % 2 else 'T2'}"
        for i, path in enumerate(sorted(external.glob("*/*.png")))
    ]
    (external / "manifest.csv").write_text("\n".join(rows) + "\n")
    evaluate.main(["--weights", str(weights), "--data", str(external), "--split", "external"])
    report = cards.read_json(cards.report_path(weights))
    assert report["splits"]["external"]["images"] == 9
    by_sequence = report["splits"]["external"]["by_sequence"]
    assert {name: values["images"] for name, values in by_sequence.items()} == {"T1": 4, "T2": 5}
    assert report["splits"]["external"]["tumour_specificity"] is not None
    assert report["splits"]["external"]["per_class"]["pituitary"]["support"] == 0
    assert "official" in report["splits"]  # earlier splits are kept
    assert cards.read_card(weights).metrics["external"]["images"] == 9


def test_evaluation_reproduces_the_reported_predictions(tiny_training_run, tiny_dataset):
    report = cards.read_json(cards.report_path(tiny_training_run))["splits"]["official"]
    model = keras.saving.load_model(tiny_training_run, safe_mode=True, compile=False)
    images = list_images(tiny_dataset / config.TEST_SPLIT)
    probabilities = evaluate.predict_probabilities(model, load_arrays(images, 32, view="grey"))
    assert list(images.paths) == report["files"]
    np.testing.assert_allclose(probabilities, report["probabilities"], atol=1e-5)


def test_a_model_without_a_gate_has_no_gate_flags(weights, tiny_dataset):
    card = cards.read_json(cards.card_path(weights))
    card.pop("ood_gate")
    cards.write_json(cards.card_path(weights), card)
    report = evaluate.evaluate(weights, tiny_dataset)
    assert "ood_flagged" not in report["splits"]["official"]
    assert "ood_flagged" in report["splits"]["radiopaedia_eval"]  # not evaluated again here


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--weights", "missing.keras"], "does not exist"),
        (["--weights", "WEIGHTS", "--role", "eval"], "--role needs --split NAME"),
        (["--weights", "WEIGHTS", "--data", "missing-folder"], "missing-folder"),
    ],
)
def test_the_command_explains_a_mistake(arguments, message, weights, capsys):
    arguments = [str(weights) if argument == "WEIGHTS" else argument for argument in arguments]
    with pytest.raises(SystemExit):
        evaluate.main(arguments)
    assert message in capsys.readouterr().err
