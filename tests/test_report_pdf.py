"""The one-page PDF report and the batch ZIP, opened with a real PDF reader."""

import dataclasses
import io
import zipfile

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from model import report_pdf
from model.analysis import ScanResult
from model.cards import ModelCard
from model.inference import Analysis
from model.overlay import overlay
from model.report_pdf import (
    CSV_NAME,
    DISCLAIMER,
    archive_stem,
    batch_zip,
    report_file_names,
    scan_report,
)
from tests.conftest import SAMPLES_DIR

SHA256 = "0123456789abcdef" * 4
PROBABILITIES = np.array([0.931, 0.032, 0.021, 0.016], dtype=np.float32)
THRESHOLD = 0.66
CARD = ModelCard(
    name="resnet50",
    architecture="resnet50",
    input_size=128,
    gradcam_layer="conv5_block3_out",
    temperature=1.7,
    low_confidence_threshold=THRESHOLD,
    keras_sha256=SHA256,
)


def scan_result(
    scan: np.ndarray,
    probabilities: np.ndarray = PROBABILITIES,
    explained: int = 0,
    uncalibrated: np.ndarray | None = None,
    unreliable: str | None = None,
) -> ScanResult:
    """An analysed scan as model.analysis.analyse_bytes returns it."""
    predicted = int(np.argmax(probabilities))
    analysis = Analysis(
        probabilities=np.asarray(probabilities, np.float32),
        predicted=predicted,
        confident=bool(probabilities[predicted] >= THRESHOLD),
        cam=np.zeros((8, 8), np.float32),
        explained=explained,
        method="Grad-CAM",
        uncalibrated=np.zeros(0, np.float32) if uncalibrated is None else uncalibrated,
    )
    return ScanResult(display=scan, kind="JPEG", analysis=analysis, unreliable=unreliable)


@pytest.fixture(scope="module")
def scan() -> np.ndarray:
    """A real sample slice as uint8 (H, W, 3)."""
    return np.asarray(Image.open(SAMPLES_DIR / "glioma.jpg").convert("RGB"))


def make_report(scan: np.ndarray, file_name: str = "glioma.jpg", **changes) -> bytes:
    cam = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)  # (8, 8) map
    return scan_report(file_name, scan_result(scan, **changes), CARD, overlay(scan, cam))


def read(pdf: bytes) -> tuple[int, str]:
    """Number of pages and the text with runs of whitespace made single spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def test_report_is_one_page_with_class_model_and_disclaimer(scan):
    pages, text = read(make_report(scan))
    assert pages == 1
    assert "Glioma · 93.1 %" in text
    assert SHA256 in text and SHA256[:12] in text
    assert "ResNet50" in text and "resnet50" in text
    assert "temperature 1.70" in text
    assert " ".join(DISCLAIMER.split()) in text
    assert "glioma.jpg" in text and "UTC" in text


def test_unsure_report_asks_for_expert_review_and_names_no_class(scan):
    pages, text = read(make_report(scan, probabilities=PROBABILITIES / 2 + 0.1))
    assert pages == 1
    assert "Needs expert review: the model is unsure" in text
    assert "below threshold 66.0 %" in text
    assert "Glioma ·" not in text


def test_chosen_class_and_uncalibrated_numbers_are_printed(scan):
    uncalibrated = np.array([0.99, 0.005, 0.003, 0.002])
    _, text = read(make_report(scan, explained=1, uncalibrated=uncalibrated))
    assert "Meningioma (a class chosen by the reader)" in text
    assert "Before calibration" in text and "99.0 %" in text


def test_missing_or_unchanged_uncalibrated_numbers_add_no_column(scan):
    for uncalibrated in (np.zeros(0, np.float32), PROBABILITIES):
        pages, text = read(make_report(scan, uncalibrated=uncalibrated))
        assert pages == 1 and "Before calibration" not in text


def test_a_very_long_odd_file_name_still_gives_one_page(scan):
    name = "../" + "very long scan name with spaces " * 40 + "漢字\n\t<b>" + "x" * 500 + ".dcm"
    pages, text = read(make_report(scan, name, unreliable="This image is in colour. " * 30))
    assert pages == 1
    assert "very long scan name" in text and "…" in text
    assert "Needs expert review" in text


def test_archive_names_are_flat_safe_and_unique():
    names = ["../../etc/passwd", "C:\\scans\\Scan 1 (axial).jpg", "Scan 1 (axial).jpg", "..", ""]
    files = report_file_names(names)
    assert files[:3] == [
        "passwd-report.pdf",
        "Scan_1_axial-report.pdf",
        "Scan_1_axial-2-report.pdf",
    ]
    assert len(set(files)) == len(files)
    for file in files:
        assert "/" not in file and "\\" not in file and ".." not in file
    assert archive_stem("Gehirn_ü.png") == "Gehirn_u"


def test_zip_holds_the_csv_and_one_readable_pdf_per_scan(scan):
    reports = {name: make_report(scan, name) for name in ["a.jpg", "../b.jpg", "a.png"]}
    archive = zipfile.ZipFile(io.BytesIO(batch_zip(b"file,class\na.jpg,Glioma\n", reports)))
    names = archive.namelist()
    assert names == [CSV_NAME, "a-report.pdf", "b-report.pdf", "a-2-report.pdf"]
    assert archive.read(CSV_NAME).startswith(b"file,class")
    for name in names[1:]:
        assert read(archive.read(name))[0] == 1


def test_the_own_scans_summary_is_one_page_with_its_figures():
    from types import SimpleNamespace

    from model.metrics import classification_metrics

    probabilities = np.eye(4, dtype=np.float32)[[0, 1, 2, 0]]
    metrics = classification_metrics(probabilities, np.array([0, 1, 2, 2]))
    comparison = [{"set": "Your scans", "images": 4, "accuracy": "75.0%"}]
    result = SimpleNamespace(rows=[None] * 5, answered=3, abstained=0, flagged=1, unreadable=1)
    pdf = report_pdf.own_scans_summary("ResNet50", metrics, comparison, result)
    reader = PdfReader(io.BytesIO(pdf))
    text = reader.pages[0].extract_text()
    assert len(reader.pages) == 1
    assert "Test on your scans" in text and "Your scans" in text and "75.0%" in text
    assert "not a medical device" in text


def test_the_report_prints_the_other_hospitals_caveat():
    scan = np.zeros((64, 64, 3), np.uint8)
    probabilities = np.array([0.9, 0.05, 0.03, 0.02], np.float32)
    pdf = scan_report(
        "scan.png",
        scan_result(scan, probabilities),
        dataclasses.replace(CARD, temperature=1.0, low_confidence_threshold=0.8),
        scan,
        caveat="On Radiopaedia cases from other hospitals this model is right 73% of the time.",
    )
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "other hospitals this model is right 73%" in text


def test_a_scan_unlike_the_training_scans_names_no_class_and_says_why(scan):
    pages, text = read(make_report(scan, unreliable="This image is in colour."))
    assert pages == 1
    assert "Needs expert review: the image does not look like the scans" in text
    assert "This image is in colour." in text and "Glioma ·" not in text


def test_an_uncalibrated_model_of_another_name_is_named_so(scan):
    card = dataclasses.replace(CARD, name="b6", architecture="baseline", temperature=None)
    cam = np.zeros((8, 8), np.float32)
    _, text = read(scan_report("x.png", scan_result(scan), card, overlay(scan, cam)))
    assert "Baseline CNN (b6) (architecture baseline)" in text
    assert "not calibrated" in text
