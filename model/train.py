"""Trains a model on the deduplicated Kaggle Training split and ships it.

Usage:
    python -m model.train --arch baseline
    python -m model.train --arch resnet50 --weights none          # what is bundled
    python -m model.train --arch resnet50 --weights imagenet      # needs a network
    python -m model.train --arch resnet50 --resume                # continue a stopped run

Writes to ``--out`` (default ``model/weights/``): ``<name>.keras`` (float32,
no optimizer state), the model card ``<name>.json``, ``<name>.history.json``
and, after fitting the temperature and low-confidence threshold on validation
and refitting the out-of-distribution gate (``model.refit``), then evaluating on
the official and leak-free Testing images and the unseen Radiopaedia cases,
``<name>.report.json``. Checkpoints for ``--resume`` go to ``runs/<name>/``.
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

from model import architectures, augment, config, localisation
from model.batchnorm import recalibrate, recalibration_images
from model.boxes import box_masks, default_boxes_file, read_boxes
from model.cards import (
    ModelCard,
    card_path,
    file_sha256,
    history_path,
    read_card,
    thawed,
    write_card,
    write_json,
)
from model.evaluate import SplitSource
from model.refit import refit
from model.registry import load_checked
from model.sources import (
    EVAL_ROLE,
    EVAL_SPLIT,
    MANIFEST,
    RADIOPAEDIA,
    TRAIN_ROLE,
    default_radiopaedia_dir,
    parse_sources,
)
from model.splits import SplitArrays, TrainingSplit, load_split, training_split

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
        default="grey",
        metadata={
            "help": "what the model sees: full (the whole image, resized) or head (grey, "
            "cropped to the head, intensities stretched per image; see model.shortcut_probe)"
        },
    )
    sources: str = field(
        default="kaggle,radiopaedia",
        metadata={
            "help": "training sources, comma-separated: kaggle (always) and radiopaedia "
            "(the manifest's train role; weights trained on it are non-commercial)"
        },
    )
    radiopaedia: Path = field(
        default_factory=default_radiopaedia_dir,
        metadata={"help": "Radiopaedia folder with manifest.csv (default: the shared copy)"},
    )
    radiopaedia_share: float = field(
        default=0.3,
        metadata={
            "help": "share of every batch drawn from Radiopaedia, split equally between its "
            "classes (0: the natural share)"
        },
    )
    drop_test_leaks: bool = field(
        default=False,
        metadata={
            "help": "drop every Training near-duplicate group with a near-copy in Testing "
            "(for a clean official-split number; the leak-free subset is clean either way)"
        },
    )
    boxes: Path = field(
        default_factory=default_boxes_file,
        metadata={"help": "tumour boxes (lesion-boxes.csv); its Training rows supervise the maps"},
    )
    localisation_weight: float = field(
        default=0.0,
        metadata={"help": "weight of the pointing loss on the class maps (0: off)"},
    )
    mass_weight: float = field(
        default=0.0,
        metadata={
            "help": "inside the pointing loss, weight of the share of the heatmap outside the "
            "box (0: off; needs --localisation-weight)"
        },
    )
    scanner_augment: float = field(
        default=1.0,
        metadata={"help": "strength of contrast, gamma, blur and noise augmentation (0: off)"},
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
        metadata={"help": "scales rotation, zoom and shift augmentation (0: flips only)"},
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
        self.source_names()  # raises on a bad --sources
        if self.uses_radiopaedia and not self.radiopaedia.is_dir():
            raise ValueError(
                f"--radiopaedia {self.radiopaedia} is not a folder; pass the Radiopaedia folder "
                "or use --sources kaggle."
            )
        if not 0 <= self.radiopaedia_share < 1:
            raise ValueError("--radiopaedia-share must be in [0, 1).")
        if self.localisation_weight < 0:
            raise ValueError("--localisation-weight must be 0 or more.")
        if self.mass_weight < 0:
            raise ValueError("--mass-weight must be 0 or more.")
        if self.mass_weight > 0 and self.localisation_weight == 0:
            raise ValueError(
                "--mass-weight is part of the pointing loss: set --localisation-weight."
            )
        if self.localisation_weight > 0 and self.input_view == "head":
            raise ValueError(
                "--localisation-weight needs a whole-image view (full or grey): the head "
                "view crops the image, so the tumour boxes would not match."
            )
        if self.input_view not in config.INPUT_VIEWS:
            raise ValueError(f"--input-view must be one of {', '.join(config.INPUT_VIEWS)}.")
        if self.precision not in ("auto", "float32", "mixed_bfloat16"):
            raise ValueError("--precision must be auto, float32 or mixed_bfloat16.")
        if not (self.data / config.TRAIN_SPLIT).is_dir():
            raise ValueError(
                f"{self.data} has no {config.TRAIN_SPLIT}/ folder. Download the Kaggle "
                f"'Brain Tumor MRI Dataset' and pass its folder with --data or "
                f"${config.DATA_ENV_VAR}."
            )

    def source_names(self) -> tuple[str, ...]:
        """The parsed ``--sources``."""
        return parse_sources(self.sources)

    @property
    def uses_radiopaedia(self) -> bool:
        """Whether ``--sources`` trains on the Radiopaedia cases too."""
        return RADIOPAEDIA in self.source_names()

    def validate_init_from(self) -> None:
        """Checks that ``--init-from`` names a model this run can continue."""
        card_file = card_path(self.init_from)
        if not self.init_from.is_file() or not card_file.is_file():
            raise ValueError(
                f"--init-from {self.init_from}: expected a .keras file with its card "
                f"({card_file.name}) beside it, as model.train writes them."
            )
        card = read_card(self.init_from)  # a malformed card raises CardError, a ValueError
        if card.architecture != self.arch:
            raise ValueError(
                f"--init-from {self.init_from} is a {card.architecture} model; "
                f"pass --arch {card.architecture} or another file."
            )
        if card.classes != config.CLASS_NAMES:
            raise ValueError(f"--init-from {self.init_from} was trained on other classes.")
        whole_image = {"full", "grey"}
        seen = card.input_view
        if seen != self.input_view and not {seen, self.input_view} <= whole_image:
            raise ValueError(
                f"--init-from {self.init_from} saw the {seen!r} "
                f"input view; pass --input-view {seen}."
            )
        if self.weights != "none":
            raise ValueError("--init-from replaces --weights; leave --weights at none.")


def initial_model_record(path: Path) -> dict:
    """What the card of a continued run says about the model it started from."""
    card = read_card(path)
    return {
        "file": path.name,
        "keras_sha256": file_sha256(path),
        "initial_weights": card.initial_weights,
        "epochs_run": card.epochs_run,
        "wall_time_seconds": card.wall_time_seconds,
        "training_config": thawed(card.training_config),
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


def stream(images, masks, labels, seed: int) -> tf.data.Dataset:
    """An endless shuffled stream of (image, mask, label) triples."""
    dataset = tf.data.Dataset.from_tensor_slices((images, masks, labels))
    return dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True).repeat()


def sampled_streams(data: SplitArrays, images, masks, cfg) -> tf.data.Dataset:
    """Training images of every source, mixed by ``--radiopaedia-share``.

    Kaggle keeps its natural class balance; the Radiopaedia share is split
    equally between its classes, so its smallest class (no tumour) is not drowned.
    """
    train = data.train
    kaggle = train[data.sources[train] == 0]
    others = train[data.sources[train] != 0]
    if len(others) == 0 or cfg.radiopaedia_share == 0:
        return stream(images[train], masks[train], data.labels[train], cfg.seed)
    parts = [stream(images[kaggle], masks[kaggle], data.labels[kaggle], cfg.seed)]
    classes = np.unique(data.labels[others])
    for offset, label in enumerate(classes, start=1):
        chosen = others[data.labels[others] == label]
        parts.append(stream(images[chosen], masks[chosen], data.labels[chosen], cfg.seed + offset))
    share = cfg.radiopaedia_share / len(classes)
    weights = [1.0 - cfg.radiopaedia_share] + [share] * len(classes)
    return tf.data.Dataset.sample_from_datasets(parts, weights=weights, seed=cfg.seed)


def batch_targets(images, masks, labels, map_size: int):
    """(images float32, {"probabilities": one-hot, "class_maps": box cells}) of a batch."""
    one_hot = tf.one_hot(labels, len(config.CLASS_NAMES))
    targets = {
        "probabilities": one_hot,
        localisation.OUTPUT: localisation.map_targets(masks, one_hot, map_size),
    }
    return images, targets


def training_dataset(data: SplitArrays, images, masks, cfg, map_size: int) -> tf.data.Dataset:
    """Batches of augmented training images with their class and box-cell targets."""
    geometric = augment.geometric(cfg.augment_strength, cfg.seed)

    def augmented(step, batch):
        batch_images, batch_masks, labels = batch
        stacked = tf.concat(
            [tf.cast(batch_images, "float32"), tf.cast(batch_masks, "float32")], axis=-1
        )  # (b, size, size, 4): the mask moves with the image
        stacked = geometric(stacked, training=True)
        seed = tf.stack([tf.constant(cfg.seed, tf.int64), step * 8])
        seed = tf.cast(seed, tf.int32)
        moved = augment.scanner(stacked[..., :3], seed, cfg.scanner_augment)
        return batch_targets(moved, stacked[..., 3:], labels, map_size)

    dataset = sampled_streams(data, images, masks, cfg).batch(cfg.batch_size, drop_remainder=True)
    dataset = dataset.enumerate().map(augmented, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def validation_dataset(data: SplitArrays, images, masks, cfg, map_size: int) -> tf.data.Dataset:
    """Batches of the validation images of every source, unaugmented."""
    chosen = data.validation
    dataset = tf.data.Dataset.from_tensor_slices(
        (images[chosen], masks[chosen], data.labels[chosen])
    ).batch(cfg.batch_size)

    def prepared(batch_images, batch_masks, labels):
        return batch_targets(
            tf.cast(batch_images, "float32"), tf.cast(batch_masks, "float32"), labels, map_size
        )

    return dataset.map(prepared).prefetch(tf.data.AUTOTUNE)


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
        loss={
            "probabilities": keras.losses.CategoricalCrossentropy(
                label_smoothing=cfg.label_smoothing
            ),
            localisation.OUTPUT: localisation.make_pointing_loss(cfg.mass_weight),
        },
        loss_weights={"probabilities": 1.0, localisation.OUTPUT: cfg.localisation_weight},
        metrics={"probabilities": ["accuracy"]},
    )


def fit_phase(model, cfg, segments, steps, learning_rate, warmup, run_dir, on_epoch_end):
    """Compiles once, then fits each (train, validation, last epoch) segment in turn.

    ``steps`` is the number of batches per epoch (the training streams are endless).

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
            steps_per_epoch=steps,
            callbacks=callbacks,
            verbose=1 if sys.stdout.isatty() else 2,
        )
        first = last


# Keras names the metrics of a two-output model after the output; the curves keep
# the single-output names the compare page reads.
HISTORY_NAMES = {
    "probabilities_accuracy": "accuracy",
    "probabilities_loss": "classification_loss",
    f"{localisation.OUTPUT}_loss": "localisation_loss",
}


def history_name(key: str) -> str:
    """The curve name of a CSVLogger column (``val_`` prefix kept)."""
    prefix = "val_" if key.startswith("val_") else ""
    bare = key[len(prefix) :]
    return prefix + HISTORY_NAMES.get(bare, bare)


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
            if not value:
                continue
            history.setdefault(history_name(key), []).append(float(value))
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


def licence_note(cfg: TrainConfig) -> str:
    """What the training data allows the weights to be used for."""
    if cfg.uses_radiopaedia:
        return (
            "Trained on Radiopaedia.org cases (CC BY-NC-SA 3.0) besides the CC0 Kaggle set: "
            "these weights are for non-commercial use only, and credit Radiopaedia.org."
        )
    return "Trained on the CC0 Kaggle set only."


def recipe_note(cfg: TrainConfig) -> str:
    """The training recipe in one sentence, for the model card."""
    parts = [f"{cfg.input_view} input at {cfg.image_size} px"]
    if cfg.uses_radiopaedia:
        parts.append(f"{cfg.radiopaedia_share:.0%} of every batch from Radiopaedia")
    parts.append(
        f"geometric augmentation {cfg.augment_strength:g}, scanner augmentation "
        f"{cfg.scanner_augment:g} (contrast, brightness, gamma, blur, noise)"
    )
    if cfg.localisation_weight:
        parts.append(f"pointing loss on the class maps, weight {cfg.localisation_weight:g}")
        if cfg.mass_weight:
            parts.append(f"heatmap share outside the box, weight {cfg.mass_weight:g}")
    return "; ".join(parts)


# Each phase's checkpoints and history live in runs/<name>/<phase>/: from scratch
# one phase; with ImageNet weights a frozen-backbone head phase, then fine-tuning.
HEAD_PHASE, FINETUNE_PHASE, SCRATCH_PHASE = "head", "finetune", "train"
PHASES = (HEAD_PHASE, FINETUNE_PHASE, SCRATCH_PHASE)  # in the order their epochs ran
HEAD_WEIGHTS = "head.weights.h5"  # the head phase's result, so a resume skips it
RUN_META = "run.json"  # {"elapsed": seconds of training so far}
FINETUNE_RATE_DIVISOR = 10  # fine-tuning runs at a tenth of the peak learning rate
SHIPPED_POLICY = "float32"  # the dtype policy of the exported model


@dataclass
class RunClock:
    """Training wall time that survives ``--resume``: saved in ``run.json`` after every epoch.

    Attributes:
        meta_file: ``runs/<name>/run.json``.
        started: When this session of the run started (``time.time()``).
        before: Seconds of training in earlier sessions of the same run.
    """

    meta_file: Path
    started: float
    before: float = 0.0

    @classmethod
    def open(cls, run_dir: Path, started: float) -> "RunClock":
        """The clock of a run folder, continuing the time it recorded."""
        meta_file = run_dir / RUN_META
        before = json.loads(meta_file.read_text())["elapsed"] if meta_file.exists() else 0.0
        return cls(meta_file, started, before)

    def save(self) -> float:
        """Writes the training time so far and returns it in seconds."""
        elapsed = self.before + time.time() - self.started
        self.meta_file.write_text(json.dumps({"elapsed": elapsed}))
        return elapsed


def open_run_dir(cfg: TrainConfig) -> Path:
    """``runs/<name>/``, created; refuses to overwrite an unfinished run without ``--resume``."""
    run_dir = cfg.runs / cfg.name
    if run_dir.exists() and not cfg.resume:
        raise SystemExit(
            f"{run_dir} holds an unfinished run. Pass --resume to continue it, or delete "
            f"the folder to start again."
        )
    if cfg.resume and not run_dir.exists():
        logger.warning("nothing to resume in %s; starting a new run", run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


def earlier_history(init_from: Path | None) -> dict[str, list[float]]:
    """The curves of the model a run continues (``--init-from``); empty without one."""
    if init_from is None or not history_path(init_from).is_file():
        return {}
    return json.loads(history_path(init_from).read_text())


# (training batches, validation batches, last epoch) of one input size.
Segment = tuple[tf.data.Dataset, tf.data.Dataset, int]


@dataclass
class TrainingData:
    """What the data phase hands on.

    Attributes:
        split: Which images train and which validate, with the duplicate report.
        arrays: Every source's images at the final input size, uint8 (N, size, size, 3),
            with their labels and the indices of each part.
        boxes: Tumour boxes of the Kaggle Training images by path (empty without
            the pointing loss).
        segments: One per input size, the small size of progressive resizing first.
        steps: Batches per epoch (the training streams are endless).
    """

    split: TrainingSplit
    arrays: SplitArrays
    boxes: dict
    segments: list[Segment]
    steps: int


def box_paths(data: SplitArrays) -> tuple[str, ...]:
    """The path of each image to look its tumour box up by; "" for other sources (no boxes)."""
    return tuple(path if source == 0 else "" for path, source in zip(data.paths, data.sources))


def segment(
    cfg: TrainConfig, data: SplitArrays, boxes: dict, size: int, images: np.ndarray, last: int
) -> Segment:
    """Training and validation batches of ``images`` (N, size, size, 3) up to epoch ``last``."""
    masks = box_masks(box_paths(data), boxes, size)  # (N, size, size, 1) uint8
    side = architectures.map_size(cfg.arch, size)
    return (
        training_dataset(data, images, masks, cfg, side),
        validation_dataset(data, images, masks, cfg, side),
        last,
    )


def load_training_data(cfg: TrainConfig, policy: str) -> TrainingData:
    """Data phase: the deduplicated split of every source, its images and its batches."""
    split = training_split(
        cfg.data,
        cfg.val_fraction,
        cfg.seed,
        radiopaedia_dir=cfg.radiopaedia if cfg.uses_radiopaedia else None,
        drop_test_leaks=cfg.drop_test_leaks,
    )
    data = load_split(split, cfg.image_size, cfg.input_view)
    boxes = read_boxes(cfg.boxes, config.TRAIN_SPLIT) if cfg.localisation_weight > 0 else {}
    print(
        f"training on {len(data.train)} images, validating on {len(data.validation)} "
        f"({split.counts()}); {sum(p in boxes for p in box_paths(data))} with a tumour box; "
        f"policy {policy}",
        flush=True,
    )
    segments = []
    if cfg.start_epochs:
        small = load_split(split, cfg.start_size, cfg.input_view).images
        segments.append(segment(cfg, data, boxes, cfg.start_size, small, cfg.start_epochs))
    segments.append(segment(cfg, data, boxes, cfg.image_size, data.images, cfg.epochs))
    steps = int(np.ceil(len(data.train) / cfg.batch_size))
    return TrainingData(split, data, boxes, segments, steps)


def fit_model(cfg: TrainConfig, data: TrainingData, run_dir: Path, clock: RunClock) -> keras.Model:
    """Fit phase: builds the model and trains it, from scratch or from ImageNet weights.

    Returns:
        The trained model, in the training dtype policy.
    """
    # Fully convolutional with global pooling: one model takes every size
    # while training progressively; the shipped copy has the fixed size.
    train_size = None if cfg.start_epochs else cfg.image_size
    with choose_strategy().scope():
        weights = None if cfg.weights == "none" else cfg.weights
        model = architectures.build(cfg.arch, train_size, weights=weights)
        if cfg.init_from and not cfg.resume:
            # Sizes may differ (the network is fully convolutional); the weights do not.
            model.set_weights(load_checked(cfg.init_from).get_weights())
        trainer = localisation.class_maps_model(model, cfg.arch)
        if weights is None:
            fit_phase(
                trainer,
                cfg,
                data.segments,
                data.steps,
                cfg.learning_rate,
                cfg.warmup_epochs,
                run_dir / SCRATCH_PHASE,
                clock.save,
            )
        else:
            fit_transfer(model, trainer, cfg, data, run_dir, clock)
    return model


def fit_transfer(
    model: keras.Model,
    trainer: keras.Model,
    cfg: TrainConfig,
    data: TrainingData,
    run_dir: Path,
    clock: RunClock,
) -> None:
    """Trains the new head on a frozen backbone, then fine-tunes all but batch norm.

    Args:
        model: The classifier, with ImageNet weights in its backbone.
        trainer: ``model`` with its class maps as a second output (what is fitted).
        cfg: The run's settings.
        data: The data phase's batches; transfer learning uses the final size only.
        run_dir: ``runs/<name>/``; the head's weights are kept there for a resume.
        clock: Saves the training time after every epoch.
    """
    batches = data.segments[-1][:2]  # (training, validation) at the final size
    head_file = run_dir / HEAD_WEIGHTS
    set_backbone_trainable(model, False)
    if head_file.exists():
        model.load_weights(head_file)
    else:
        head = [(*batches, cfg.head_epochs)]
        fit_phase(
            trainer,
            cfg,
            head,
            data.steps,
            cfg.learning_rate,
            cfg.warmup_epochs,
            run_dir / HEAD_PHASE,
            clock.save,
        )
        model.save_weights(head_file)
    set_backbone_trainable(model, True)
    finetune = [(*batches, cfg.epochs - cfg.head_epochs)]
    fit_phase(
        trainer,
        cfg,
        finetune,
        data.steps,
        cfg.learning_rate / FINETUNE_RATE_DIVISOR,
        0,
        run_dir / FINETUNE_PHASE,
        clock.save,
    )


@dataclass
class Export:
    """What the export phase wrote.

    Attributes:
        weights: The shipped ``.keras`` file.
        model: The float32 copy that was saved there.
        recalibrated: Training images its batch-norm statistics were recomputed on.
        history: Per-epoch curves, those of a continued model first.
    """

    weights: Path
    model: keras.Model
    recalibrated: int
    history: dict[str, list[float]]


def run_history(run_dir: Path, earlier: dict[str, list[float]]) -> dict[str, list[float]]:
    """The curves of every phase of the run, appended to those of a continued model."""
    history = {key: list(values) for key, values in earlier.items()}
    for csv_file in filter(Path.exists, [run_dir / phase / "history.csv" for phase in PHASES]):
        for key, values in read_history(csv_file).items():
            history.setdefault(key, []).extend(values)
    return history


def export_model(
    cfg: TrainConfig, model: keras.Model, data: SplitArrays, run_dir: Path, earlier: dict
) -> Export:
    """Export phase: a float32 copy with recomputed batch-norm statistics, and its curves."""
    cfg.out.mkdir(parents=True, exist_ok=True)
    weights_file = cfg.out / f"{cfg.name}.keras"
    shipped = float32_copy(model, cfg)
    recalibrated = recalibrate(shipped, recalibration_images(data.images[data.train], cfg.seed))
    shipped.save(weights_file)
    history = run_history(run_dir, earlier)
    write_json(history_path(weights_file), history)
    return Export(weights_file, shipped, recalibrated, history)


def data_record(cfg: TrainConfig, data: TrainingData) -> dict:
    """The card's ``data`` section: which images trained and validated the model."""
    duplicates = data.split.duplicates
    return {
        "folder": str(cfg.data),
        "sha256": duplicates.data_sha256,
        "dedup_rule": duplicates.rule,
        "dedup_summary": duplicates.summary,
        "train_images": int(len(data.arrays.train)),
        "validation_images": int(len(data.arrays.validation)),
        "sources": data.split.counts(),
        "kaggle_pool": (
            "Training images with near-duplicate groups collapsed to one; groups with a "
            "near-copy in Testing dropped"
            if cfg.drop_test_leaks
            else "every Training image, near-duplicate groups inside Training collapsed to "
            "one (about a third of the official Testing images have near-copies in "
            "training; the leak-free subset is the clean Kaggle number)"
        ),
        **(
            {"radiopaedia_folder": str(cfg.radiopaedia), "radiopaedia_role": TRAIN_ROLE}
            if cfg.uses_radiopaedia
            else {}
        ),
        "localisation_boxes": len(data.boxes),
    }


def build_card(
    cfg: TrainConfig,
    policy: str,
    continued: dict | None,
    data: TrainingData,
    export: Export,
    elapsed: float,
) -> ModelCard:
    """The model card of a finished run, before the post-fit step adds its numbers.

    Args:
        cfg: The run's settings.
        policy: The dtype policy it trained in.
        continued: ``initial_model_record`` of the ``--init-from`` model, or None.
        data: The data phase's result.
        export: The export phase's result.
        elapsed: Seconds of training of this run.
    """
    config_record = {
        k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(cfg).items()
    }
    return ModelCard(
        name=cfg.name,
        architecture=cfg.arch,
        classes=config.CLASS_NAMES,
        input_size=cfg.image_size,
        input_view=cfg.input_view,
        input="batch of RGB images, raw 0-255 values, shape (batch, size, size, 3); "
        "resized with Pillow's antialiased bilinear filter "
        "(model.preprocessing.to_model_input)",
        preprocessing_in_model=(
            "Rescaling 1/255"
            if cfg.arch == "baseline"
            else "frozen 1x1 conv = keras.applications.resnet50.preprocess_input (RGB->BGR, "
            "minus ImageNet mean)"
        ),
        output="softmax over classes, float32",
        initial_weights=continued["initial_weights"] if continued else cfg.weights,
        initial_weights_note=initial_weights_note(cfg, continued),
        continued_from=continued,
        gradcam_layer=architectures.GRADCAM_LAYERS[cfg.arch],
        training_config=config_record,
        precision=policy,
        data=data_record(cfg, data),
        licence=licence_note(cfg),
        recipe=recipe_note(cfg),
        batchnorm_recalibration={"training_images": export.recalibrated},
        epochs_run=len(export.history["loss"]),
        # With --init-from: this run's time plus that of the model it continued.
        wall_time_seconds=round(elapsed + (continued or {}).get("wall_time_seconds", 0), 1),
        machine=machine_description(),
        keras_sha256=file_sha256(export.weights),
        keras_bytes=export.weights.stat().st_size,
    )


def post_fit(cfg: TrainConfig, export: Export, data: SplitArrays) -> None:
    """Post-fit phase: temperature, threshold and gate fitted, every split evaluated.

    The shared step of ``model.refit``, on this run's images; the unseen Radiopaedia
    cases are evaluated whenever their folder is there, also for a Kaggle-only model.
    """
    unseen = (
        {EVAL_SPLIT: SplitSource(cfg.radiopaedia, role=EVAL_ROLE)}
        if (cfg.radiopaedia / MANIFEST).is_file()
        else {}
    )
    refit(
        export.weights, cfg.data, model=export.model, data=data, refit_gate=True, new_splits=unseen
    )


def train(cfg: TrainConfig) -> Path:
    """Trains, exports, evaluates and documents one model; returns the .keras path."""
    started = time.time()
    keras.utils.set_random_seed(cfg.seed)
    run_dir = open_run_dir(cfg)
    clock = RunClock.open(run_dir, started)
    policy = choose_precision(cfg.precision)
    keras.mixed_precision.set_global_policy(policy)
    # Read before training: the continued model may be the file this run overwrites.
    continued = initial_model_record(cfg.init_from) if cfg.init_from else None
    earlier = earlier_history(cfg.init_from)

    data = load_training_data(cfg, policy)
    model = fit_model(cfg, data, run_dir, clock)
    keras.mixed_precision.set_global_policy(SHIPPED_POLICY)  # later models in this process
    elapsed = clock.save()
    export = export_model(cfg, model, data.arrays, run_dir, earlier)
    write_card(export.weights, build_card(cfg, policy, continued, data, export, elapsed))
    post_fit(cfg, export, data.arrays)

    shutil.rmtree(run_dir)
    print(
        f"wrote {export.weights} and its card, history and report "
        f"({elapsed / 60:.1f} min of training)"
    )
    return export.weights


def main(argv: list[str] | None = None) -> None:
    """Command line: train, export, evaluate and document one model."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    train(parse_config(argv))


if __name__ == "__main__":
    main()
