import pytest

from model import summaries
from model.cards import ModelCard
from tests.conftest import minimal_card

REPORT = {
    "splits": {
        "leak_free": {"ood_flagged": 0.019},
        "radiopaedia_eval": {"ood_flagged": 0.02},
        "official": {},
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


def test_gate_figures_name_each_set():
    assert summaries.gate_figures(REPORT) == {
        "Gate: non-MRI images flagged": "97.4%",
        "Gate: Kaggle leak-free scans flagged": "1.9%",
        "Gate: other hospitals scans flagged": "2.0%",
    }
    assert summaries.gate_figures({"splits": {}}) == {}


def test_localisation_rows_say_which_method_beats_the_centre():
    rows = summaries.localisation_rows({"resnet50": REPORT}, {"resnet50": "ResNet50"})
    beats = {row["method"]: row["beats the centre"] for row in rows}
    assert beats == {"Grad-CAM": "no", "LayerCAM": "yes", "image centre (no model)": ""}
    assert rows[0]["points at the tumour"] == "60.0%"
    assert summaries.localisation_rows({"x": {"splits": {}}}, {}) == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"sources": {"kaggle": {"train": 10, "validation": 2},
                         "radiopaedia": {"train": 5, "validation": 1}}},
            "10 Kaggle images for training, 2 for validation; "
            "5 Radiopaedia images for training, 1 for validation",
        ),
        ({"train_images": 9, "validation_images": 1}, "9 Kaggle images after removing"),
    ],
)  # fmt: skip
def test_training_images_text(data, expected):
    card = ModelCard.from_json(minimal_card(data=data))
    assert summaries.training_images_text(card).startswith(expected)
