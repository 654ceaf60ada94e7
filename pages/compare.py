"""Compare models: numbers read from the committed reports, never recomputed here."""

import pandas as pd
import streamlit as st

from model import summaries
from model.cards import report_path
from model.config import CLASS_NAMES
from model.threshold import TARGET_ACCURACY
from pages import charts
from pages.common import read_benchmark, read_history, read_report, registered_models

TABLE_ROW_PIXELS = 35  # Streamlit's dataframe row height
NO_LICENCE_LIMIT = "trained on public-domain (CC0) images only."
PLAIN_CHART = {"displayModeBar": False}
# A legend under the plot leaves the plot the whole width of a phone.
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0}
# Beside a short title: a legend that leaves the axis titles alone.
LEGEND_ABOVE = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1}


def show_table(rows: list[dict], key: str) -> None:
    """A table with every row shown (no inner vertical scrolling); it scrolls sideways
    inside itself only where the screen is narrower than its columns."""
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        key=key,
        height=TABLE_ROW_PIXELS * (len(rows) + 1) + 3,
    )


st.title("Compare models")
st.caption(
    "Every number here comes from the reports in model/weights/, written by "
    "`python -m model.evaluate`."
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
names = {name: entries[name].title for name in reports}

splits = [s for s in summaries.SPLIT_TITLES if any(s in r["splits"] for r in reports.values())]
split = st.radio(
    "Test set for the numbers below the headline",
    splits,
    index=0,  # the Kaggle leak-free subset: the clean Kaggle number
    format_func=summaries.SPLIT_TITLES.get,
    horizontal=True,
    key="compare_split",
)
split_title = summaries.SPLIT_TITLES[split]  # in chart titles
split_words = summaries.SPLIT_IN_TEXT[split]  # in sentences
split_scans = summaries.split_images(reports, split)

st.subheader("Headline numbers")
st.dataframe(
    pd.DataFrame(summaries.headline_rows(reports, names)),
    hide_index=True,
    key="compare_headline",
)
st.caption(
    "Accuracy, the share of scans given their true class. "
    + " ".join(
        f"{summaries.SPLIT_TITLES[s]}: {summaries.split_images(reports, s)} scans, "
        f"{summaries.SPLIT_DESCRIPTIONS[s]}."
        for s in summaries.HEADLINE_SPLITS
        if summaries.split_images(reports, s)
    )
)

st.subheader(f"On the {split_words} scans")
st.caption(f"{split_scans} scans: {summaries.SPLIT_DESCRIPTIONS[split]}.")
show_table(summaries.split_table(reports, names, split), "compare_split_table")
st.caption(
    "Tumour sensitivity: the share of scans with a tumour called a tumour (any kind); "
    "no-tumour specificity: the share of normal scans called normal. Below its confidence "
    "threshold a model names no class and asks for expert review. The gate is each model's "
    "check that an image looks like the scans it was trained on; a flagged image gets no class."
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
recall_chart = charts.recall_bars(recalls, f"Recall per class · {split_title}", names)
recall_chart.update_layout(legend=LEGEND_BELOW)
st.plotly_chart(recall_chart, key="compare_recall", config=PLAIN_CHART)

st.subheader("Calibration and abstention")
st.caption(
    "The app shows temperature-scaled probabilities: one number per model, fitted on the "
    "validation images, softens or sharpens them so that a stated 80 % is right about 80 % "
    "of the time. Below a confidence threshold, also chosen on validation (target: "
    f"{TARGET_ACCURACY:.0%} accuracy on the scans answered), the app names no class and says "
    f"the scan needs expert review. Both charts use the {split_words} scans."
)
calibrated = {
    name: report["splits"][split]
    for name, report in reports.items()
    if "calibration" in report["splits"].get(split, {})
}
if not calibrated:
    st.info(
        "No report holds calibration numbers for this test set yet. Run `python -m "
        "model.calibrate --weights model/weights/<name>.keras`."
    )
else:
    reliability, risk = st.columns(2)
    reliability.plotly_chart(
        charts.reliability_diagram(
            {name: result["calibration"] for name, result in calibrated.items()},
            names,
            f"Reliability diagram · {split_title}",
        ),
        key="compare_reliability",
        config=PLAIN_CHART,
    )
    reliability.caption(
        "Each point is a bin of scans with similar confidence (bigger: more scans); on the "
        "dotted diagonal, confidence equals accuracy. Hollow circles are bins of fewer than "
        f"{summaries.MIN_BIN_IMAGES} scans: too few to judge, so the line does not join them. "
        "The legend gives the expected calibration error (ECE) before → after temperature "
        "scaling."
    )
    risk.plotly_chart(
        charts.risk_coverage_curve(
            {name: result["risk_coverage"] for name, result in calibrated.items()},
            {name: result.get("abstention") for name, result in calibrated.items()},
            names,
            f"Risk-coverage curve · {split_title}",
        ),
        key="compare_risk_coverage",
        config=PLAIN_CHART,
    )
    risk.caption(
        "Raising the threshold answers fewer scans, more of them correctly; the diamond marks "
        "each model's chosen threshold."
    )
    for name, result in calibrated.items():
        st.markdown(summaries.abstention_summary(names[name], entries[name].card, result, split))

st.subheader("Does the heatmap point at the tumour?")
pointing_rows = summaries.localisation_rows(reports, names)
if pointing_rows:
    show_table(pointing_rows, "compare_pointing")
    tolerance = next(
        r["localisation"]["leak_free"]["tolerance"]
        for r in reports.values()
        if "leak_free" in r.get("localisation", {})
    )
    st.caption(
        "Always on the Kaggle leak-free scans with a known tumour outline (boxes from the "
        "figshare tumour masks), whatever the test set above: how often the hottest point of "
        "the heatmap of the true class falls on the tumour (the box grown by "
        f"{tolerance:.0%} of the image side), and how much of the heatmap lies inside the "
        "box. A map that knows nothing, a blob at the image centre, is the baseline to beat. "
        "Measured by `python -m model.pointing`."
    )
else:
    st.info(
        "No report holds the heatmap check yet. Run `python -m model.pointing --weights "
        "model/weights/<name>.keras --methods all`."
    )

speed = read_benchmark()
if speed:
    st.subheader("Speed")
    machine = speed["machine"]
    show_table(summaries.speed_table(speed, names), "compare_speed")
    st.caption(
        "p50 / p95: the median and the 95th percentile of the time one scan takes. "
        f"Measured by `python -m model.benchmark` on {machine['cores']} CPU cores "
        f"({machine['cpu']}, no GPU), TensorFlow {machine['tensorflow']}, after warm-up; "
        f"medians of {speed['settings']['repeats']} runs. One process with every model "
        f"loaded peaked at {speed['peak_rss_mb']:.0f} MB of memory."
    )

for name, report in reports.items():
    entry = entries[name]
    card = entry.card
    result = report["splits"].get(split)
    st.divider()
    st.subheader(entry.title)
    st.markdown(
        f"- **What it is:** {summaries.what_it_is(card, main=name == models[0].name)}\n"
        f"- **Trained on:** {summaries.training_images_text(card)}.\n"
        f"- **Where it fails:** {summaries.where_it_fails(card, report)}\n"
        f"- **Licence of the weights:** {card.licence or NO_LICENCE_LIMIT}\n\n"
        f"How it was trained: its card `model/weights/{entry.weights.stem}.json` and "
        "`docs/training.md`."
    )
    if result is None:
        st.info(f"{entry.title} has not been evaluated on the {split_words} scans.")
        continue
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
        f"**Accuracy {result['accuracy']:.1%}** on {result['images']} {split_words} scans · "
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
    if result.get("tumour_sensitivity") is not None:
        specificity = result.get("tumour_specificity")
        left.markdown(
            f"Tumour vs no tumour: sensitivity {result['tumour_sensitivity']:.1%}, "
            f"specificity {'n/a' if specificity is None else f'{specificity:.1%}'}"
        )
    right.dataframe(
        pd.DataFrame(summaries.per_class_rows(result["per_class"])),
        hide_index=True,
        key=f"compare_{name}_table",
    )
    if result.get("by_sequence"):
        right.dataframe(
            pd.DataFrame(
                [
                    {
                        "sequence": sequence,
                        "scans": values["images"],
                        "accuracy": summaries.percent(values["accuracy"]),
                        "tumour sensitivity": summaries.percent(values["tumour_sensitivity"]),
                        "no-tumour specificity": summaries.percent(
                            values.get("tumour_specificity")
                        ),
                    }
                    for sequence, values in result["by_sequence"].items()
                ]
            ),
            hide_index=True,
            key=f"compare_{name}_sequences",
        )
    counts, shares = st.columns(2)
    counts.plotly_chart(
        charts.confusion_heatmap(result["confusion_matrix"], CLASS_NAMES, False, "Counts"),
        key=f"compare_{name}_counts",
        config=PLAIN_CHART,
    )
    shares.plotly_chart(
        charts.confusion_heatmap(
            result["confusion_matrix"], CLASS_NAMES, True, "Share of each true class"
        ),
        key=f"compare_{name}_shares",
        config=PLAIN_CHART,
    )
    history = read_history(str(entry.weights), entry.weights.stat().st_mtime)
    if history:
        loss, accuracy = st.columns(2)
        loss_chart = charts.training_curves(history, "loss")
        if loss_chart.layout.yaxis.type == "log":  # labels in full, never "5 2 100 5 2"
            loss_chart.update_yaxes(tickmode="array", tickvals=summaries.loss_ticks(history))
        loss_chart.update_layout(legend=LEGEND_ABOVE)
        loss.plotly_chart(loss_chart, key=f"compare_{name}_loss", config=PLAIN_CHART)
        note = summaries.loss_note(history)
        if note:
            loss.caption(note)
        accuracy_chart = charts.training_curves(history, "accuracy")
        accuracy_chart.update_layout(legend=LEGEND_ABOVE)
        accuracy.plotly_chart(accuracy_chart, key=f"compare_{name}_accuracy", config=PLAIN_CHART)
