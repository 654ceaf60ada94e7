from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from model.cards import card_path, read_json, write_json
from model.explain import METHODS
from model.inference import Analysis, Classifier
from model.preprocessing import to_model_input
from model.registry import discover
from model.temperature import apply_temperature

RGB = np.random.default_rng(1).integers(0, 256, (40, 60, 3)).astype(np.uint8)


@pytest.fixture
def classifier(tiny_weights_dir):
    return Classifier(discover(tiny_weights_dir)[0])


def test_analyse_any_image_size_returns_probabilities_and_a_map(classifier):
    classifier.warm_up()
    analysis = classifier.analyse(RGB)
    assert analysis.probabilities.shape == (4,)
    np.testing.assert_allclose(analysis.probabilities.sum(), 1.0, rtol=1e-5)
    assert analysis.predicted == int(analysis.probabilities.argmax())
    assert analysis.explained == analysis.predicted
    assert analysis.cam.shape == (8, 8) and analysis.method == "Grad-CAM"


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_explains_the_chosen_class(classifier, method):
    analysis = classifier.analyse(RGB, method, target=3)
    assert analysis.explained == 3 and analysis.method == method
    assert analysis.cam.shape == (8, 8) and np.isfinite(analysis.cam).all()
    assert analysis.cam.min() >= 0 and analysis.cam.max() <= 1
    default = classifier.analyse(RGB, "Grad-CAM")
    np.testing.assert_allclose(analysis.probabilities, default.probabilities, rtol=1e-5)


def test_compiled_path_equals_the_keras_model(classifier):
    image = np.random.default_rng(2).integers(0, 256, (8, 8, 3)).astype(np.uint8)
    expected = classifier.model.predict(image[None].astype("float32"), verbose=0)[0]
    np.testing.assert_allclose(classifier.predict(image), expected, rtol=1e-5, atol=1e-6)
    batch = np.stack([image, 255 - image])
    expected_batch = classifier.model.predict(batch.astype("float32"), verbose=0)
    np.testing.assert_allclose(
        classifier.predict_batch(batch), expected_batch, rtol=1e-5, atol=1e-6
    )


def test_same_bytes_same_result(classifier):
    rgb = np.full((20, 20, 3), 90, dtype=np.uint8)
    first, second = classifier.analyse(rgb, target=2), classifier.analyse(rgb, target=2)
    np.testing.assert_array_equal(first.probabilities, second.probabilities)
    np.testing.assert_array_equal(first.cam, second.cam)
    assert first.explained == 2


def test_probabilities_are_calibrated_with_the_card_temperature(tiny_weights_dir):
    card_file = card_path(tiny_weights_dir / "tiny.keras")
    write_json(card_file, {**read_json(card_file), "temperature": 3.0})
    classifier = Classifier(discover(tiny_weights_dir)[0])
    analysis = classifier.analyse(RGB)
    np.testing.assert_allclose(
        analysis.probabilities, apply_temperature(analysis.uncalibrated, 3.0), rtol=1e-5
    )
    assert analysis.probabilities.max() < analysis.uncalibrated.max()  # softer
    assert analysis.predicted == int(analysis.uncalibrated.argmax())
    image = np.full((8, 8, 3), 50, dtype=np.uint8)
    np.testing.assert_allclose(
        classifier.predict(image), apply_temperature(classifier.predict(image, False), 3.0)
    )


def test_unknown_method_or_class_is_refused_in_plain_words(classifier):
    with pytest.raises(ValueError, match="Grad-CAM"):
        classifier.analyse(RGB, "Occlusion")
    with pytest.raises(ValueError, match="choose 0 to 3"):
        classifier.analyse(RGB, target=4)


def test_concurrent_calls_give_the_serial_results(classifier):
    jobs = [(method, target) for method in METHODS for target in (None, 1)] * 2
    serial = [classifier.analyse(RGB, method, target) for method, target in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda job: classifier.analyse(RGB, *job), jobs))
    for expected, found in zip(serial, parallel):
        assert isinstance(found, Analysis) and found.explained == expected.explained
        np.testing.assert_allclose(found.probabilities, expected.probabilities, rtol=1e-5)
        np.testing.assert_allclose(found.cam, expected.cam, atol=1e-5)


def test_analysing_does_not_change_the_shared_model(classifier):
    image = np.full((8, 8, 3), 120, dtype=np.uint8)
    before = classifier.model.predict(image[None].astype("float32"), verbose=0)
    for method in METHODS:
        classifier.analyse(RGB, method, target=0)
    after = classifier.model.predict(image[None].astype("float32"), verbose=0)
    np.testing.assert_array_equal(before, after)
    assert classifier.model.layers[-1].activation.__name__ == "softmax"


def test_a_head_view_card_feeds_the_model_its_head_crop(tiny_weights_dir):
    card_file = card_path(tiny_weights_dir / "tiny.keras")
    write_json(card_file, {**read_json(card_file), "input_view": "head"})
    classifier = Classifier(discover(tiny_weights_dir)[0])
    head = np.zeros((96, 96), dtype=np.uint8)
    head[30:70, 20:60] = 120
    head[40:50, 30:40] = 240
    rgb = np.stack([head] * 3, axis=-1)  # (96, 96, 3): a small head in a large frame
    expected = classifier.predict(to_model_input(Image.fromarray(rgb), 8, "head"))
    np.testing.assert_allclose(classifier.analyse(rgb).probabilities, expected, atol=1e-6)
    assert classifier.view == "head"
