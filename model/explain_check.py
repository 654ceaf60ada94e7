r"""Renders heatmaps of a few scans for several layers into one PNG, to check by eye.

Usage:
    python -m model.explain_check --weights model/weights/resnet50.keras \
        --layers conv5_block3_out conv4_block6_out --out docs/gradcam-check.png

Each row is a scan (the bundled samples by default), each column a layer; the
title of a tile names the predicted class and its probability. ``--method``
is any of ``model.explain.METHODS`` (Grad-CAM, Grad-CAM++, Score-CAM, LayerCAM),
computed with tf-keras-vis.
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from model import config
from model.cards import read_card
from model.explain import DEFAULT_METHOD, METHODS, Explainer
from model.overlay import overlay
from model.preprocessing import load_model_input
from model.registry import load_checked

TILE = 224
SAMPLES = sorted(config.SAMPLES_DIR.glob("*.jpg"))


def render(weights: Path, layers: list[str], images: list[Path], method: str) -> Image.Image:
    """Returns a grid image: one row per scan, the scan then one overlay per layer."""
    model = load_checked(weights)
    size = int(model.input_shape[1])
    view = read_card(weights).input_view
    explainers = {layer: Explainer(model, layer) for layer in layers}
    grid = Image.new("RGB", (TILE * (len(layers) + 1), TILE * len(images)), "white")
    draw = ImageDraw.Draw(grid)
    for row, path in enumerate(images):
        scan = load_model_input(path, size, view)  # (size, size, 3) uint8
        probabilities = model.predict(scan[None].astype("float32"), verbose=0)[0]
        predicted = int(probabilities.argmax())
        display = np.asarray(Image.fromarray(scan).resize((TILE, TILE)))
        grid.paste(Image.fromarray(display), (0, row * TILE))
        draw.text((4, row * TILE + 4), path.name, fill="yellow")
        for column, (layer, explainer) in enumerate(explainers.items(), start=1):
            cam = explainer.explain(scan, predicted, method)
            tile = overlay(display, cam, 0.45, "Jet")
            grid.paste(Image.fromarray(tile), (column * TILE, row * TILE))
            label = f"{layer}: {config.CLASS_NAMES[predicted]} {probabilities[predicted]:.2f}"
            draw.text((column * TILE + 4, row * TILE + 4), label, fill="white")
    return grid


def main(argv: list[str] | None = None) -> None:
    """Command line: write the grid PNG."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, required=True, help="a .keras file")
    parser.add_argument("--layers", nargs="+", required=True, help="layer names to compare")
    parser.add_argument("--images", nargs="*", type=Path, default=SAMPLES, help="scans to show")
    parser.add_argument(
        "--method", default=DEFAULT_METHOD, choices=list(METHODS), help="explanation method"
    )
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    args = parser.parse_args(argv)
    render(args.weights, args.layers, args.images, args.method).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
