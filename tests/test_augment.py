import numpy as np
import pytest
import tensorflow as tf

from model import augment
from tests.conftest import synthetic_scan


def scan_batch(count: int = 4, size: int = 48) -> tf.Tensor:
    """float32 (count, size, size, 3) grey synthetic scans, 0-255."""
    grey = np.stack([synthetic_scan(i % 4, i, size) for i in range(count)]).astype(np.float32)
    return tf.constant(np.repeat(grey[..., None], 3, axis=-1))


SEED = tf.constant([7, 0], tf.int32)


def test_scanner_augmentation_keeps_shape_range_and_grey():
    images = scan_batch()
    out = augment.scanner(images, SEED, 1.0).numpy()
    assert out.shape == images.shape
    assert out.min() >= 0.0 and out.max() <= 255.0
    np.testing.assert_allclose(out[..., 0], out[..., 2])  # grey stays grey
    assert not np.allclose(out, images.numpy())


def test_scanner_augmentation_is_deterministic_under_a_seed():
    images = scan_batch()
    first = augment.scanner(images, SEED, 1.0).numpy()
    again = augment.scanner(images, SEED, 1.0).numpy()
    other = augment.scanner(images, tf.constant([8, 0], tf.int32), 1.0).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_each_image_of_a_batch_gets_its_own_draw():
    same = tf.repeat(scan_batch(1), 4, axis=0)
    out = augment.scanner(same, SEED, 1.0).numpy()
    assert not np.allclose(out[0], out[1])


def test_strength_zero_changes_nothing():
    images = scan_batch()
    np.testing.assert_array_equal(augment.scanner(images, SEED, 0.0).numpy(), images.numpy())


@pytest.mark.parametrize("strength", [0.0, 1.0])
def test_geometric_moves_image_and_mask_together(strength):
    size = 32
    stacked = np.zeros((2, size, size, 4), np.float32)
    stacked[:, 4:12, 4:12, :] = 255.0  # the same square in the image and in the mask
    layer = augment.geometric(strength, seed=3)
    out = layer(tf.constant(stacked), training=True).numpy()
    assert out.shape == stacked.shape
    np.testing.assert_allclose(out[..., 0], out[..., 3], atol=1e-3)
