import time

import keras
import numpy as np
import pytest

from model import cards, config, dedup, train
from model.splits import training_split
from tests.conftest import copy_model_files


@pytest.fixture
def trained(tiny_training_run):
    """The session's tiny training run: baseline, 32 px, one epoch."""
    return tiny_training_run


def test_training_writes_every_artifact(trained):
    for path in (
        trained,
        cards.card_path(trained),
        cards.history_path(trained),
        cards.report_path(trained),
    ):
        assert path.is_file(), path
    card = cards.read_json(cards.card_path(trained))
    assert card["classes"] == ["glioma", "meningioma", "notumor", "pituitary"]
    assert card["input_size"] == 32
    assert card["keras_sha256"] == cards.file_sha256(trained)
    assert card["data"]["dedup_summary"]["test_with_near_duplicate_in_train"] == 2
    # 31 Kaggle images (one pair collapsed) and the 24 Radiopaedia images of role train
    assert card["data"]["train_images"] + card["data"]["validation_images"] == 31 + 24
    assert set(card["data"]["sources"]) == {"kaggle", "radiopaedia"}
    assert "non-commercial" in card["licence"]
    assert card["data"]["localisation_boxes"] > 0
    assert card["ood_gate"]["threshold"] > 0
    assert card["epochs_run"] == 1
    # Calibrated on validation before evaluation (model.calibrate).
    assert card["temperature"] > 0
    assert card["calibration"]["images"] == card["data"]["validation_images"]
    assert card["low_confidence"]["probabilities"] == "calibrated"
    history = cards.read_json(cards.history_path(trained))
    assert len(history["loss"]) == 1 and "val_accuracy" in history


def test_shipped_model_is_float32_without_optimizer_and_loads_safely(trained):
    model = keras.saving.load_model(trained, safe_mode=True, compile=False)
    assert getattr(model, "optimizer", None) is None
    assert {w.dtype for w in model.weights} == {"float32"}


def test_report_holds_official_and_leak_free_splits(trained):
    report = cards.read_json(cards.report_path(trained))
    assert report["splits"]["official"]["images"] == 12
    assert report["splits"]["leak_free"]["images"] == 10
    assert len(report["splits"]["official"]["confusion_matrix"]) == 4
    card = cards.read_json(cards.card_path(trained))
    leak_free = report["splits"]["leak_free"]
    assert leak_free["calibration"]["temperature"] == card["temperature"]
    assert sum(leak_free["calibration"]["reliability"]["count"]) == 10
    assert leak_free["risk_coverage"]["coverage"][0] == 1.0  # the lowest threshold answers all
    assert leak_free["abstention"]["threshold"] == card["low_confidence_threshold"]
    assert card["metrics"]["leak_free"]["accuracy"] == pytest.approx(
        report["splits"]["leak_free"]["accuracy"], abs=1e-4
    )


def test_validation_never_shares_a_near_duplicate_with_training(tiny_dataset):
    split = training_split(tiny_dataset, val_fraction=0.25, seed=3)
    bits, _ = dedup.image_hashes(split.pool)
    close = dedup.hamming_pairs(bits[split.validation], bits[split.train], max_distance=5)
    assert close == []
    assert (
        len(split.validation) == 8 and np.bincount(split.pool.labels[split.validation]).min() >= 1
    )
    assert "pituitary/g7.png" not in split.pool.paths  # collapsed into g6 before splitting


def test_the_report_holds_the_unseen_radiopaedia_cases(trained):
    report = cards.read_json(cards.report_path(trained))
    unseen = report["splits"]["radiopaedia_eval"]
    assert unseen["images"] == 12  # the eval role only
    assert unseen["data"]["role"] == "eval"
    assert set(unseen["by_sequence"]) == {"T1", "T2"}


def test_training_curves_keep_their_single_output_names(trained):
    history = cards.read_json(cards.history_path(trained))
    assert {"loss", "accuracy", "val_accuracy", "localisation_loss"} <= set(history)


def test_existing_unfinished_run_is_not_overwritten(tiny_dataset, tmp_path):
    (tmp_path / "runs" / "baseline").mkdir(parents=True)
    with pytest.raises(SystemExit, match="--resume"):
        train.train(
            train.TrainConfig(
                data=tiny_dataset, runs=tmp_path / "runs", out=tmp_path / "out"
            ).resolved()
        )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--arch", "vgg"], "--arch must be one of"),
        (["--weights", "random"], "--weights must be none or imagenet"),
        (["--arch", "baseline", "--weights", "imagenet"], "no ImageNet weights"),
        (["--image-size", "16"], "too small"),
        (["--epochs", "0"], "at least 1"),
        (["--val-fraction", "0.7"], "between 0 and 0.5"),
        (["--arch", "resnet50", "--weights", "imagenet", "--epochs", "2"], "exceed --head-epochs"),
        (["--data", "/nonexistent"], "Download the Kaggle"),
        (["--sources", "radiopaedia"], "must include kaggle"),
        (["--sources", "kaggle,brats"], "--sources takes"),
        (["--radiopaedia", "/nonexistent"], "--sources kaggle"),
        (["--radiopaedia-share", "1.5"], "--radiopaedia-share"),
        (["--localisation-weight", "-1"], "--localisation-weight"),
        (["--localisation-weight", "1", "--mass-weight", "-1"], "--mass-weight must be"),
        (["--mass-weight", "1"], "set --localisation-weight"),
        (["--input-view", "head", "--localisation-weight", "1"], "whole-image view"),
    ],
)
def test_bad_flags_fail_early_with_a_fix(flags, message, capsys):
    with pytest.raises(SystemExit):
        train.parse_config(flags)
    assert message in capsys.readouterr().err


def test_defaults_come_from_the_architecture(tiny_dataset):
    cfg = train.parse_config(["--arch", "resnet50", "--data", str(tiny_dataset)])
    assert cfg.image_size == train.ARCH_DEFAULTS["resnet50"]["image_size"]
    assert cfg.name == "resnet50"
    defaults = train.ARCH_DEFAULTS["resnet50"]
    assert (cfg.epochs, cfg.start_size, cfg.start_epochs) == (
        defaults["epochs"],
        defaults["start_size"],
        defaults["start_epochs"],
    )


def test_resume_continues_an_interrupted_run(tiny_dataset, tmp_path, monkeypatch):
    arguments = [
        "--arch", "baseline", "--data", str(tiny_dataset), "--out", str(tmp_path / "out"),
        "--runs", str(tmp_path / "runs"), "--image-size", "32", "--epochs", "2",
        "--batch-size", "8", "--val-fraction", "0.25",
    ]  # fmt: skip
    # EarlyStopping runs after the checkpoint is written: stop the run there.
    end_epoch = keras.callbacks.EarlyStopping.on_epoch_end

    def stop_after_first_epoch(self, epoch, logs=None):
        end_epoch(self, epoch, logs)
        if epoch == 0:
            raise KeyboardInterrupt("the machine went away")

    with monkeypatch.context() as patch:
        patch.setattr(keras.callbacks.EarlyStopping, "on_epoch_end", stop_after_first_epoch)
        with pytest.raises(KeyboardInterrupt):
            train.main(arguments)
    assert not (tmp_path / "out" / "baseline.keras").exists()
    fits = []
    fit = keras.Model.fit

    def record_fit(self, *args, **kwargs):
        history = fit(self, *args, **kwargs)
        fits.append(history.epoch)
        return history

    monkeypatch.setattr(keras.Model, "fit", record_fit)
    train.main([*arguments, "--resume"])
    assert fits == [[1]]  # only the second epoch ran after the restart
    weights = tmp_path / "out" / "baseline.keras"
    history = cards.read_json(cards.history_path(weights))
    assert len(history["loss"]) == 2  # one epoch before the stop, one after
    assert cards.read_json(cards.card_path(weights))["epochs_run"] == 2
    assert not (tmp_path / "runs" / "baseline").exists()  # checkpoints cleaned up


def test_init_from_continues_a_saved_model_in_place(trained, tiny_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv(config.CACHE_ENV_VAR, str(tmp_path / "cache"))
    weights = copy_model_files(trained, tmp_path / "out")
    before = cards.read_json(cards.card_path(weights))
    kernel_before = keras.saving.load_model(weights).get_layer("block1_conv").get_weights()[0]
    # A learning rate this small leaves the weights where they were: the saved
    # model must come out with the kernel it went in with, not a fresh random one.
    train.main(
        [
            "--arch", "baseline", "--data", str(tiny_dataset), "--out", str(weights.parent),
            "--runs", str(tmp_path / "runs"), "--image-size", "32", "--epochs", "1",
            "--batch-size", "8", "--val-fraction", "0.25", "--init-from", str(weights),
            "--learning-rate", "1e-9",
        ]
    )  # fmt: skip
    kernel_after = keras.saving.load_model(weights).get_layer("block1_conv").get_weights()[0]
    np.testing.assert_allclose(kernel_after, kernel_before, atol=1e-6)
    card = cards.read_json(cards.card_path(weights))
    continued = card["continued_from"]
    assert continued["keras_sha256"] == before["keras_sha256"]  # read before the overwrite
    assert continued["epochs_run"] == before["epochs_run"]
    assert card["epochs_run"] == before["epochs_run"] + 1
    assert card["wall_time_seconds"] > before["wall_time_seconds"]
    assert "continued" in card["initial_weights_note"]
    assert len(cards.read_json(cards.history_path(weights))["loss"]) == card["epochs_run"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--init-from", "/nonexistent.keras"], "with its card"),
        (["--arch", "resnet50"], "is a baseline model"),
        (["--input-view", "head"], "--input-view grey"),
    ],
)
def test_bad_init_from_fails_early_with_a_fix(trained, tiny_dataset, flags, message, capsys):
    arguments = ["--data", str(tiny_dataset), "--init-from", str(trained), *flags]
    with pytest.raises(SystemExit):
        train.parse_config(arguments)
    assert message in capsys.readouterr().err


def test_the_run_clock_continues_the_time_of_earlier_sessions(tmp_path):
    (tmp_path / train.RUN_META).write_text('{"elapsed": 100.0}')
    clock = train.RunClock.open(tmp_path, started=time.time())
    elapsed = clock.save()
    assert 100.0 <= elapsed < 160.0
    assert train.RunClock.open(tmp_path, started=time.time()).before == elapsed


def test_the_history_puts_a_continued_model_first_then_each_phase_in_order(tmp_path):
    for phase, loss in ((train.HEAD_PHASE, 3.0), (train.FINETUNE_PHASE, 2.0)):
        (tmp_path / phase).mkdir()
        (tmp_path / phase / "history.csv").write_text(f"epoch,loss\n0,{loss}\n")
    history = train.run_history(tmp_path, {"loss": [4.0]})
    assert history == {"loss": [4.0, 3.0, 2.0]}
