"""Real Streamlit runs of the predict page with hostile uploads, against the shipped models.

Every rejected kind of file gets a plain ``st.error`` (the message of its row in
tests/hostile_cases.py) and no exception, and the next valid upload of the same
session is still classified. File names and DICOM tags are shown as typed,
never as HTML.
"""

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import (
    SAMPLES_DIR,
    assert_no_exception,
    fresh_app,
    headline,
    needs_shipped_models,
)
from tests.fixtures_hostile import (
    HTML_FILE_NAME,
    SCAN,
    SCRIPT_FILE_NAME,
    dicom_bytes,
    encoded,
)
from tests.hostile_cases import CASES

pytestmark = [needs_shipped_models, pytest.mark.usefixtures("shipped_weights")]

UPLOADER = "predict_uploads"
GOOD_SAMPLE = "glioma.jpg"
REJECTED_IN_THE_APP = [
    "zero-byte file",
    "random bytes named .jpg",
    "PDF named .png",
    "ZIP named .dcm",
    "truncated JPEG",
    "PNG header claims 100000 x 100000",
    "1 x 1 image",
    "10000 x 20 strip",
    "non-DICOM file named .dcm",
    "DICOM compressed as JPEG-LS (no decoder)",
]
CASE_BY_ID = {case.id: case for case in CASES}
# "<img" or "<script" not escaped by a backslash: raw HTML in a Markdown string.
RAW_HTML = re.compile(r"(?<!\\)<\s*(script|img)", re.IGNORECASE)


def upload(app: AppTest, *files: tuple[str, bytes]) -> AppTest:
    """Puts ``files`` (name, bytes) in the uploader and reruns the page."""
    typed = [(name, data, "application/octet-stream") for name, data in files]
    return app.file_uploader(key=UPLOADER).set_value(typed).run()


def good_scan() -> tuple[str, bytes]:
    return GOOD_SAMPLE, (SAMPLES_DIR / GOOD_SAMPLE).read_bytes()


def rejected(case_id: str) -> tuple[str, bytes, str]:
    """(file name, bytes, expected message) of a refused row of the hostile-input table."""
    case = CASE_BY_ID[case_id]
    return case.file_name, case.build(), case.expected.message


def markdown_strings(app: AppTest) -> list[str]:
    """Every string the page renders as Markdown (or HTML)."""
    kinds = ("markdown", "caption", "error", "warning", "info", "success")
    kinds += ("title", "header", "subheader", "html")
    strings = [element.value for kind in kinds for element in getattr(app, kind)]
    return strings + [expander.label for expander in app.expander]


def assert_shows_a_result(app: AppTest) -> None:
    """A headline (the class, or that the model is unsure), the scan and its overlay."""
    assert_no_exception(app)
    assert not app.error, [e.value for e in app.error]
    assert headline(app)
    assert len(app.image) >= 2


@pytest.mark.parametrize("case_id", REJECTED_IN_THE_APP)
def test_a_rejected_file_gets_a_plain_error_and_the_next_upload_still_works(case_id):
    name, data, message = rejected(case_id)
    app = upload(fresh_app(), (name, data))
    assert_no_exception(app)
    assert len(app.error) == 1
    assert message in app.error[0].value
    assert not app.image  # nothing was classified
    assert_shows_a_result(upload(app, good_scan()))


def test_every_rejected_kind_at_once_gets_its_own_error_beside_a_good_scan():
    bad_files = [rejected(case_id) for case_id in REJECTED_IN_THE_APP]
    app = upload(fresh_app(), *[(name, data) for name, data, _ in bad_files], good_scan())
    assert_no_exception(app)
    errors = [error.value for error in app.error]
    assert len(errors) == len(bad_files)
    for error, (_, _, message) in zip(errors, bad_files):
        assert message in error
    table = app.dataframe[0].value  # the results table, one row per file
    failed = table[table["decision"] == "not analysed"]
    assert len(failed) == len(bad_files)
    for reason, (_, _, message) in zip(failed["reason"], bad_files):
        assert message in reason  # each failed row says why
    assert table["decision"].iloc[-1] != "not analysed"


def test_html_in_file_names_is_shown_as_text():
    app = upload(
        fresh_app(),
        (HTML_FILE_NAME, encoded(SCAN, "PNG")),
        (SCRIPT_FILE_NAME, b"%PDF-1.4 not an image"),
    )
    assert_no_exception(app)
    shown = markdown_strings(app)
    assert not [text for text in shown if RAW_HTML.search(text)]
    assert any(r"\<img src=x onerror=alert\(1\)\>" in text for text in shown)
    assert r"\<script\>alert\(1\)\</script\>" in app.error[0].value


def test_dicom_tags_are_shown_as_plain_text():
    description = "<img src=x onerror=alert(1)> AX T1"
    app = upload(fresh_app(), ("IM0001.dcm", dicom_bytes(SeriesDescription=description)))
    assert_no_exception(app)
    assert any(description in text.value for text in app.text)  # st.text: never rendered
    assert not [text for text in markdown_strings(app) if RAW_HTML.search(text)]


def black_png() -> bytes:
    from PIL import Image

    return encoded(Image.new("L", (256, 256), 0), "PNG")


def test_an_image_unlike_any_scan_gets_no_class_until_asked(tmp_path):
    """An all-black PNG is flagged by the gate: a notice, no chart, then "show anyway"."""
    app = upload(fresh_app(), ("black.png", black_png()))
    assert_no_exception(app)
    assert headline(app).startswith("Needs expert review")
    assert any("does not look like the brain MRI slices" in w.value for w in app.warning)
    assert not app.get("plotly_chart")  # the raw output stays hidden
    assert not [r for r in app.radio if r.label == "Heatmap explains"]  # no heatmap to steer
    toggle = next(t for t in app.toggle if t.label == "Show the model's output anyway")
    app = toggle.set_value(True).run()
    assert_no_exception(app)
    assert app.get("plotly_chart")  # shown on request, with the warning kept beside it
    assert [r for r in app.radio if r.label == "Heatmap explains"]
    assert any("does not look like the brain MRI slices" in w.value for w in app.warning)
