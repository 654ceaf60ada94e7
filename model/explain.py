"""Class activation maps: where the model looked, as arrays.

Two routes to the same kind of map, a float32 array of the model's input size
with values in [0, 1] (all zeros when the class has no positive evidence):

* ``GradcamFunction``: prediction and Grad-CAM in one compiled ``tf.function``
  with a fixed input signature (the keras-io ``grad_cam.py`` recipe). One
  forward pass serves both, so it is the app's default.
* ``Explainer``: the tf-keras-vis methods of ``METHODS`` (Grad-CAM,
  Grad-CAM++, Score-CAM in its faster variant, LayerCAM), run eagerly.

Both read the logits (the input of the model's final softmax) through a new
Functional model that shares the caller's layers; the caller's model is never
cloned or modified. Colouring and blending for display live in ``model.overlay``.
"""

import threading

import keras
import numpy as np
import tensorflow as tf
from tf_keras_vis.gradcam import Gradcam
from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
from tf_keras_vis.layercam import Layercam
from tf_keras_vis.scorecam import Scorecam
from tf_keras_vis.utils.scores import CategoricalScore

from model import config

DEFAULT_METHOD = config.DEFAULT_EXPLANATION_METHOD
METHODS = {
    "Grad-CAM": Gradcam,
    "Grad-CAM++": GradcamPlusPlus,
    "Score-CAM": Scorecam,
    "LayerCAM": Layercam,
}

# Faster Score-CAM: only the activation channels with the largest spatial
# variance mask the input, one forward pass each, in one batch. On the bundled
# ResNet50 (128 px, 2048 channels) 8 channels gave maps correlated 0.95-0.98
# with full Score-CAM at a fraction of its cost (minutes); 16 channels took
# about 2 s on the project's 2-core machine, 8 about half of that.
SCORECAM_MAX_CHANNELS = 8

# Passed as the class to explain, it means "the class the model predicts".
PREDICTED_CLASS = -1


def logits_model(model: keras.Model, layer: str | None = None) -> keras.Model:
    """Builds a Functional model that outputs the logits of ``model``.

    The new model shares the layers (and so the weights) of ``model``; nothing
    is copied or changed.

    Args:
        model: A Functional classifier whose last layer is a softmax activation.
        layer: If given, the name of a layer whose output is returned first.

    Returns:
        A model mapping the input to logits (batch, classes), or to
        [activations (batch, height, width, channels), logits] with ``layer``.

    Raises:
        ValueError: If the model does not end with a softmax activation layer.
    """
    last = model.layers[-1]
    if getattr(getattr(last, "activation", None), "__name__", None) != "softmax":
        raise ValueError(
            f"The model {model.name!r} must end with a softmax Activation layer whose input is "
            "the logits (as every model of model.architectures does); rebuild it with "
            "model.architectures.build."
        )
    logits = last.input  # (batch, classes)
    if layer is None:
        return keras.Model(model.inputs, logits, name=f"{model.name}_logits")
    activations = model.get_layer(layer).output  # (batch, height, width, channels)
    return keras.Model(model.inputs, [activations, logits], name=f"{model.name}_gradcam")


class GradcamFunction:
    """Prediction plus Grad-CAM of one image in a single compiled function.

    The keras-io recipe: gradient of the explained class's logit with respect
    to the activations of ``layer``, averaged over space to weight the
    channels; the weighted sum is passed through a ReLU, resized to the input
    size and divided by its maximum. The class to explain is an input of the
    function, so choosing another class does not trace it again. Calls from
    several threads are safe.
    """

    def __init__(self, model: keras.Model, layer: str, feature_layer: str | None = None):
        """Builds the function (traced on its first call).

        Args:
            model: A Functional classifier whose last layer is a softmax activation.
            layer: Name of the convolutional layer whose activations are explained.
            feature_layer: The layer whose global average ``with_features`` returns
                (the out-of-distribution gate's); ``layer`` when None.
        """
        self.layer = layer
        self.size = int(model.input_shape[1])
        explained = logits_model(model, layer)
        features = model.get_layer(feature_layer or layer).output  # (batch, h, w, channels)
        # One graph, one forward pass: activations, logits and the gate's features.
        self._model = keras.Model(model.inputs, [*explained.outputs, features])
        images = tf.TensorSpec((1, self.size, self.size, 3), tf.float32)
        class_index = tf.TensorSpec((), tf.int32)
        self._function = tf.function(
            self._predict_and_explain, input_signature=[images, class_index]
        )

    def _predict_and_explain(self, images: tf.Tensor, class_index: tf.Tensor):
        """Graph body: (1, size, size, 3) images -> probabilities, map, explained class."""
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(images)
            activations, logits, features = self._model(images, training=False)
            activations = tf.cast(activations, tf.float32)  # (1, height, width, channels)
            logits = tf.cast(logits, tf.float32)  # (1, classes)
            predicted = tf.argmax(logits[0], output_type=tf.int32)
            explained = tf.where(class_index < 0, predicted, class_index)
            score = tf.gather(logits[0], explained)  # ()
        gradients = tape.gradient(score, activations)  # (1, height, width, channels)
        channel_weights = tf.reduce_mean(gradients, axis=(1, 2))  # (1, channels)
        cam = tf.einsum("bhwc,bc->bhw", activations, channel_weights)  # (1, height, width)
        cam = unit_map(tf.nn.relu(cam), self.size)  # (size, size)
        probabilities = tf.nn.softmax(logits)[0]  # (classes,)
        # The global average of the gate's layer: the pooled features the
        # out-of-distribution gate scores (model.gate), from the same forward pass.
        pooled = tf.reduce_mean(tf.cast(features, tf.float32), axis=(1, 2))[0]  # (channels,)
        return probabilities, cam, explained, pooled

    def __call__(
        self, image: np.ndarray, class_index: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Classifies one image and explains a class.

        Args:
            image: uint8 array (size, size, 3), the model input.
            class_index: The class to explain; the predicted class when None.

        Returns:
            float32 probabilities (classes,) of the model's own softmax, the
            float32 map (size, size) in [0, 1], and the index of the explained class.
        """
        probabilities, cam, explained, _ = self.with_features(image, class_index)
        return probabilities, cam, explained

    def with_features(
        self, image: np.ndarray, class_index: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
        """As ``__call__``, plus the float32 (channels,) pooled features of the layer."""
        images = tf.convert_to_tensor(image[None], dtype=tf.float32)  # (1, size, size, 3)
        index = PREDICTED_CLASS if class_index is None else int(class_index)
        probabilities, cam, explained, pooled = self._function(images, tf.constant(index, tf.int32))
        cam = np.clip(cam.numpy(), 0.0, 1.0)
        return probabilities.numpy(), cam, int(explained), pooled.numpy()


class Explainer:
    """Explains predictions of one model with every tf-keras-vis method in ``METHODS``.

    The methods read the logits (gradients of the class score, not of the
    saturated probability; Score-CAM applies its own softmax to them). The
    tf-keras-vis objects are not known to be thread-safe, so calls are
    serialised by a lock.
    """

    def __init__(self, model: keras.Model, layer: str):
        """Prepares the explainers.

        Args:
            model: A Functional classifier whose last layer is a softmax activation.
            layer: Name of the convolutional layer whose activations are explained.
        """
        self.layer = layer
        self._channels = int(model.get_layer(layer).output.shape[-1])
        linear = logits_model(model)
        # Score-CAM calls ``model.predict`` with its default progress bar; this
        # private model predicts silently instead.
        predict = linear.predict
        linear.predict = lambda *args, **kwargs: predict(*args, verbose=0, **kwargs)
        self._methods = {name: method(linear, clone=False) for name, method in METHODS.items()}
        self._lock = threading.Lock()

    def explain(
        self, image: np.ndarray, class_index: int, method: str = DEFAULT_METHOD
    ) -> np.ndarray:
        """Computes one class activation map.

        Args:
            image: uint8 array (size, size, 3), the model input.
            class_index: The class to explain.
            method: A key of ``METHODS``.

        Returns:
            float32 array (size, size) in [0, 1]; all zeros when the class has
            no positive evidence.

        Raises:
            ValueError: If ``method`` is not one of ``METHODS``.
        """
        check_method(method)
        seed = image[None].astype(np.float32)  # (1, size, size, 3)
        # The card names the exact layer: no search for a convolution before it.
        # The map is upsampled and scaled below, as in ``GradcamFunction``.
        options = {
            "penultimate_layer": self.layer,
            "seek_penultimate_conv_layer": False,
            "expand_cam": False,
            "normalize_cam": False,
        }
        if method == "Score-CAM":
            channels = min(SCORECAM_MAX_CHANNELS, self._channels)
            options.update(max_N=channels, batch_size=channels)
        with self._lock:
            cam = self._methods[method](CategoricalScore([class_index]), seed, **options)
        cam = tf.nn.relu(tf.cast(cam, tf.float32))  # (1, height, width)
        cam = unit_map(cam, image.shape[0]).numpy()  # (size, size)
        return np.clip(np.nan_to_num(cam), 0.0, 1.0)


def unit_map(cam: tf.Tensor, size: int) -> tf.Tensor:
    """Upsamples a non-negative map to the input size and divides it by its maximum.

    Args:
        cam: float32 (1, height, width), zero or positive.
        size: The model's square input size in pixels.

    Returns:
        float32 (size, size) in [0, 1]; all zeros when ``cam`` has no positive value.
    """
    cam = tf.image.resize(cam[..., None], (size, size))[0, :, :, 0]  # bilinear, (size, size)
    return tf.math.divide_no_nan(cam, tf.reduce_max(cam))


def check_method(method: str) -> None:
    """Raises ValueError, naming the choices, if ``method`` is not in ``METHODS``."""
    if method not in METHODS:
        raise ValueError(
            f"Unknown explanation method {method!r}; choose one of {', '.join(METHODS)}."
        )
