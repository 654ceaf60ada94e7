"""The app in a real browser: streamlit run + headless Chromium driven by Playwright."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from model import config
from model.registry import discover
from tests.conftest import PROJECT_ROOT, SAMPLES_DIR

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium is not installed (apt-get install chromium); .ci/run installs it",
    ),
    pytest.mark.skipif(not discover(config.WEIGHTS_DIR), reason="no trained model"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """`streamlit run app.py --server.headless true` on a free port; stopped afterwards."""
    port = free_port()
    log = open(ARTIFACTS.mkdir(exist_ok=True) or ARTIFACTS / "streamlit.log", "w")
    environment = {**os.environ, config.WEIGHTS_ENV_VAR: str(config.WEIGHTS_DIR)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=environment,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("streamlit did not answer /_stcore/health within 90 s")
    yield url
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text("Classify a brain MRI slice").wait_for(timeout=120_000)
    return page


def test_upload_a_sample_shows_class_and_overlay(server, browser):
    page = open_page(browser, server)
    page.locator("input[type=file]").set_input_files(str(SAMPLES_DIR / "glioma.jpg"))
    page.get_by_role("heading", name="Glioma").first.wait_for(timeout=120_000)
    page.get_by_text("Grad-CAM: where the model looked").wait_for(timeout=60_000)
    assert page.get_by_text("Download overlay (PNG)").count() == 1
    assert page.locator("[data-testid=stSidebar]").get_by_text("Model weights").count() == 1
    page.screenshot(path=str(ARTIFACTS / "predict.png"), full_page=True)
    page.close()


def test_a_rejected_file_then_a_valid_one(server, browser, tmp_path):
    page = open_page(browser, server)
    bogus = tmp_path / "not-a-scan.png"
    bogus.write_bytes(b"%PDF-1.4 this is not an image")
    page.locator("input[type=file]").set_input_files(str(bogus))
    page.get_by_text("not an image we can read").wait_for(timeout=60_000)
    page.locator("input[type=file]").set_input_files(str(SAMPLES_DIR / "pituitary.jpg"))
    page.get_by_role("heading", name="Pituitary tumour").first.wait_for(timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / "predict-after-error.png"), full_page=True)
    page.close()


def test_compare_page_draws_the_reports(server, browser):
    page = open_page(browser, server)
    page.get_by_role("link", name="Compare models").click()
    page.get_by_text("Headline numbers").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    page.close()
