"""Classify a scan: upload (or pick a sample), see the class, the probabilities and the heatmap."""

import hashlib
import io

import pandas as pd
import streamlit as st
from PIL import Image

from model.config import PROJECT_ROOT
from model.inputs import MAX_UPLOAD_MEGABYTES, InputError
from model.overlay import overlay
from pages import charts
from pages.common import (
    SIDEBAR_COLORMAP,
    SIDEBAR_METHOD,
    SIDEBAR_OPACITY,
    analyse_upload,
    plain,
    selected_classifier,
)

SAMPLES_DIR = PROJECT_ROOT / "assets" / "samples"
SAMPLE_KEY = "predict_sample"
FULL_RESULTS_UP_TO = 5  # more files than this: one collapsed section per file

st.title("Classify a brain MRI slice")
st.caption(
    "Glioma, meningioma, pituitary tumour or no tumour, with the model's confidence and "
    "a heatmap of where it looked. For education and research, not for diagnosis."
)

uploads = st.file_uploader(
    "Drag in one or more MRI slices",
    type=None,  # the type is read from the content: DICOM files often have no extension
    help=f"JPEG, PNG, BMP, TIFF, WebP, GIF or DICOM, up to {MAX_UPLOAD_MEGABYTES} MB each.",
    accept_multiple_files=True,
    key="predict_uploads",
    max_upload_size=MAX_UPLOAD_MEGABYTES,
)
st.write("No scan at hand? Try a sample from the test set:")
for column, sample in zip(st.columns(4), sorted(SAMPLES_DIR.glob("*.jpg"))):
    if column.button(
        charts.class_label(sample.stem), key=f"predict_sample_{sample.stem}", width="stretch"
    ):
        st.session_state[SAMPLE_KEY] = sample.name

items = [(upload.name, upload.getvalue()) for upload in uploads or []]
if not items and st.session_state.get(SAMPLE_KEY):
    sample = SAMPLES_DIR / st.session_state[SAMPLE_KEY]
    items = [(f"sample: {sample.name}", sample.read_bytes())]
if not items:
    st.info(
        "Upload a JPEG, PNG, BMP, TIFF, WebP, GIF or DICOM file of one axial, coronal or "
        "sagittal slice, or click a sample above."
    )
    st.stop()

classifier = selected_classifier()
method = st.session_state.get(SIDEBAR_METHOD, "Grad-CAM")
opacity = st.session_state.get(SIDEBAR_OPACITY, 0.45)
colormap = st.session_state.get(SIDEBAR_COLORMAP, "Jet")
weights_path = str(classifier.entry.weights)


def png_bytes(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def show_result(name: str, result: dict, key: str) -> None:
    analysis = result["analysis"]
    label = charts.class_label(classifier.class_names[analysis.predicted])
    confidence = float(analysis.probabilities[analysis.predicted])
    if result["unreliable"]:
        st.subheader(f"Unreliable · the model says {label} ({confidence:.1%})")
        st.warning(result["unreliable"])
    elif analysis.confident:
        st.subheader(f"{label} · {confidence:.1%}")
    else:
        st.subheader(f"Unsure · most likely {label} ({confidence:.1%})")
        reached = classifier.low_confidence.get("accuracy")
        evidence = (
            f" On validation scans, answers at or above that level were right {reached:.1%} "
            "of the time."
            if reached
            else ""
        )
        st.warning(
            f"The model's top probability is below {classifier.low_confidence_threshold:.0%}."
            f"{evidence} Treat this scan as needing expert review."
        )
    for note in result["notes"]:
        st.caption(note)
    if result["tags"]:
        st.text(" · ".join(f"{label}: {value}" for label, value in result["tags"].items()))
    blended = overlay(result["display"], analysis.cam, opacity, colormap)
    explained = charts.class_label(classifier.class_names[analysis.explained])
    scan, heat, numbers = st.columns([1, 1, 1.3], gap="medium")
    scan.image(result["display"], caption="Uploaded scan", width="stretch")
    heat.image(
        blended, caption=f"{method}: where the model looked for “{explained}”", width="stretch"
    )
    if not analysis.cam.any():
        heat.caption(
            "The heatmap is empty: no region raised the score of this class. "
            "Try the other explanation method in the sidebar."
        )
    numbers.plotly_chart(
        charts.probability_bars(analysis.probabilities, classifier.class_names),
        key=f"{key}_bars",
        config={"displayModeBar": False},
    )
    numbers.download_button(
        "Download overlay (PNG)",
        png_bytes(blended),
        file_name=f"{name.rsplit('.', 1)[0]}-{method}.png".replace(" ", "_"),
        mime="image/png",
        key=f"{key}_download",
        on_click="ignore",
    )


rows = []
progress = st.progress(0.0, text="Analysing…") if len(items) > 1 else None
results = []
for index, (name, data) in enumerate(items):
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        results.append((name, sha256, analyse_upload(sha256, weights_path, method, data), None))
    except InputError as error:
        results.append((name, sha256, None, str(error)))
    if progress is not None:
        progress.progress((index + 1) / len(items), text=f"Analysed {index + 1} of {len(items)}")
if progress is not None:
    progress.empty()

for index, (name, sha256, result, error) in enumerate(results):
    key = f"predict_{index}_{sha256[:12]}"
    few = len(results) <= FULL_RESULTS_UP_TO
    container = st.container(border=True) if few else st.expander(plain(name))
    with container:
        st.markdown(f"**{plain(name)}**")
        if error:
            st.error(f"{plain(name)} could not be analysed: {error}")
        else:
            show_result(name, result, key)
    if result:
        analysis = result["analysis"]
        row = {
            "file": name,
            "class": charts.class_label(classifier.class_names[analysis.predicted]),
            "confident": analysis.confident,
        }
        row.update(
            {
                charts.class_label(c): round(float(p), 4)
                for c, p in zip(classifier.class_names, analysis.probabilities)
            }
        )
        rows.append(row)
    else:
        rows.append({"file": name, "class": "not analysed", "confident": False})

if len(results) > 1:
    st.subheader("All results")
    table = pd.DataFrame(rows)
    st.dataframe(table, hide_index=True, key="predict_table")
    st.download_button(
        "Download results (CSV)",
        table.to_csv(index=False).encode(),
        file_name="brain-mri-results.csv",
        mime="text/csv",
        key="predict_csv",
        on_click="ignore",
    )
st.caption(f"Model: {classifier.entry.label}.")
