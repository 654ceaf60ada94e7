import pytest

from model import registry
from model.cards import write_json
from tests.conftest import minimal_card


def test_discovers_models_that_have_a_card(tiny_weights_dir):
    (tiny_weights_dir / "orphan.keras").write_bytes(b"no card beside me")
    entries = registry.discover(tiny_weights_dir)
    assert [e.name for e in entries] == ["tiny"]
    assert entries[0].input_size == 8
    assert entries[0].label == entries[0].title == "tiny"  # no single accuracy in the picker


def test_main_model_is_listed_first(tmp_path):
    for name in ("baseline", "resnet50", "another"):
        (tmp_path / f"{name}.keras").write_bytes(b"x")
        write_json(tmp_path / f"{name}.json", minimal_card(name))
    assert [e.name for e in registry.discover(tmp_path)] == ["resnet50", "baseline", "another"]


def test_a_model_with_a_malformed_card_is_left_out_with_the_reason(tiny_weights_dir, caplog):
    (tiny_weights_dir / "broken.keras").write_bytes(b"x")
    write_json(tiny_weights_dir / "broken.json", minimal_card("broken", input_size="128"))
    assert [e.name for e in registry.discover(tiny_weights_dir)] == ["tiny"]
    assert "broken.json: 'input_size' must be a whole number" in caplog.text


def test_load_checked_refuses_a_malformed_card(tiny_weights_dir):
    weights = tiny_weights_dir / "tiny.keras"
    write_json(tiny_weights_dir / "tiny.json", {"name": "tiny"})
    with pytest.raises(registry.WeightsError, match="lacks the required key 'architecture'"):
        registry.load_checked(weights)


def test_loads_a_model_whose_hash_matches(tiny_weights_dir):
    model = registry.load_model(registry.discover(tiny_weights_dir)[0])
    assert model.output.shape == (None, 4)


def test_refuses_weights_whose_hash_differs(tiny_weights_dir):
    entry = registry.discover(tiny_weights_dir)[0]
    with open(entry.weights, "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(registry.WeightsError, match="does not match its model card"):
        registry.load_model(entry)


def test_a_missing_file_is_reported(tiny_weights_dir):
    entry = registry.discover(tiny_weights_dir)[0]
    entry.weights.unlink()
    with pytest.raises(registry.WeightsError, match="missing"):
        registry.load_model(entry)
