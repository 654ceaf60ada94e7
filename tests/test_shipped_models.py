"""The committed models: trusted files, correct on the samples, reproducible reports."""

import keras
import numpy as np
import pytest
from PIL import Image

from model import config
from model.cards import file_sha256
from model.data import list_images, load_arrays
from model.evaluate import predict_probabilities
from model.inference import Classifier
from model.inputs import decode_upload
from model.preprocessing import load_model_input, to_model_input
from model.temperature import apply_temperature
from tests.conftest import KNOWN_MISSES, SAMPLES_DIR, SHIPPED_MODELS

SAMPLES = sorted(SAMPLES_DIR.glob("*.jpg"))
IDS = [entry.name for entry in SHIPPED_MODELS]


def test_both_models_are_shipped():
    assert {"baseline", "resnet50"} <= {entry.name for entry in SHIPPED_MODELS}


def test_one_sample_scan_per_class():
    assert [p.stem for p in SAMPLES] == list(config.CLASS_NAMES)


@pytest.mark.parametrize("entry", SHIPPED_MODELS, ids=IDS)
def test_card_hash_matches_the_file_and_the_file_is_small_enough(entry):
    assert entry.card.keras_sha256 == file_sha256(entry.weights)
    assert entry.weights.stat().st_size < 100 * 1024 * 1024


def sample_cases():
    for entry in SHIPPED_MODELS:
        for sample in SAMPLES:
            reason = KNOWN_MISSES.get((entry.name, sample.stem))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(entry, sample, marks=marks, id=f"{entry.name}-{sample.stem}")


@pytest.mark.parametrize(("entry", "sample"), list(sample_cases()))
def test_independent_path_classifies_the_sample(entry, sample):
    """As an outside checker would: safe_mode load, the card's input recipe by hand, softmax.

    The "grey" view, written out with NumPy: grey levels stretched from the darkest
    pixel to the 99.9th percentile, three equal channels, Pillow's bilinear resize.
    """
    model = keras.saving.load_model(entry.weights, safe_mode=True, compile=False)
    size = model.input_shape[1]
    image = Image.open(sample).convert("RGB")
    if entry.card.input_view == "grey":
        grey = np.asarray(image.convert("L"), dtype=np.float64)
        low, high = grey.min(), np.percentile(grey, 99.9)
        stretched = np.clip((grey - low) * 255 / (high - low), 0, 255).round().astype(np.uint8)
        image = Image.fromarray(stretched).convert("RGB")
    rgb = image.resize((size, size), Image.Resampling.BILINEAR)
    probabilities = model.predict(np.asarray(rgb, dtype="float32")[None], verbose=0)[0]
    assert config.CLASS_NAMES[int(probabilities.argmax())] == sample.stem


@pytest.mark.parametrize("entry", SHIPPED_MODELS, ids=IDS)
def test_app_path_equals_training_path(entry):
    classifier = Classifier(entry)
    for sample in SAMPLES:
        training = load_model_input(sample, classifier.size, classifier.view)
        app = to_model_input(
            Image.fromarray(decode_upload(sample.read_bytes()).rgb),
            classifier.size,
            classifier.view,
        )
        np.testing.assert_array_equal(app, training)
        analysis = classifier.analyse(decode_upload(sample.read_bytes()).rgb)
        expected = classifier.model.predict(training[None].astype("float32"), verbose=0)[0]
        np.testing.assert_allclose(analysis.uncalibrated, expected, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(
            analysis.probabilities,
            apply_temperature(expected, classifier.temperature),
            rtol=1e-4,
            atol=1e-6,
        )


@pytest.mark.skipif(
    not (config.default_data_dir() / "Testing").is_dir(),
    reason="the Kaggle dataset is not available",
)
@pytest.mark.parametrize("entry", SHIPPED_MODELS, ids=IDS)
def test_evaluation_reproduces_the_reported_predictions(entry):
    report = entry.report()["splits"]["official"]
    images = list_images(config.default_data_dir() / "Testing")
    assert list(images.paths) == report["files"]
    chosen = np.zeros(len(images), dtype=bool)
    chosen[:: len(images) // 24] = True  # a fixed subset of 24 images across all classes
    subset = images.subset(chosen)
    model = keras.saving.load_model(entry.weights, safe_mode=True, compile=False)
    arrays = load_arrays(subset, entry.input_size, view=entry.card.input_view)
    probabilities = predict_probabilities(model, arrays)
    expected = np.asarray(report["probabilities"])[chosen]
    np.testing.assert_allclose(probabilities, expected, atol=1e-4)
    np.testing.assert_array_equal(probabilities.argmax(1), expected.argmax(1))
