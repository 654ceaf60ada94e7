r"""How often the out-of-distribution gate flags scans it should pass and images it should stop.

Usage:
    python -m model.ood_check --weights model/weights/resnet50.keras

Three sets: the Kaggle leak-free test scans and the Radiopaedia cases not seen in
training (in distribution: few should be flagged), and ``non_mri_images``, a
fixed set of generated images that are not brain MRI slices (text screenshots,
charts, photographs-like colour fields, blank and noise images, an X-ray-like
chest, a tiled grid of scans): most should be flagged. The shares go into the
model's report under ``ood``.
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from model import config, gate
from model.cards import read_card, read_json, report_path, write_json
from model.preprocessing import to_model_input

IMAGE_SIDE = 256


def _text_screenshot(rng: np.random.Generator) -> Image.Image:
    image = Image.new("RGB", (IMAGE_SIDE, IMAGE_SIDE), "white")
    draw = ImageDraw.Draw(image)
    for line in range(14):
        words = " ".join("".join(rng.choice(list("abcdefghij"), 5)) for _ in range(4))
        draw.text((8, 8 + 17 * line), words, fill="black")
    return image


def _chart(rng: np.random.Generator) -> Image.Image:
    image = Image.new("RGB", (IMAGE_SIDE, IMAGE_SIDE), "white")
    draw = ImageDraw.Draw(image)
    for bar in range(6):
        height = int(rng.integers(30, 220))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        draw.rectangle((20 + 38 * bar, 240 - height, 48 + 38 * bar, 240), fill=colour)
    draw.line((10, 240, 250, 240), fill="black", width=2)
    return image


def _colour_field(rng: np.random.Generator) -> Image.Image:
    small = rng.integers(0, 255, (6, 6, 3), dtype=np.uint8)
    return Image.fromarray(small).resize((IMAGE_SIDE, IMAGE_SIDE), Image.Resampling.BICUBIC)


def _grey_noise(rng: np.random.Generator) -> Image.Image:
    return Image.fromarray(rng.integers(0, 255, (IMAGE_SIDE, IMAGE_SIDE), dtype=np.uint8))


def _gradient(rng: np.random.Generator) -> Image.Image:
    ramp = np.linspace(0, 255, IMAGE_SIDE, dtype=np.float32)
    angle = rng.uniform(0, np.pi)
    field = np.cos(angle) * ramp[None, :] + np.sin(angle) * ramp[:, None]
    field = 255 * (field - field.min()) / (field.max() - field.min())
    return Image.fromarray(field.astype(np.uint8))


def _chest_xray(rng: np.random.Generator) -> Image.Image:
    yy, xx = np.mgrid[0:IMAGE_SIDE, 0:IMAGE_SIDE] / IMAGE_SIDE
    body = 170 + 30 * rng.random() - 60 * np.abs(xx - 0.5)
    lungs = ((xx - 0.32) ** 2 / 0.02 + (yy - 0.5) ** 2 / 0.09 < 1) | (
        (xx - 0.68) ** 2 / 0.02 + (yy - 0.5) ** 2 / 0.09 < 1
    )
    image = np.where(lungs, 50, body) + rng.normal(0, 6, body.shape)
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))


def _checkerboard(rng: np.random.Generator) -> Image.Image:
    cells = int(rng.integers(4, 16))
    yy, xx = np.mgrid[0:IMAGE_SIDE, 0:IMAGE_SIDE] * cells // IMAGE_SIDE
    return Image.fromarray(((yy + xx) % 2 * 255).astype(np.uint8))


def _blank(rng: np.random.Generator) -> Image.Image:
    level = int(rng.choice([0, 128, 255]))
    return Image.new("L", (IMAGE_SIDE, IMAGE_SIDE), level)


GENERATORS = (
    _text_screenshot,
    _chart,
    _colour_field,
    _grey_noise,
    _gradient,
    _chest_xray,
    _checkerboard,
    _blank,
)


# Non-MR test files that pydicom installs with itself (no network needed).
PYDICOM_FILES = ("CT_small.dcm", "SC_rgb_rle.dcm", "SC_rgb_jpeg_dcmtk.dcm", "JPGExtended.dcm")


def pydicom_images() -> list[tuple[str, Image.Image]]:
    """The CT and secondary-capture test images bundled with pydicom, as displayed grey/RGB."""
    from pydicom.data import get_testdata_file

    from model.inputs import InputError, decode_upload

    images = []
    for name in PYDICOM_FILES:
        path = get_testdata_file(name, download=False)
        if path is None:
            continue
        try:
            images.append((name, Image.fromarray(decode_upload(Path(path).read_bytes()).rgb)))
        except InputError:
            continue  # a compression this project cannot decode
    return images


def mri_derived_images() -> list[tuple[str, Image.Image]]:
    """Negatives made from the bundled sample scans: tiled 2 x 2, a corner, a coloured UI frame."""
    samples = sorted(config.SAMPLES_DIR.glob("*.jpg"))
    images = []
    for path in samples:
        with Image.open(path) as opened:
            scan = opened.convert("RGB").resize((IMAGE_SIDE // 2, IMAGE_SIDE // 2))
        tiled = Image.new("RGB", (IMAGE_SIDE, IMAGE_SIDE))
        for offset in ((0, 0), (128, 0), (0, 128), (128, 128)):
            tiled.paste(scan, offset)
        corner = scan.crop((0, 0, 48, 48)).resize((IMAGE_SIDE, IMAGE_SIDE))
        frame = Image.new("RGB", (IMAGE_SIDE, IMAGE_SIDE), (40, 90, 160))
        draw = ImageDraw.Draw(frame)
        draw.rectangle((0, 0, IMAGE_SIDE, 28), fill=(230, 230, 230))
        draw.text((6, 8), "Viewer  File  Edit  Tools  Window", fill="black")
        frame.paste(scan, (64, 64))
        images += [
            (f"{path.stem}-tiled", tiled),
            (f"{path.stem}-corner", corner),
            (f"{path.stem}-screenshot", frame),
        ]
    return images


def non_mri_images(per_kind: int = 3, seed: int = 0) -> list[tuple[str, Image.Image]]:
    """A fixed set of (name, image) that are not single brain MRI slices.

    Generated kinds (``per_kind`` of each), pydicom's bundled non-MR images and
    negatives made from the sample scans.
    """
    rng = np.random.default_rng(seed)
    generated = [
        (f"{make.__name__.strip('_')}-{number}", make(rng))
        for make in GENERATORS
        for number in range(per_kind)
    ]
    return generated + pydicom_images() + mri_derived_images()


def non_mri_inputs(size: int, view: str) -> np.ndarray:
    """uint8 (N, size, size, 3) model inputs of ``non_mri_images``."""
    return np.stack([to_model_input(image, size, view) for _, image in non_mri_images()])


def flagged_share(model, fitted: dict, threshold: float, images: np.ndarray, layer: str) -> float:
    """Share of uint8 (N, size, size, 3) model inputs whose gate score passes the threshold."""
    return float(
        (gate.scores(gate.pooled_features(model, images, layer), fitted) > threshold).mean()
    )


def check(weights: Path, data_dir: Path, radiopaedia_dir: Path | None) -> dict:
    """Measures the gate on the three sets and writes the shares into the report."""
    from model.data import list_images, load_arrays
    from model.dedup import cached_duplicates
    from model.registry import load_checked
    from model.sources import case_images

    card = read_card(weights)
    entry = card.ood_gate
    if not entry:
        raise ValueError(f"{weights.name} has no gate; fit one with `python -m model.gate`.")
    model = load_checked(weights)
    fitted, threshold = gate.load(weights, entry["sha256"]), float(entry["threshold"])
    size, view, layer = card.input_size, card.input_view, card.gate_layer
    generated = non_mri_inputs(size, view)
    test = list_images(Path(data_dir) / config.TEST_SPLIT)
    leak_free = set(cached_duplicates(data_dir).leak_free_test)
    test = test.subset(np.array([path in leak_free for path in test.paths]))
    result = {
        "threshold": threshold,
        "non_mri": {
            "images": len(generated),
            "flagged": flagged_share(model, fitted, threshold, generated, layer),
        },
        "leak_free": {
            "images": len(test),
            "flagged": flagged_share(
                model, fitted, threshold, load_arrays(test, size, view=view), layer
            ),
        },
    }
    if radiopaedia_dir is not None and (Path(radiopaedia_dir) / "manifest.csv").is_file():
        cases = case_images(radiopaedia_dir, "eval").images
        result["radiopaedia_eval"] = {
            "images": len(cases),
            "flagged": flagged_share(
                model, fitted, threshold, load_arrays(cases, size, view=view), layer
            ),
        }
    for name, figures in result.items():
        if name != "threshold":
            print(f"{name:18s} {figures['images']:5d} images  flagged {figures['flagged']:.1%}")
    report_file = report_path(weights)
    report = read_json(report_file) if report_file.exists() else {"splits": {}}
    report["ood"] = result
    write_json(report_file, report)
    return result


def main(argv: list[str] | None = None) -> None:
    """Command line: measure the gate of one model."""
    from model.sources import default_radiopaedia_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=Path, required=True, help="a .keras file with its card")
    parser.add_argument(
        "--data", type=Path, default=config.default_data_dir(), help="the Kaggle folder"
    )
    parser.add_argument(
        "--radiopaedia",
        type=Path,
        default=default_radiopaedia_dir(),
        help="Radiopaedia folder with manifest.csv (its eval role is measured)",
    )
    args = parser.parse_args(argv)
    try:
        check(args.weights, args.data, args.radiopaedia)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))


if __name__ == "__main__":
    main()
