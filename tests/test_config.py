"""The shared constants and the folders the environment may override (``model.config``)."""

from pathlib import Path

import pytest

from model import config


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("glioma", "Glioma"),
        ("meningioma", "Meningioma"),
        ("notumor", "No tumour"),
        ("pituitary", "Pituitary tumour"),
        ("astrocytoma", "astrocytoma"),  # unknown: shown as it is
    ],
)
def test_class_labels_are_plain_words(name, label):
    assert config.class_label(name) == label


def test_every_class_has_a_label_and_the_default_method_is_offered():
    assert set(config.CLASS_LABELS) == set(config.CLASS_NAMES)
    assert config.DEFAULT_VIEW in config.INPUT_VIEWS
    assert config.DEFAULT_EXPLANATION_METHOD in config.EXPLANATION_METHODS


@pytest.mark.parametrize(
    ("folder", "variable", "default"),
    [
        (config.default_data_dir, config.DATA_ENV_VAR, config.DEFAULT_DATA_DIR),
        (config.cache_dir, config.CACHE_ENV_VAR, config.DEFAULT_CACHE_DIR),
        (config.weights_dir, config.WEIGHTS_ENV_VAR, config.WEIGHTS_DIR),
    ],
)
def test_each_folder_is_the_environment_variable_or_the_default(
    folder, variable, default, monkeypatch, tmp_path
):
    monkeypatch.setenv(variable, str(tmp_path))
    assert folder() == tmp_path
    monkeypatch.delenv(variable)
    assert folder() == Path(default)
