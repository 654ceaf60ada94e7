"""The app in a real browser: streamlit run + headless Chromium driven by Playwright.

Screenshots go to test-artifacts/ (gitignored). With ``BRAIN_MRI_SCREENSHOTS=assets/screenshots``
the README's screenshots are written there as well: the upload result (``predict.png``),
a batch (``batch.png``) and the compare page (``compare.png``) at 1280 x 800, the same
three at 390 x 844 (``predict-phone.png``, ``batch-phone.png``, ``compare-phone.png``),
and the "Test on your scans" page (``own-scans.png``).

The first test measures the cold start (server start to the first result) and prints it;
it asserts no time.
"""

import io
import os
import re
import shutil
import time
from dataclasses import dataclass

import pytest
from PIL import Image

from model import config
from model.decision import EXPERT_REVIEW
from model.inputs import BROWSER_UPLOAD_MEGABYTES, MAX_UPLOAD_MEGABYTES
from model.registry import discover
from tests.browser_helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DRAWN_JS
from tests.conftest import PROJECT_ROOT, SAMPLES_DIR
from tests.loadtest import CHART_PROBABILITIES_JS, free_port, start_server, wait_for_health

# The README's laptop screenshots are this viewport; every page of the test opens at it.
VIEWPORT = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PHONE_SUFFIX = "-phone"  # README screenshots at PHONE width: predict-phone.png, ...
# Pixels a page may be wider than the viewport (sub-pixel rounding), never a scroll bar.
SCROLL_TOLERANCE = 2
SCREENSHOTS_ENV_VAR = "BRAIN_MRI_SCREENSHOTS"
MAX_SCREENSHOT_BYTES = 400_000
# README framing: space kept between the framed element and the viewport's edge, in pixels.
FRAME_MARGIN = 16
# At phone width Streamlit's header bar (60 px) is opaque: framed content starts below it.
PHONE_FRAME_MARGIN = 60 + FRAME_MARGIN
PAGE_TITLE = "Classify a brain MRI slice"
PREDICT_SAMPLE = "pituitary.jpg"  # the default model gets it right, with confidence
UPLOADED_SAMPLE = "glioma.jpg"  # uploaded before PREDICT_SAMPLE is clicked
# Modules of pages/ that are helpers, not pages: never a link in the navigation.
HELPER_MODULES = ("charts", "common")
SAMPLE_PREFIX = "sample: "  # how the upload page names a clicked sample
OVERSIZE_MEGABYTES = MAX_UPLOAD_MEGABYTES + 1  # over the app's limit, under the browser's

# How the page writes a probability (model.formatting) and a class (model.config).
PERCENT = r"(?:\d{1,2}\.\d%|> 99\.9%|< 0\.1%)"
CLASS_LABEL = "|".join(re.escape(label) for label in config.CLASS_LABELS.values())
# A collapsed section's header: "<file> · <class> · <confidence>", or for an abstention
# "<file> · needs expert review (<reason>; most probable <class>, <confidence>)".
SECTION_OUTCOME = (
    rf"(?:(?:{CLASS_LABEL}) · {PERCENT}"
    rf"|{re.escape(EXPERT_REVIEW.lower())} \([^;()]+; most probable (?:{CLASS_LABEL}), {PERCENT}\))"
)

# Every link the document ever held, from its first node on: a MutationObserver installed
# before the app's scripts run records each <a> added (or whose href or text changes),
# even one removed before it was painted. window.__links() returns [text, href] pairs.
LINK_WATCH_JS = """(() => {
    const seen = new Map();
    const record = link => {
        const text = link.textContent || '', href = link.getAttribute('href') || '';
        seen.set(text + '\\u0000' + href, [text, href]);
    };
    const visit = node => {
        const element = node.nodeType === 1 ? node : node.parentElement;
        if (!element) return;
        const link = element.closest('a');
        if (link) record(link);
        element.querySelectorAll('a').forEach(record);
    };
    new MutationObserver(mutations => {
        for (const mutation of mutations) {
            if (mutation.type === 'childList') mutation.addedNodes.forEach(visit);
            else visit(mutation.target);
        }
    }).observe(document, {
        childList: true, subtree: true, characterData: true,
        attributes: true, attributeFilter: ['href'],
    });
    window.__links = () => {
        document.querySelectorAll('a').forEach(record);
        return [...seen.values()];
    };
})();"""

# Widths that decide horizontal scrolling: the document's and the main area's (Streamlit
# scrolls the main area, not the document).
WIDTHS_JS = """() => {
    const main = document.querySelector('[data-testid=stMain]');
    return {
        page: document.documentElement.scrollWidth,
        main: main.scrollWidth,
        mainVisible: main.clientWidth,
    };
}"""

# The batch table's cells as drawn: the data grid keeps an accessible <table> of the
# cells on screen (the first columns; the grid scrolls sideways inside itself).
TABLE_CELLS_JS = """element => [...element.querySelectorAll('table tr')]
    .map(row => [...row.querySelectorAll('th, td')].map(cell => cell.textContent))"""

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium is not installed (apt-get install chromium); .ci/run installs it",
    ),
    pytest.mark.skipif(not discover(config.WEIGHTS_DIR), reason="no trained model"),
]


@dataclass(frozen=True)
class Server:
    """A running ``streamlit run app.py``.

    Attributes:
        url: Its address, ``http://127.0.0.1:<port>``.
        started: ``time.monotonic()`` just before the process was launched.
        healthy: Seconds from launch to the first answer of its health check.
    """

    url: str
    started: float
    healthy: float


@pytest.fixture(scope="module")
def server():
    """`streamlit run app.py --server.headless true` on a free port; stopped afterwards."""
    port = free_port()
    log_path = ARTIFACTS / "streamlit.log"
    environment = {**os.environ, config.WEIGHTS_ENV_VAR: str(config.WEIGHTS_DIR)}
    started = time.monotonic()
    process = start_server(port, log_path, environment)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process, log_path)
    except RuntimeError as error:
        process.kill()
        pytest.fail(str(error))
    yield Server(url, started, time.monotonic() - started)
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, server: Server, viewport: dict = VIEWPORT, watch_links: bool = False):
    """A new tab on the upload page, once its title is drawn.

    Args:
        watch_links: Record every link from the document's first node (LINK_WATCH_JS).
    """
    page = browser.new_page(viewport=viewport)
    if watch_links:
        page.add_init_script(LINK_WATCH_JS)
    page.goto(server.url, wait_until="domcontentloaded")
    page.get_by_text(PAGE_TITLE).wait_for(timeout=120_000)
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


def to_phone_width(page) -> None:
    """Resizes the tab to PHONE and waits for the page to lay itself out again."""
    page.set_viewport_size(PHONE)
    wait_until_drawn(page)
    # Charts re-measure their container after a resize; two frames and a short pause
    # let them settle before a screenshot (nothing is timed).
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.wait_for_timeout(500)


def assert_no_traceback(page) -> None:
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.get_by_text("Traceback").count() == 0


def assert_no_sideways_scroll(page) -> None:
    """Neither the document nor the main area is wider than the viewport."""
    width = page.viewport_size["width"]
    widths = page.evaluate(WIDTHS_JS)
    assert widths["page"] <= width + SCROLL_TOLERANCE, widths
    assert widths["main"] <= widths["mainVisible"] + SCROLL_TOLERANCE, widths


def assert_on_screen(page, element) -> None:
    """Scrolls an element into view: it is visible, not empty, within the viewport's width."""
    element.scroll_into_view_if_needed()
    assert element.is_visible()
    box = element.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    assert box["x"] >= -SCROLL_TOLERANCE, box
    assert box["x"] + box["width"] <= page.viewport_size["width"] + SCROLL_TOLERANCE, box


def top_class(page) -> str:
    """The class with the highest bar in the (first) probability chart of the page."""
    chart = page.locator("[data-testid=stMain] .js-plotly-plot").first
    probabilities = chart.evaluate(CHART_PROBABILITIES_JS)
    return max(probabilities, key=probabilities.get)


def class_heading(page, label: str):
    """The result heading that names a class with its confidence, e.g. 'Glioma · 94.2%'."""
    name = re.compile(rf"^{re.escape(label)} · {PERCENT}$")
    return page.locator("[data-testid=stMain]").get_by_role("heading", name=name)


def heatmap(page):
    """The heatmap overlays: the images captioned with where the model looked."""
    return page.locator("[data-testid=stMain] [data-testid=stImage]").filter(
        has_text="where the model looked"
    )


def wait_for_result(page) -> None:
    """Waits for a result: the heatmap's caption, the probability chart, every image drawn."""
    page.get_by_text("where the model looked").first.wait_for(timeout=120_000)
    page.locator("[data-testid=stMain] .js-plotly-plot").first.wait_for(timeout=60_000)
    wait_until_drawn(page)


def section_title(page, name: str):
    """The bold file name that opens a scan's section (up to FULL_RESULTS_UP_TO files)."""
    exact = re.compile(rf"^{re.escape(name)}$")
    return page.locator("[data-testid=stMain] strong", has_text=exact)


def batch_table(page) -> list[list[str]]:
    """The "All results" table as drawn, header row first, once it holds every row."""
    table = page.locator("[data-testid=stMain] [data-testid=stDataFrame]")
    table.wait_for(timeout=60_000)
    page.wait_for_function(
        """element => element.querySelectorAll('table tr td').length > 0""",
        arg=table.element_handle(),
        timeout=60_000,
    )
    return table.evaluate(TABLE_CELLS_JS)


def click_sample(page, sample: str, folded: bool = False) -> None:
    """Clicks a sample's button.

    Args:
        folded: Files are uploaded, so the samples are folded in an expander to open first.
    """
    if folded:
        page.get_by_text("Samples from the test set").click()
    label = config.CLASS_LABELS[sample.removesuffix(".jpg")]
    page.get_by_role("button", name=f"{label} sample").click()


def test_cold_start_to_first_result_and_navigation(browser, server, capsys):
    """Server start to the first sample's result (printed), and no helper module as a link.

    Runs first, so the server has loaded no model yet (browser before server in the
    arguments: Chromium's launch is not counted). The figure is printed for the README,
    not asserted: it depends on the machine and its load.
    """
    page = open_page(browser, server, watch_links=True)
    title = time.monotonic() - server.started
    click_sample(page, PREDICT_SAMPLE)
    class_heading(page, config.CLASS_LABELS[PREDICT_SAMPLE.removesuffix(".jpg")]).wait_for(
        timeout=180_000
    )
    first_result = time.monotonic() - server.started
    load = os.getloadavg()[0]
    with capsys.disabled():
        print(
            f"\nCOLD START (server start to first result, sample click to class heading): "
            f"{first_result:.1f} s [health check {server.healthy:.1f} s, page title "
            f"{title:.1f} s; {os.cpu_count()} CPUs, 1-min load average {load:.1f}]"
        )
    wait_until_drawn(page)
    links = page.evaluate("window.__links()")
    assert any("Classify a scan" in text for text, _ in links), links  # the watch worked
    for text, href in links:
        page_name = href.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        assert text.strip().lower() not in HELPER_MODULES, (text, href)
        assert page_name not in HELPER_MODULES, (text, href)
    assert_no_traceback(page)
    page.close()


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


def test_a_sample_clicked_while_a_file_is_uploaded_comes_first(server, browser):
    page = open_page(browser, server)
    page.locator("input[type=file]").set_input_files(str(SAMPLES_DIR / UPLOADED_SAMPLE))
    wait_for_result(page)
    click_sample(page, PREDICT_SAMPLE, folded=True)
    page.get_by_role("heading", name="All results").wait_for(timeout=120_000)
    wait_until_drawn(page)
    sample_name = f"{SAMPLE_PREFIX}{PREDICT_SAMPLE}"
    rows = batch_table(page)
    rows_of_files = [row[0] for row in rows[1:]]
    assert rows_of_files == [sample_name, UPLOADED_SAMPLE], rows
    # The sample's section is the first one, with its true class.
    main = page.locator("[data-testid=stMain]")
    sample_title, upload_title = (section_title(page, name) for name in rows_of_files)
    assert sample_title.bounding_box()["y"] < upload_title.bounding_box()["y"]
    truth = "Sample scan, true class (the dataset's label): Pituitary tumour."
    assert main.get_by_text(truth).first.is_visible()
    headings = main.get_by_role("heading", name=re.compile(rf"^(?:{CLASS_LABEL}) · "))
    assert headings.first.text_content().startswith("Pituitary tumour · ")
    assert class_heading(page, "Glioma").count() == 1
    assert_no_traceback(page)
    save_screenshot(page, "predict-sample-with-upload")
    page.close()


def test_a_batch_of_more_than_five_files(server, browser, tmp_path):
    """Seven files: the table first and within the page, a failed file's reason, headers."""
    files = sorted(SAMPLES_DIR.glob("*.jpg"))
    for sample in ("glioma", "meningioma"):  # the same scans under other names
        copy = tmp_path / f"copy of {sample}.jpg"
        shutil.copyfile(SAMPLES_DIR / f"{sample}.jpg", copy)
        files.append(copy)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)  # a PNG signature, no image
    files.append(broken)
    names = [path.name for path in files]
    page = open_page(browser, server)
    page.locator("input[type=file]").set_input_files([str(path) for path in files])
    page.get_by_role("heading", name="All results").wait_for(timeout=180_000)
    wait_until_drawn(page)
    assert_no_traceback(page)

    rows = batch_table(page)
    header = rows[0]
    assert header[:5] == ["file", "class", "confidence", "decision", "reason"], header
    assert [row[0] for row in rows[1:]] == names, rows
    by_name = {row[0]: dict(zip(header, row)) for row in rows[1:]}
    assert by_name["broken.png"]["decision"] == "not analysed"
    assert "not an image we can read" in by_name["broken.png"]["reason"]

    main = page.locator("[data-testid=stMain]")
    sections = main.locator("[data-testid=stExpander]").filter(
        has_not_text="Samples from the test set"
    )
    assert sections.count() == len(names)
    table_heading = main.get_by_role("heading", name="All results")
    assert table_heading.bounding_box()["y"] < sections.first.bounding_box()["y"]
    labels = sections.locator("summary [data-testid=stMarkdownContainer]")
    headers = [text.strip() for text in labels.all_text_contents()]
    for name, text in zip(names, headers):
        if name == "broken.png":
            assert text == "broken.png · not analysed", text
        else:
            assert re.fullmatch(rf"{re.escape(name)} · {SECTION_OUTCOME}", text), text

    table = main.locator("[data-testid=stDataFrame]")
    frame(page, table_heading, "top", FRAME_MARGIN)
    for width in ("laptop", "phone"):
        if width == "phone":
            to_phone_width(page)
            frame(page, table_heading, "top", PHONE_FRAME_MARGIN)
        assert_no_sideways_scroll(page)
        box, area = table.bounding_box(), main.bounding_box()
        assert box["x"] + box["width"] <= area["x"] + area["width"] + SCROLL_TOLERANCE
        save_screenshot(page, "batch" + (PHONE_SUFFIX if width == "phone" else ""), readme=True)
    page.close()


def test_an_over_size_file_gets_a_message_with_its_size(server, browser, tmp_path):
    """A 26 MB file passes the browser's limit and gets the app's message, not just an icon."""
    huge = tmp_path / "huge.png"
    start = (SAMPLES_DIR / "glioma.jpg").read_bytes()  # real image bytes, then padding
    huge.write_bytes(start + b"\x00" * (OVERSIZE_MEGABYTES * 1000 * 1000 - len(start)))
    page = open_page(browser, server)
    page.locator("input[type=file]").set_input_files(str(huge))
    message = page.locator("[data-testid=stMain] [data-testid=stAlert]").get_by_text(
        f"The file is {OVERSIZE_MEGABYTES:.1f} MB: larger than {MAX_UPLOAD_MEGABYTES} MB, "
        "the limit for one file"
    )
    message.wait_for(timeout=120_000)
    wait_until_drawn(page)
    assert message.is_visible()
    assert page.locator("[data-testid=stMain] [data-testid=stImage]").count() == 0
    assert_no_traceback(page)
    save_screenshot(page, "predict-over-size")
    page.close()


def test_a_file_the_browser_refuses_shows_why_on_its_chip(server, browser, tmp_path):
    """Over the browser's limit the app never sees the file: the chip itself says why."""
    huge = tmp_path / "enormous.png"
    huge.write_bytes(b"\x00" * ((BROWSER_UPLOAD_MEGABYTES + 1) * 1000 * 1000))
    page = open_page(browser, server)
    page.locator("input[type=file]").set_input_files(str(huge))
    chip = page.locator("[data-testid=stFileChip]").filter(has_text="enormous.png")
    reason = chip.get_by_text(f"must be {BROWSER_UPLOAD_MEGABYTES:.1f}MB or smaller")
    reason.wait_for(timeout=60_000)
    assert chip.get_by_text(f"{BROWSER_UPLOAD_MEGABYTES + 1:.1f}MB", exact=True).is_visible()
    box = reason.bounding_box()  # drawn for everyone, not only for screen readers
    assert box is not None and box["width"] > 100 and box["height"] > 5, box
    for width in ("laptop", "phone"):
        if width == "phone":
            to_phone_width(page)
        assert_no_sideways_scroll(page)
        save_screenshot(page, "predict-refused" + (PHONE_SUFFIX if width == "phone" else ""))
    assert_no_traceback(page)
    page.close()


def test_phone_width_upload_result_chart_and_heatmap(server, browser):
    """At 390 x 844: an upload's result, chart and heatmap on screen, no sideways scroll."""
    page = open_page(browser, server, viewport=PHONE)
    page.locator("input[type=file]").set_input_files(str(SAMPLES_DIR / PREDICT_SAMPLE))
    wait_for_result(page)
    assert_no_traceback(page)
    heading = class_heading(page, "Pituitary tumour")
    for element in (
        heading,
        page.locator("[data-testid=stMain] .js-plotly-plot").first,
        heatmap(page).first,
    ):
        assert_on_screen(page, element)
        assert_no_sideways_scroll(page)
    frame(page, page.locator("[data-testid=stMain] .js-plotly-plot").first, "top", FRAME_MARGIN)
    save_screenshot(page, "predict-phone-chart")
    frame(page, heading, "top", PHONE_FRAME_MARGIN)
    save_screenshot(page, "predict" + PHONE_SUFFIX, readme=True)
    page.close()


def test_compare_page_draws_the_reports(server, browser):
    page = open_page(browser, server)
    page.get_by_role("link", name="Compare models").click()
    page.get_by_text("Headline numbers").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    wait_until_drawn(page)
    assert_no_traceback(page)
    # From the title: the test-set selector, then the headline numbers.
    title = page.locator("[data-testid=stMain]").get_by_role("heading", name="Compare models")
    frame(page, title, "top", FRAME_MARGIN)
    save_screenshot(page, "compare", readme=True)
    to_phone_width(page)
    assert_no_sideways_scroll(page)
    frame(page, title, "top", PHONE_FRAME_MARGIN)
    save_screenshot(page, "compare" + PHONE_SUFFIX, readme=True)
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
