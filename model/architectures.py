"""Model architectures, each a function returning a Functional Keras model.

Contract of every model built here: input is a batch of RGB images with raw
0-255 pixel values, shape (batch, size, size, 3), as returned by
``model.preprocessing.to_model_input``; output is the softmax over
``config.CLASS_NAMES``, shape (batch, 4), in float32. All scaling and
normalisation are layers inside the model.
"""

from collections.abc import Callable

import keras
import numpy as np

from model import config

# keras.applications.resnet50.preprocess_input ("caffe" mode): RGB -> BGR,
# then subtract the ImageNet mean of each BGR channel.
IMAGENET_BGR_MEAN = (103.939, 116.779, 123.68)


def _classifier_head(features, dropout: float):
    """Global average pooling, dropout and a float32 softmax over the classes."""
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(features)  # (batch, channels)
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    x = keras.layers.Dense(len(config.CLASS_NAMES), name="logits")(x)  # (batch, 4)
    # float32 even under a mixed-precision policy, so probabilities stay exact.
    return keras.layers.Activation("softmax", dtype="float32", name="probabilities")(x)


def baseline(image_size: int = 128, dropout: float = 0.3) -> keras.Model:
    """A small CNN in the spirit of the original project's baseline, with batch norm.

    Four blocks of one 3x3 convolution, batch norm, ReLU and max pooling
    (32, 64, 128, 256 filters), then the shared head.

    Args:
        image_size: Square input size in pixels.
        dropout: Dropout rate before the classifier.

    Returns:
        The uncompiled model. Its last conv feature map is ``last_conv``.
    """
    inputs = keras.Input((image_size, image_size, 3), name="image")  # raw 0-255 RGB
    x = keras.layers.Rescaling(1.0 / 255, name="rescale", dtype="float32")(inputs)
    for block, filters in enumerate((32, 64, 128, 256), start=1):
        x = keras.layers.Conv2D(
            filters, 3, padding="same", use_bias=False, name=f"block{block}_conv"
        )(x)
        x = keras.layers.BatchNormalization(name=f"block{block}_bn")(x)
        x = keras.layers.Activation(
            "relu", name="last_conv" if block == 4 else f"block{block}_relu"
        )(x)
        if block < 4:
            x = keras.layers.MaxPooling2D(name=f"block{block}_pool")(x)
    # (batch, size/8, size/8, 256)
    return keras.Model(inputs, _classifier_head(x, dropout), name="baseline")


def caffe_preprocess(inputs):
    """Applies a frozen 1x1 convolution equal to ``resnet50.preprocess_input``.

    Built from a stock Keras layer (no Lambda, no custom class) so that the
    saved model loads with ``safe_mode=True`` anywhere, without this package.

    Args:
        inputs: (batch, size, size, 3) raw 0-255 RGB.

    Returns:
        (batch, size, size, 3) BGR minus the ImageNet mean.
    """
    kernel = np.zeros((1, 1, 3, 3), dtype=np.float32)
    for rgb_channel in range(3):
        kernel[0, 0, rgb_channel, 2 - rgb_channel] = 1.0  # RGB -> BGR
    bias = -np.asarray(IMAGENET_BGR_MEAN, dtype=np.float32)
    layer = keras.layers.Conv2D(3, 1, name="caffe_preprocess", trainable=False, dtype="float32")
    outputs = layer(inputs)
    layer.set_weights([kernel, bias])
    return outputs


def resnet50(
    image_size: int = 128, weights: str | None = None, dropout: float = 0.3
) -> keras.Model:
    """ResNet50 (``keras.applications``) with its own head, as one flat graph.

    The preprocessed tensor is passed as ``input_tensor``, so every ResNet
    layer (``conv5_block3_out`` included) sits in the returned model's own
    graph, which Grad-CAM needs; a nested sub-model breaks tf-keras-vis.

    Args:
        image_size: Square input size in pixels (at least 32).
        weights: "imagenet" (downloads; needs a network) or None for random
            initialisation.
        dropout: Dropout rate before the classifier.

    Returns:
        The uncompiled model.
    """
    inputs = keras.Input((image_size, image_size, 3), name="image")  # raw 0-255 RGB
    x = caffe_preprocess(inputs)  # (batch, size, size, 3), BGR minus mean
    backbone = keras.applications.ResNet50(include_top=False, weights=weights, input_tensor=x)
    # backbone.output: (batch, size/32, size/32, 2048) from conv5_block3_out
    return keras.Model(inputs, _classifier_head(backbone.output, dropout), name="resnet50")


ARCHITECTURES: dict[str, Callable[..., keras.Model]] = {
    "baseline": baseline,
    "resnet50": resnet50,
}

# The layer whose activations Grad-CAM explains, per architecture.
GRADCAM_LAYERS = {"baseline": "last_conv", "resnet50": "conv5_block3_out"}
# The layer whose globally averaged activations the out-of-distribution gate scores
# (model.gate). For the ResNet50 an earlier block than Grad-CAM's: its pooled
# conv5 features, trained to separate four classes, stopped 51 % of the generated
# out-of-distribution set against 97 % for conv4 (docs/training.md, R3).
GATE_LAYERS = {"baseline": "last_conv", "resnet50": "conv4_block6_out"}
# Input pixels per cell of that layer's map: the map of a 128-px input is 128 / stride wide.
FEATURE_STRIDES = {"baseline": 8, "resnet50": 32}


def map_size(architecture: str, image_size: int) -> int:
    """Side of the Grad-CAM layer's map for a square input ("same" padding rounds up)."""
    return -(-image_size // FEATURE_STRIDES[architecture])


# Layers that belong to the pretrained backbone (frozen in the first phase of
# transfer learning): everything between the input and the head.
HEAD_LAYERS = ("avg_pool", "head_dropout", "logits", "probabilities")


def build(architecture: str, image_size: int, weights: str | None = None) -> keras.Model:
    """Builds a registered architecture by name.

    Raises:
        ValueError: If the name is unknown, or weights are asked of the baseline.
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"Unknown architecture {architecture!r}; choose one of {', '.join(ARCHITECTURES)}."
        )
    if architecture == "baseline":
        if weights is not None:
            raise ValueError("The baseline CNN has no pretrained weights; use --weights none.")
        return baseline(image_size)
    return resnet50(image_size, weights=weights)
