"""Training augmentation, vectorised over a batch (TensorFlow ops, no Python loop per image).

Two kinds:

* ``geometric``: flips, small rotations, zoom and shifts, applied to the image
  and its tumour-box mask together (stacked as a fourth channel), so the box
  follows the anatomy;
* ``scanner``: what differs between hospitals and exports: contrast and
  brightness, a gamma curve, blur and downsampling, and noise. Each image draws
  its own values from a stateless generator, so a batch and a seed give the
  same result every time.

Images are float 0-255 (batch, size, size, channels); the model's own input
function (``model.preprocessing``) has already made them grey and stretched.
"""

import keras
import tensorflow as tf

GAMMA_RANGE = 0.35  # log-gamma drawn from +-this, times the strength
CONTRAST_RANGE = 0.2  # contrast factor 1 +- this around the image mean
BRIGHTNESS_RANGE = 0.08  # shift, as a share of 255
NOISE_MAX = 0.03  # noise standard deviation, up to this share of 255
BLUR_PROBABILITY = 0.3
BLUR_SCALE = (0.45, 0.9)  # downsample to this share of the side, then back


def geometric(strength: float, seed: int) -> keras.Sequential:
    """Random flips, rotation, zoom and shift for (batch, size, size, channels) tensors."""
    # float32 whatever the global policy: augmentation runs in the input pipeline.
    common = {"seed": seed, "dtype": "float32"}
    layers = [keras.layers.RandomFlip("horizontal", **common)]
    if strength > 0:
        layers += [
            keras.layers.RandomRotation(0.04 * strength, fill_mode="constant", **common),
            keras.layers.RandomZoom(0.1 * strength, fill_mode="constant", **common),
            keras.layers.RandomTranslation(
                0.05 * strength, 0.05 * strength, fill_mode="constant", **common
            ),
        ]
    return keras.Sequential(layers, name="geometric")


def _uniform(seed, batch, low, high, stream: int):
    """(batch, 1, 1, 1) stateless uniform draws; ``stream`` separates the draws of one seed."""
    return tf.random.stateless_uniform(
        (batch, 1, 1, 1), seed=tf.stack([seed[0], seed[1] + stream]), minval=low, maxval=high
    )


def scanner(images: tf.Tensor, seed: tf.Tensor, strength: float) -> tf.Tensor:
    """Contrast, brightness, gamma, blur and noise, drawn per image.

    Args:
        images: float32 (batch, size, size, channels), 0-255.
        seed: int32 (2,) stateless seed.
        strength: 0 returns the images unchanged; 1 is the default recipe.

    Returns:
        float32 (batch, size, size, channels), 0-255.
    """
    if strength <= 0:
        return images
    shape = tf.shape(images)
    batch, size = shape[0], shape[1]
    x = images / 255.0
    mean = tf.reduce_mean(x, axis=(1, 2, 3), keepdims=True)
    contrast = 1.0 + _uniform(seed, batch, -CONTRAST_RANGE, CONTRAST_RANGE, 1) * strength
    brightness = _uniform(seed, batch, -BRIGHTNESS_RANGE, BRIGHTNESS_RANGE, 2) * strength
    x = tf.clip_by_value((x - mean) * contrast + mean + brightness, 0.0, 1.0)
    gamma = tf.exp(_uniform(seed, batch, -GAMMA_RANGE, GAMMA_RANGE, 3) * strength)
    x = tf.pow(x + 1e-6, gamma)
    # Blur by downsampling: one scale per batch (resize takes one size), kept per image
    # with probability BLUR_PROBABILITY.
    scale = tf.random.stateless_uniform((), tf.stack([seed[0], seed[1] + 4]), *BLUR_SCALE)
    small = tf.cast(tf.cast(size, tf.float32) * scale, tf.int32)
    blurred = tf.image.resize(tf.image.resize(x, (small, small)), (size, size))
    keep_blur = tf.cast(_uniform(seed, batch, 0.0, 1.0, 5) < BLUR_PROBABILITY * strength, x.dtype)
    x = keep_blur * blurred + (1.0 - keep_blur) * x
    sigma = _uniform(seed, batch, 0.0, NOISE_MAX, 6) * strength
    noise = tf.random.stateless_normal(
        (batch, size, size, 1), seed=tf.stack([seed[0], seed[1] + 7])
    )  # one noise field for the grey channels alike
    x = x + noise * sigma
    return tf.clip_by_value(x, 0.0, 1.0) * 255.0


def main() -> None:
    """Command line: prints the cost of augmenting one batch of 32 at 128 px, with each kind."""
    import time

    import numpy as np

    batch = tf.constant(
        np.random.default_rng(0).uniform(0, 255, (32, 128, 128, 4)).astype("float32")
    )  # images plus the box-mask channel, as in training
    layer = geometric(1.0, seed=1)
    for strength in (0.0, 1.0):

        @tf.function
        def step(index, strength=strength):
            moved = layer(batch, training=True)
            return scanner(moved[..., :3], tf.stack([1, index]), strength)

        step(tf.constant(0))  # trace
        started = time.perf_counter()
        for index in range(20):
            step(tf.constant(index)).numpy()
        milliseconds = (time.perf_counter() - started) / 20 * 1000
        print(f"geometric + scanner strength {strength:g}: {milliseconds:.0f} ms per batch")


if __name__ == "__main__":
    main()
