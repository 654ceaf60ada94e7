import keras
import numpy as np

from model.batchnorm import recalibrate


def test_statistics_become_the_mean_over_the_images():
    inputs = keras.Input((4, 4, 3))
    outputs = keras.layers.BatchNormalization(name="bn")(inputs)
    model = keras.Model(inputs, outputs)
    images = np.random.default_rng(0).integers(0, 256, (96, 4, 4, 3)).astype(np.uint8)
    used = recalibrate(model, images, batch_size=32)
    assert used == 96
    layer = model.get_layer("bn")
    np.testing.assert_allclose(layer.moving_mean.numpy(), images.mean(axis=(0, 1, 2)), rtol=1e-4)
    per_batch = [images[i : i + 32].astype(float).var(axis=(0, 1, 2)) for i in (0, 32, 64)]
    np.testing.assert_allclose(layer.moving_variance.numpy(), np.mean(per_batch, axis=0), rtol=1e-3)
    assert layer.momentum == 0.99  # restored afterwards


def test_frozen_batch_norm_is_left_alone():
    inputs = keras.Input((4, 4, 3))
    layer = keras.layers.BatchNormalization(name="bn", trainable=False)
    model = keras.Model(inputs, layer(inputs))
    recalibrate(model, np.full((8, 4, 4, 3), 200, dtype=np.uint8))
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3))


def test_the_command_refreshes_the_gate_and_every_recorded_split(
    tiny_training_run, tiny_dataset, tmp_path
):
    from model import batchnorm, cards, gate
    from tests.conftest import copy_model_files

    weights = copy_model_files(tiny_training_run, tmp_path / "model")
    batchnorm.main(["--weights", str(weights), "--data", str(tiny_dataset)])
    card = cards.read_json(cards.card_path(weights))
    report = cards.read_json(cards.report_path(weights))
    assert card["keras_sha256"] == cards.file_sha256(weights)
    assert card["ood_gate"]["sha256"] == cards.file_sha256(gate.gate_path(weights))
    for split in ("official", "leak_free", "radiopaedia_eval"):  # none keeps stale numbers
        assert report["splits"][split]["calibration"]["temperature"] == card["temperature"]
