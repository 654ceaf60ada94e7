import keras
import numpy as np
import pytest
from scipy.stats import spearmanr

from model.explain import METHODS, Explainer, GradcamFunction, logits_model
from tests.conftest import synthetic_scan, tiny_classifier_model

IMAGE = np.random.default_rng(0).integers(0, 256, (8, 8, 3)).astype(np.uint8)
SCAN_SIZE = 32


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return tiny_classifier_model()


def pooled_model(size: int = 16) -> keras.Model:
    """A tiny CNN whose explained layer is half the input size, so maps are upsampled."""
    return tiny_classifier_model(size, pooled_filters=(8,), last_filters=8)


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("class_index", [0, 3])
def test_every_method_returns_a_finite_unit_map_of_the_input_size(model, method, class_index):
    cam = Explainer(model, "last_conv").explain(IMAGE, class_index, method)
    assert cam.shape == (8, 8) and cam.dtype == np.float32
    assert np.isfinite(cam).all() and cam.min() >= 0 and cam.max() <= 1


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_upsamples_a_smaller_layer_to_the_input_size(method):
    keras.utils.set_random_seed(1)
    image = np.random.default_rng(1).integers(0, 256, (16, 16, 3)).astype(np.uint8)
    cam = Explainer(pooled_model(), "last_conv").explain(image, 1, method)
    assert cam.shape == (16, 16) and np.isfinite(cam).all()
    assert cam.min() >= 0 and cam.max() <= 1


def test_compiled_gradcam_matches_tf_keras_vis():
    keras.utils.set_random_seed(2)
    model = pooled_model()
    explainer, compiled = Explainer(model, "last_conv"), GradcamFunction(model, "last_conv")
    rng = np.random.default_rng(2)
    compared = 0
    for class_index in range(4):
        image = rng.integers(0, 256, (16, 16, 3)).astype(np.uint8)
        reference = explainer.explain(image, class_index, "Grad-CAM")
        probabilities, cam, explained = compiled(image, class_index)
        assert explained == class_index and cam.shape == (16, 16)
        np.testing.assert_allclose(
            probabilities, model.predict(image[None].astype("float32"), verbose=0)[0], rtol=1e-5
        )
        if reference.max() > 0:
            assert np.corrcoef(reference.ravel(), cam.ravel())[0, 1] > 0.99
            compared += 1
        else:
            assert cam.max() == 0
    assert compared > 0


def test_compiled_gradcam_explains_the_predicted_class_by_default(model):
    probabilities, cam, explained = GradcamFunction(model, "last_conv")(IMAGE)
    assert explained == int(probabilities.argmax())
    np.testing.assert_allclose(probabilities.sum(), 1.0, rtol=1e-5)
    assert cam.shape == (8, 8) and 0 <= cam.min() and cam.max() <= 1


@pytest.mark.parametrize("method", list(METHODS))
def test_the_target_class_changes_the_map(method):
    keras.utils.set_random_seed(3)
    model = pooled_model()
    image = np.random.default_rng(3).integers(0, 256, (16, 16, 3)).astype(np.uint8)
    explainer = Explainer(model, "last_conv")
    maps = [explainer.explain(image, class_index, method) for class_index in range(4)]
    assert any(not np.allclose(maps[0], other, atol=1e-3) for other in maps[1:])


def test_explaining_does_not_change_the_callers_model(model):
    before = model.predict(IMAGE[None].astype("float32"), verbose=0)
    explainer = Explainer(model, "last_conv")
    for method in METHODS:
        explainer.explain(IMAGE, 1, method)
    GradcamFunction(model, "last_conv")(IMAGE, 1)
    after = model.predict(IMAGE[None].astype("float32"), verbose=0)
    np.testing.assert_allclose(before, after)
    assert model.layers[-1].activation.__name__ == "softmax"


def test_unknown_method_is_refused(model):
    with pytest.raises(ValueError, match="Grad-CAM"):
        Explainer(model, "last_conv").explain(IMAGE, 0, "Occlusion")


def test_a_model_without_a_final_softmax_is_refused():
    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.Dense(4)(keras.layers.GlobalAveragePooling2D()(inputs))
    with pytest.raises(ValueError, match="softmax"):
        logits_model(keras.Model(inputs, outputs))


def scan_model() -> keras.Model:
    """A small CNN for the synthetic scans; its explained layer is 8x8."""
    return tiny_classifier_model(SCAN_SIZE, pooled_filters=(16, 32), last_filters=32)


def synthetic_batch(variants: range) -> tuple[np.ndarray, np.ndarray]:
    """RGB synthetic scans (n, 32, 32, 3) uint8 and their labels (n,)."""
    pairs = [(c, synthetic_scan(c, v, SCAN_SIZE)) for c in range(4) for v in variants]
    images = np.stack([np.repeat(scan[..., None], 3, axis=-1) for _, scan in pairs])
    return images, np.array([c for c, _ in pairs])


def test_gradcam_changes_when_the_weights_are_randomised():
    """Adebayo et al. (2018): a map that survives losing the weights explains nothing.

    A trained model's maps are compared with those of the same graph with
    freshly initialised weights, over one scan per class and three
    re-initialisations (a constant random map counts as no correlation).
    """
    keras.utils.set_random_seed(4)
    images, labels = synthetic_batch(range(16))
    trained = scan_model()
    trained.compile(
        optimizer=keras.optimizers.Adam(0.003),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = trained.fit(images.astype("float32"), labels, epochs=30, batch_size=16, verbose=0)
    assert history.history["accuracy"][-1] > 0.5  # it learned more than chance (0.25)
    randomised = []
    for seed in range(3):
        keras.utils.set_random_seed(100 + seed)
        randomised.append(GradcamFunction(keras.models.clone_model(trained), "last_conv"))
    explain_trained = GradcamFunction(trained, "last_conv")
    correlations = []
    for class_index in range(4):
        scan = np.repeat(synthetic_scan(class_index, 500, SCAN_SIZE)[..., None], 3, axis=-1)
        _, trained_map, _ = explain_trained(scan, class_index)
        assert trained_map.max() > 0
        for explain_random in randomised:
            _, random_map, _ = explain_random(scan, class_index)
            if random_map.min() == random_map.max():
                correlations.append(0.0)
            else:
                correlations.append(spearmanr(trained_map.ravel(), random_map.ravel()).statistic)
    assert np.mean(correlations) < 0.5, f"mean Spearman correlation {np.mean(correlations):.2f}"


def test_the_sidebar_lists_exactly_the_implemented_methods():
    from model.config import EXPLANATION_METHODS

    assert tuple(METHODS) == EXPLANATION_METHODS
