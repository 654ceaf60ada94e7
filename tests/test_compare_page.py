"""Real Streamlit runs of the compare page: the calibration and abstention section."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from model import config, summaries
from model.cards import card_path, history_path, report_path, write_json
from tests.conftest import APP, APP_TIMEOUT, SHIPPED, needs_shipped_models


def compare_page() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=APP_TIMEOUT).run()
    app.switch_page("pages/compare.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def figures(app: AppTest) -> dict[str, dict]:
    """The page's plotly figures by title."""
    specs = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    return {spec["layout"]["title"]["text"]: spec for spec in specs if "title" in spec["layout"]}


@needs_shipped_models
def test_shipped_models_show_their_calibration_and_threshold(shipped_weights):
    app = compare_page()
    assert "Calibration and abstention" in [s.value for s in app.subheader]
    shown = figures(app)
    reliability = shown["Reliability diagram · Kaggle leak-free"]["data"]
    assert reliability[0]["name"] == "perfect calibration"
    # Bins with enough images joined by a line; the others hollow, on no line.
    joined = [t for t in reliability[1:] if "lines" in t["mode"]]
    hollow = [t for t in reliability[1:] if t["mode"] == "markers"]
    assert len(joined) == len(SHIPPED) and len(joined) + len(hollow) == len(reliability) - 1
    assert all(min(t["customdata"]) >= summaries.MIN_BIN_IMAGES for t in joined)
    for trace in hollow:
        assert trace["marker"]["symbol"] == "circle-open"
        assert max(trace["customdata"]) < summaries.MIN_BIN_IMAGES
    risk = shown["Risk-coverage curve · Kaggle leak-free"]["data"]
    text = " ".join(m.value for m in app.markdown)
    for entry in SHIPPED.values():
        leak_free = entry.report()["splits"]["leak_free"]
        chosen = leak_free["abstention"]
        marker = next(t for t in risk if t["name"].endswith(f"threshold {chosen['threshold']:.0%}"))
        assert marker["x"] == [chosen["coverage"]] and marker["y"] == [chosen["accuracy"]]
        ece = leak_free["calibration"]
        assert any(
            f"ECE {ece['ece_before']:.3f} → {ece['ece_after']:.3f}" in t["name"]
            for t in reliability
        )
        validation = entry.card.low_confidence
        assert (
            f"answers {validation['coverage']:.0%} with {validation['accuracy']:.1%} accuracy"
            in text
        )
        assert f"answers {chosen['coverage']:.0%} with {chosen['accuracy']:.1%} accuracy" in text


@pytest.mark.skipif("baseline" not in SHIPPED, reason="no shipped baseline model")
def test_a_report_from_before_calibration_asks_for_the_command(tmp_path, monkeypatch):
    # The shipped baseline as it was before model.calibrate: no temperature, no new keys.
    entry = SHIPPED["baseline"]
    card, report = entry.card.to_json(), entry.report()
    for key in ("temperature", "calibration"):
        card.pop(key, None)
    for result in report["splits"].values():
        for key in ("calibration", "risk_coverage", "abstention"):
            result.pop(key, None)
    (tmp_path / "baseline.keras").symlink_to(entry.weights)
    write_json(card_path(tmp_path / "baseline.keras"), card)
    write_json(report_path(tmp_path / "baseline.keras"), report)
    monkeypatch.setenv(config.WEIGHTS_ENV_VAR, str(tmp_path))
    app = compare_page()
    assert any("python -m model.calibrate" in i.value for i in app.info)
    assert "Headline numbers" in [s.value for s in app.subheader]  # the rest still shows


@needs_shipped_models
def test_the_loss_axis_is_labelled_in_plain_numbers_and_says_why(shipped_weights):
    app = compare_page()
    losses = [json.loads(c.proto.spec) for c in app.get("plotly_chart")]
    losses = [s for s in losses if s["layout"]["title"]["text"].startswith("Loss")]
    assert len(losses) == len(SHIPPED)
    for spec, entry in zip(losses, SHIPPED.values()):
        history = json.loads(history_path(entry.weights).read_text())
        axis = spec["layout"]["yaxis"]
        assert axis["type"] == "log" and axis["tickvals"] == summaries.loss_ticks(history)
        assert 2 <= len(axis["tickvals"]) <= 6
    notes = [c.value for c in app.caption if c.value.startswith("Log scale, ticks at")]
    assert len(notes) == len(SHIPPED)


@needs_shipped_models
def test_the_speed_section_shows_the_committed_benchmark(shipped_weights):
    benchmark = json.loads((config.WEIGHTS_DIR / "benchmark.json").read_text())
    app = compare_page()
    assert "Speed" in [s.value for s in app.subheader]
    # Transposed: a row per measurement, a column per model, so it fits the page.
    table = next(
        d.value for d in app.dataframe if "prediction p50 / p95" in list(d.value.get("", []))
    )
    assert len(table.columns) == 1 + len(benchmark["models"])
    row = table.set_index("").loc["prediction p50 / p95"]
    for name, result in benchmark["models"].items():
        assert row[SHIPPED[name].title].startswith(f"{result['predict_ms']['p50']:.0f} / ")
    caption = " ".join(c.value for c in app.caption)
    assert f"peaked at {benchmark['peak_rss_mb']:.0f} MB" in caption
