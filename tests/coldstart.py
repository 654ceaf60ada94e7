"""Cold start: a fresh ``streamlit run app.py``, then one upload, at laptop and phone width.

Run it from the project root (a script that prints numbers, not a pytest test):

    python -m tests.coldstart

Prints, for each width, the seconds from opening the page to its title, and to the
first result (the first upload loads the model). Screenshots go to test-artifacts/.
"""

import os
import time

from model import config
from tests.browser_helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DRAWN_JS
from tests.loadtest import free_port, start_server, wait_for_health

WIDTHS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}


def main() -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    process = start_server(port, ARTIFACTS / "coldstart.log", dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process, ARTIFACTS / "coldstart.log")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name, viewport in WIDTHS.items():
                page = browser.new_page(viewport=viewport)
                started = time.time()
                page.goto(url)
                page.get_by_text("Classify a brain MRI slice").wait_for(timeout=120_000)
                title = time.time() - started
                page.locator("input[type=file]").set_input_files(
                    str(config.SAMPLES_DIR / "glioma.jpg")
                )
                page.get_by_text("where the model looked").first.wait_for(timeout=180_000)
                page.wait_for_function(DRAWN_JS, timeout=120_000)
                print(f"{name}: title after {title:.1f} s, first result after "
                      f"{time.time() - started:.1f} s")  # fmt: skip
                page.screenshot(path=str(ARTIFACTS / f"coldstart-{name}.png"))
                page.close()
            browser.close()
    finally:
        process.terminate()


if __name__ == "__main__":
    main()
