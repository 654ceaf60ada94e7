"""Compare models: numbers read from the committed reports, never recomputed here."""

import pandas as pd
import streamlit as st

from model.cards import report_path
from model.config import CLASS_NAMES
from model.summaries import gate_figures, localisation_rows, training_images_text
from model.threshold import TARGET_ACCURACY
from pages import charts
from pages.common import read_benchmark, read_history, read_report, registered_models

SPLITS = {
    "leak_free": "Kaggle leak-free subset (no near-copy in training)",
    "radiopaedia_eval": "Radiopaedia cases not seen in training (other hospitals, 3 classes)",
    "official": "Kaggle official test split (about a third are near-copies of training images)",
    "external": "All Radiopaedia developer cases (includes cases used in training)",
}

TABLE_ROW_PIXELS = 35  # Streamlit's dataframe row height

SHORT_SPLIT_NAMES = {
    "leak_free": "Kaggle leak-free",
    "radiopaedia_eval": "Other hospitals",
    "official": "Kaggle official*",
}


def abstention_summary(entry, leak_free: dict) -> str:
    """Plain words: what a model's threshold reaches on validation and on leak-free scans."""
    name, card = entry.title, entry.card
    validation = card.low_confidence or {}
    tested = leak_free.get("abstention")
    if card.temperature is None or not validation or not tested:
        return (
            f"**{name}**: not calibrated yet; run `python -m model.calibrate --weights "
            f"model/weights/{entry.weights.name}`."
        )
    validation_images = (card.validation or {}).get("images", "")
    text = (
        f"**{name}** (temperature {card.temperature:.2f}): below "
        f"{tested['threshold']:.0%} confidence the app asks for expert review. On the "
        f"{validation_images} validation scans it then answers "
        f"{validation['coverage']:.0%} with {validation['accuracy']:.1%} accuracy"
    )
    if tested["accuracy"] is None:
        text += f"; on the {leak_free['images']} leak-free test scans it answers none."
    else:
        text += (
            f"; on the {leak_free['images']} leak-free test scans it answers "
            f"{tested['coverage']:.0%} with {tested['accuracy']:.1%} accuracy."
        )
    if validation["accuracy"] < validation.get("target", TARGET_ACCURACY):
        text += (
            f" No threshold reaches {validation.get('target', TARGET_ACCURACY):.0%} on "
            "validation while answering at least half of the scans, so this is the most "
            "accurate one that does."
        )
    return text


st.title("Compare models")
st.caption(
    "Every number here comes from the reports in model/weights/, written by "
    "`python -m model.evaluate`. The official Testing split contains near-copies of "
    "training images; the leak-free subset removes them, so it is the fairer number."
)

models = registered_models()
reports = {}
for entry in models:
    path = report_path(entry.weights)
    if path.exists():
        reports[entry.name] = read_report(str(entry.weights), path.stat().st_mtime)
if not reports:
    st.info(
        "No evaluated model yet. Run `python -m model.evaluate --weights "
        "model/weights/<name>.keras`."
    )
    st.stop()
entries = {entry.name: entry for entry in models if entry.name in reports}

st.subheader("Headline numbers")
rows = []
for name, report in reports.items():
    card = entries[name].card
    row = {
        "model": entries[name].title,
        "input": f"{card.input_size} px",
        "initial weights": "random" if card.initial_weights == "none" else card.initial_weights,
    }
    for split, title in SHORT_SPLIT_NAMES.items():
        result = report["splits"].get(split)
        if result:
            row[f"{title} accuracy"] = f"{result['accuracy']:.1%}"
            row[f"{title} macro-F1"] = f"{result['macro_f1']:.3f}"
            if split == "radiopaedia_eval" and result.get("tumour_sensitivity") is not None:
                row[f"{title} tumour sensitivity"] = f"{result['tumour_sensitivity']:.1%}"
                specificity = result.get("tumour_specificity")
                if specificity is not None:
                    row[f"{title} no-tumour specificity"] = f"{specificity:.1%}"
    row.update(gate_figures(report))
    row["training time"] = f"{(card.wall_time_seconds or 0) / 60:.0f} min"
    rows.append(row)
# One column per model, one row per number: easy to read across models.
# Rows in reading order: the Kaggle and other-hospital numbers first, whatever
# model's report happens to lack one of them.
order = list(dict.fromkeys(key for row in rows for key in row if key != "model"))
order.sort(key=lambda key: (key in ("input", "initial weights", "training time"),
                            not key.startswith("Kaggle leak-free"),
                            not key.startswith(SHORT_SPLIT_NAMES["radiopaedia_eval"]),
                            key.startswith("Gate")))  # fmt: skip
headline = pd.DataFrame(rows).set_index("model").T.reindex(order).reset_index(names="")
st.dataframe(
    headline.fillna("–"),
    hide_index=True,
    key="compare_headline",
    height=TABLE_ROW_PIXELS * (len(headline) + 1) + 3,  # every row, no inner scrolling
)
first = next(iter(reports.values()))["splits"]
st.caption(
    " · ".join(
        f"{SPLITS[split]}: {first[split]['images']} images" for split in SPLITS if split in first
    )
    + ". *The official split contains near-copies of training images; the leak-free subset "
    "is the clean Kaggle number. The gate is each model's check that an image looks like the "
    "scans it was trained on; a flagged image gets no class."
)

st.subheader("Does the heatmap point at the tumour?")
pointing_rows = localisation_rows(reports, {name: e.title for name, e in entries.items()})
if pointing_rows:
    st.dataframe(pd.DataFrame(pointing_rows), hide_index=True, key="compare_pointing")
    tolerance = next(
        r["localisation"]["leak_free"]["tolerance"]
        for r in reports.values()
        if "leak_free" in r.get("localisation", {})
    )
    st.caption(
        "On the leak-free Kaggle test scans with a known tumour outline (boxes from the "
        "figshare tumour masks): how often the hottest point of the heatmap of the true class "
        f"falls on the tumour (the box grown by {tolerance:.0%} of the image side), and how "
        "much of the "
        "heatmap lies inside the box. A map that knows nothing, a blob at the image centre, "
        "is the baseline to beat. Measured by `python -m model.pointing`."
    )
else:
    st.info(
        "No report holds the heatmap check yet. Run `python -m model.pointing --weights "
        "model/weights/<name>.keras --methods all`."
    )

split = st.radio(
    "Split for the details below",
    [s for s in SPLITS if any(s in r["splits"] for r in reports.values())],
    format_func=SPLITS.get,
    key="compare_split",
)

st.subheader("Calibration and abstention")
st.caption(
    "The app shows temperature-scaled probabilities: one number per model, fitted on the "
    "validation images, softens or sharpens them so that a stated 80 % is right about 80 % "
    "of the time. Below a confidence threshold, also chosen on validation (target: "
    f"{TARGET_ACCURACY:.0%} accuracy on the scans answered), the app names no class and says "
    "the scan needs expert review. Both charts use the leak-free subset."
)
names = {name: entries[name].title for name in reports}
calibrated = {
    name: report["splits"]["leak_free"]
    for name, report in reports.items()
    if "calibration" in report["splits"].get("leak_free", {})
}
if not calibrated:
    st.info(
        "No report holds calibration numbers yet. Run `python -m model.calibrate --weights "
        "model/weights/<name>.keras`."
    )
else:
    reliability, risk = st.columns(2)
    reliability.plotly_chart(
        charts.reliability_diagram(
            {name: result["calibration"] for name, result in calibrated.items()},
            names,
            "Reliability diagram · leak-free subset",
        ),
        key="compare_reliability",
        config={"displayModeBar": False},
    )
    reliability.caption(
        "Each point is a bin of scans with similar confidence (bigger: more scans; bins of "
        f"fewer than {charts.MIN_BIN_COUNT} scans are left out); on the "
        "dotted diagonal, confidence equals accuracy. The legend gives the expected "
        "calibration error (ECE) before → after temperature scaling."
    )
    risk.plotly_chart(
        charts.risk_coverage_curve(
            {name: result["risk_coverage"] for name, result in calibrated.items()},
            {name: result.get("abstention") for name, result in calibrated.items()},
            names,
            "Risk-coverage curve · leak-free subset",
        ),
        key="compare_risk_coverage",
        config={"displayModeBar": False},
    )
    risk.caption(
        "Raising the threshold answers fewer scans, more of them correctly; the diamond marks "
        "each model's chosen threshold."
    )
    for name, result in calibrated.items():
        st.markdown(abstention_summary(entries[name], result))

speed = read_benchmark()
if speed:
    st.subheader("Speed")
    machine = speed["machine"]
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "model": entries[name].title if name in entries else name,
                    "input": f"{result['input_size']} px",
                    "load": f"{result['load_s']:.1f} s",
                    "warm-up": f"{result['warm_up_s']:.1f} s",
                    "prediction p50 / p95": f"{result['predict_ms']['p50']:.0f} / "
                    f"{result['predict_ms']['p95']:.0f} ms",
                    "prediction + Grad-CAM p50 / p95": f"{result['predict_gradcam_ms']['p50']:.0f}"
                    f" / {result['predict_gradcam_ms']['p95']:.0f} ms",
                    **{
                        f"{method} p50": f"{milliseconds / 1000:.1f} s"
                        for method, milliseconds in result["methods_p50_ms"].items()
                    },
                    "batch of 32": f"{result['batch_images_per_s']:.0f} images/s",
                }
                for name, result in speed["models"].items()
            ]
        ),
        hide_index=True,
        key="compare_speed",
    )
    st.caption(
        "Scroll the table sideways for every column. "
        f"Measured by `python -m model.benchmark` on {machine['cores']} CPU cores "
        f"({machine['cpu']}, no GPU), TensorFlow {machine['tensorflow']}, after warm-up; "
        f"medians of {speed['settings']['repeats']} runs. One process with every model "
        f"loaded peaked at {speed['peak_rss_mb']:.0f} MB of memory."
    )

recalls = {
    name: {
        c: report["splits"][split]["per_class"][c]["recall"]
        for c in CLASS_NAMES
        if report["splits"][split]["per_class"][c]["support"]
    }
    for name, report in reports.items()
    if split in report["splits"]
}
st.plotly_chart(
    charts.recall_bars(recalls, f"Recall per class · {SPLITS[split]}", names),
    key="compare_recall",
    config={"displayModeBar": False},
)

for name, report in reports.items():
    entry = entries[name]
    result = report["splits"].get(split)
    st.divider()
    st.subheader(entry.label)
    if result is None:
        st.info(f"{entry.label} has not been evaluated on this split.")
        continue
    table = pd.DataFrame(
        [
            {
                "class": charts.class_label(c),
                "precision": round(m["precision"], 3),
                "recall": round(m["recall"], 3),
                "F1": round(m["f1"], 3),
                "support": m["support"],
            }
            for c, m in result["per_class"].items()
            if m["support"]
        ]
    )
    left, right = st.columns(2)
    auc = result["roc_auc_macro"]
    calibration = result.get("calibration")
    ece = (
        f"{calibration['ece_before']:.3f} raw, {calibration['ece_after']:.3f} after "
        "temperature scaling"
        if calibration
        else f"{result['expected_calibration_error']:.3f}"
    )
    left.markdown(
        f"**Accuracy {result['accuracy']:.1%}** on {result['images']} images · "
        f"macro-F1 {result['macro_f1']:.3f} · ROC-AUC "
        f"{'n/a' if auc is None else f'{auc:.3f}'} · calibration error (ECE) {ece}"
    )
    abstention = result.get("abstention")
    if abstention and abstention["accuracy"] is not None:
        left.markdown(
            f"At the {abstention['threshold']:.0%} threshold: answers {abstention['answered']} "
            f"of {result['images']} scans ({abstention['coverage']:.0%}) with "
            f"{abstention['accuracy']:.1%} accuracy; the rest go to expert review."
        )
    left.dataframe(table, hide_index=True, key=f"compare_{name}_table")
    if result.get("tumour_sensitivity") is not None:
        specificity = result.get("tumour_specificity")
        left.markdown(
            f"Tumour vs no tumour: sensitivity {result['tumour_sensitivity']:.1%}, "
            f"specificity {'n/a' if specificity is None else f'{specificity:.1%}'}"
        )
    if result.get("by_sequence"):
        left.dataframe(
            pd.DataFrame(
                [
                    {
                        "sequence": sequence,
                        "images": values["images"],
                        "accuracy": f"{values['accuracy']:.1%}",
                        "tumour sensitivity": "n/a"
                        if values["tumour_sensitivity"] is None
                        else f"{values['tumour_sensitivity']:.1%}",
                    }
                    for sequence, values in result["by_sequence"].items()
                ]
            ),
            hide_index=True,
            key=f"compare_{name}_sequences",
        )
    card = entry.card
    right.markdown(
        f"- **Architecture:** {card.architecture}, input {card.input_size} px\n"
        f"- **Started from:** "
        f"{'ImageNet weights' if card.initial_weights == 'imagenet' else 'random weights'}"
        "\n"
        f"- **Recipe:** {card.recipe or 'see docs/training.md'}\n"
        f"- **Trained:** {card.epochs_run} epochs, "
        f"{(card.wall_time_seconds or 0) / 60:.0f} min on {card.machine['cores']} CPU "
        f"cores ({card.machine['cpu']})\n"
        f"- **Training images:** {training_images_text(card)}\n"
        f"- **Licence of the weights:** {card.licence or 'CC0 data only'}\n"
        f"- **Heatmap layer:** `{card.gradcam_layer}`"
    )
    counts, shares = st.columns(2)
    counts.plotly_chart(
        charts.confusion_heatmap(result["confusion_matrix"], CLASS_NAMES, False, "Counts"),
        key=f"compare_{name}_counts",
        config={"displayModeBar": False},
    )
    shares.plotly_chart(
        charts.confusion_heatmap(
            result["confusion_matrix"], CLASS_NAMES, True, "Share of each true class"
        ),
        key=f"compare_{name}_shares",
        config={"displayModeBar": False},
    )
    history = read_history(str(entry.weights), entry.weights.stat().st_mtime)
    if history:
        loss, accuracy = st.columns(2)
        loss.plotly_chart(
            charts.training_curves(history, "loss"),
            key=f"compare_{name}_loss",
            config={"displayModeBar": False},
        )
        accuracy.plotly_chart(
            charts.training_curves(history, "accuracy"),
            key=f"compare_{name}_accuracy",
            config={"displayModeBar": False},
        )
