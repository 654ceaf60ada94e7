import numpy as np

from model.inference import Classifier
from model.registry import discover


def test_analyse_any_image_size_returns_probabilities_and_a_map(tiny_weights_dir):
    classifier = Classifier(discover(tiny_weights_dir)[0])
    classifier.warm_up()
    rgb = np.random.default_rng(1).integers(0, 256, (40, 60, 3)).astype(np.uint8)
    analysis = classifier.analyse(rgb)
    assert analysis.probabilities.shape == (4,)
    np.testing.assert_allclose(analysis.probabilities.sum(), 1.0, rtol=1e-5)
    assert analysis.predicted == int(analysis.probabilities.argmax())
    assert analysis.explained == analysis.predicted
    assert analysis.cam.shape == (8, 8)


def test_compiled_path_equals_the_keras_model(tiny_weights_dir):
    classifier = Classifier(discover(tiny_weights_dir)[0])
    image = np.random.default_rng(2).integers(0, 256, (8, 8, 3)).astype(np.uint8)
    expected = classifier.model.predict(image[None].astype("float32"), verbose=0)[0]
    np.testing.assert_allclose(classifier.predict(image), expected, rtol=1e-5, atol=1e-6)


def test_same_bytes_same_result(tiny_weights_dir):
    classifier = Classifier(discover(tiny_weights_dir)[0])
    rgb = np.full((20, 20, 3), 90, dtype=np.uint8)
    first, second = classifier.analyse(rgb, target=2), classifier.analyse(rgb, target=2)
    np.testing.assert_array_equal(first.probabilities, second.probabilities)
    np.testing.assert_array_equal(first.cam, second.cam)
    assert first.explained == 2
