import json
import math

from model import benchmark
from model.explain import METHODS


def positive_numbers(value) -> list[bool]:
    """Whether every number nested in ``value`` is finite and positive."""
    if isinstance(value, dict):
        return [ok for item in value.values() for ok in positive_numbers(item)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [math.isfinite(value) and value > 0]
    return []


def test_benchmark_writes_every_figure_for_the_tiny_model(tiny_weights_dir, tmp_path, capsys):
    report_file = tmp_path / "benchmark.json"
    benchmark.main(
        [
            "--weights",
            str(tiny_weights_dir / "tiny.keras"),
            "--repeats",
            "2",
            "--calls",
            "3",
            "--method-calls",
            "1",
            "--json",
            str(report_file),
        ]
    )
    report = json.loads(report_file.read_text())
    assert set(report["machine"]) >= {"cpu", "cores", "tensorflow", "keras"}
    assert report["machine"]["cores"] >= 1
    assert report["peak_rss_mb"] >= report["peak_rss_after_loading_mb"] > 0
    tiny = report["models"]["tiny"]
    assert tiny["input_size"] == 8 and tiny["gradcam_layer"] == "last_conv"
    for field in ("load_s", "warm_up_s", "batch_images_per_s"):
        assert math.isfinite(tiny[field]) and tiny[field] > 0
    for field in ("predict_ms", "predict_gradcam_ms"):
        assert set(tiny[field]) == {"p50", "p95"} and all(positive_numbers(tiny[field]))
    assert set(tiny["methods_p50_ms"]) == set(METHODS) - {"Grad-CAM"}
    assert all(positive_numbers(tiny["methods_p50_ms"]))
    fidelity = tiny["fidelity"]
    assert 0 <= fidelity["max_probability_difference"] < 1e-5
    assert fidelity["min_gradcam_correlation"] > 0.99
    printed = capsys.readouterr().out
    assert "tiny" in printed and "p50" in printed and str(report_file) in printed
