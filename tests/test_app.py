"""Real Streamlit runs of the app with AppTest, against the shipped models."""

import pytest
from streamlit.testing.v1 import AppTest

from model import config
from model.registry import discover
from tests.conftest import KNOWN_MISSES, PROJECT_ROOT, SAMPLES_DIR

APP = str(PROJECT_ROOT / "app.py")
TIMEOUT = 180
SHIPPED = {entry.name: entry for entry in discover(config.WEIGHTS_DIR)}
EXPECTED_LABEL = {name: label for name, label in config.CLASS_LABELS.items()}

pytestmark = pytest.mark.skipif(not SHIPPED, reason="no trained model in model/weights/")


@pytest.fixture(autouse=True)
def shipped_weights(monkeypatch):
    monkeypatch.setenv(config.WEIGHTS_ENV_VAR, str(config.WEIGHTS_DIR))


def fresh_app(**state) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in state.items():
        app.session_state[key] = value
    return app.run()


def assert_no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def headline(app: AppTest) -> str:
    return " ".join(s.value for s in app.subheader)


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
        reason = KNOWN_MISSES.get(("resnet50", path.stem))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(path.name, marks=marks, id=path.stem)


@pytest.mark.parametrize("sample", list(default_model_samples()))
def test_uploading_a_sample_shows_its_class_and_an_overlay(sample):
    app = fresh_app()
    data = (SAMPLES_DIR / sample).read_bytes()
    app.file_uploader(key="predict_uploads").set_value((sample, data, "image/jpeg")).run()
    assert_no_exception(app)
    assert EXPECTED_LABEL[sample.removesuffix(".jpg")] in headline(app)
    assert len(app.get("image")) == 2  # the scan and its overlay
    assert app.get("download_button")


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_sidebar_choice_decides_the_model(name):
    app = fresh_app(sidebar_weights=name, predict_sample="meningioma.jpg")
    assert_no_exception(app)
    assert SHIPPED[name].label in app.main.caption[-1].value


def test_bad_file_gets_a_plain_error_and_the_next_upload_still_works():
    app = fresh_app()
    uploader = app.file_uploader(key="predict_uploads")
    uploader.set_value(("scan.jpg", b"%PDF-1.4 not an image", "image/jpeg")).run()
    assert_no_exception(app)
    assert "not an image we can read" in app.error[0].value
    data = (SAMPLES_DIR / "pituitary.jpg").read_bytes()
    app.file_uploader(key="predict_uploads").set_value(("pituitary.jpg", data, "image/jpeg")).run()
    assert_no_exception(app)
    assert not app.error
    assert EXPECTED_LABEL["pituitary"] in headline(app)


def test_several_files_give_a_table_and_a_csv():
    app = fresh_app()
    files = [(p.name, p.read_bytes(), "image/jpeg") for p in sorted(SAMPLES_DIR.glob("*.jpg"))]
    files.append(("broken.jpg", b"not an image at all", "image/jpeg"))
    app.file_uploader(key="predict_uploads").set_value(files).run()
    assert_no_exception(app)
    table = app.dataframe[0].value  # the results table
    assert list(table["file"]) == [name for name, _, _ in files]
    assert list(table["class"])[-1] == "not analysed"
    assert "not an image we can read" in app.error[0].value
    assert any(b.label == "Download results (CSV)" for b in app.get("download_button"))


def test_compare_page_shows_the_numbers_of_the_reports():
    app = fresh_app()
    app.switch_page("pages/compare.py").run()
    assert_no_exception(app)
    table = app.dataframe[0].value.set_index("")  # the headline table: a column per model
    for entry in SHIPPED.values():
        accuracy = entry.report()["splits"]["leak_free"]["accuracy"]
        column = entry.label.split(" · ")[0]
        assert table.loc["Leak-free accuracy", column] == f"{accuracy:.1%}"
