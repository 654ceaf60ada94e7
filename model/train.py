"""Trains a model on the deduplicated Kaggle Training split and ships it.

Usage:
    python -m model.train --arch baseline
    python -m model.train --arch resnet50 --weights none          # what is bundled
    python -m model.train --arch resnet50 --weights imagenet      # needs a network
    python -m model.train --arch resnet50 --resume                # continue a stopped run

Writes to ``--out`` (default ``model/weights/``): ``<name>.keras`` (float32,
no optimizer state), the model card ``<name>.json``, ``<name>.history.json``
and, after fitting the temperature and low-confidence threshold on validation
(``model.calibrate``) and evaluating on the official and leak-free Testing
images, ``<name>.report.json``. Checkpoints for ``--resume`` go to ``runs/<name>/``.
"""

import argparse
import csv
import dataclasses
import json
import logging
import os
import platform
import shutil
import sys
import time
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from model import architectures, config
from model.batchnorm import recalibrate, recalibration_images
from model.cards import card_path, file_sha256, history_path, write_json
from model.data import load_arrays
from model.evaluate import evaluate, validation_summary
from model.preprocessing import INPUT_VIEWS
from model.splits import training_split

logger = logging.getLogger(__name__)

# Per-architecture defaults, found by the measured runs in docs/training.md.
ARCH_DEFAULTS = {
    "baseline": {
        "image_size": 128,
        "epochs": 18,
        "learning_rate": 1e-3,
        "weight_decay": 1e-4,
        "label_smoothing": 0.0,
        "warmup_epochs": 1.0,
        "start_size": 0,
        "start_epochs": 0,
    },
    "resnet50": {
        "image_size": 128,
        "epochs": 11,
        "learning_rate": 1e-3,
        "weight_decay": 0.05,
        "label_smoothing": 0.1,
        "warmup_epochs": 1.0,
        "start_size": 96,
        "start_epochs": 9,
    },
}


@dataclass
class TrainConfig:
    """Every setting of a training run; unset numbers take the architecture's default."""

    arch: str = field(default="baseline", metadata={"help": "architecture: baseline or resnet50"})
    weights: str = field(
        default="none",
        metadata={
            "help": "initial weights: none (random) or imagenet (downloads, needs a network)"
        },
    )
    init_from: Path | None = field(
        default=None,
        metadata={
            "help": "continue training a saved model: a .keras file of the same architecture "
            "and classes with its card beside it (its weights replace --weights)"
        },
    )
    image_size: int | None = field(default=None, metadata={"help": "square input size in pixels"})
    input_view: str = field(
        default="full",
        metadata={
            "help": "what the model sees: full (the whole image, resized) or head (grey, "
            "cropped to the head, intensities stretched per image; see model.shortcut_probe)"
        },
    )
    epochs: int | None = field(default=None, metadata={"help": "epochs to train (all phases)"})
    start_size: int | None = field(
        default=None,
        metadata={"help": "progressive resizing: input size of the first --start-epochs epochs"},
    )
    start_epochs: int | None = field(
        default=None,
        metadata={"help": "progressive resizing: epochs at --start-size before --image-size"},
    )
    batch_size: int = field(default=32, metadata={"help": "images per step"})
    learning_rate: float | None = field(
        default=None,
        metadata={"help": "peak learning rate of the warm-up plus cosine schedule (AdamW)"},
    )
    weight_decay: float | None = field(default=None, metadata={"help": "AdamW weight decay"})
    label_smoothing: float | None = field(default=None, metadata={"help": "label smoothing"})
    warmup_epochs: float | None = field(default=None, metadata={"help": "linear warm-up length"})
    augment_strength: float = field(
        default=1.0,
        metadata={
            "help": "scales rotation, zoom, shift, contrast and brightness augmentation "
            "(0: flips only)"
        },
    )
    head_epochs: int = field(
        default=3,
        metadata={
            "help": "with --weights imagenet: epochs with the backbone frozen before fine-tuning"
        },
    )
    val_fraction: float = field(
        default=0.1,
        metadata={"help": "share of the deduplicated Training images held out for validation"},
    )
    patience: int = field(default=6, metadata={"help": "early-stopping patience on val_loss"})
    precision: str = field(
        default="auto",
        metadata={
            "help": "auto, float32 or mixed_bfloat16 (auto: bf16 on a CPU with bf16 hardware)"
        },
    )
    data: Path = field(
        default_factory=config.default_data_dir,
        metadata={
            "help": "dataset folder holding Training/ and Testing/ "
            f"(default ${config.DATA_ENV_VAR} or ../shared/data/brain-tumor-mri)"
        },
    )
    out: Path = field(default=config.WEIGHTS_DIR, metadata={"help": "folder for the artifacts"})
    runs: Path = field(
        default=config.PROJECT_ROOT / "runs",
        metadata={"help": "folder for checkpoints and logs of unfinished runs"},
    )
    name: str | None = field(default=None, metadata={"help": "artifact name (default: --arch)"})
    resume: bool = field(default=False, metadata={"help": "continue from the last checkpoint"})
    seed: int = field(default=config.SEED, metadata={"help": "random seed"})

    def resolved(self) -> "TrainConfig":
        """Returns a copy with architecture defaults filled in, after validating."""
        if self.arch not in ARCH_DEFAULTS:
            raise ValueError(
                f"--arch must be one of {', '.join(ARCH_DEFAULTS)}, not {self.arch!r}."
            )
        filled = {k: v for k, v in ARCH_DEFAULTS[self.arch].items() if getattr(self, k) is None}
        resolved = dataclasses.replace(self, name=self.name or self.arch, **filled)
        resolved.validate()
        return resolved

    def validate(self) -> None:
        """Raises ValueError with a fix for every setting that cannot work."""
        if self.weights not in ("none", "imagenet"):
            raise ValueError(f"--weights must be none or imagenet, not {self.weights!r}.")
        if self.weights == "imagenet" and self.arch == "baseline":
            raise ValueError("The baseline CNN has no ImageNet weights; use --weights none.")
        if self.image_size < 32:
            raise ValueError(f"--image-size {self.image_size} is too small; use 32 or more.")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("--epochs and --batch-size must be at least 1.")
        if self.weights == "imagenet" and self.epochs <= self.head_epochs:
            raise ValueError("--epochs must exceed --head-epochs to leave epochs for fine-tuning.")
        if not 0 < self.val_fraction < 0.5:
            raise ValueError("--val-fraction must be between 0 and 0.5.")
        if self.start_epochs and (self.start_epochs >= self.epochs or self.start_size < 32):
            raise ValueError(
                "--start-epochs must be below --epochs and --start-size at least 32 "
                "(or --start-epochs 0 to train at one size)."
            )
        if self.start_epochs and self.weights == "imagenet":
            raise ValueError(
                "Progressive resizing is for random initialisation; "
                "use --start-epochs 0 with --weights imagenet."
            )
        if self.init_from is not None:
            self.validate_init_from()
        if self.input_view not in INPUT_VIEWS:
            raise ValueError(f"--input-view must be one of {', '.join(INPUT_VIEWS)}.")
        if self.precision not in ("auto", "float32", "mixed_bfloat16"):
            raise ValueError("--precision must be auto, float32 or mixed_bfloat16.")
        if not (self.data / config.TRAIN_SPLIT).is_dir():
            raise ValueError(
                f"{self.data} has no {config.TRAIN_SPLIT}/ folder. Download the Kaggle "
                f"'Brain Tumor MRI Dataset' and pass its folder with --data or "
                f"${config.DATA_ENV_VAR}."
            )

    def validate_init_from(self) -> None:
        """Checks that ``--init-from`` names a model this run can continue."""
        card_file = card_path(self.init_from)
        if not self.init_from.is_file() or not card_file.is_file():
            raise ValueError(
                f"--init-from {self.init_from}: expected a .keras file with its card "
                f"({card_file.name}) beside it, as model.train writes them."
            )
        card = json.loads(card_file.read_text())
        if card.get("architecture") != self.arch:
            raise ValueError(
                f"--init-from {self.init_from} is a {card.get('architecture')} model; "
                f"pass --arch {card.get('architecture')} or another file."
            )
        if list(card.get("classes", [])) != list(config.CLASS_NAMES):
            raise ValueError(f"--init-from {self.init_from} was trained on other classes.")
        if card.get("input_view", "full") != self.input_view:
            raise ValueError(
                f"--init-from {self.init_from} saw the {card.get('input_view', 'full')!r} "
                f"input view; pass --input-view {card.get('input_view', 'full')}."
            )
        if self.weights != "none":
            raise ValueError("--init-from replaces --weights; leave --weights at none.")


def initial_model_record(path: Path) -> dict:
    """What the card of a continued run says about the model it started from."""
    card = json.loads(card_path(path).read_text())
    return {
        "file": path.name,
        "keras_sha256": file_sha256(path),
        "initial_weights": card.get("initial_weights"),
        "epochs_run": card.get("epochs_run"),
        "wall_time_seconds": card.get("wall_time_seconds"),
        "training_config": card.get("training_config"),
    }


def initial_weights_note(cfg: TrainConfig, continued: dict | None) -> str:
    """How the shipped weights began, in words, for the model card."""
    if cfg.weights == "imagenet":
        return "ImageNet (keras.applications), frozen head phase then fine-tuning"
    note = (
        "random initialisation: the machine that trained this model has no network, so "
        "ImageNet weights could not be downloaded"
    )
    if continued:
        note += (
            f"; then {continued['epochs_run']} epochs saved as {continued['file']} "
            f"(sha256 {continued['keras_sha256'][:12]}), which this run continued with a new "
            "learning-rate schedule (see continued_from)"
        )
    return note


def parse_config(argv: list[str] | None = None) -> TrainConfig:
    """Builds a TrainConfig from command-line flags named after its fields."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    for item in dataclasses.fields(TrainConfig):
        flag = "--" + item.name.replace("_", "-")
        help_text = item.metadata["help"]
        if item.type is bool:
            parser.add_argument(flag, action="store_true", help=help_text)
            continue
        # "int | None" -> int: unset numbers stay None and take the arch default.
        kind = (
            next(t for t in typing.get_args(item.type) if t is not type(None))
            if isinstance(item.type, types.UnionType)
            else item.type
        )
        default = (
            item.default if item.default_factory is dataclasses.MISSING else item.default_factory()
        )
        parser.add_argument(flag, type=kind, default=default, help=help_text)
    try:
        return TrainConfig(**vars(parser.parse_args(argv))).resolved()
    except ValueError as error:
        parser.error(str(error))


def choose_strategy() -> tf.distribute.Strategy:
    """MirroredStrategy over several GPUs, else the default strategy (one device)."""
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()


def cpu_has_bf16() -> bool:
    """True when the CPU computes bfloat16 in hardware (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def choose_precision(requested: str) -> str:
    """Returns the Keras dtype policy for ``--precision``.

    auto: mixed_bfloat16 on a CPU with hardware bf16 (about 1.4x faster there),
    float32 otherwise. On a CPU without it (AVX2 only) bf16 was measured 7x
    slower than float32 for ResNet50 (0.8 against 5.9 images/s at 128 px).
    """
    if requested != "auto":
        return requested
    if tf.config.list_logical_devices("GPU") or not cpu_has_bf16():
        return "float32"
    return "mixed_bfloat16"


def augmenter(strength: float, seed: int) -> keras.Sequential:
    """Random flips, rotation, zoom, shift, contrast and brightness on 0-255 images."""
    layers = [keras.layers.RandomFlip("horizontal", seed=seed)]
    if strength > 0:
        layers += [
            keras.layers.RandomRotation(0.04 * strength, fill_mode="constant", seed=seed),
            keras.layers.RandomZoom(0.1 * strength, fill_mode="constant", seed=seed),
            keras.layers.RandomTranslation(
                0.05 * strength, 0.05 * strength, fill_mode="constant", seed=seed
            ),
            keras.layers.RandomContrast(0.2 * strength, seed=seed),
            keras.layers.RandomBrightness(0.1 * strength, value_range=(0, 255), seed=seed),
        ]
    return keras.Sequential(layers, name="augment")


def make_dataset(images, labels, batch_size, augment=None, shuffle_seed=None) -> tf.data.Dataset:
    """Batches (N, size, size, 3) uint8 images with one-hot labels, optionally augmented."""
    one_hot = keras.utils.to_categorical(labels, len(config.CLASS_NAMES)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices((images, one_hot))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(images), seed=shuffle_seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)

    def to_float(images, labels):
        return tf.cast(images, "float32"), labels

    def augmented(images, labels):
        return augment(images, training=True), labels

    dataset = dataset.map(to_float)
    if augment is not None:
        dataset = dataset.map(augmented, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def set_backbone_trainable(model: keras.Model, trainable: bool) -> None:
    """Freezes or unfreezes everything but the head.

    Batch norm and the preprocessing layer stay frozen while fine-tuning, as in
    the Keras transfer-learning guide (frozen batch norm runs in inference mode).
    """
    for layer in model.layers:
        if layer.name in architectures.HEAD_LAYERS:
            layer.trainable = True
        elif isinstance(layer, keras.layers.BatchNormalization) or layer.name == "caffe_preprocess":
            layer.trainable = False
        else:
            layer.trainable = trainable


def compile_model(
    model, cfg: TrainConfig, learning_rate: float, total_steps: int, warmup_steps: int
) -> None:
    """AdamW with linear warm-up then cosine decay, label-smoothed cross-entropy."""
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=learning_rate / 100,
        decay_steps=max(1, total_steps - warmup_steps),
        warmup_target=learning_rate,
        warmup_steps=warmup_steps,
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=cfg.weight_decay, clipnorm=1.0),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
        metrics=["accuracy"],
    )


def fit_phase(model, cfg, segments, steps, learning_rate, warmup, run_dir, on_epoch_end):
    """Compiles once, then fits each (train, validation, last epoch) segment in turn.

    Segments let one schedule span progressive resizing (small images first).
    Checkpoints go to ``run_dir``; a resumed run skips the epochs already done.
    """
    compile_model(model, cfg, learning_rate, steps * segments[-1][2], int(warmup * steps))
    run_dir.mkdir(parents=True, exist_ok=True)
    # BackupAndRestore sets model._initial_epoch when it restores and Keras never
    # clears it; a later phase with its own checkpoints must not inherit it.
    model._initial_epoch = None
    callbacks = [
        keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: on_epoch_end()),
        # The history row is written before the checkpoint, so a stop between the
        # two repeats an epoch's row (the last one wins) instead of losing it.
        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
        keras.callbacks.BackupAndRestore(
            str(run_dir / "backup"), double_checkpoint=True, delete_checkpoint=False
        ),
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=cfg.patience, restore_best_weights=True
        ),
    ]
    first = 0
    for train_ds, val_ds, last in segments:
        print(f"epochs {first + 1}-{last} at {train_ds.element_spec[0].shape[1]} px", flush=True)
        model.fit(
            train_ds,
            validation_data=val_ds,
            initial_epoch=first,
            epochs=last,
            callbacks=callbacks,
            verbose=1 if sys.stdout.isatty() else 2,
        )
        first = last


def read_history(csv_file: Path) -> dict[str, list[float]]:
    """Turns a CSVLogger file into {metric: [value per epoch]}.

    After a resume an epoch may be logged twice; the last row wins.
    """
    rows = {}
    with open(csv_file) as handle:
        for row in csv.DictReader(handle):
            rows[int(row.pop("epoch"))] = row
    history: dict[str, list[float]] = {}
    for _, row in sorted(rows.items()):
        for key, value in row.items():
            history.setdefault(key, []).append(float(value))
    return history


def float32_copy(model: keras.Model, cfg: TrainConfig) -> keras.Model:
    """Rebuilds the architecture in float32 and copies the weights: what ships.

    A float32 model runs fast on any CPU (bf16 is slow without hardware
    support), works with tf-keras-vis, and carries no optimizer state.
    """
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        shipped = architectures.build(cfg.arch, cfg.image_size)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    shipped.set_weights(model.get_weights())
    return shipped


def machine_description() -> dict:
    """CPU model, core count and library versions, for the model card."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }


def train(cfg: TrainConfig) -> Path:
    """Trains, exports, evaluates and documents one model; returns the .keras path."""
    started = time.time()
    keras.utils.set_random_seed(cfg.seed)
    run_dir = cfg.runs / cfg.name
    if run_dir.exists() and not cfg.resume:
        raise SystemExit(
            f"{run_dir} holds an unfinished run. Pass --resume to continue it, or delete "
            f"the folder to start again."
        )
    if cfg.resume and not run_dir.exists():
        logger.warning("nothing to resume in %s; starting a new run", run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    # Training wall time survives --resume: it is written after every epoch.
    meta_file = run_dir / "run.json"
    elapsed_before = json.loads(meta_file.read_text())["elapsed"] if meta_file.exists() else 0.0

    def save_elapsed() -> None:
        meta_file.write_text(json.dumps({"elapsed": elapsed_before + time.time() - started}))

    policy = choose_precision(cfg.precision)
    keras.mixed_precision.set_global_policy(policy)
    # Read before training: the continued model may be the file this run overwrites.
    continued = initial_model_record(cfg.init_from) if cfg.init_from else None
    earlier_history = (
        json.loads(history_path(cfg.init_from).read_text())
        if cfg.init_from and history_path(cfg.init_from).is_file()
        else {}
    )

    split = training_split(cfg.data, cfg.val_fraction, cfg.seed)
    duplicates, train_pool = split.duplicates, split.pool
    train_idx, val_idx = split.train, split.validation
    arrays = load_arrays(
        train_pool, cfg.image_size, cache_key=duplicates.data_sha256, view=cfg.input_view
    )
    print(
        f"training on {len(train_idx)} images, validating on {len(val_idx)} "
        f"(of {duplicates.summary['train_images']} Training images, {len(train_pool)} "
        "kept after dedup); "
        f"policy {policy}",
        flush=True,
    )

    augment = augmenter(cfg.augment_strength, cfg.seed)

    def datasets(images: np.ndarray) -> tuple[tf.data.Dataset, tf.data.Dataset]:
        labels = train_pool.labels
        return (
            make_dataset(
                images[train_idx],
                labels[train_idx],
                cfg.batch_size,
                augment=augment,
                shuffle_seed=cfg.seed,
            ),
            make_dataset(images[val_idx], labels[val_idx], cfg.batch_size),
        )

    segments = []
    if cfg.start_epochs:
        small = load_arrays(
            train_pool, cfg.start_size, cache_key=duplicates.data_sha256, view=cfg.input_view
        )
        segments.append((*datasets(small), cfg.start_epochs))
    segments.append((*datasets(arrays), cfg.epochs))
    steps = int(np.ceil(len(train_idx) / cfg.batch_size))
    # Fully convolutional with global pooling: one model takes every size
    # while training progressively; the shipped copy has the fixed size.
    train_size = None if cfg.start_epochs else cfg.image_size

    strategy = choose_strategy()
    with strategy.scope():
        weights = None if cfg.weights == "none" else cfg.weights
        model = architectures.build(cfg.arch, train_size, weights=weights)
        if cfg.init_from and not cfg.resume:
            # Sizes may differ (the network is fully convolutional); the weights do not.
            model.set_weights(
                keras.saving.load_model(cfg.init_from, compile=False, safe_mode=True).get_weights()
            )
        if weights is not None:
            # Transfer learning: train the new head on a frozen backbone, then
            # fine-tune everything but batch norm with a ten times lower rate.
            head_file = run_dir / "head.weights.h5"
            set_backbone_trainable(model, False)
            if head_file.exists():
                model.load_weights(head_file)
            else:
                head_segments = [(*segments[-1][:2], cfg.head_epochs)]
                fit_phase(
                    model,
                    cfg,
                    head_segments,
                    steps,
                    cfg.learning_rate,
                    cfg.warmup_epochs,
                    run_dir / "head",
                    save_elapsed,
                )
                model.save_weights(head_file)
            set_backbone_trainable(model, True)
            finetune = [(*segments[-1][:2], cfg.epochs - cfg.head_epochs)]
            fit_phase(
                model,
                cfg,
                finetune,
                steps,
                cfg.learning_rate / 10,
                0,
                run_dir / "finetune",
                save_elapsed,
            )
        else:
            fit_phase(
                model,
                cfg,
                segments,
                steps,
                cfg.learning_rate,
                cfg.warmup_epochs,
                run_dir / "train",
                save_elapsed,
            )
    save_elapsed()
    elapsed = json.loads(meta_file.read_text())["elapsed"]

    cfg.out.mkdir(parents=True, exist_ok=True)
    weights_file = cfg.out / f"{cfg.name}.keras"
    shipped = float32_copy(model, cfg)
    recalibrated = recalibrate(shipped, recalibration_images(arrays[train_idx], cfg.seed))
    shipped.save(weights_file)

    histories = [run_dir / phase / "history.csv" for phase in ("head", "finetune", "train")]
    # A continued run's curves start with the epochs of the model it continued.
    history = {key: list(values) for key, values in earlier_history.items()}
    for csv_file in filter(Path.exists, histories):
        for key, values in read_history(csv_file).items():
            history.setdefault(key, []).extend(values)
    write_json(history_path(weights_file), history)

    # Temperature and low-confidence threshold, fitted on validation (model.calibrate).
    validation, calibration = validation_summary(
        shipped, arrays[val_idx], train_pool.labels[val_idx]
    )

    config_record = {
        k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(cfg).items()
    }
    card = {
        "name": cfg.name,
        "architecture": cfg.arch,
        "classes": list(config.CLASS_NAMES),
        "input_size": cfg.image_size,
        "input_view": cfg.input_view,
        "input": "batch of RGB images, raw 0-255 values, shape (batch, size, size, 3); "
        "resized with Pillow's antialiased bilinear filter "
        "(model.preprocessing.to_model_input)",
        "preprocessing_in_model": (
            "Rescaling 1/255"
            if cfg.arch == "baseline"
            else "frozen 1x1 conv = keras.applications.resnet50.preprocess_input (RGB->BGR, "
            "minus ImageNet mean)"
        ),
        "output": "softmax over classes, float32",
        "initial_weights": continued["initial_weights"] if continued else cfg.weights,
        "initial_weights_note": initial_weights_note(cfg, continued),
        **({"continued_from": continued} if continued else {}),
        "gradcam_layer": architectures.GRADCAM_LAYERS[cfg.arch],
        **calibration,
        "training_config": config_record,
        "precision": policy,
        "data": {
            "folder": str(cfg.data),
            "sha256": duplicates.data_sha256,
            "dedup_rule": duplicates.rule,
            "dedup_summary": duplicates.summary,
            "train_images": int(len(train_idx)),
            "validation_images": int(len(val_idx)),
        },
        "batchnorm_recalibration": {"training_images": recalibrated},
        "validation": validation,
        "epochs_run": len(history["loss"]),
        # With --init-from: this run's time plus that of the model it continued.
        "wall_time_seconds": round(elapsed + (continued or {}).get("wall_time_seconds", 0), 1),
        "machine": machine_description(),
        "keras_sha256": file_sha256(weights_file),
        "keras_bytes": weights_file.stat().st_size,
    }
    write_json(card_path(weights_file), card)
    evaluate(weights_file, cfg.data)
    shutil.rmtree(run_dir)
    print(
        f"wrote {weights_file} and its card, history and report "
        f"({elapsed / 60:.1f} min of training)"
    )
    return weights_file


def main(argv: list[str] | None = None) -> None:
    """Command line: train, export, evaluate and document one model."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    train(parse_config(argv))


if __name__ == "__main__":
    main()
