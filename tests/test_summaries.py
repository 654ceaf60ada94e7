import pytest

from model import summaries
from model.cards import ModelCard
from tests.conftest import minimal_card


def result(accuracy: float, **extra) -> dict:
    """One test set's entry of a report, with the keys every entry has."""
    return {"images": 100, "accuracy": accuracy, "macro_f1": accuracy - 0.01, **extra}


REPORT = {
    "splits": {
        "leak_free": result(
            0.967,
            roc_auc_macro=0.999,
            tumour_sensitivity=0.999,
            tumour_specificity=0.963,
            abstention={"threshold": 0.86, "coverage": 0.84, "accuracy": 0.996},
            ood_flagged=0.019,
        ),
        "radiopaedia_eval": {
            **result(0.733, ood_flagged=0.02),
            "by_sequence": {
                "T1": {"images": 101, "accuracy": 0.62},
                "T2": {"images": 109, "accuracy": 0.72},
            },
        },
        "official": result(0.955),
    },
    "ood": {"non_mri_flagged": 0.974},
    "localisation": {
        "leak_free": {
            "centre": {"hit_rate": 0.708, "mass_inside": 0.05, "images": 171},
            "methods": {
                "Grad-CAM": {"hit_rate": 0.6, "mass_inside": 0.058, "images": 171},
                "LayerCAM": {"hit_rate": 0.8, "mass_inside": 0.2, "images": 171},
            },
        }
    },
}
OLD_REPORT = {"splits": {"leak_free": result(0.88)}}  # no other-hospital set, no gate


def test_headline_puts_other_hospitals_beside_the_clean_kaggle_number():
    rows = summaries.headline_rows({"r": REPORT, "b": OLD_REPORT}, {"r": "ResNet50"})
    assert rows == [
        {"model": "ResNet50", "Kaggle leak-free": "96.7%", "Other hospitals": "73.3%"},
        {"model": "b", "Kaggle leak-free": "88.0%", "Other hospitals": "–"},
    ]
    assert summaries.HEADLINE_SPLITS[0] == next(iter(summaries.SPLIT_TITLES))  # the default


def test_split_table_has_a_row_per_number_and_a_column_per_model():
    rows = summaries.split_table({"r": REPORT, "b": OLD_REPORT}, {"r": "ResNet50"}, "leak_free")
    table = {row[""]: row for row in rows}
    assert list(rows[0]) == ["", "ResNet50", "b"]
    assert table["accuracy"] == {"": "accuracy", "ResNet50": "96.7%", "b": "88.0%"}
    assert table["answered at its threshold"]["ResNet50"] == "84%"
    assert table["flagged by the gate"] == {"": "flagged by the gate", "ResNet50": "1.9%", "b": "–"}
    assert table["non-MRI images flagged"]["ResNet50"] == "97.4%"
    # A model not evaluated on the set gets no column.
    other = summaries.split_table({"r": REPORT, "b": OLD_REPORT}, {}, "radiopaedia_eval")
    assert list(other[0]) == ["", "r"]
    assert summaries.split_images({"b": OLD_REPORT, "r": REPORT}, "radiopaedia_eval") == 100
    assert summaries.split_images({"b": OLD_REPORT}, "external") is None


def test_speed_table_is_transposed_and_names_the_batch_size():
    benchmark = {
        "settings": {"batch_size": 32},
        "models": {
            "resnet50": {
                "input_size": 128,
                "load_s": 1.45,
                "warm_up_s": 2.27,
                "predict_ms": {"p50": 24.03, "p95": 27.2},
                "predict_gradcam_ms": {"p50": 25.6, "p95": 30.0},
                "methods_p50_ms": {"Score-CAM": 377.9},
                "batch_images_per_s": 72.8,
            }
        },
    }
    rows = summaries.speed_table(benchmark, {"resnet50": "ResNet50"})
    table = {row[""]: row["ResNet50"] for row in rows}
    assert table == {
        "input": "128 px",
        "load": "1.4 s",
        "warm-up": "2.3 s",
        "prediction p50 / p95": "24 / 27 ms",
        "with Grad-CAM p50 / p95": "26 / 30 ms",
        "with Score-CAM p50": "0.4 s",
        "batch of 32": "73 images/s",
    }


def test_reliability_bins_set_apart_the_bins_with_few_images():
    few = summaries.MIN_BIN_IMAGES - 1
    reliability = {
        "confidence": [0.4, 0.6, 0.9],
        "accuracy": [1.0, 0.5, 0.95],
        "count": [few, summaries.MIN_BIN_IMAGES, 400],
    }
    full, sparse = summaries.reliability_bins(reliability)
    assert full == {"confidence": [0.6, 0.9], "accuracy": [0.5, 0.95],
                    "count": [summaries.MIN_BIN_IMAGES, 400]}  # fmt: skip
    assert sparse == {"confidence": [0.4], "accuracy": [1.0], "count": [few]}


@pytest.mark.parametrize(
    ("history", "ticks"),
    [
        ({"loss": [1.5, 0.4], "val_loss": [498.5, 6.7, 0.5, 0.41]}, [1, 10, 100]),
        ({"loss": [1.0, 0.2], "val_loss": [6.8, 0.9]}, [0.2, 0.5, 1, 2, 5]),
        ({"loss": []}, []),
    ],
)
def test_loss_ticks_are_powers_of_ten_over_a_wide_span(history, ticks):
    assert summaries.loss_ticks(history) == ticks


def test_loss_note_says_what_the_axis_does_with_the_runs_own_peak():
    note = summaries.loss_note({"loss": [1.5, 0.4], "val_loss": [498.5, 6.7, 0.5, 0.4]})
    assert note.startswith("Log scale, ticks at powers of ten, because the first epochs'")
    assert "here 498 in epoch 1, against a median of 3.60" in note
    assert "1, 2 and 5" in summaries.loss_note({"loss": [1.0, 0.2], "val_loss": [6.8, 0.9]})
    assert summaries.loss_note({"loss": [1.0]}) is None


def test_abstention_summary_names_the_test_set():
    card = ModelCard.from_json(
        minimal_card(
            temperature=0.87,
            low_confidence={"threshold": 0.86, "accuracy": 0.936, "coverage": 0.776,
                            "target": 0.99},
            validation={"images": 648},
        )
    )  # fmt: skip
    text = summaries.abstention_summary("ResNet50", card, REPORT["splits"]["leak_free"],
                                        "leak_free")  # fmt: skip
    assert text.startswith("**ResNet50** (temperature 0.87): below 86% confidence")
    assert "on the 100 Kaggle leak-free scans it answers 84% with 99.6% accuracy" in text
    other = summaries.abstention_summary("ResNet50", card, REPORT["splits"]["leak_free"],
                                         "radiopaedia_eval")  # fmt: skip
    assert "on the 100 other-hospital scans" in other
    assert "No threshold reaches 99%" in text
    uncalibrated = ModelCard.from_json(minimal_card())
    assert "python -m model.calibrate" in summaries.abstention_summary(
        "Tiny", uncalibrated, REPORT["splits"]["leak_free"], "leak_free"
    )


def test_localisation_rows_say_which_method_beats_the_centre():
    rows = summaries.localisation_rows({"resnet50": REPORT}, {"resnet50": "ResNet50"})
    beats = {row["method"]: row["beats the centre"] for row in rows}
    assert beats == {"Grad-CAM": "no", "LayerCAM": "yes", "image centre (no model)": ""}
    assert rows[0]["on the tumour"] == "60.0%"
    assert summaries.localisation_rows({"x": {"splits": {}}}, {}) == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"sources": {"kaggle": {"train": 10, "validation": 2},
                         "radiopaedia": {"train": 5, "validation": 1}}},
            "10 Kaggle and 5 Radiopaedia.org images, 2 and 1 more held back",
        ),
        ({"train_images": 9, "validation_images": 1}, "9 Kaggle images (near-copies"),
    ],
)  # fmt: skip
def test_training_images_text(data, expected):
    card = ModelCard.from_json(minimal_card(data=data))
    assert summaries.training_images_text(card).startswith(expected)


def test_what_it_is_says_what_the_model_sees_in_plain_words():
    card = ModelCard.from_json(minimal_card(architecture="resnet50", input_view="grey"))
    text = summaries.what_it_is(card, main=True)
    assert text.startswith("A deep convolutional network of the ResNet family, the app's main")
    assert "a grey copy of one slice, 8 × 8 pixels" in text and "from random weights" in text
    imagenet = ModelCard.from_json(minimal_card(initial_weights="imagenet"))
    assert "(ImageNet)" in summaries.what_it_is(imagenet, main=False)
    assert "for comparison" in summaries.what_it_is(imagenet, main=False)


def test_where_it_fails_reads_the_card_and_the_report():
    metrics = {
        "leak_free": {"accuracy": 0.967},
        "radiopaedia_eval": {"images": 345, "accuracy": 0.733,
                             "recall": {"glioma": 0.681, "notumor": 0.69}},
    }  # fmt: skip
    card = ModelCard.from_json(minimal_card(metrics=metrics))
    text = summaries.where_it_fails(card, REPORT)
    assert text == (
        "On 345 scans from other hospitals, never seen in training, it is right 73.3% of the "
        "time, against 96.7% on clean Kaggle test scans; there it recognises only 68% of the "
        "gliomas, and it does worst on T1 scans (62% of 101 right)."
    )
    assert "not been tested" in summaries.where_it_fails(ModelCard.from_json(minimal_card()), None)


def test_near_copy_share():
    summary = {"test_images": 1311, "test_with_near_duplicate_in_train": 436}
    card = ModelCard.from_json(minimal_card(data={"dedup_summary": summary}))
    assert summaries.near_copy_share(card) == pytest.approx(436 / 1311)
    assert summaries.near_copy_share(ModelCard.from_json(minimal_card())) is None


def test_per_class_rows_leave_out_classes_absent_from_the_split():
    per_class = {
        "glioma": {"precision": 0.91234, "recall": 0.8, "f1": 0.85, "support": 10},
        "pituitary": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0},
    }
    assert summaries.per_class_rows(per_class) == [
        {"class": "Glioma", "precision": 0.912, "recall": 0.8, "F1": 0.85, "scans": 10}
    ]
