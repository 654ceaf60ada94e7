"""Test on your scans: upload labelled scans, see how a model does on them."""

import functools
import hashlib

import pandas as pd
import streamlit as st

from model import report_pdf, summaries
from model.cards import report_path
from model.config import CLASS_NAMES
from model.config import DEFAULT_EXPLANATION_METHOD as DEFAULT_METHOD
from model.overlay import overlay
from model.own_scans import (
    OwnScansError,
    configured_limits,
    read_files_with_csv,
    read_zip,
    rows_csv,
    score,
)
from model.registry import WeightsError
from pages import charts
from pages.common import (
    analyse_upload,
    load_classifier,
    read_report,
    registered_models,
    selected_entry,
)

LIMITS = configured_limits()
MODE_KEY = "own_mode"
ZIP_KEY = "own_zip"
FILES_KEY = "own_files"
CSV_KEY = "own_csv"
WHICH_KEY = "own_models"
RESULTS_KEY = "own_results"  # {upload hash: {model name: OwnResult}}
GALLERY_SIZE = 12
ZIP_MODE, CSV_MODE = "A ZIP of class folders", "Several files and a CSV"

st.title("Test on your scans")
st.caption(
    "How does the model do on your own scans? Upload scans whose class you know; the app "
    "runs them through exactly the analysis of the upload page (same decoding, "
    "out-of-distribution gate and confidence threshold) and compares the result with the "
    "model's published numbers. Nothing is stored: the scans stay in this browser session."
)
st.markdown(
    f"Limits of one run: at most **{LIMITS.max_images} images** and "
    f"**{LIMITS.max_total_bytes // 2**20} MB** unpacked. Archives inside the ZIP, links and "
    "paths that leave the archive are refused."
)

mode = st.radio("What will you upload?", [ZIP_MODE, CSV_MODE], key=MODE_KEY, horizontal=True)
if mode == ZIP_MODE:
    st.caption(
        "One folder per class, named for example glioma, meningioma, pituitary (or "
        "pituitary_tumor) and no_tumor (or normal); any subset of the four classes."
    )
    archive = st.file_uploader("ZIP of class folders", type=["zip"], key=ZIP_KEY)
    payload = archive.getvalue() if archive else None
else:
    st.caption("A CSV with the columns file and class, and the files it names.")
    files = st.file_uploader("Scans", accept_multiple_files=True, key=FILES_KEY)
    table = st.file_uploader("CSV of file and class", type=["csv"], key=CSV_KEY)
    payload = (
        [(f.name, f.getvalue()) for f in files] + [("labels.csv", table.getvalue())]
        if files and table
        else None
    )
if not payload:
    st.info("Upload your labelled scans to begin.")
    st.stop()

try:
    if mode == ZIP_MODE:
        scans = read_zip(payload, LIMITS)
        key = hashlib.sha256(payload).hexdigest()
    else:
        scans = read_files_with_csv(payload[:-1], payload[-1][1], LIMITS)
        key = hashlib.sha256(b"".join(d for _, d in payload)).hexdigest()
except OwnScansError as error:
    st.error(str(error))
    st.stop()

st.subheader("What was found")
counts = scans.counts()
st.dataframe(
    pd.DataFrame(
        [{"class": charts.class_label(n), "images": c} for n, c in counts.items() if c]
        or [{"class": "(none)", "images": 0}]
    ),
    hide_index=True,
    key="own_counts",
)
if scans.unknown_folders:
    st.warning(
        "Folders not recognised as a class (their files are skipped): "
        + ", ".join(scans.unknown_folders)
    )
if scans.skipped:
    with st.expander(f"{len(scans.skipped)} files will be skipped"):
        st.dataframe(
            pd.DataFrame(scans.skipped, columns=["file", "why"]), hide_index=True, key="own_skip"
        )
if not scans.names:
    st.error("No scan in a recognised class folder: nothing to test.")
    st.stop()

which = st.radio(
    "Which model?",
    ["The model chosen in the sidebar", "Every bundled model"],
    key=WHICH_KEY,
    horizontal=True,
)
entries = registered_models() if which.startswith("Every") else [selected_entry()]
results = st.session_state.setdefault(RESULTS_KEY, {}).get(key, {})
missing = [entry for entry in entries if entry.name not in results]
if missing:
    controls = st.empty()  # cleared once the run is done
    with controls.container():
        run_column, stop_column = st.columns([1, 4])
        run = run_column.button(
            f"Run the test on {len(scans.names)} scans", key="own_run", type="primary"
        )
        stop_column.button("Stop", key="own_stop", help="Stops a run; nothing of it is kept.")
    if not run:
        st.stop()
    for entry in missing:
        try:
            classifier = load_classifier(str(entry.weights))
        except WeightsError as error:
            st.error(str(error))
            st.stop()
        bar = st.progress(0.0, text=f"{entry.title}: starting…")
        result = score(
            classifier,
            scans,
            lambda done, total, bar=bar, entry=entry: bar.progress(
                done / total, text=f"{entry.title}: {done} of {total} scans"
            ),
        )
        bar.empty()
        results[entry.name] = result
    st.session_state[RESULTS_KEY] = {key: results}  # one upload's results at a time
    controls.empty()


def published(entry) -> dict:
    """The model's own report: its numbers on the Kaggle and Radiopaedia test sets."""
    path = report_path(entry.weights)
    return read_report(str(entry.weights), path.stat().st_mtime)["splits"] if path.exists() else {}


def percent(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"


for entry in entries:
    result = results[entry.name]
    metrics = result.metrics
    st.divider()
    st.subheader(entry.title)
    if metrics is None:
        st.error("None of the scans could be read.")
        continue
    first, second, third, fourth = st.columns(4)
    first.metric("Accuracy", percent(metrics["accuracy"]))
    second.metric("Tumour sensitivity", percent(metrics.get("tumour_sensitivity")))
    third.metric("No-tumour specificity", percent(metrics.get("tumour_specificity")))
    fourth.metric("Scans read", f"{metrics['images']} of {len(result.rows)}")
    st.caption(
        f"With the app's rules, it named a class for {result.answered} scans, said "
        f"{result.abstained} {'needs' if result.abstained == 1 else 'need'} expert review "
        "(below its confidence threshold) and flagged "
        f"{result.flagged} as unlike its training scans; {result.unreadable} could not be "
        "read. Accuracy counts every scan read, as the published numbers do."
    )
    splits = published(entry)
    comparison = [
        {
            "set": "Your scans",
            "images": metrics["images"],
            "accuracy": percent(metrics["accuracy"]),
            "tumour sensitivity": percent(metrics.get("tumour_sensitivity")),
            "no-tumour specificity": percent(metrics.get("tumour_specificity")),
        }
    ]
    for split, title in (
        ("leak_free", "Kaggle leak-free test (published)"),
        ("radiopaedia_eval", "Radiopaedia cases from other hospitals (published)"),
    ):
        if split in splits:
            comparison.append(
                {
                    "set": title,
                    "images": splits[split]["images"],
                    "accuracy": percent(splits[split]["accuracy"]),
                    "tumour sensitivity": percent(splits[split].get("tumour_sensitivity")),
                    "no-tumour specificity": percent(splits[split].get("tumour_specificity")),
                }
            )
    st.dataframe(pd.DataFrame(comparison), hide_index=True, key=f"own_{entry.name}_compare")
    left, right = st.columns(2)
    left.dataframe(
        pd.DataFrame(summaries.per_class_rows(metrics["per_class"])),
        hide_index=True,
        key=f"own_{entry.name}_classes",
    )
    right.plotly_chart(
        charts.confusion_heatmap(metrics["confusion_matrix"], CLASS_NAMES, False, "Your scans"),
        key=f"own_{entry.name}_confusion",
        config={"displayModeBar": False},
    )
    wrong = [row for row in result.rows if row.predicted is not None and row.predicted != row.truth]
    if wrong:
        st.markdown(f"**Misclassified scans** ({len(wrong)}; the first {GALLERY_SIZE} shown)")
        columns = st.columns(4)
        for index, row in enumerate(wrong[:GALLERY_SIZE]):
            data = scans.data[scans.names.index(row.file)]
            # Cached per scan and model, so reruns of the page do not analyse again.
            scan = analyse_upload(
                hashlib.sha256(data).hexdigest(), str(entry.weights), DEFAULT_METHOD, None, data
            )
            columns[index % 4].image(
                overlay(scan.display, scan.analysis.cam, 0.45),
                caption=f"{row.file}: {charts.class_label(CLASS_NAMES[row.truth])}, "
                f"called {charts.class_label(CLASS_NAMES[row.predicted])}",
                width="stretch",
            )
    csv_bytes = rows_csv(result, CLASS_NAMES)
    # Built only when its download button is clicked.
    pdf = functools.partial(report_pdf.own_scans_summary, entry.title, metrics, comparison, result)
    download_csv, download_pdf = st.columns(2)
    download_csv.download_button(
        "Download results (CSV)",
        csv_bytes,
        file_name=f"own-scans-{entry.name}.csv",
        mime="text/csv",
        key=f"own_{entry.name}_csv",
        on_click="ignore",
    )
    download_pdf.download_button(
        "Download summary (PDF)",
        pdf,
        file_name=f"own-scans-{entry.name}.pdf",
        mime="application/pdf",
        key=f"own_{entry.name}_pdf",
        on_click="ignore",
    )
