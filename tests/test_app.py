"""Real Streamlit runs of the app with AppTest, against the shipped models."""

import ast
import io
import json
import zipfile
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from model import config
from model.report_pdf import CSV_NAME
from tests.conftest import (
    KNOWN_GATE_FLAGS,
    KNOWN_MISSES,
    PROJECT_ROOT,
    SAMPLES_DIR,
    SHIPPED,
    assert_no_exception,
    fresh_app,
    headline,
    needs_shipped_models,
)

EXPECTED_LABEL = {name: label for name, label in config.CLASS_LABELS.items()}

pytestmark = [needs_shipped_models, pytest.mark.usefixtures("shipped_weights")]


def most_probable_class(app: AppTest, index: int = 0) -> str:
    """The highest bar of the index-th probability chart on the page."""
    bars = json.loads(app.get("plotly_chart")[index].proto.spec)["data"][0]
    return bars["y"][int(np.argmax(bars["x"]))]


def assert_shows_class(app: AppTest, label: str) -> None:
    """The model's top class is ``label``: stated, or withheld because it needs expert review."""
    assert most_probable_class(app) == label
    if headline(app).startswith("Needs expert review"):
        assert label not in headline(app)  # below the threshold no class is stated
        assert "needs review by a qualified reader" in app.warning[0].value
    else:
        assert label in headline(app)


@pytest.fixture
def deferred_downloads(monkeypatch) -> dict[str, Callable[[], bytes]]:
    """The callables of the download buttons that build their file on click, by file name.

    AppTest does not expose a download button's data, so the registration of
    each deferred file with Streamlit's media file manager is recorded.
    """
    recorded = {}
    register = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **options):
        recorded[file_name] = data_callable
        return register(self, data_callable, mimetype, coordinates, file_name, **options)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return recorded


def pdf_pages_and_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def test_landing_page_asks_for_a_scan_and_lists_every_model():
    app = fresh_app()
    assert_no_exception(app)
    assert "Upload a JPEG" in app.info[0].value
    assert (
        app.selectbox(key="sidebar_weights").options[0].startswith("ResNet50")
        or "resnet50" not in SHIPPED
    )
    assert len(app.selectbox(key="sidebar_weights").options) == len(SHIPPED)


@pytest.mark.parametrize("page", ["pages/compare.py", "pages/about.py"])
def test_other_pages_render(page):
    app = fresh_app()
    app.switch_page(page).run()
    assert_no_exception(app)
    assert app.title


def default_model_samples():
    """Each sample, a strict xfail where the default model (ResNet50) is known to miss it."""
    for path in sorted(SAMPLES_DIR.glob("*.jpg")):
        reason = KNOWN_MISSES.get(("resnet50", path.stem)) or KNOWN_GATE_FLAGS.get(
            ("resnet50", path.stem)
        )
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(path.name, marks=marks, id=path.stem)


@pytest.mark.parametrize("sample", list(default_model_samples()))
def test_uploading_a_sample_shows_its_class_and_an_overlay(sample):
    app = fresh_app()
    data = (SAMPLES_DIR / sample).read_bytes()
    app.file_uploader(key="predict_uploads").set_value((sample, data, "image/jpeg")).run()
    assert_no_exception(app)
    assert_shows_class(app, EXPECTED_LABEL[sample.removesuffix(".jpg")])
    assert len(app.get("image")) == 3  # the scan, its overlay and the colour scale
    assert app.get("download_button")


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_sidebar_choice_decides_the_model(name):
    app = fresh_app(sidebar_weights=name, predict_sample="meningioma.jpg")
    assert_no_exception(app)
    assert SHIPPED[name].label in app.main.caption[-1].value


def test_several_files_give_a_table_and_a_csv():
    app = fresh_app()
    files = [(p.name, p.read_bytes(), "image/jpeg") for p in sorted(SAMPLES_DIR.glob("*.jpg"))]
    files.append(("broken.jpg", b"not an image at all", "image/jpeg"))
    app.file_uploader(key="predict_uploads").set_value(files).run()
    assert_no_exception(app)
    table = app.dataframe[0].value  # the results table
    assert list(table["file"]) == [name for name, _, _ in files]
    failed = table.iloc[-1]
    assert failed["decision"] == "not analysed"
    assert "not an image we can read" in failed["reason"]  # the reason, not None
    assert failed["class"] == failed["confidence"] == ""
    assert "not an image we can read" in app.error[0].value
    answered = table[table["decision"] == "answered"]
    assert len(answered) and (answered["confidence"].str.endswith("%")).all()
    shown = table[["No tumour", "Glioma", "Meningioma", "Pituitary tumour"]].to_numpy().ravel()
    assert not {"100.0%", "0.0%"} & set(shown)  # never shown as certain
    assert "caveat" in table.columns  # in the CSV, shown once above the table
    assert any(b.label == "Download results (CSV)" for b in app.get("download_button"))


def test_compare_page_shows_the_numbers_of_the_reports():
    app = fresh_app()
    app.switch_page("pages/compare.py").run()
    assert_no_exception(app)
    # The test-set selector sits under the title, before any section, on the clean subset.
    order = [type(node).__name__ for node in app.main]
    assert order.index("Radio") < order.index("Subheader")
    assert app.radio(key="compare_split").value == "leak_free"
    # The headline: the other-hospital number beside the clean Kaggle number.
    headline = app.dataframe[0].value.set_index("model")
    assert list(headline.columns) == ["Kaggle leak-free", "Other hospitals"]
    for entry in SHIPPED.values():
        splits = entry.report()["splits"]
        row = headline.loc[entry.title]
        assert row["Kaggle leak-free"] == f"{splits['leak_free']['accuracy']:.1%}"
        assert row["Other hospitals"] == f"{splits['radiopaedia_eval']['accuracy']:.1%}"


def test_the_compare_selector_switches_every_detail_to_its_test_set():
    app = fresh_app()
    app.switch_page("pages/compare.py").run()
    app.radio(key="compare_split").set_value("radiopaedia_eval").run()
    assert_no_exception(app)
    assert "On the other-hospital scans" in [s.value for s in app.subheader]
    table = app.dataframe[1].value.set_index("")  # the chosen set's numbers, a column per model
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in app.get("plotly_chart")]
    assert "Recall per class · Other hospitals" in titles
    assert "Reliability diagram · Other hospitals" in titles
    for entry in SHIPPED.values():
        result = entry.report()["splits"]["radiopaedia_eval"]
        assert table.loc["accuracy", entry.title] == f"{result['accuracy']:.1%}"
        assert table.loc["scans", entry.title] == str(result["images"])
    # The model blocks speak plain words; the recipe and the layer stay in the card.
    text = " ".join(m.value for m in app.markdown)
    assert "Where it fails:" in text
    assert not any(word in text for word in ("Recipe", "Heatmap layer", "conv5_block3_out"))


def string_literals(path) -> list[str]:
    """The text of every string literal of a Python file, f-string format specs left out."""
    tree = ast.parse(path.read_text())
    specs = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.FormattedValue) and node.format_spec
        for part in ast.walk(node.format_spec)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in specs
    ]


def test_the_about_page_types_no_number_and_reads_every_figure_from_the_cards():
    typed = [text for text in string_literals(PROJECT_ROOT / "pages" / "about.py")
             if any(character.isdigit() for character in text)]  # fmt: skip
    assert not typed
    app = fresh_app()
    app.switch_page("pages/about.py").run()
    assert_no_exception(app)
    text = " ".join(m.value for m in app.markdown)
    for entry in SHIPPED.values():
        card = entry.card
        assert f"{card.metrics['radiopaedia_eval']['accuracy']:.1%}" in text
        assert f"{card.metrics['leak_free']['accuracy']:.1%}" in text
        for counts in card.data["sources"].values():
            assert f"{counts['train']} " in text
        assert card.licence in text
    assert "### What to do with the answer" in text
    assert "docs/training.md" in text
    # Written for users, not as a training log.
    for log_word in ("python -m", "model.dedup", "shortcut_probe", "epochs", "in its card"):
        assert log_word not in text


def test_the_toggle_shows_every_model_and_whether_they_agree():
    app = fresh_app(predict_sample="pituitary.jpg", predict_all_models=True)
    assert_no_exception(app)
    # the scan, its overlay, the colour scale, one heatmap per model
    assert len(app.image) == 3 + len(SHIPPED)
    titles = [entry.title for entry in SHIPPED.values()]
    shown = [m.value for m in app.markdown]
    assert all(f"**{title}**" in shown for title in titles)
    lines = [
        e.value
        for e in [*app.info, *app.warning]
        if e.value.startswith(("All ", "The models", "No "))
    ]
    assert len(lines) == 1
    agree = lines[0].startswith(f"All {len(SHIPPED)} models agree: ")
    none_sure = lines[0] == "No model is confident: this scan needs expert review."
    disagree = lines[0].startswith("The models disagree: ") and all(
        title in lines[0] for title in titles
    )
    assert agree or none_sure or disagree


def test_the_target_class_selector_changes_the_explained_class_and_the_pdf(deferred_downloads):
    app = fresh_app(predict_sample="pituitary.jpg", predict_target="meningioma")
    assert_no_exception(app)
    assert "“Meningioma” (chosen above)" in app.image[1].captions[0]
    assert any(b.label == "Download report (PDF)" for b in app.get("download_button"))
    pages, text = pdf_pages_and_text(deferred_downloads["sample_pituitary-report.pdf"]())
    main_model = next(iter(SHIPPED.values()))
    assert pages == 1
    assert main_model.card.keras_sha256 in text
    assert "Meningioma (a class chosen by the reader)" in text
    assert "not a medical device" in text

    app.radio(key="predict_target").set_value("predicted").run()
    assert_no_exception(app)
    assert f"“{EXPECTED_LABEL['pituitary']}” (the most probable class)" in app.image[1].captions[0]


def test_a_batch_downloads_as_one_zip_of_the_table_and_the_pdfs(deferred_downloads):
    app = fresh_app()
    names = ["glioma.jpg", "pituitary.jpg"]
    files = [(name, (SAMPLES_DIR / name).read_bytes(), "image/jpeg") for name in names]
    app.file_uploader(key="predict_uploads").set_value(files).run()
    assert_no_exception(app)
    assert any(b.label == "Download all (ZIP)" for b in app.get("download_button"))
    archive = zipfile.ZipFile(io.BytesIO(deferred_downloads["brain-mri-reports.zip"]()))
    reports = ["glioma-report.pdf", "pituitary-report.pdf"]
    assert archive.namelist() == [CSV_NAME, *reports]
    table = pd.read_csv(io.BytesIO(archive.read(CSV_NAME)))
    assert list(table["file"]) == names and list(table["report"]) == reports
    for report in reports:
        assert pdf_pages_and_text(archive.read(report))[0] == 1


def test_a_failed_only_file_shows_no_heatmap_controls():
    app = fresh_app()
    app.file_uploader(key="predict_uploads").set_value(
        [("broken.jpg", b"not an image at all", "image/jpeg")]
    ).run()
    assert_no_exception(app)
    assert "not an image we can read" in app.error[0].value
    assert not [r for r in app.radio if r.label == "Heatmap explains"]
    assert not [t for t in app.toggle if t.label == "Compare every model on this scan"]


def test_a_sample_names_its_true_class_and_whether_the_model_got_it():
    app = fresh_app(predict_sample="pituitary.jpg")
    assert_no_exception(app)
    assert any(
        "true class (the dataset's label): Pituitary tumour" in c.value
        and "The model got it right." in c.value
        for c in app.caption
    )


def test_clicking_a_sample_while_files_are_uploaded_shows_the_sample_first():
    app = fresh_app()
    upload = ("upload.jpg", (SAMPLES_DIR / "glioma.jpg").read_bytes(), "image/jpeg")
    app.file_uploader(key="predict_uploads").set_value([upload]).run()
    app.button(key="predict_sample_pituitary").click().run()
    assert_no_exception(app)
    table = app.dataframe[0].value
    assert list(table["file"]) == ["sample: pituitary.jpg", "upload.jpg"]


def test_every_answer_carries_the_other_hospitals_caveat_and_the_sidebar_both_figures():
    app = fresh_app(predict_sample="glioma.jpg")
    assert_no_exception(app)
    assert any("this model is right" in c.value for c in app.main.caption)
    assert any("of other hospitals' scans" in c.value for c in app.sidebar.caption)
