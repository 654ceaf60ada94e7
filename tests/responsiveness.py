"""Responsiveness check: one browser session tests 280 scans, another uploads one meanwhile.

Run it from the project root (a script that prints numbers, not a pytest test):

    python -m tests.responsiveness

Both sessions drive a real ``streamlit run app.py`` in headless Chromium on this
machine. The first session runs "Test on your scans" on a ZIP of 280 copies of the
sample scans; one second later a second session opens the upload page and
classifies a sample. Prints how long the second session waited for its result and
whether the first session's run was still going at that moment.
"""

import os
import tempfile
import time
import zipfile
from pathlib import Path

from model import config
from tests.browser_helpers import CHROMIUM, CHROMIUM_ARGS
from tests.loadtest import free_port, start_server, wait_for_health

COPIES = 70  # per class: 280 scans, under the page's default limit of 300


def scans_zip(folder: Path) -> Path:
    archive = folder / "scans.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for copy in range(COPIES):
            for sample in sorted(config.SAMPLES_DIR.glob("*.jpg")):
                handle.write(sample, f"{sample.stem}/{sample.stem}-{copy}.jpg")
    return archive


def classify(page, url: str, sample: Path) -> None:
    page.goto(url)
    page.get_by_text("Classify a brain MRI slice").wait_for(timeout=120_000)
    page.locator("input[type=file]").set_input_files(str(sample))
    page.get_by_text("where the model looked").first.wait_for(timeout=180_000)


def main() -> None:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp())
    archive = scans_zip(folder)
    port = free_port()
    process = start_server(port, folder / "server.log", dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process, folder / "server.log")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            warm = browser.new_page()  # loads the model once, as any first visitor would
            classify(warm, url, config.SAMPLES_DIR / "glioma.jpg")
            warm.close()
            first = browser.new_page()
            first.goto(url + "/own_scans")
            first.get_by_text("What will you upload?").wait_for(timeout=120_000)
            first.locator("input[type=file]").set_input_files(str(archive))
            first.get_by_text("What was found").wait_for(timeout=60_000)
            first.get_by_role("button", name=f"Run the test on {4 * COPIES} scans").click()
            time.sleep(1)
            started = time.time()
            classify(browser.new_page(), url, config.SAMPLES_DIR / "pituitary.jpg")
            waited = time.time() - started
            running = first.get_by_text("Download summary (PDF)").count() == 0
            print(f"second session's result after {waited:.1f} s; first run still going: {running}")
            first.get_by_text("Download summary (PDF)").wait_for(timeout=600_000)
            print(f"first session's run ended {time.time() - started:.1f} s after the second began")
            browser.close()
    finally:
        process.terminate()


if __name__ == "__main__":
    main()
