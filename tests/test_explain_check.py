"""The heatmap grid of ``model.explain_check``, on the tiny model."""

import keras
import numpy as np
import pytest
from PIL import Image

from model import explain_check
from model.explain import METHODS
from model.registry import WeightsError
from tests.conftest import synthetic_scan, tiny_classifier_model, write_scan

TILE = explain_check.TILE
TEXT_ROWS = 16  # the tile's label is drawn in its top rows


@pytest.fixture
def scans(tmp_path) -> list:
    """Two grey scan files (a glioma-like and a normal one)."""
    paths = [tmp_path / "scans" / f"scan{index}.png" for index in (0, 2)]
    for index, path in zip((0, 2), paths):
        write_scan(synthetic_scan(index, 0, size=64), path, "L")
    return paths


def tile(grid, row: int, column: int) -> np.ndarray:
    """uint8 (TILE - TEXT_ROWS, TILE, 3): one tile of the grid below its label."""
    pixels = np.asarray(grid)
    return pixels[row * TILE + TEXT_ROWS : (row + 1) * TILE, column * TILE : (column + 1) * TILE]


def is_grey(pixels: np.ndarray) -> bool:
    return bool(
        (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all()
    )


@pytest.mark.parametrize("method", list(METHODS))
def test_each_row_shows_the_scan_then_its_heatmap(method, tiny_weights_dir, scans):
    grid = explain_check.render(tiny_weights_dir / "tiny.keras", ["last_conv"], scans, method)
    assert grid.size == (2 * TILE, len(scans) * TILE)  # (width, height)
    for row in range(len(scans)):
        scan, heatmap = tile(grid, row, 0), tile(grid, row, 1)
        assert scan.any() and is_grey(scan)  # the grey model input
        assert not is_grey(heatmap)  # a coloured overlay


def test_the_command_writes_the_grid_of_the_bundled_samples(tiny_weights_dir, tmp_path, capsys):
    out = tmp_path / "grid.png"
    explain_check.main(
        [
            "--weights",
            str(tiny_weights_dir / "tiny.keras"),
            "--layers",
            "last_conv",
            "--out",
            str(out),
        ]
    )
    with Image.open(out) as grid:
        assert grid.size == (2 * TILE, len(explain_check.SAMPLES) * TILE)
    assert len(explain_check.SAMPLES) == 4
    assert f"wrote {out}" in capsys.readouterr().out


def replaced_weights(folder) -> None:
    """Another valid model saved over the registered one: its sha256 no longer matches."""
    keras.utils.set_random_seed(1)
    tiny_classifier_model().save(folder / "tiny.keras")


@pytest.mark.parametrize(
    ("change", "layers", "error", "message"),
    [
        (None, ["no_such_layer"], ValueError, "no_such_layer"),
        (replaced_weights, ["last_conv"], WeightsError, "sha256 differs"),
    ],
)
def test_a_wrong_layer_or_an_altered_file_is_refused(
    change, layers, error, message, tiny_weights_dir, scans
):
    if change is not None:
        change(tiny_weights_dir)
    with pytest.raises(error, match=message):
        explain_check.render(tiny_weights_dir / "tiny.keras", layers, scans, "Grad-CAM")
