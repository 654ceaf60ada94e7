r"""Measures how fast every registered model classifies and explains on this machine.

Usage:
    python -m model.benchmark
    python -m model.benchmark --weights model/weights/resnet50.keras --repeats 5 \
        --json /tmp/benchmark.json

For each model: load time (registry load with the sha256 check), warm-up time
(tracing the compiled functions), single-image prediction p50/p95,
prediction plus Grad-CAM p50/p95 (``Classifier.analyse``, what the app runs),
the p50 of every other explanation method, batch throughput and how closely
the compiled Grad-CAM agrees with tf-keras-vis. Each latency is measured in
``--repeats`` runs of ``--calls`` calls; the report gives the median over runs.
The peak resident memory is that of this process after it loaded every model.
"""

import argparse
import gc
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from model import config
from model.cards import card_path
from model.explain import DEFAULT_METHOD, METHODS
from model.inference import Classifier
from model.preprocessing import to_model_input
from model.registry import ModelEntry, discover, entry_for

BATCH_SIZE = 32
SAMPLES_DIR = config.SAMPLES_DIR
STATUS_FILE = Path("/proc/self/status")
CPUINFO_FILE = Path("/proc/cpuinfo")


def entries_for(weights: list[Path] | None) -> list[ModelEntry]:
    """The models to measure: the given .keras files, or every registered model.

    Raises:
        FileNotFoundError: If a weights file or its card is missing.
    """
    if not weights:
        return discover()
    entries = []
    for path in weights:
        card = card_path(path)
        if not path.is_file() or not card.is_file():
            raise FileNotFoundError(
                f"{path} needs both the .keras file and its card {card.name} beside it; "
                "train the model with model.train, which writes both."
            )
        entries.append(entry_for(path))
    return entries


def sample_images() -> list[np.ndarray]:
    """The bundled sample scans as uint8 RGB arrays (height, width, 3), or one synthetic scan."""
    images = []
    for path in sorted(SAMPLES_DIR.glob("*.jpg")):
        with Image.open(path) as image:
            images.append(np.asarray(image.convert("RGB"), dtype=np.uint8))
    if not images:
        images = [np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)]
    return images


def memory_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, e.g. VmHWM (peak RSS), in MiB."""
    for line in STATUS_FILE.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # reported in kB
    raise RuntimeError(f"{field} is not in {STATUS_FILE}; the benchmark needs Linux.")


def machine() -> dict:
    """What the numbers were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in CPUINFO_FILE.read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": platform.python_version(),
        "nice": os.nice(0),
    }


def timed(call: Callable[[], object]) -> float:
    """Runs ``call`` once and returns the wall time in milliseconds."""
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def latency_ms(call: Callable[[int], object], repeats: int, calls: int) -> dict:
    """Median over runs of the per-run p50 and p95 latency of ``call(index)``.

    Returns:
        {"p50": ms, "p95": ms}.
    """
    p50s, p95s = [], []
    for _ in range(repeats):
        times = [timed(lambda index=index: call(index)) for index in range(calls)]
        p50s.append(float(np.percentile(times, 50)))
        p95s.append(float(np.percentile(times, 95)))
    return {"p50": statistics.median(p50s), "p95": statistics.median(p95s)}


def throughput(classifier: Classifier, images: list[np.ndarray], repeats: int) -> float:
    """Median images per second of ``predict_batch`` on batches of ``BATCH_SIZE``."""
    batch = np.stack([images[index % len(images)] for index in range(BATCH_SIZE)])
    classifier.predict_batch(batch)  # traces the batch function
    seconds = [timed(lambda: classifier.predict_batch(batch)) / 1000 for _ in range(repeats)]
    rates = [BATCH_SIZE / duration for duration in seconds]
    return statistics.median(rates)


def fidelity(classifier: Classifier, images: list[np.ndarray]) -> dict:
    """How closely the compiled path reproduces the Keras model and tf-keras-vis Grad-CAM.

    Returns:
        {"max_probability_difference": largest absolute difference from
        ``model.predict``, "min_gradcam_correlation": smallest Pearson
        correlation with tf-keras-vis Grad-CAM over the maps that have any
        positive value}.
    """
    differences, correlations = [], []
    for image in images:
        probabilities, cam, explained = classifier.gradcam(image)
        reference = classifier.model.predict(image[None].astype(np.float32), verbose=0)[0]
        differences.append(float(np.abs(probabilities - reference).max()))
        expected = classifier.explainer.explain(image, explained, "Grad-CAM")
        if cam.max() > 0 and expected.max() > 0:
            correlations.append(float(np.corrcoef(cam.ravel(), expected.ravel())[0, 1]))
    return {
        "max_probability_difference": max(differences),
        "min_gradcam_correlation": min(correlations) if correlations else float("nan"),
    }


def load(entry: ModelEntry) -> tuple[Classifier, dict]:
    """Loads and warms up one model, returning it with both durations in seconds."""
    start = time.perf_counter()
    classifier = Classifier(entry)
    loaded = time.perf_counter()
    classifier.warm_up()
    warmed = time.perf_counter()
    return classifier, {"load_s": loaded - start, "warm_up_s": warmed - loaded}


def measure(
    classifier: Classifier, rgbs: list[np.ndarray], repeats: int, calls: int, method_calls: int
) -> dict:
    """Every latency and throughput figure of one loaded, warmed-up model."""
    inputs = [
        to_model_input(Image.fromarray(rgb), classifier.size, classifier.view) for rgb in rgbs
    ]
    result = {
        "predict_ms": latency_ms(
            lambda index: classifier.predict(inputs[index % len(inputs)]), repeats, calls
        ),
        "predict_gradcam_ms": latency_ms(
            lambda index: classifier.analyse(rgbs[index % len(rgbs)]), repeats, calls
        ),
        "methods_p50_ms": {},
    }
    for method in METHODS:
        if method == DEFAULT_METHOD:
            continue
        classifier.analyse(rgbs[0], method)  # builds the explainer once
        result["methods_p50_ms"][method] = latency_ms(
            lambda index, method=method: classifier.analyse(rgbs[index % len(rgbs)], method),
            repeats,
            method_calls,
        )["p50"]
    result["batch_images_per_s"] = throughput(classifier, inputs, repeats)
    result["fidelity"] = fidelity(classifier, inputs)
    return result


def benchmark(entries: list[ModelEntry], repeats: int, calls: int, method_calls: int) -> dict:
    """Loads every model, then measures each; returns the whole report."""
    rgbs = sample_images()
    classifiers, models = [], {}
    for entry in entries:
        classifier, durations = load(entry)
        classifiers.append(classifier)
        models[entry.name] = {
            "weights": entry.weights.name,
            "input_size": classifier.size,
            "gradcam_layer": classifier.gradcam_layer,
            **durations,
        }
    peak_after_loading = memory_mb("VmHWM")
    for classifier in classifiers:
        models[classifier.entry.name].update(
            measure(classifier, rgbs, repeats, calls, method_calls)
        )
        gc.collect()
    return {
        "machine": machine(),
        "settings": {
            "repeats": repeats,
            "calls": calls,
            "method_calls": method_calls,
            "batch_size": BATCH_SIZE,
            "images": len(rgbs),
        },
        "peak_rss_after_loading_mb": peak_after_loading,
        "peak_rss_mb": memory_mb("VmHWM"),
        "models": models,
    }


def format_table(report: dict) -> str:
    """The report as a plain-text table, one row per model."""
    other_methods = [method for method in METHODS if method != DEFAULT_METHOD]
    header = (
        ["model", "size", "load s", "warm-up s", "predict p50/p95 ms", "+Grad-CAM p50/p95 ms"]
        + [f"{method} p50 ms" for method in other_methods]
        + [f"batch {BATCH_SIZE} img/s", "Grad-CAM corr"]
    )
    rows = [header]
    for name, result in report["models"].items():
        predict, gradcam = result["predict_ms"], result["predict_gradcam_ms"]
        rows.append(
            [
                name,
                str(result["input_size"]),
                f"{result['load_s']:.2f}",
                f"{result['warm_up_s']:.2f}",
                f"{predict['p50']:.1f} / {predict['p95']:.1f}",
                f"{gradcam['p50']:.1f} / {gradcam['p95']:.1f}",
            ]
            + [f"{result['methods_p50_ms'][method]:.0f}" for method in other_methods]
            + [
                f"{result['batch_images_per_s']:.1f}",
                f"{result['fidelity']['min_gradcam_correlation']:.4f}",
            ]
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    found = report["machine"]
    lines.append("")
    lines.append(
        f"{found['cpu']}, {found['cores']} cores, TensorFlow {found['tensorflow']}, "
        f"nice {found['nice']}; peak RSS after loading every model "
        f"{report['peak_rss_after_loading_mb']:.0f} MiB, at the end {report['peak_rss_mb']:.0f} MiB"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: print the table and optionally write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--weights",
        nargs="+",
        type=Path,
        help=".keras files with cards (default: every registered model)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument(
        "--calls", type=int, default=20, help="calls per run for prediction and Grad-CAM"
    )
    parser.add_argument(
        "--method-calls",
        type=int,
        default=3,
        help="calls per run for the slower explanation methods",
    )
    parser.add_argument("--json", type=Path, help="also write the report to this JSON file")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.calls < 1 or args.method_calls < 1:
        parser.error("--repeats, --calls and --method-calls must be at least 1.")
    entries = entries_for(args.weights)
    if not entries:
        parser.error("No registered model was found in model/weights/; pass --weights.")
    report = benchmark(entries, args.repeats, args.calls, args.method_calls)
    print(format_table(report))
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
