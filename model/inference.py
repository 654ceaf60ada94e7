"""Prediction and explanation of one image through compiled, fixed-signature functions.

An eager single-image call of ResNet50 took 454 ms here; the same model
behind a ``tf.function`` with a fixed input signature took 66 ms. The default
explanation (Grad-CAM) shares that compiled forward pass with the prediction
(``model.explain.GradcamFunction``); the other methods run through tf-keras-vis.
``python -m model.benchmark`` measures both on this machine.
"""

import threading
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from PIL import Image

from model import gate
from model.explain import DEFAULT_METHOD, Explainer, GradcamFunction, check_method
from model.preprocessing import HeadBox, model_input_and_head_box
from model.registry import ModelEntry, WeightsError, load_model
from model.temperature import apply_temperature


@dataclass
class Analysis:
    """What the app shows for one image.

    Attributes:
        probabilities: float32 (classes,) in ``class_names`` order, calibrated
            with the card's temperature.
        predicted: Index of the most probable class.
        confident: Whether the top calibrated probability reaches the card's threshold.
        cam: float32 (size, size) map in [0, 1] for the explained class.
        explained: Index of the class the map explains.
        method: The explanation method that made ``cam``.
        uncalibrated: float32 (classes,), the model's own softmax output.
        ood_score: The out-of-distribution gate's score (``model.gate``), or
            None for a model without a gate.
        out_of_distribution: Whether the score passes the card's threshold: the
            image does not look like the scans the model was trained on.
        head_box: For a "head" view model, the square (top, left, side) of the
            image it was fed, for ``preprocessing.model_frame``; else None.
    """

    probabilities: np.ndarray
    predicted: int
    confident: bool
    cam: np.ndarray
    explained: int
    method: str = DEFAULT_METHOD
    uncalibrated: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    ood_score: float | None = None
    out_of_distribution: bool = False
    head_box: HeadBox | None = None


class Classifier:
    """A loaded model ready to classify and explain single images.

    The Keras model is never mutated after loading and every method may be
    called from several threads at once, so one instance can be shared by
    every app session.
    """

    def __init__(self, entry: ModelEntry):
        """Loads the model of ``entry`` (checked against its card).

        Raises:
            model.registry.WeightsError: If the weights cannot be trusted or loaded.
        """
        card = entry.card
        self.entry = entry
        self.model = load_model(entry)
        self.size = card.input_size
        self.view = card.input_view  # what the model sees of an image
        self.class_names = card.classes
        self.low_confidence_threshold = card.answer_threshold
        # What the threshold reaches on validation: {"accuracy", "coverage", ...}.
        self.low_confidence = card.low_confidence or {}
        self.temperature = card.scaling_temperature
        self.gradcam_layer = card.gradcam_layer
        single = tf.TensorSpec((1, self.size, self.size, 3), tf.float32)
        batch = tf.TensorSpec((None, self.size, self.size, 3), tf.float32)
        self._forward = tf.function(self._call_model, input_signature=[single])
        self._forward_batch = tf.function(self._call_model, input_signature=[batch])
        gate_card = card.ood_gate
        self.gradcam = GradcamFunction(
            self.model, self.gradcam_layer, card.gate_layer if gate_card else None
        )
        try:
            self.gate = gate.load(entry.weights, gate_card["sha256"]) if gate_card else None
        except ValueError as error:
            raise WeightsError(
                f"The out-of-distribution gate cannot be trusted: {error}"
            ) from error
        self.gate_threshold = float(gate_card["threshold"]) if gate_card else None
        self._explainer: Explainer | None = None  # built on first use of another method
        self._explainer_lock = threading.Lock()

    def _call_model(self, images: tf.Tensor) -> tf.Tensor:
        """Graph body: (batch, size, size, 3) float32 -> (batch, classes) probabilities."""
        return self.model(images, training=False)

    @property
    def explainer(self) -> Explainer:
        """The tf-keras-vis explainer for methods other than the compiled Grad-CAM."""
        with self._explainer_lock:
            if self._explainer is None:
                self._explainer = Explainer(self.model, self.gradcam_layer)
            return self._explainer

    def warm_up(self) -> None:
        """Traces the app's compiled function (prediction with Grad-CAM) so its first call is fast.

        ``predict`` is left to trace on first use: the app's pages never call it,
        and tracing it too would add about a second to every cold start.
        """
        image = np.zeros((self.size, self.size, 3), dtype=np.uint8)
        self.analyse(image)

    def calibrate(self, probabilities: np.ndarray) -> np.ndarray:
        """Applies the card's temperature to softmax outputs of shape (..., classes)."""
        return apply_temperature(probabilities, self.temperature)

    def predict(self, image: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Classifies one image.

        Args:
            image: uint8 array (size, size, 3) from ``preprocessing.to_model_input``.
            calibrated: Whether to apply the card's temperature.

        Returns:
            float32 array (classes,) of probabilities in ``class_names`` order.
        """
        batch = tf.convert_to_tensor(image[None], dtype=tf.float32)  # (1, size, size, 3)
        probabilities = self._forward(batch).numpy()[0]  # (classes,)
        return self.calibrate(probabilities) if calibrated else probabilities

    def predict_batch(self, images: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Classifies a batch of model inputs.

        Args:
            images: uint8 array (batch, size, size, 3).
            calibrated: Whether to apply the card's temperature.

        Returns:
            float32 array (batch, classes).
        """
        batch = tf.convert_to_tensor(images, dtype=tf.float32)  # (batch, size, size, 3)
        probabilities = self._forward_batch(batch).numpy()  # (batch, classes)
        return self.calibrate(probabilities) if calibrated else probabilities

    def analyse(
        self, rgb: np.ndarray, method: str = DEFAULT_METHOD, target: int | None = None
    ) -> Analysis:
        """Classifies an RGB image of any size and explains a class.

        Args:
            rgb: uint8 array (height, width, 3).
            method: An explanation method of ``model.explain.METHODS``.
            target: Class to explain; the predicted class when None.

        Returns:
            The analysis; its map has the model's input size and covers
            ``preprocessing.model_frame(rgb, classifier.view, analysis.head_box)``.

        Raises:
            ValueError: If the method or the target class is unknown.
        """
        check_method(method)
        if target is not None and not 0 <= int(target) < len(self.class_names):
            raise ValueError(
                f"Class {target} does not exist; choose 0 to {len(self.class_names) - 1} "
                f"({', '.join(self.class_names)})."
            )
        image, head_box = model_input_and_head_box(Image.fromarray(rgb), self.size, self.view)
        # One compiled forward pass gives the probabilities, the Grad-CAM map and
        # the pooled features the gate scores.
        uncalibrated, cam, explained, pooled = self.gradcam.with_features(image, target)
        if method != DEFAULT_METHOD:
            cam = self.explainer.explain(image, explained, method)
        probabilities = self.calibrate(uncalibrated)
        predicted = int(probabilities.argmax())
        ood_score = float(gate.scores(pooled, self.gate)[0]) if self.gate else None
        return Analysis(
            probabilities=probabilities,
            predicted=predicted,
            confident=bool(probabilities[predicted] >= self.low_confidence_threshold),
            cam=cam,
            explained=explained,
            method=method,
            uncalibrated=uncalibrated,
            ood_score=ood_score,
            out_of_distribution=ood_score is not None and ood_score > self.gate_threshold,
            head_box=head_box,
        )
