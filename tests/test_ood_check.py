"""The out-of-distribution check (``model.ood_check``): its fixed negative set and the shares."""

import numpy as np
import pytest

from model import cards, gate, ood_check
from model.registry import load_checked
from tests.conftest import SAMPLES_DIR, copy_model_files

SAMPLE_COUNT = len(list(SAMPLES_DIR.glob("*.jpg")))
DERIVED_KINDS = ("tiled", "corner", "screenshot")  # made from each bundled sample


@pytest.fixture
def weights(tiny_training_run, tmp_path):
    """A copy of the session's tiny trained model (the check writes into its report)."""
    return copy_model_files(tiny_training_run, tmp_path / "model")


def pixels(images: list) -> dict[str, np.ndarray]:
    """The (name, image) pairs as {name: uint8 array}."""
    return {name: np.asarray(image) for name, image in images}


def test_the_negative_set_is_fixed_named_and_made_of_every_kind():
    images = ood_check.non_mri_images()
    first, again = pixels(images), pixels(ood_check.non_mri_images())
    names = list(first)
    assert len(names) == len(images)  # every name is unique
    assert names == list(again)
    assert all(np.array_equal(first[name], again[name]) for name in names)
    generated = len(ood_check.GENERATORS) * 3
    derived = len(DERIVED_KINDS) * SAMPLE_COUNT
    pydicom = len(names) - generated - derived
    assert 0 <= pydicom <= len(ood_check.PYDICOM_FILES)
    for make in ood_check.GENERATORS:
        assert f"{make.__name__.strip('_')}-2" in names
    for kind in DERIVED_KINDS:
        assert sum(name.endswith(f"-{kind}") for name in names) == SAMPLE_COUNT


@pytest.mark.parametrize("per_kind", [1, 2])
def test_each_generated_kind_gives_per_kind_images(per_kind):
    names = list(pixels(ood_check.non_mri_images(per_kind)))
    for make in ood_check.GENERATORS:
        kind = make.__name__.strip("_")
        assert [name for name in names if name.startswith(f"{kind}-")] == [
            f"{kind}-{number}" for number in range(per_kind)
        ]


def test_another_seed_gives_other_random_images_under_the_same_names():
    first, other = pixels(ood_check.non_mri_images(1, 0)), pixels(ood_check.non_mri_images(1, 5))
    assert list(first) == list(other)
    assert not np.array_equal(first["grey_noise-0"], other["grey_noise-0"])
    np.testing.assert_array_equal(first["glioma-tiled"], other["glioma-tiled"])  # not random


@pytest.mark.parametrize(("size", "view"), [(32, "full"), (32, "grey"), (16, "head")])
def test_the_negatives_become_model_inputs(size, view):
    inputs = ood_check.non_mri_inputs(size, view)
    assert inputs.dtype == np.uint8
    assert inputs.shape == (len(ood_check.non_mri_images()), size, size, 3)


@pytest.mark.parametrize(("threshold", "share"), [(0.0, 1.0), (1e9, 0.0)])
def test_the_flagged_share_compares_scores_with_the_threshold(threshold, share, weights):
    card = cards.read_card(weights)
    fitted = gate.load(weights, card.ood_gate["sha256"])
    images = ood_check.non_mri_inputs(card.input_size, card.input_view)
    model = load_checked(weights)
    flagged = ood_check.flagged_share(model, fitted, threshold, images, card.gate_layer)
    assert flagged == share


@pytest.mark.parametrize("with_radiopaedia", [True, False])
def test_the_check_writes_the_three_sets_into_the_report(
    with_radiopaedia, weights, tiny_dataset, tiny_radiopaedia
):
    radiopaedia = tiny_radiopaedia if with_radiopaedia else None
    result = ood_check.check(weights, tiny_dataset, radiopaedia)
    assert cards.read_json(cards.report_path(weights))["ood"] == result
    assert result["threshold"] == cards.read_card(weights).ood_gate["threshold"]
    expected = {"non_mri": len(ood_check.non_mri_images()), "leak_free": 10}
    if with_radiopaedia:
        expected["radiopaedia_eval"] = 12  # the eval role only
    figures = {name: value for name, value in result.items() if name != "threshold"}
    assert {name: value["images"] for name, value in figures.items()} == expected
    assert all(0.0 <= value["flagged"] <= 1.0 for value in figures.values())


def test_a_model_without_a_gate_is_refused_with_the_fix(weights, tiny_dataset, capsys):
    card = cards.read_json(cards.card_path(weights))
    card.pop("ood_gate")
    cards.write_json(cards.card_path(weights), card)
    with pytest.raises(SystemExit):
        ood_check.main(["--weights", str(weights), "--data", str(tiny_dataset)])
    assert "has no gate; fit one with `python -m model.gate`" in capsys.readouterr().err
