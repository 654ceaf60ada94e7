"""The app in a real browser: streamlit run + headless Chromium driven by Playwright.

Screenshots go to test-artifacts/ (gitignored). With ``BRAIN_MRI_SCREENSHOTS=assets/screenshots``
the README's screenshots (``predict.png``, ``compare.png``) are written there as well.
"""

import io
import os

import pytest
from PIL import Image

from model import config
from model.registry import discover
from tests.browser_helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DRAWN_JS
from tests.conftest import PROJECT_ROOT, SAMPLES_DIR
from tests.loadtest import CHART_PROBABILITIES_JS, free_port, start_server, wait_for_health

# The README's screenshots are this viewport; every page of the test is opened at it.
VIEWPORT = {"width": 1400, "height": 1000}
SCREENSHOTS_ENV_VAR = "BRAIN_MRI_SCREENSHOTS"
MAX_SCREENSHOT_BYTES = 400_000
# README framing: space kept between the framed element and the viewport's edge, in pixels.
FRAME_MARGIN = 16
PREDICT_SAMPLE = "pituitary.jpg"  # the default model gets it right, with confidence

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium is not installed (apt-get install chromium); .ci/run installs it",
    ),
    pytest.mark.skipif(not discover(config.WEIGHTS_DIR), reason="no trained model"),
]


@pytest.fixture(scope="module")
def server():
    """`streamlit run app.py --server.headless true` on a free port; stopped afterwards."""
    port = free_port()
    log_path = ARTIFACTS / "streamlit.log"
    environment = {**os.environ, config.WEIGHTS_ENV_VAR: str(config.WEIGHTS_DIR)}
    process = start_server(port, log_path, environment)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process, log_path)
    except RuntimeError as error:
        process.kill()
        pytest.fail(str(error))
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text("Classify a brain MRI slice").wait_for(timeout=120_000)
    return page


def wait_until_drawn(page) -> None:
    """Waits for the script run to end and for its images and charts to be on screen."""
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(timeout=120_000)
    page.wait_for_function(DRAWN_JS, timeout=60_000)


def frame(page, element, edge: str, margin: int) -> None:
    """Scrolls the main area to put an element's edge just inside the viewport.

    Args:
        page: The Playwright page.
        element: Locator of the element to frame.
        edge: "top" puts its top ``margin`` px below the viewport's top; "bottom" puts
            its bottom ``margin`` px above the viewport's bottom.
        margin: Distance in pixels.
    """
    element.evaluate(
        """(element, [edge, margin]) => {
            const main = document.querySelector('[data-testid=stMain]');
            const box = element.getBoundingClientRect();
            const view = main.getBoundingClientRect();
            const offset = edge === 'top'
                ? box.top - view.top - margin
                : box.bottom - view.bottom + margin;
            main.scrollTo({top: main.scrollTop + offset, behavior: 'instant'});
        }""",
        [edge, margin],
    )


def save_screenshot(page, name: str, readme: bool = False) -> None:
    """Saves the viewport to test-artifacts/; a README one also to $BRAIN_MRI_SCREENSHOTS.

    The README copy is re-encoded by Pillow (palette of 256 colours if the plain
    PNG is larger than MAX_SCREENSHOT_BYTES) so that the repository stays small.
    """
    png = page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    folder = os.environ.get(SCREENSHOTS_ENV_VAR)
    if not (readme and folder):
        return
    target = PROJECT_ROOT / folder  # an absolute folder stays absolute
    target.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    if buffer.tell() > MAX_SCREENSHOT_BYTES:
        buffer = io.BytesIO()
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
            buffer, format="PNG", optimize=True
        )
    (target / f"{name}.png").write_bytes(buffer.getvalue())


def assert_no_traceback(page) -> None:
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.get_by_text("Traceback").count() == 0


def top_class(page) -> str:
    """The class with the highest bar in the (first) probability chart of the page."""
    chart = page.locator("[data-testid=stMain] .js-plotly-plot").first
    probabilities = chart.evaluate(CHART_PROBABILITIES_JS)
    return max(probabilities, key=probabilities.get)


def wait_for_result(page) -> None:
    """Waits for a result: the heatmap's caption, the probability chart, every image drawn."""
    page.get_by_text("where the model looked").first.wait_for(timeout=120_000)
    page.locator("[data-testid=stMain] .js-plotly-plot").first.wait_for(timeout=60_000)
    wait_until_drawn(page)


def test_upload_a_sample_shows_class_and_overlay(server, browser):
    page = open_page(browser, server)
    page.locator("input[type=file]").set_input_files(str(SAMPLES_DIR / PREDICT_SAMPLE))
    wait_for_result(page)
    # The heading names the class only above the card's confidence threshold; the
    # probability chart always shows it.
    assert top_class(page) == "Pituitary tumour"
    assert page.locator("[data-testid=stMain] [data-testid=stImage]").count() >= 2
    assert page.get_by_text("Download overlay (PNG)").count() == 1
    assert page.locator("[data-testid=stSidebar]").get_by_text("Model weights").count() == 1
    assert_no_traceback(page)
    # From the upload box down to the whole result, heatmap and probabilities.
    uploader = page.locator("[data-testid=stFileUploader]")
    frame(page, uploader, "top", FRAME_MARGIN)
    save_screenshot(page, "predict", readme=True)
    page.close()


def test_a_rejected_file_then_a_valid_one(server, browser, tmp_path):
    page = open_page(browser, server)
    bogus = tmp_path / "scan.png"
    bogus.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    page.locator("input[type=file]").set_input_files(str(bogus))
    page.locator("[data-testid=stAlert]").get_by_text("not an image we can read").wait_for(
        timeout=60_000
    )
    wait_until_drawn(page)
    assert_no_traceback(page)
    assert page.locator("[data-testid=stMain] [data-testid=stImage]").count() == 0
    save_screenshot(page, "predict-rejected")
    page.locator("input[type=file]").set_input_files(str(SAMPLES_DIR / "glioma.jpg"))
    wait_for_result(page)
    assert top_class(page) == "Glioma"
    # The scan and its heatmap overlay.
    assert page.locator("[data-testid=stMain] [data-testid=stImage]").count() >= 2
    assert_no_traceback(page)
    save_screenshot(page, "predict-after-error")
    page.close()


def test_compare_page_draws_the_reports(server, browser):
    page = open_page(browser, server)
    page.get_by_role("link", name="Compare models").click()
    page.get_by_text("Headline numbers").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    wait_until_drawn(page)
    assert_no_traceback(page)
    frame(page, page.get_by_role("heading", name="Headline numbers"), "top", FRAME_MARGIN)
    save_screenshot(page, "compare", readme=True)
    page.close()


def test_own_scans_page_scores_an_uploaded_zip(server, browser, tmp_path):
    """Upload a ZIP of class folders, run the test and read the confusion matrix."""
    import zipfile

    archive = tmp_path / "my-scans.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for folder, sample in (("glioma", "glioma"), ("no_tumor", "notumor"),
                               ("pituitary", "pituitary")):  # fmt: skip
            handle.write(SAMPLES_DIR / f"{sample}.jpg", f"{folder}/{sample}.jpg")
    page = open_page(browser, server)
    page.get_by_role("link", name="Test on your scans").click()
    page.get_by_text("What will you upload?").wait_for(timeout=60_000)
    page.locator("input[type=file]").set_input_files(str(archive))
    page.get_by_text("What was found").wait_for(timeout=60_000)
    page.get_by_role("button", name="Run the test on 3 scans").click()
    page.get_by_text("Misclassified scans").or_(
        page.get_by_text("Download summary (PDF)")
    ).first.wait_for(timeout=180_000)
    wait_until_drawn(page)
    assert_no_traceback(page)
    matrix = page.evaluate(
        """() => {
            const plot = [...document.querySelectorAll('[data-testid=stMain] .js-plotly-plot')]
                .find(p => p.data && p.data[0].type === 'heatmap');
            return plot ? plot.data[0].text : null;  // the counts printed in the cells
        }"""
    )
    assert matrix is not None
    assert sum(int(cell) for row in matrix for cell in row) == 3  # one scan per true class
    frame(page, page.get_by_role("heading", name="ResNet50"), "top", FRAME_MARGIN)
    save_screenshot(page, "own-scans", readme=True)
    page.close()
