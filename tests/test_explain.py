import numpy as np
import pytest

from model.explain import METHODS, Explainer
from tests.conftest import tiny_classifier_model

IMAGE = np.random.default_rng(0).integers(0, 256, (8, 8, 3)).astype(np.uint8)


@pytest.fixture(scope="module")
def model():
    return tiny_classifier_model()


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("class_index", [0, 3])
def test_every_method_returns_a_finite_unit_map_of_the_input_size(model, method, class_index):
    cam = Explainer(model, "last_conv").explain(IMAGE, class_index, method)
    assert cam.shape == (8, 8) and cam.dtype == np.float32
    assert np.isfinite(cam).all() and cam.min() >= 0 and cam.max() <= 1


def test_explaining_does_not_change_the_callers_model(model):
    before = model.predict(IMAGE[None].astype("float32"), verbose=0)
    Explainer(model, "last_conv").explain(IMAGE, 1)
    after = model.predict(IMAGE[None].astype("float32"), verbose=0)
    np.testing.assert_allclose(before, after)
    assert model.layers[-1].activation.__name__ == "softmax"


def test_unknown_method_is_refused(model):
    with pytest.raises(KeyError):
        Explainer(model, "last_conv").explain(IMAGE, 0, "Occlusion")
