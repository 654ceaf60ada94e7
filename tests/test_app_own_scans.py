"""Real Streamlit runs of the "Test on your scans" page, against the shipped models."""

import io
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import APP, APP_TIMEOUT, SAMPLES_DIR, needs_shipped_models

pytestmark = [needs_shipped_models, pytest.mark.usefixtures("shipped_weights")]


def three_class_zip() -> bytes:
    """Two copies of three samples in class folders, and a folder no class is named after."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for folder, sample in (("Glioma", "glioma"), ("meningioma", "meningioma"),
                               ("no_tumor", "notumor")):  # fmt: skip
            data = (SAMPLES_DIR / f"{sample}.jpg").read_bytes()
            for copy in range(2):
                archive.writestr(f"my scans/{folder}/{sample}-{copy}.jpg", data)
        # A mislabelled scan, so the gallery of misclassified scans has one to show.
        archive.writestr("my scans/meningioma/really-a-glioma.jpg",
                         (SAMPLES_DIR / "glioma.jpg").read_bytes())  # fmt: skip
        archive.writestr("my scans/notes/readme.txt", b"not a scan")
    return buffer.getvalue()


def own_scans_page() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=APP_TIMEOUT).run()
    return app.switch_page("pages/own_scans.py").run()


def test_a_zip_is_checked_then_scored_on_request():
    app = own_scans_page()
    app.file_uploader(key="own_zip").set_value(
        ("scans.zip", three_class_zip(), "application/zip")
    ).run()
    assert not app.exception, [e.value for e in app.exception]
    counts = app.dataframe[0].value
    assert dict(zip(counts["class"], counts["images"])) == {
        "Glioma": 2,
        "Meningioma": 3,
        "No tumour": 2,
    }
    assert any("notes" in w.value for w in app.warning)  # the folder it did not recognise
    assert not app.get("plotly_chart")  # nothing runs before the user asks
    run = next(b for b in app.button if b.label.startswith("Run the test on 7 scans"))
    app = run.click().run()
    assert not app.exception, [e.value for e in app.exception]
    labels = [m.label for m in app.metric]
    assert labels[:3] == ["Accuracy", "Tumour sensitivity", "No-tumour specificity"]
    assert app.get("plotly_chart")  # the confusion matrix
    assert any(m.value.startswith("**Misclassified scans**") for m in app.markdown)
    captions = [image.caption for element in app.get("image") for image in element.proto.imgs]
    assert any("really-a-glioma.jpg" in caption for caption in captions), captions
    comparison = next(d.value for d in app.dataframe if "set" in d.value.columns)
    assert comparison["set"].iloc[0] == "Your scans"
    assert any("published" in s for s in comparison["set"])
    downloads = [b.label for b in app.get("download_button")]
    assert "Download results (CSV)" in downloads and "Download summary (PDF)" in downloads


def test_a_hostile_zip_gets_a_plain_refusal():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../glioma/a.jpg", (SAMPLES_DIR / "glioma.jpg").read_bytes())
    app = own_scans_page()
    app.file_uploader(key="own_zip").set_value(
        ("evil.zip", buffer.getvalue(), "application/zip")
    ).run()
    assert not app.exception
    assert "points outside the archive" in app.error[0].value
