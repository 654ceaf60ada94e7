import keras
import numpy as np
import pytest

from model import architectures

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def resnet():
    return architectures.build("resnet50", 64)


@pytest.fixture(scope="module")
def baseline():
    return architectures.build("baseline", 32)


def test_baseline_outputs_a_softmax_over_four_classes(baseline):
    x = RNG.integers(0, 256, (2, 32, 32, 3)).astype("float32")
    probabilities = baseline.predict(x, verbose=0)
    assert probabilities.shape == (2, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_resnet50_is_one_flat_graph_reaching_conv5(resnet):
    assert resnet.output.shape == (None, 4)
    layer = resnet.get_layer("conv5_block3_out")  # no nested sub-model in the way
    assert layer.output.shape == (None, 2, 2, 2048)
    assert not any(isinstance(layer, keras.Model) for layer in resnet.layers)


def test_resnet50_preprocessing_inside_equals_keras_preprocess_input(resnet):
    x = RNG.integers(0, 256, (2, 64, 64, 3)).astype("float32")
    inside = keras.Model(resnet.input, resnet.get_layer("caffe_preprocess").output)(x)
    expected = keras.applications.resnet50.preprocess_input(x.copy())
    np.testing.assert_allclose(np.asarray(inside), expected, atol=1e-4)


def test_baseline_scales_raw_pixels_inside(baseline):
    x = RNG.integers(0, 256, (1, 32, 32, 3)).astype("float32")
    inside = keras.Model(baseline.input, baseline.get_layer("rescale").output)(x)
    np.testing.assert_allclose(np.asarray(inside), x / 255, rtol=1e-6)


def test_gradcam_layers_exist(resnet, baseline):
    for name, model in (("resnet50", resnet), ("baseline", baseline)):
        assert model.get_layer(architectures.GRADCAM_LAYERS[name]) is not None


@pytest.mark.parametrize(
    ("arch", "weights", "message"),
    [("vgg", None, "Unknown architecture"), ("baseline", "imagenet", "no pretrained")],
)
def test_bad_requests_are_refused_with_a_reason(arch, weights, message):
    with pytest.raises(ValueError, match=message):
        architectures.build(arch, 32, weights=weights)
