"""Constants shared by the real-browser test and the scripts that drive a browser.

``tests/test_browser.py``, ``tests/coldstart.py`` and ``tests/responsiveness.py``
read them from here, so that no script imports a test module.
"""

import shutil

from tests.loadtest import ARTIFACTS

__all__ = ["ARTIFACTS", "CHROMIUM", "CHROMIUM_ARGS", "DRAWN_JS"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# True once the script run has ended, no placeholder skeleton is left and every image has
# loaded. All three are checked in one poll: the browser may draw a skeleton for a moment
# after the run state flips (seen once in CI), so none of them can be asserted just once.
DRAWN_JS = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    const main = document.querySelector('[data-testid=stMain]');
    return app !== null && main !== null
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && main.querySelector('[data-testid=stSkeleton]') === null
        && [...main.querySelectorAll('img')]
            .every(image => image.complete && image.naturalWidth > 0);
}"""
