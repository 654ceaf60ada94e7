"""The typed model card: round trips, clear errors for malformed cards, read-only values."""

import copy
import dataclasses
import json
import pickle

import pytest

from model import config
from model.cards import (
    DEFAULT_THRESHOLD,
    CardError,
    ModelCard,
    card_path,
    read_card,
    write_card,
)
from tests.conftest import minimal_card

COMMITTED_CARDS = sorted(
    path
    for path in config.WEIGHTS_DIR.glob("*.json")
    if path.with_suffix(".keras").is_file()  # not the reports, histories or benchmark
)


@pytest.mark.parametrize("path", COMMITTED_CARDS, ids=lambda path: path.stem)
def test_a_committed_card_round_trips_unchanged(path):
    text = path.read_text()
    card = ModelCard.from_json(json.loads(text))
    assert json.dumps(card.to_json(), indent=1) + "\n" == text  # every key, in its order


def test_the_committed_cards_are_both_there():
    assert {path.stem for path in COMMITTED_CARDS} >= {"baseline", "resnet50"}


def test_a_minimal_card_round_trips_and_leaves_out_what_it_lacks():
    data = minimal_card()
    card = ModelCard.from_json(data)
    assert card.to_json() == {**data, "input_view": config.DEFAULT_VIEW}  # defaults stated
    assert "temperature" not in card.to_json()
    assert ModelCard.from_json(card.to_json()) == card


def test_fields_are_typed_and_nested_sections_read_only():
    card = ModelCard.from_json(minimal_card())
    assert card.classes == config.CLASS_NAMES and isinstance(card.classes, tuple)
    assert card.input_size == 8
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.input_size = 16
    with pytest.raises(TypeError):
        card.metrics["leak_free"]["accuracy"] = 1.0


def test_a_card_pickles_and_copies_as_its_json():
    card = ModelCard.from_json(minimal_card(temperature=1.5))
    assert pickle.loads(pickle.dumps(card)) == card  # Streamlit's st.cache_data pickles
    assert copy.deepcopy(card) == card


def test_defaults_for_an_uncalibrated_card_without_a_gate():
    card = ModelCard.from_json(minimal_card(low_confidence_threshold=None))
    assert card.temperature is None and card.scaling_temperature == 1.0
    assert card.answer_threshold == DEFAULT_THRESHOLD
    assert card.gate_layer == card.gradcam_layer  # before the gate's layer was stored
    gated = ModelCard.from_json(
        minimal_card(ood_gate={"sha256": "ab", "threshold": 3.0, "layer": "conv4"})
    )
    assert gated.gate_layer == "conv4"


def test_titles_name_the_architecture_and_a_second_model_of_it():
    assert ModelCard.from_json(minimal_card("resnet50")).title == "ResNet50"
    card = ModelCard.from_json(minimal_card("b6", architecture="baseline"))
    assert card.title == "Baseline CNN (b6)"


def without(key: str) -> dict:
    data = minimal_card()
    data.pop(key)
    return data


MALFORMED = [
    ([1, 2], "A model card must be a JSON object, not an array."),
    (without("input_size"), "lacks the required key 'input_size'"),
    (without("keras_sha256"), "lacks the required key 'keras_sha256'"),
    (minimal_card(tempreature=1.2), "Unknown key 'tempreature'"),
    (
        minimal_card(input_size="128"),
        "'input_size' must be a whole number of pixels above 0, not a string ('128')",
    ),  # fmt: skip
    (minimal_card(input_size=0), "'input_size' must be a whole number of pixels above 0"),
    (minimal_card(input_size=True), "'input_size' must be a whole number"),
    (minimal_card(name=""), "'name' must be a non-empty string"),
    (minimal_card(architecture=None), "'architecture' must be a non-empty string, not null"),
    (minimal_card(classes=["glioma"]), "'classes' must be an array of at least two"),
    (minimal_card(classes=["glioma", "glioma"]), "'classes' must be an array of at least two"),
    (minimal_card(classes="glioma,notumor"), "'classes' must be an array"),
    (minimal_card(input_view="colour"), "'input_view' must be full or head or grey"),
    (minimal_card(keras_sha256="abc"), "'keras_sha256' must be 64 lower-case hexadecimal"),
    (minimal_card(temperature=0), "'temperature' must be a number above 0"),
    (minimal_card(temperature="1.2"), "'temperature' must be a number above 0, not a string"),
    (
        minimal_card(low_confidence_threshold=1.5),
        "'low_confidence_threshold' must be a number from 0 to 1",
    ),  # fmt: skip
    (minimal_card(epochs_run=2.5), "'epochs_run' must be a whole number"),
    (minimal_card(wall_time_seconds="long"), "'wall_time_seconds' must be a number"),
    (minimal_card(licence=3), "'licence' must be a string, not a number"),
    (minimal_card(metrics=[]), "'metrics' must be an object, not an array"),
    (minimal_card(ood_gate={"threshold": 3.0}), "'ood_gate.sha256' must be a string, not null"),
    (minimal_card(ood_gate={"sha256": "ab"}), "'ood_gate.threshold' must be a number, not null"),
]


@pytest.mark.parametrize(("data", "message"), MALFORMED, ids=[m for _, m in MALFORMED])
def test_a_malformed_card_is_refused_with_a_clear_error(data, message):
    with pytest.raises(CardError) as error:
        ModelCard.from_json(data)
    assert message in str(error.value)


def test_a_change_is_checked_as_well():
    card = ModelCard.from_json(minimal_card())
    with pytest.raises(CardError, match="'temperature' must be a number above 0"):
        dataclasses.replace(card, temperature=-1.0)


def test_reading_names_the_file(tmp_path):
    weights = tmp_path / "broken.keras"
    card_path(weights).write_text(json.dumps(minimal_card(input_size=-1)))
    with pytest.raises(CardError, match="^broken.json: 'input_size' must be"):
        read_card(weights)
    card_path(weights).write_text("{not json")
    with pytest.raises(CardError, match="^broken.json is not valid JSON"):
        read_card(weights)


def test_write_then_read_gives_the_same_card(tmp_path):
    card = ModelCard.from_json(
        minimal_card(temperature=1.25, ood_gate={"sha256": "a", "threshold": 2})
    )
    write_card(tmp_path / "tiny.keras", card)
    assert read_card(tmp_path / "tiny.keras") == card
