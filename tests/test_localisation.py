import keras
import numpy as np
import tensorflow as tf

from model import architectures, localisation


def targets(masks: np.ndarray, labels: list[int], cells: int) -> np.ndarray:
    one_hot = tf.one_hot(labels, 4)
    return localisation.map_targets(tf.constant(masks, tf.float32), one_hot, cells).numpy()


def test_map_targets_mark_the_box_cells_of_the_true_class():
    masks = np.zeros((2, 32, 32, 1), np.float32)
    masks[0, :8, :8] = 1.0  # top-left cell of a 4 x 4 map
    result = targets(masks, [1, 2], 4)
    assert result.shape == (2, 4, 4, 4)
    assert result[0, 0, 0, 1] == 1.0 and result[0].sum() == 1.0
    assert result[1].sum() == 0.0  # no box: no target


def test_the_loss_is_low_inside_the_box_high_outside_and_zero_without_a_box():
    truth = np.zeros((3, 2, 2, 4), np.float32)
    truth[0, 0, 0, 0] = truth[1, 0, 0, 0] = 1.0  # box in the top-left cell, class 0
    maps = np.zeros((3, 2, 2, 4), np.float32)
    maps[0, 0, 0, 0] = 5.0  # evidence in the box
    maps[1, 1, 1, 0] = 5.0  # evidence in the opposite corner
    loss = localisation.pointing_loss(tf.constant(truth), tf.constant(maps)).numpy()
    assert loss[0] < 0.1 < 3.0 < loss[1]
    assert loss[2] == 0.0


def test_class_maps_plus_the_bias_average_to_the_logits():
    model = architectures.build("baseline", 32)
    bias = np.array([0.5, -1.0, 2.0, 0.0], np.float32)
    model.get_layer("logits").bias.assign(bias)
    trainer = localisation.class_maps_model(model, "baseline")
    images = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype(np.float32)
    outputs = trainer(images, training=False)
    maps = outputs[localisation.OUTPUT].numpy()  # (2, 4, 4, 4), without the bias
    logits = np.log(outputs["probabilities"].numpy())
    averaged = maps.mean(axis=(1, 2)) + bias
    centred = averaged - averaged.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(centred, logits - logits.mean(axis=1, keepdims=True), atol=1e-3)


def test_the_mass_term_counts_positive_evidence_outside_the_box():
    truth = np.zeros((2, 2, 2, 4), np.float32)
    truth[:, 0, 0, 0] = 1.0  # box in the top-left cell, class 0
    maps = np.full((2, 2, 2, 4), -1.0, np.float32)
    maps[:, 0, 0, 0] = 5.0  # the peak in the box for both images
    maps[1, 1, 1, 0] = 5.0  # the second also lights the opposite corner as much
    plain = localisation.make_pointing_loss(0.0)(tf.constant(truth), tf.constant(maps)).numpy()
    massed = localisation.make_pointing_loss(2.0)(tf.constant(truth), tf.constant(maps)).numpy()
    np.testing.assert_allclose(massed - plain, [0.0, 2.0 * 0.5], atol=1e-5)


def toy_run(mass_weight: float, epochs: int = 15) -> tuple[float, float]:
    """Share of the positive map inside a corner box before and after a toy run."""
    keras.utils.set_random_seed(0)
    model = architectures.build("baseline", 32)
    trainer = localisation.class_maps_model(model, "baseline")
    images = np.random.default_rng(1).uniform(0, 255, (8, 32, 32, 3)).astype(np.float32)
    masks = np.zeros((8, 32, 32, 1), np.float32)
    masks[:, :8, :8] = 1.0  # the "tumour" is the top-left corner
    truth = targets(masks, [0] * 8, 4)

    def inside_share() -> float:
        maps = trainer(images, training=False)[localisation.OUTPUT].numpy()[..., 0]
        maps = np.maximum(maps, 0) + 1e-9  # what Grad-CAM draws, before resizing
        return float((maps[:, :1, :1].sum(axis=(1, 2)) / maps.sum(axis=(1, 2))).mean())

    before = inside_share()
    loss = localisation.make_pointing_loss(mass_weight)
    trainer.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss={"probabilities": None, localisation.OUTPUT: loss},
    )
    trainer.fit(images, {localisation.OUTPUT: truth}, epochs=epochs, batch_size=8, verbose=0)
    return before, inside_share()


def test_a_toy_run_moves_the_map_into_the_box():
    """A few steps of the pointing loss alone raise the share of the map inside the box."""
    before, after = toy_run(mass_weight=0.0)
    assert after > before + 0.1


def test_the_mass_term_leaves_less_of_the_map_outside_the_box():
    """The same toy run with the outside-mass term ends with more of the map in the box."""
    _, without = toy_run(mass_weight=0.0)
    _, with_mass = toy_run(mass_weight=5.0)
    assert with_mass > without + 0.05
