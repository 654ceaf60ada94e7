"""Class activation maps: where the model looked, as arrays.

Thin wrappers around tf-keras-vis (Grad-CAM and Grad-CAM++). Each returns a
float32 map of the model's input size with values in [0, 1]; colouring and
blending for display live in ``model.overlay``.
"""

import keras
import numpy as np
from tf_keras_vis.gradcam import Gradcam
from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
from tf_keras_vis.utils.scores import CategoricalScore

METHODS = {"Grad-CAM": Gradcam, "Grad-CAM++": GradcamPlusPlus}


class Explainer:
    """Explains predictions of one model with every method in ``METHODS``.

    The tf-keras-vis objects share one float32 copy of the model whose softmax
    is replaced by a linear output (gradients of the class score, not of the
    saturated probability). The caller's model is never modified.
    """

    def __init__(self, model: keras.Model, layer: str):
        """Prepares the explainers.

        Args:
            model: A classifier whose last layer is a softmax activation.
            layer: Name of the convolutional layer whose activations are explained.
        """
        self.layer = layer
        linear = keras.models.clone_model(model)
        linear.set_weights(model.get_weights())
        ReplaceToLinear()(linear)
        self._methods = {name: method(linear, clone=False) for name, method in METHODS.items()}

    def explain(self, image: np.ndarray, class_index: int, method: str = "Grad-CAM") -> np.ndarray:
        """Computes one class activation map.

        Args:
            image: uint8 array (size, size, 3), the model input.
            class_index: The class to explain.
            method: A key of ``METHODS``.

        Returns:
            float32 array (size, size) in [0, 1]; all zeros when the class has
            no positive evidence.

        Raises:
            KeyError: If ``method`` is not one of ``METHODS``.
        """
        seed = image[None].astype(np.float32)  # (1, size, size, 3)
        cam = self._methods[method](
            CategoricalScore([class_index]), seed, penultimate_layer=self.layer
        )  # (1, size, size)
        cam = np.nan_to_num(np.asarray(cam[0], dtype=np.float32))
        return np.clip(cam, 0.0, 1.0)
