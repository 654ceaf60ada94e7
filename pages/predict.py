"""Classify a scan: upload (or pick a sample), see the class, the probabilities and the heatmap."""

from __future__ import annotations  # Classifier is only imported for type checking

import functools
import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st
from PIL import Image

from model import config, report_pdf
from model.cards import report_path
from model.caveats import other_hospitals_caveat
from model.decision import CONFIDENT, EXPERT_REVIEW, UNLIKE_TRAINING, Decision
from model.formatting import probability_text
from model.inputs import BROWSER_UPLOAD_MEGABYTES, MAX_UPLOAD_MEGABYTES, InputError
from model.overlay import DEFAULT_COLORMAP, legend, overlay
from model.registry import ModelEntry, WeightsError
from pages import charts
from pages.common import (
    SIDEBAR_COLORMAP,
    SIDEBAR_METHOD,
    SIDEBAR_OPACITY,
    analyse_upload,
    load_classifier,
    plain,
    preload,
    read_report,
    registered_models,
    selected_classifier,
    selected_entry,
)

if TYPE_CHECKING:  # TensorFlow loads with the first model, after the page is drawn
    from model.analysis import ScanResult
    from model.inference import Classifier

SAMPLES_DIR = config.SAMPLES_DIR
SAMPLE_KEY = "predict_sample"
SAMPLE_UPLOADS_KEY = "predict_sample_uploads"  # the uploads present when a sample was clicked
SAMPLE_PREFIX = "sample: "
TARGET_KEY = "predict_target"
ALL_MODELS_KEY = "predict_all_models"
PREDICTED = "predicted"  # target option: explain the class the model predicts
FULL_RESULTS_UP_TO = 5  # more files than this: one collapsed section per file
COMPARE_IMAGE_WIDTH = 360  # pixels: each model's heatmap in the side-by-side comparison


def other_hospitals_line() -> str | None:
    """What the selected model scores on other hospitals' scans, read from its report."""
    entry = selected_entry()
    path = report_path(entry.weights) if entry else None
    if path is None or not path.exists():
        return None
    return other_hospitals_caveat(read_report(str(entry.weights), path.stat().st_mtime))


st.title("Classify a brain MRI slice")
st.caption(
    "Glioma, meningioma, pituitary tumour or no tumour, with the model's confidence and "
    f"a heatmap of where it looked. {config.SHORT_INTENDED_USE}"
)

uploads = st.file_uploader(
    f"Drag in one or more MRI slices (up to {MAX_UPLOAD_MEGABYTES} MB each)",
    type=None,  # the type is read from the content: DICOM files often have no extension
    help=f"JPEG, PNG, BMP, TIFF, WebP, GIF or DICOM, up to {MAX_UPLOAD_MEGABYTES} MB each. "
    f"The browser itself refuses files over {BROWSER_UPLOAD_MEGABYTES} MB.",
    accept_multiple_files=True,
    key="predict_uploads",
    max_upload_size=BROWSER_UPLOAD_MEGABYTES,  # larger files get the app's own message
)
SAMPLES_TEXT = (
    "No scan at hand? Try a sample from the Kaggle leak-free test set "
    "(each button names the true class of its scan):"
)
# With files uploaded, the samples fold away so the results come first on a phone.
samples_area = st.expander("Samples from the test set") if uploads else st.container()
samples_area.write(SAMPLES_TEXT)
sample_clicked = False
for column, sample in zip(samples_area.columns(4), sorted(SAMPLES_DIR.glob("*.jpg"))):
    if column.button(
        f"{charts.class_label(sample.stem)} sample",
        key=f"predict_sample_{sample.stem}",
        width="stretch",
    ):
        st.session_state[SAMPLE_KEY] = sample.name
        sample_clicked = True
        if uploads:  # its result lands below the table, maybe off screen: say so here
            st.toast(f"{charts.class_label(sample.stem)} sample added: it comes first below.")

upload_ids = [upload.file_id for upload in uploads or []]
if sample_clicked:
    st.session_state[SAMPLE_UPLOADS_KEY] = upload_ids
items = [(upload.name, upload.getvalue()) for upload in uploads or []]
# A sample shows when no file is uploaded, or when it was clicked after the last
# upload (it then comes first); uploading new files puts it away.
chosen_sample = st.session_state.get(SAMPLE_KEY)
if chosen_sample and (not items or st.session_state.get(SAMPLE_UPLOADS_KEY) == upload_ids):
    sample = SAMPLES_DIR / chosen_sample
    items = [(f"{SAMPLE_PREFIX}{sample.name}", sample.read_bytes()), *items]
status = st.empty()  # what the page is doing, until the results replace it
if not items:
    status.info(
        "Upload a JPEG, PNG, BMP, TIFF, WebP, GIF or DICOM file of one axial, coronal or "
        "sagittal slice, or click a sample above."
    )
    if entry := selected_entry():  # the page is drawn: the model loads while the user picks
        preload(str(entry.weights))
    st.stop()

with status:  # the loader's spinner replaces the last run's page in this slot
    classifier = selected_classifier()
status.empty()
method = st.session_state.get(SIDEBAR_METHOD, "Grad-CAM")
opacity = st.session_state.get(SIDEBAR_OPACITY, 0.45)
colormap = st.session_state.get(SIDEBAR_COLORMAP, DEFAULT_COLORMAP)
weights_path = str(classifier.entry.weights)

# The chosen class to explain, read before the controls are drawn: the
# controls only appear once some scan was analysed.
target_name = st.session_state.get(TARGET_KEY, PREDICTED)


def draw_controls() -> bool:
    """The heatmap-target and compare-all controls; returns whether to compare every model."""
    target_column, compare_column = st.columns([2, 1], vertical_alignment="bottom")
    target_column.radio(
        "Heatmap explains",
        options=[PREDICTED, *classifier.class_names],
        format_func=lambda name: (
            "Predicted class" if name == PREDICTED else charts.class_label(name)
        ),
        key=TARGET_KEY,
        horizontal=True,
        help="Pick a class to see where the model found evidence for it, e.g. why the scan "
        "could be a meningioma even when the model predicts something else.",
    )
    return compare_column.toggle(
        "Compare every model on this scan",
        key=ALL_MODELS_KEY,
        help="Shows the calibrated prediction and heatmap of every bundled model side by side.",
    )


def target_index(model: Classifier) -> int | None:
    """The chosen class as an index of ``model``'s classes; None explains the predicted class."""
    if target_name in (None, PREDICTED) or target_name not in model.class_names:
        return None
    return model.class_names.index(target_name)


def png_bytes(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def report_builder(name: str, result: ScanResult, blended) -> Callable[[], bytes]:
    """The PDF of one scan, built only when its download button is clicked."""
    return functools.partial(
        report_pdf.scan_report,
        name,
        result,
        classifier.entry.card,
        blended,
        colormap=colormap,
        caveat=other_hospitals_line(),
    )


def build_zip(rows_csv: bytes, builders: dict[str, Callable[[], bytes]]) -> bytes:
    return report_pdf.batch_zip(rows_csv, {name: build() for name, build in builders.items()})


def heatmap_caption(model: Classifier, analysis) -> str:
    explained = charts.class_label(model.class_names[analysis.explained])
    reason = (
        "the most probable class" if analysis.explained == analysis.predicted else "chosen above"
    )
    return f"{method}: where the model looked for “{explained}” ({reason})"


def pointing_line(model: Classifier, method_name: str) -> str | None:
    """The measured hit rate of this model and method, read from its report."""
    path = report_path(model.entry.weights)
    if not path.exists():
        return None
    report = read_report(str(model.entry.weights), path.stat().st_mtime)
    check = report.get("localisation", {}).get("leak_free", {})
    figures = check.get("methods", {}).get(method_name)
    if not figures:
        return None
    line = (
        f"On {figures['images']} test scans with a known tumour outline, the hottest point of "
        f"this heatmap fell on the tumour in {figures['hit_rate']:.0%} of cases (a point at "
        f"the image centre: {check['centre']['hit_rate']:.0%})."
    )
    if figures["hit_rate"] <= check["centre"]["hit_rate"]:
        line += " This method does no better than that point: read it with care."
    return line


def show_decision(result: ScanResult) -> None:
    """The answer, then why there is none (gate or threshold), then the model's caveat."""
    verdict = scan_decision(result)
    if verdict.reason == UNLIKE_TRAINING:
        st.subheader(f"{EXPERT_REVIEW} · this image is unlike the training scans")
        st.warning(result.unreliable)
    elif verdict.reason == CONFIDENT:
        label = charts.class_label(classifier.class_names[verdict.top])
        st.subheader(f"{label} · {probability_text(verdict.probability)}")
    else:
        st.subheader(f"{EXPERT_REVIEW} · the model is unsure")
        reached = classifier.low_confidence.get("accuracy")
        evidence = (
            f" On validation scans, answers at or above that level were right {reached:.1%} "
            "of the time."
            if reached
            else ""
        )
        st.warning(
            f"The model's top probability ({probability_text(verdict.probability)}) is below "
            f"its threshold of {classifier.low_confidence_threshold:.0%}, so it names no "
            f"class.{evidence} This scan needs review by a qualified reader; the numbers "
            "beside the heatmap are not a diagnosis."
        )
    caveat = other_hospitals_line()
    if caveat:  # every answer is an estimate: say how often it is wrong elsewhere
        st.caption(caveat)


def show_result(name: str, result: ScanResult, key: str) -> Callable[[], bytes]:
    """Draws one scan's result; returns the builder of its PDF report."""
    analysis = result.analysis
    show_decision(result)
    for note in result.notes:
        st.caption(note)
    if result.tags:
        st.text(" · ".join(f"{label}: {value}" for label, value in result.tags.items()))
    blended = overlay(result.display, analysis.cam, opacity, colormap)
    if result.unreliable and not st.toggle(
        "Show the model's output anyway",
        key=f"{key}_anyway",
        help="The raw probabilities and heatmap of an image the model was not trained for. "
        "They are not a diagnosis and may be meaningless.",
    ):
        st.image(result.display, caption="Uploaded image", width=COMPARE_IMAGE_WIDTH)
        return report_builder(name, result, blended)
    scan, heat, numbers = st.columns([1, 1, 1.3], gap="medium")
    scan.image(result.display, caption="Uploaded scan", width="stretch")
    heat.image(blended, caption=heatmap_caption(classifier, analysis), width="stretch")
    heat.image(legend(colormap), width="stretch")
    heat.caption("Colour scale: dark, no evidence for the class; bright, the strongest.")
    measured = pointing_line(classifier, method)
    if measured:
        heat.caption(measured)
    if not analysis.cam.any():
        heat.caption(
            "The heatmap is empty: no region raised the score of this class. "
            "Try another explanation method in the sidebar."
        )
    numbers.plotly_chart(
        charts.probability_bars(
            analysis.probabilities, classifier.class_names, classifier.low_confidence_threshold
        ),
        key=f"{key}_bars",
        config={"displayModeBar": False},
    )
    stem = name.rsplit(".", 1)[0].replace(" ", "_")
    numbers.download_button(
        "Download overlay (PNG)",
        png_bytes(blended),
        file_name=f"{stem}-{method}.png",
        mime="image/png",
        key=f"{key}_download",
        on_click="ignore",
    )
    build_report = report_builder(name, result, blended)
    numbers.download_button(
        "Download report (PDF)",
        build_report,
        file_name=report_pdf.report_file_names([name])[0],
        mime="application/pdf",
        key=f"{key}_report",
        on_click="ignore",
    )
    return build_report


def every_model_result(sha256: str, data: bytes) -> list[tuple[ModelEntry, Classifier, ScanResult]]:
    """Analyses one scan with every registered model; shows an error for a model that fails."""
    outcomes = []
    for entry in registered_models():
        try:
            model = load_classifier(str(entry.weights))
            result = analyse_upload(sha256, str(entry.weights), method, target_index(model), data)
        except (WeightsError, InputError) as error:
            st.error(f"{plain(entry.title)} could not analyse this scan: {error}")
            continue
        outcomes.append((entry, model, result))
    return outcomes


def scan_decision(result: ScanResult) -> Decision:
    """The one rule (``model.decision``) applied to an analysed scan."""
    return result.decision


def decision(model: Classifier, result: ScanResult) -> str | None:
    """The class a model states for a scan, or None when the scan needs expert review."""
    stated = scan_decision(result).stated
    return None if stated is None else charts.class_label(model.class_names[stated])


def agreement_line(outcomes: list[tuple[ModelEntry, Classifier, ScanResult]]) -> str:
    decisions = [decision(model, result) for _, model, result in outcomes]
    if all(label is None for label in decisions):
        return "No model is confident: this scan needs expert review."
    if len(set(decisions)) == 1:
        return f"All {len(outcomes)} models agree: {decisions[0]}"
    said = []
    for (entry, _, result), label in zip(outcomes, decisions):
        analysis = result.analysis
        probability = float(analysis.probabilities[analysis.predicted])
        said.append(
            f"{entry.title} says {label} ({probability_text(probability)})"
            if label
            else f"{entry.title} is unsure (needs expert review)"
        )
    return "The models disagree: " + ", ".join(said)


def show_every_model(sha256: str, data: bytes) -> None:
    """Every registered model's calibrated prediction and heatmap for one scan, side by side."""
    st.markdown("**Every model on this scan**")
    outcomes = every_model_result(sha256, data)
    if not outcomes:
        return
    for column, (entry, model, result) in zip(st.columns(len(outcomes)), outcomes):
        analysis = result.analysis
        confidence = float(analysis.probabilities[analysis.predicted])
        label = decision(model, result)
        column.markdown(f"**{plain(entry.title)}**")
        if label:
            column.markdown(f"{plain(label)} · {probability_text(confidence)}")
        else:
            column.markdown(
                f"{EXPERT_REVIEW} (top probability {probability_text(confidence)}, "
                f"needs {model.low_confidence_threshold:.0%})"
            )
        blended = overlay(result.display, analysis.cam, opacity, colormap)
        column.image(blended, caption=heatmap_caption(model, analysis), width=COMPARE_IMAGE_WIDTH)
    line = agreement_line(outcomes)
    (st.info if line.startswith("All") else st.warning)(line)


def decision_text(result: ScanResult | None, error: str | None) -> str:
    """One scan's outcome in a few words, for the section titles."""
    if error:
        return "not analysed"
    verdict = scan_decision(result)
    top = charts.class_label(classifier.class_names[verdict.top])
    if verdict.stated is None:
        return (
            f"{EXPERT_REVIEW.lower()} ({verdict.reason}; most probable {top}, "
            f"{probability_text(verdict.probability)})"
        )
    return f"{top} · {probability_text(verdict.probability)}"


def table_columns() -> list[str]:
    """The batch table's columns (the CSV's too): one fact each."""
    labels = [charts.class_label(name) for name in classifier.class_names]
    return ["file", "class", "confidence", "decision", "reason", *labels, "report", "caveat"]


def sample_truth_line(name: str, result: ScanResult | None) -> str:
    """A sample's true class and whether the model got it right."""
    truth_name = Path(name.removeprefix(SAMPLE_PREFIX)).stem
    line = f"Sample scan, true class (the dataset's label): {charts.class_label(truth_name)}."
    if result is None:
        return line
    stated = scan_decision(result).stated
    if stated is None:
        return line + " The model names no class for it (needs expert review)."
    if classifier.class_names[stated] == truth_name:
        return line + " The model got it right."
    return line + " The model got it wrong."


def table_row(name: str, result: ScanResult | None, error: str | None, report_name: str) -> dict:
    """One row of the batch table: one column per fact, the answer first."""
    row = dict.fromkeys(table_columns(), "")
    row["file"] = name
    if result is None:
        row["decision"] = "not analysed"
        row["reason"] = error or ""
        return row
    verdict = scan_decision(result)
    top = charts.class_label(classifier.class_names[verdict.top])
    answered = verdict.stated is not None
    row["class"] = top if answered else "none"
    row["confidence"] = probability_text(verdict.probability)
    row["decision"] = "answered" if answered else EXPERT_REVIEW.lower()
    row["reason"] = "" if answered else f"{verdict.reason}; most probable: {top}"
    row.update(
        {
            charts.class_label(c): probability_text(p)
            for c, p in zip(classifier.class_names, result.analysis.probabilities)
        }
    )
    row["report"] = report_name
    row["caveat"] = other_hospitals_line() or ""
    return row


progress = st.progress(0.0, text="Analysing…") if len(items) > 1 else None
results = []
chosen_target = target_index(classifier)
for index, (name, data) in enumerate(items):
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        result = analyse_upload(sha256, weights_path, method, chosen_target, data)
        results.append((name, sha256, data, result, None))
    except InputError as error:
        results.append((name, sha256, data, None, str(error)))
    if progress is not None:
        progress.progress((index + 1) / len(items), text=f"Analysed {index + 1} of {len(items)}")
if progress is not None:
    progress.empty()


def result_key(index: int, sha256: str) -> str:
    """The widget-key prefix of one scan's result."""
    return f"predict_{index}_{sha256[:12]}"


def output_shown(index: int, sha256: str, result: ScanResult | None) -> bool:
    """Whether a scan's probabilities and heatmap are on the page (not failed, not held back)."""
    if result is None:
        return False
    shown_anyway = st.session_state.get(f"{result_key(index, sha256)}_anyway", False)
    return not result.unreliable or bool(shown_anyway)


shown = any(output_shown(i, r[1], r[3]) for i, r in enumerate(results))
compare_all = draw_controls() if shown else False
few = len(results) <= FULL_RESULTS_UP_TO
table_slot = st.container() if len(results) > 1 else None  # the batch table, above the scans

rows = []
reports = {}  # scan name (made unique) -> builder of its PDF
for index, (name, sha256, data, result, error) in enumerate(results):
    key = result_key(index, sha256)
    title = f"{name} · {decision_text(result, error)}"
    container = st.container(border=True) if few else st.expander(plain(title))
    with container:
        st.markdown(f"**{plain(name)}**")
        if name.startswith(SAMPLE_PREFIX):
            st.caption(sample_truth_line(name, result))
        if error:
            st.error(f"{plain(name)} could not be analysed: {error}")
        else:
            build_report = show_result(name, result, key)
            if compare_all:
                show_every_model(sha256, data)
    report_name = ""
    if result:
        report_name = name if name not in reports else f"{name} ({index + 1})"
        reports[report_name] = build_report
        report_name = report_pdf.report_file_names(list(reports))[-1]
    rows.append(table_row(name, result, error, report_name))

if table_slot is not None:
    with table_slot:
        st.subheader("All results")
        table = pd.DataFrame(rows, columns=table_columns())
        caveat = other_hospitals_line()
        if caveat:
            st.caption(caveat)
        st.dataframe(
            table,
            hide_index=True,
            key="predict_table",
            width="stretch",
            column_order=[column for column in table.columns if column != "caveat"],
            column_config={
                "file": st.column_config.TextColumn(width="medium"),
                "class": st.column_config.TextColumn(width="medium"),
                "decision": st.column_config.TextColumn(width="medium"),
                "reason": st.column_config.TextColumn(
                    width="large", help="Why no class is named; hover a cell to read it whole."
                ),
            },
        )
        rows_csv = table.to_csv(index=False).encode()
        csv_column, zip_column = st.columns(2)
        csv_column.download_button(
            "Download results (CSV)",
            rows_csv,
            file_name=report_pdf.CSV_NAME,
            mime="text/csv",
            key="predict_csv",
            on_click="ignore",
        )
        zip_column.download_button(
            "Download all (ZIP)",
            functools.partial(build_zip, rows_csv, reports),
            file_name="brain-mri-reports.zip",
            mime="application/zip",
            key="predict_zip",
            on_click="ignore",
            disabled=not reports,
            help="The results table and one PDF report per analysed scan.",
        )
st.caption(f"Model: {classifier.entry.label}.")
