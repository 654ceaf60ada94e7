"""The app's one analysis path (``model.analysis``): bytes in, a ScanResult out."""

import numpy as np
import pytest
from PIL import Image

from model import analysis, gate, preprocessing
from model.cards import card_path, file_sha256, read_json, write_json
from model.decision import CONFIDENT, UNLIKE_TRAINING, UNSURE
from model.inference import Classifier
from model.inputs import InputError
from model.registry import discover, load_checked
from tests.fixtures_hostile import encoded

COLOUR_NOTICE = "This image is in colour"
GATE_NOTICE = "does not look like the brain MRI slices"


def head_scan() -> np.ndarray:
    """uint8 (96, 128, 3): a small grey head with a bright spot in a large black frame."""
    head = np.zeros((96, 128), dtype=np.uint8)
    head[30:70, 20:60] = 120
    head[40:50, 30:40] = 240
    return np.stack([head] * 3, axis=-1)


def coloured_scan() -> np.ndarray:
    """The head scan tinted red: strongly saturated, so not an MRI slice."""
    rgb = head_scan()
    rgb[..., 1:] //= 4
    return rgb


def png(rgb: np.ndarray) -> bytes:
    return encoded(Image.fromarray(rgb), "PNG")


def fit_a_gate(folder, threshold: float) -> dict:
    """Fits a gate for the tiny model on noise images; returns its card entry at ``threshold``."""
    weights = folder / "tiny.keras"
    images = np.random.default_rng(0).integers(0, 256, (24, 8, 8, 3)).astype(np.uint8)
    entry = gate.fit_for_model(load_checked(weights), weights, images, images, "last_conv")
    assert entry["sha256"] == file_sha256(gate.gate_path(weights))
    return {**entry, "threshold": threshold}


def classifier_with(folder, gate_threshold: float | None = None, **card_changes) -> Classifier:
    """The tiny model with ``card_changes`` in its card, and a gate when a threshold is given."""
    card_file = card_path(folder / "tiny.keras")
    card = {**read_json(card_file), **card_changes}
    if gate_threshold is not None:
        card["ood_gate"] = fit_a_gate(folder, gate_threshold)
    write_json(card_file, card)
    return Classifier(discover(folder)[0])


def test_uploaded_bytes_become_a_result_with_the_model_answer(tiny_weights_dir):
    classifier = classifier_with(tiny_weights_dir)
    result = analysis.analyse_bytes(classifier, png(head_scan()), "Grad-CAM")
    assert result.kind == "PNG"
    np.testing.assert_array_equal(result.display, head_scan())  # the whole image, as uploaded
    np.testing.assert_allclose(result.analysis.probabilities.sum(), 1.0, rtol=1e-5)
    assert result.analysis.cam.shape == (8, 8)
    assert result.decision.top == result.analysis.predicted
    assert result.unreliable is None and result.notes == [] and result.tags == {}


def test_a_large_upload_is_shrunk_for_display_only(tiny_weights_dir):
    classifier = classifier_with(tiny_weights_dir)
    large = np.kron(head_scan(), np.ones((10, 10, 1), dtype=np.uint8))  # (960, 1280, 3)
    result = analysis.analyse_bytes(classifier, png(large), "Grad-CAM")
    assert max(result.display.shape[:2]) == analysis.DISPLAY_MAX_SIDE
    assert result.display.shape == (576, 768, 3)  # the aspect ratio is kept


def test_a_head_view_model_shows_its_head_crop_found_once(tiny_weights_dir, monkeypatch):
    classifier = classifier_with(tiny_weights_dir, input_view="head")
    searches = []
    find_head = preprocessing.head_box
    monkeypatch.setattr(
        preprocessing, "head_box", lambda gray: searches.append(1) or find_head(gray)
    )

    result = analysis.analyse_bytes(classifier, png(head_scan()), "Grad-CAM")

    assert len(searches) == 1  # the classifier's crop is reused for the display
    box = find_head(head_scan()[..., 0])
    np.testing.assert_array_equal(result.display, preprocessing.crop_square(head_scan(), *box))
    assert result.analysis.head_box == box


@pytest.mark.parametrize(
    ("scan", "threshold", "gate_threshold", "reason", "notice"),
    [
        (head_scan, 0.0, None, CONFIDENT, None),
        (head_scan, 1.0, None, UNSURE, None),
        (coloured_scan, 0.0, None, UNLIKE_TRAINING, COLOUR_NOTICE),
        (head_scan, 0.0, 0.0, UNLIKE_TRAINING, GATE_NOTICE),  # every score passes a gate at 0
        (head_scan, 0.0, 1e9, CONFIDENT, None),
        (coloured_scan, 0.0, 0.0, UNLIKE_TRAINING, COLOUR_NOTICE),  # colour is named first
    ],
)
def test_the_decision_follows_the_threshold_the_colour_and_the_gate(
    scan, threshold, gate_threshold, reason, notice, tiny_weights_dir
):
    classifier = classifier_with(
        tiny_weights_dir, gate_threshold, low_confidence_threshold=threshold
    )
    result = analysis.analyse_bytes(classifier, png(scan()), "Grad-CAM")
    assert result.decision.reason == reason
    assert (result.decision.stated is not None) == (reason == CONFIDENT)
    if notice is None:
        assert result.unreliable is None
    else:
        assert notice in result.unreliable


@pytest.mark.parametrize("data", [b"", b"not an image", b"%PDF-1.4"])
def test_unreadable_bytes_are_refused_with_the_reason(data, tiny_weights_dir):
    with pytest.raises(InputError):
        analysis.analyse_bytes(classifier_with(tiny_weights_dir), data, "Grad-CAM")
