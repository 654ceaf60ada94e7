"""Localisation supervision: class maps of a classifier and a loss that pulls them into the box.

For the project's heads (global average pooling, dropout, a dense layer of
logits) the class map of class c at a cell is the dense layer's kernel applied
to that cell's features, without its bias: averaged over the cells it gives the
logit minus the bias, and it is Grad-CAM's map before the ReLU, times the
number of cells. Training adds a second output, these maps, and
``pointing_loss`` on it:

* a pointing cross-entropy: a softmax over the cells of the true class's map,
  and the negative log of the probability that falls inside the tumour box;
* a hinge that asks the best cell inside the box to reach ``MARGIN``, so the
  map cannot satisfy the first term while staying negative (an empty Grad-CAM);
* optionally (``make_pointing_loss(mass_weight)``) the share of the map's
  positive part that lies outside the box: the heatmap the app draws is that
  positive part, so this term asks for what the "mass inside the box" check
  measures. The softmax term alone lets cells outside the box stay positive as
  long as the box cells are higher.

Images without a box (no tumour, Radiopaedia, Kaggle images the box file does
not cover) add nothing to the loss.
"""

import keras
import tensorflow as tf
from keras import ops

from model import architectures

OUTPUT = "class_maps"
MARGIN = 1.0
# A cell of the map counts as inside the box when the box covers this share of it.
CELL_COVERAGE = 0.05
NEGATIVE = -1e9


def class_maps_model(model: keras.Model, arch: str) -> keras.Model:
    """A training model with outputs {"probabilities", "class_maps"} sharing the layers.

    Args:
        model: A classifier built by ``model.architectures.build``.
        arch: Its architecture name (selects the feature layer).

    Returns:
        A model whose ``class_maps`` output is float32 (batch, height, width, classes).
    """
    features = model.get_layer(architectures.GRADCAM_LAYERS[arch]).output  # (b, h, w, channels)
    logits_layer = model.get_layer("logits")  # the shared dense layer
    bias = logits_layer(ops.zeros_like(features[:, :1, :1, :]))  # (b, 1, 1, classes)
    maps = logits_layer(features) - bias  # (b, h, w, classes)
    maps = keras.layers.Activation("linear", dtype="float32", name=OUTPUT)(maps)
    return keras.Model(
        model.inputs, {"probabilities": model.output, OUTPUT: maps}, name=f"{model.name}_train"
    )


def make_pointing_loss(mass_weight: float = 0.0):
    """The per-image localisation loss, with the outside-mass term at ``mass_weight``.

    Args:
        mass_weight: Weight of the share of the map's positive part outside the
            box (0: the pointing cross-entropy and the hinge only).

    Returns:
        A Keras loss function ``pointing_loss(y_true, y_pred)``.
    """

    def pointing_loss(y_true, y_pred):
        """Per-image localisation loss.

        Args:
            y_true: (batch, h, w, classes): 1 on the cells of the box in the true
                class's channel, 0 elsewhere (all 0 for an image without a box).
            y_pred: (batch, h, w, classes) class maps.

        Returns:
            (batch,) loss, 0 for images without a box.
        """
        y_true = ops.cast(y_true, "float32")
        y_pred = ops.cast(y_pred, "float32")
        class_mask = ops.max(y_true, axis=(1, 2))  # (b, classes): one-hot of the true class
        has_box = ops.max(class_mask, axis=-1)  # (b,)
        cam = ops.sum(y_pred * class_mask[:, None, None, :], axis=-1)  # (b, h, w)
        inside = ops.sum(y_true, axis=-1)  # (b, h, w)
        cam = ops.reshape(cam, (ops.shape(cam)[0], -1))  # (b, cells)
        inside = ops.reshape(inside, (ops.shape(inside)[0], -1)) > 0  # (b, cells)
        log_share = ops.log_softmax(cam, axis=-1)
        pointing = -ops.logsumexp(ops.where(inside, log_share, NEGATIVE), axis=-1)  # (b,)
        best_inside = ops.max(ops.where(inside, cam, NEGATIVE), axis=-1)  # (b,)
        loss = pointing + ops.relu(MARGIN - best_inside)
        if mass_weight:
            positive = ops.relu(cam)  # (b, cells): the heatmap before its resizing
            outside = ops.sum(ops.where(inside, 0.0, positive), axis=-1)  # (b,)
            loss = loss + mass_weight * outside / (ops.sum(positive, axis=-1) + 1e-6)
        return ops.where(has_box > 0, loss, 0.0)

    return pointing_loss


pointing_loss = make_pointing_loss()


def map_targets(masks, labels_one_hot, map_size: int):
    """Turns full-size box masks into class-map targets.

    Args:
        masks: float (batch, size, size, 1), 1 inside the box.
        labels_one_hot: float (batch, classes).
        map_size: Side of the class map (input size / the architecture's stride).

    Returns:
        float32 (batch, map_size, map_size, classes).
    """
    coverage = tf.image.resize(masks, (map_size, map_size), method="area")  # (b, m, m, 1)
    cells = tf.cast(coverage > CELL_COVERAGE, "float32")
    return cells * labels_one_hot[:, None, None, :]
