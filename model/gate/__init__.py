"""Out-of-distribution gate: does an image look like the scans the model was trained on?

``python -m model.gate --weights W`` refits the gate of a trained model
(``model/gate/__main__.py``); ``model.train`` does this itself.

The score is a distance of the model's pooled features (the global average of
the Grad-CAM layer, computed in the same forward pass as the prediction) from
the training features of every source: one Gaussian in the space of the top
``COMPONENTS`` principal components (a Mahalanobis distance) plus the squared
residual outside that space, each divided by its mean on the training images.
The threshold is the ``QUANTILE`` of the scores of the validation images of
both sources, so about 2.5 % of in-distribution scans are flagged.

The fitted numbers live in ``<name>.gate.npz`` beside the model; the card's
``ood_gate`` holds the threshold, the file's sha256 and what was measured.
"""

from pathlib import Path

import keras
import numpy as np

from model.cards import file_sha256

COMPONENTS = 32
QUANTILE = 0.975
FIT_IMAGES = 3000  # training images the Gaussian is fitted on (a fixed random subset)


def gate_path(weights: Path) -> Path:
    """``<name>.gate.npz`` beside ``<name>.keras``."""
    return Path(weights).with_suffix(".gate.npz")


def features_model(model: keras.Model, layer: str) -> keras.Model:
    """A model from the input to the global average of ``layer`` (batch, channels)."""
    pooled = keras.layers.GlobalAveragePooling2D()(model.get_layer(layer).output)
    return keras.Model(model.inputs, pooled)


def pooled_features(
    model: keras.Model, images: np.ndarray, layer: str, batch_size: int = 64
) -> np.ndarray:
    """float32 (N, channels) pooled ``layer`` features of uint8 (N, size, size, 3) images."""
    extractor = features_model(model, layer)
    return np.asarray(extractor.predict(images, batch_size=batch_size, verbose=0), np.float32)


def fit(train_features: np.ndarray, components: int = COMPONENTS) -> dict[str, np.ndarray]:
    """Fits the Gaussian and the residual scale on (N, channels) training features."""
    mean = train_features.mean(axis=0)
    centred = train_features - mean
    _, singular, directions = np.linalg.svd(centred, full_matrices=False)
    count = min(components, directions.shape[0])
    variances = singular[:count] ** 2 / max(1, len(train_features) - 1)
    gate = {
        "mean": mean.astype(np.float32),
        "directions": directions[:count].astype(np.float32),  # (components, channels)
        "variances": np.maximum(variances, 1e-12).astype(np.float32),
        "mahalanobis_scale": np.float32(1.0),
        "residual_scale": np.float32(1.0),
    }
    parts = score_parts(train_features, gate)
    gate["mahalanobis_scale"] = np.float32(max(parts[0].mean(), 1e-12))
    gate["residual_scale"] = np.float32(max(parts[1].mean(), 1e-12))
    return gate


def score_parts(features: np.ndarray, gate: dict) -> tuple[np.ndarray, np.ndarray]:
    """(Mahalanobis distance in the component space, squared residual), each (N,), unscaled."""
    centred = np.asarray(features, np.float64) - gate["mean"]  # (N, channels)
    projected = centred @ gate["directions"].T  # (N, components)
    mahalanobis = (projected**2 / gate["variances"]).sum(axis=1)
    residual = ((centred - projected @ gate["directions"]) ** 2).sum(axis=1)
    return mahalanobis, residual


def scores(features: np.ndarray, gate: dict) -> np.ndarray:
    """(N,) distance scores: about 2 for a typical training image, larger further away."""
    mahalanobis, residual = score_parts(np.atleast_2d(features), gate)
    return mahalanobis / gate["mahalanobis_scale"] + residual / gate["residual_scale"]


def save(gate: dict, weights: Path) -> Path:
    """Writes the gate's arrays beside the model."""
    path = gate_path(weights)
    np.savez_compressed(path, **gate)
    return path


def load(weights: Path, expected_sha256: str | None = None) -> dict | None:
    """Reads the gate beside ``weights``; None when there is none.

    Raises:
        ValueError: If the file's sha256 differs from the card's.
    """
    path = gate_path(weights)
    if not path.is_file():
        return None
    if expected_sha256 and file_sha256(path) != expected_sha256:
        raise ValueError(f"{path.name} does not match the model card (sha256 differs).")
    with np.load(path) as arrays:
        return {key: arrays[key] for key in arrays.files}


def fit_for_model(
    model: keras.Model,
    weights: Path,
    train_images: np.ndarray,
    validation_images: np.ndarray,
    layer: str,
) -> dict:
    """Fits the gate, writes ``<name>.gate.npz`` and returns the card's ``ood_gate`` entry.

    Args:
        model: The trained float32 model.
        weights: Its ``.keras`` path.
        train_images: uint8 (N, size, size, 3) training images of every source.
        validation_images: uint8 (M, size, size, 3) validation images of every source.
        layer: The layer whose pooled activations are scored (``architectures.GATE_LAYERS``).
    """
    order = np.random.default_rng(0).permutation(len(train_images))[:FIT_IMAGES]
    gate = fit(pooled_features(model, train_images[np.sort(order)], layer))
    validation_scores = scores(pooled_features(model, validation_images, layer), gate)
    threshold = float(np.quantile(validation_scores, QUANTILE))
    path = save(gate, weights)
    return {
        "file": path.name,
        "sha256": file_sha256(path),
        "layer": layer,
        "score": f"Mahalanobis distance on the top {len(gate['variances'])} principal "
        "components of the pooled features plus the residual, each divided by its training mean",
        "threshold": round(threshold, 4),
        "fitted_on": f"{min(FIT_IMAGES, len(train_images))} training images of every source",
        "threshold_rule": f"{QUANTILE:.1%} quantile of {len(validation_images)} validation "
        "images of every source",
        "validation_flagged": round(float((validation_scores > threshold).mean()), 4),
    }
