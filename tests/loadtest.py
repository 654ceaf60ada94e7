"""Load test: concurrent browser sessions upload scans to a real ``streamlit run app.py``.

Run it from the project root (it is a script, not a pytest test):

    python -m tests.loadtest --sessions 8 --uploads 3

Session ``i`` uploads the sample scan of class ``i % 4`` (``assets/samples/``) several
times; each upload carries a JPEG comment naming the session and the upload, so its
bytes (and the app's cache key) are new while its pixels are the sample's. The last
``--second-model-sessions`` sessions switch to the second bundled model in the sidebar
after their first upload (the page re-analyses the file on screen, which is checked
too), so the server ends up holding both models.

Before the server starts, every expected answer is computed here with
``model.inference.Classifier``: the bundled models misclassify some samples, so the
right answer for a session is what the model says about its file, not the class
of the sample. A result that differs from it, or a page that shows another
session's file, counts as a mix-up.

Prints the latency from upload (or model switch) to result (p50, p95, p99, timed
until the page shows the expected probabilities), the number of errors and
mix-ups, and the peak resident memory of the server (``VmHWM`` of
``/proc/<pid>/status``, Linux only). Exits with status 1 on any error or mix-up.
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from model import config  # noqa: E402
from model.inference import Classifier  # noqa: E402
from model.inputs import decode_upload  # noqa: E402
from model.registry import ModelEntry, discover  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = config.SAMPLES_DIR
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}

HEALTH_TIMEOUT_SECONDS = 120
PAGE_TIMEOUT_MS = 180_000
MEMORY_SAMPLE_SECONDS = 0.5
POLL_SECONDS = 0.25
# Probabilities shown by the page may differ from ours by float noise only.
PROBABILITY_TOLERANCE = 0.005
RSS_TARGET_MB = 1536  # issue 7.5: peak RSS <= 1.5 GB with both bundled models loaded
PERCENTILES = (50, 95, 99)

PAGE_TITLE = "Classify a brain MRI slice"
MODEL_SELECTOR_LABEL = "Model weights"
IDLE_APP = "[data-testid=stApp][data-test-script-state=notRunning]"
MAIN_AREA = "[data-testid=stMain]"
PROBABILITY_CHART = ".js-plotly-plot"
# The probability chart is one horizontal Plotly bar trace: x probabilities, y class labels.
CHART_PROBABILITIES_JS = (
    "chart => Object.fromEntries(chart.data[0].y.map((label, i) => [label, chart.data[0].x[i]]))"
)
UPLOAD_NAME = re.compile(r"session\d+-upload\d+\.jpg")

JPEG_START = b"\xff\xd8"
JPEG_COMMENT_MARKER = b"\xff\xfe"


@dataclass(frozen=True)
class Answer:
    """What a model says about one sample.

    Attributes:
        label: Display label of the most probable class, e.g. ``Pituitary tumour``.
        probabilities: Probability of each class, keyed by display label.
    """

    label: str
    probabilities: dict[str, float]


@dataclass
class UploadOutcome:
    """The outcome of one analysis asked for by one session."""

    session: int
    upload: int
    action: str  # "upload" or "model switch"
    model: str
    started: float = 0.0  # time.perf_counter() when the action began
    latency: float | None = None
    error: str | None = None
    mix_up: str | None = None
    warm: bool = True  # the model was already in use by this session


def tagged_jpeg(data: bytes, tag: str) -> bytes:
    """Adds a comment segment to a JPEG file: new bytes, the same pixels.

    Args:
        data: A JPEG file.
        tag: Short ASCII text to store in the comment.

    Returns:
        The file with a COM segment right after the start-of-image marker.
    """
    if not data.startswith(JPEG_START):
        raise ValueError("The sample is not a JPEG file; the load test uses assets/samples/*.jpg.")
    comment = tag.encode("ascii")
    segment = JPEG_COMMENT_MARKER + (len(comment) + 2).to_bytes(2, "big") + comment
    return JPEG_START + segment + data[len(JPEG_START) :]


def upload_name(session: int, upload: int) -> str:
    """The file name of one upload; unique over the whole run."""
    return f"session{session}-upload{upload}.jpg"


def sample_of(session: int) -> Path:
    """The sample scan a session uploads: class ``session % 4``."""
    return SAMPLES_DIR / f"{config.CLASS_NAMES[session % len(config.CLASS_NAMES)]}.jpg"


def expected_answers(entries: list[ModelEntry]) -> dict[tuple[str, str], Answer]:
    """Classifies every sample with every model, without the server.

    Args:
        entries: The models the sessions use.

    Returns:
        ``answers[(model name, sample file name)]``.
    """
    answers = {}
    for entry in entries:
        classifier = Classifier(entry)
        labels = [config.CLASS_LABELS.get(name, name) for name in classifier.class_names]
        for sample in sorted(SAMPLES_DIR.glob("*.jpg")):
            rgb = decode_upload(sample.read_bytes()).rgb  # (height, width, 3) uint8
            tagged = decode_upload(tagged_jpeg(sample.read_bytes(), "check")).rgb
            if not np.array_equal(rgb, tagged):
                raise RuntimeError(f"A JPEG comment changed the pixels of {sample.name}.")
            analysis = classifier.analyse(rgb)
            answers[(entry.name, sample.name)] = Answer(
                label=labels[analysis.predicted],
                probabilities={label: float(p) for label, p in zip(labels, analysis.probabilities)},
            )
    return answers


def card_fingerprints(entries: list[ModelEntry]) -> dict[str, str]:
    """The current card of each model, as sorted JSON: to notice a card edited mid-run."""
    current = {entry.name: entry for entry in discover(config.weights_dir())}
    return {
        entry.name: json.dumps(current[entry.name].card.to_json(), sort_keys=True)
        if entry.name in current
        else "missing"
        for entry in entries
    }


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(
    port: int, log_path: Path, environment: dict[str, str] | None = None
) -> subprocess.Popen:
    """Starts ``streamlit run app.py`` headless on ``port``, its output going to ``log_path``.

    Args:
        port: Free TCP port to listen on (127.0.0.1 only).
        log_path: File that receives the server's output.
        environment: The server's environment variables; this process's when None.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        return subprocess.Popen(
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


def wait_for_health(url: str, server: subprocess.Popen, log_path: Path) -> None:
    """Waits until ``/_stcore/health`` answers 200.

    Raises:
        RuntimeError: If the server exits or does not answer in time.
    """
    deadline = time.monotonic() + HEALTH_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {server.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(
        f"streamlit did not answer {url}/_stcore/health within {HEALTH_TIMEOUT_SECONDS} s; "
        f"see {log_path}"
    )


def memory_kilobytes(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` (peak RSS) of a process, in kB, from /proc (Linux)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(value.split()[0])
    return values


class MemoryMonitor:
    """Samples the memory of the server process while the sessions run."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_rss_kilobytes = 0
        self.high_water_kilobytes = 0
        self.last_rss_kilobytes = 0

    def sample(self) -> None:
        """Reads /proc once; keeps the largest values seen."""
        try:
            values = memory_kilobytes(self.pid)
        except (FileNotFoundError, ProcessLookupError):
            return
        self.last_rss_kilobytes = values.get("VmRSS", 0)
        self.peak_rss_kilobytes = max(self.peak_rss_kilobytes, self.last_rss_kilobytes)
        self.high_water_kilobytes = max(self.high_water_kilobytes, values.get("VmHWM", 0))

    async def run(self) -> None:
        """Samples until cancelled."""
        while True:
            self.sample()
            await asyncio.sleep(MEMORY_SAMPLE_SECONDS)


async def shown_probabilities(page, name: str) -> dict[str, float]:
    """Waits for the result of the file ``name`` and reads its probability chart.

    Returns:
        Probability of each class, keyed by the chart's class labels.
    """
    file_title = page.locator("[data-testid=stMarkdownContainer]").get_by_text(name, exact=True)
    result = (
        page.locator(f"{MAIN_AREA} [data-testid=stVerticalBlock]")
        .filter(has=file_title)
        .filter(has=page.locator(PROBABILITY_CHART))
        .last
    )
    await result.wait_for(timeout=PAGE_TIMEOUT_MS)
    return await result.locator(PROBABILITY_CHART).first.evaluate(CHART_PROBABILITIES_JS)


def mix_up_reason(name: str, shown: dict[str, float], expected: Answer, page_text: str) -> str:
    """Why a result is not this session's own answer, or an empty string when it is."""
    strangers = sorted(set(UPLOAD_NAME.findall(page_text)) - {name})
    if strangers:
        return f"the page shows other sessions' files: {', '.join(strangers)}"
    if set(shown) != set(expected.probabilities):
        return f"the chart shows classes {sorted(shown)}"
    label = max(shown, key=shown.get)
    worst = max(abs(shown[c] - p) for c, p in expected.probabilities.items())
    if label != expected.label or worst > PROBABILITY_TOLERANCE:
        return (
            f"shows {label} {shown[label]:.1%}, expected {expected.label} "
            f"{expected.probabilities[expected.label]:.1%}"
        )
    return ""


async def choose_model(page, label: str) -> None:
    """Picks a model in the sidebar's selector."""
    selector = page.get_by_role("combobox", name=MODEL_SELECTOR_LABEL)
    await selector.click()
    await page.get_by_role("option", name=label, exact=True).click()
    deadline = time.monotonic() + PAGE_TIMEOUT_MS / 1000
    while await selector.input_value() != label:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the model selector did not switch to {label}")
        await asyncio.sleep(POLL_SECONDS)


async def check_result(page, outcome: UploadOutcome, name: str, expected: Answer) -> None:
    """Waits for the result of ``name`` to show ``expected``; records latency or a mix-up.

    Polls the probability chart because a rerun first shows the previous result
    (stale) before it replaces it. Latency is counted from ``outcome.started``.
    """
    deadline = time.monotonic() + PAGE_TIMEOUT_MS / 1000
    while True:
        shown = await shown_probabilities(page, name)
        reason = mix_up_reason(name, shown, expected, page_text="")
        if not reason or time.monotonic() > deadline:
            break
        await asyncio.sleep(POLL_SECONDS)
    outcome.latency = time.perf_counter() - outcome.started
    await page.locator(IDLE_APP).wait_for(timeout=PAGE_TIMEOUT_MS)
    if await page.locator("[data-testid=stException]").count():
        outcome.error = "the page shows an exception"
        return
    shown = await shown_probabilities(page, name)
    page_text = await page.locator(MAIN_AREA).inner_text()
    outcome.mix_up = mix_up_reason(name, shown, expected, page_text) or None


async def remove_upload(page, name: str) -> None:
    """Removes an uploaded file and waits until its result has left the page."""
    await page.get_by_role("button", name=f"Remove {name}").click()
    await page.wait_for_function(
        f"() => document.querySelectorAll('{MAIN_AREA} {PROBABILITY_CHART}').length === 0",
        timeout=PAGE_TIMEOUT_MS,
    )
    await page.locator(IDLE_APP).wait_for(timeout=PAGE_TIMEOUT_MS)


async def save_failure_screenshot(page, session: int) -> None:
    """Keeps what a failed session saw in test-artifacts/, if the page still answers."""
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        await page.screenshot(path=str(ARTIFACTS / f"loadtest-session{session}.png"))
    except Exception as error:  # a crashed page cannot be photographed
        print(f"session {session}: no screenshot ({type(error).__name__})", file=sys.stderr)


async def run_session(
    browser,
    url: str,
    session: int,
    uploads: int,
    models: list[ModelEntry],
    switches: bool,
    answers: dict[tuple[str, str], Answer],
) -> list[UploadOutcome]:
    """One user: opens the app in its own browser context and uploads its sample.

    Args:
        browser: The shared Playwright browser.
        url: The app's address.
        session: Index of the session.
        uploads: How many times the sample is uploaded.
        models: The bundled models, the app's default first.
        switches: Whether the session picks ``models[1]`` after its first upload.
        answers: The expected answers of ``expected_answers``.

    Returns:
        One outcome per analysis asked for (uploads and the model switch); the
        session stops at its first error.
    """
    sample = sample_of(session)
    data = sample.read_bytes()
    model = models[0]
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    outcomes = []
    try:
        await page.goto(url, wait_until="domcontentloaded")
        await page.get_by_text(PAGE_TITLE).wait_for(timeout=PAGE_TIMEOUT_MS)
        for upload in range(uploads):
            name = upload_name(session, upload)
            if upload:
                await remove_upload(page, upload_name(session, upload - 1))
            outcome = UploadOutcome(session, upload, "upload", model.name, warm=upload > 0)
            outcomes.append(outcome)
            outcome.started = time.perf_counter()
            await page.locator("input[type=file]").set_input_files(
                {"name": name, "mimeType": "image/jpeg", "buffer": tagged_jpeg(data, name)}
            )
            await check_result(page, outcome, name, answers[(model.name, sample.name)])
            if outcome.error:
                break
            if switches and upload == 0:
                # The page re-analyses the file on screen with the newly chosen model.
                model = models[1]
                outcome = UploadOutcome(session, upload, "model switch", model.name, warm=False)
                outcomes.append(outcome)
                outcome.started = time.perf_counter()
                await choose_model(page, model.label)
                await check_result(page, outcome, name, answers[(model.name, sample.name)])
                if outcome.error:
                    break
    except Exception as error:  # any failure of a session is reported, not raised
        if not outcomes or outcomes[-1].latency is not None:
            outcomes.append(UploadOutcome(session, len(outcomes), "upload", model.name))
        outcomes[-1].error = f"{type(error).__name__}: {str(error).splitlines()[0]}"
        await save_failure_screenshot(page, session)
    finally:
        await context.close()
    return outcomes


async def drive_sessions(
    url: str,
    server_pid: int | None,
    arguments: argparse.Namespace,
    models: list[ModelEntry],
    answers: dict[tuple[str, str], Answer],
) -> tuple[list[UploadOutcome], MemoryMonitor | None]:
    """Runs every session at once in one headless Chromium; samples the server's memory.

    Returns:
        The outcomes of every session, and the memory monitor (None without a pid).
    """
    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    first_switching = arguments.sessions - arguments.second_model_sessions
    monitor = MemoryMonitor(server_pid) if server_pid else None
    sampler = asyncio.create_task(monitor.run()) if monitor else None
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            per_session = await asyncio.gather(
                *(
                    run_session(
                        browser,
                        url,
                        session,
                        arguments.uploads,
                        models,
                        session >= first_switching,
                        answers,
                    )
                    for session in range(arguments.sessions)
                )
            )
            await browser.close()
    finally:
        if monitor:
            monitor.sample()
            sampler.cancel()
    return [outcome for outcomes in per_session for outcome in outcomes], monitor


def latency_line(latencies: list[float]) -> str:
    """``p50 1.2 s · p95 3.4 s · p99 3.9 s (n = 24)``, or a note when there are none."""
    if not latencies:
        return "none"
    values = np.percentile(latencies, PERCENTILES)
    parts = [f"p{p} {v:.1f} s" for p, v in zip(PERCENTILES, values)]
    return " · ".join(parts) + f" (n = {len(latencies)})"


def print_report(
    outcomes: list[UploadOutcome], monitor: MemoryMonitor | None, models_used: set[str]
) -> None:
    """Prints latency, errors, mix-ups and the server's memory."""
    finished = [o for o in outcomes if o.latency is not None]
    switches = sum(o.action == "model switch" for o in outcomes)
    print(
        f"analyses asked for: {len(outcomes)} ({len(outcomes) - switches} uploads, "
        f"{switches} model switches), {len(finished)} finished"
    )
    print(f"latency to result, every analysis: {latency_line([o.latency for o in finished])}")
    print(
        "latency to result, uploads after the session's first (model already loaded): "
        f"{latency_line([o.latency for o in finished if o.warm])}"
    )
    errors = [o for o in outcomes if o.error]
    mix_ups = [o for o in outcomes if o.mix_up]
    print(f"errors: {len(errors)}")
    for outcome in errors:
        print(f"  session {outcome.session} upload {outcome.upload}: {outcome.error}")
    print(f"mix-ups: {len(mix_ups)}")
    for outcome in mix_ups:
        print(f"  session {outcome.session} upload {outcome.upload}: {outcome.mix_up}")
    if monitor is None:
        print(f"server memory: not measured (--url); models used: {', '.join(sorted(models_used))}")
        return
    peak_mb = monitor.high_water_kilobytes / 1024
    verdict = "within" if peak_mb <= RSS_TARGET_MB else "ABOVE"
    print(
        f"server memory: peak RSS (VmHWM) {peak_mb:.0f} MB, {verdict} the {RSS_TARGET_MB} MB "
        f"target; RSS at the end {monitor.last_rss_kilobytes / 1024:.0f} MB; "
        f"models used: {', '.join(sorted(models_used))}"
    )


def start_and_drive(
    arguments: argparse.Namespace,
    plan: str,
    models: list[ModelEntry],
    answers: dict[tuple[str, str], Answer],
) -> tuple[list[UploadOutcome], MemoryMonitor | None]:
    """Starts the app on its own port, runs the sessions against it, then stops it."""
    port = arguments.port or free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = ARTIFACTS / "loadtest-streamlit.log"
    server = start_server(port, log_path)
    try:
        wait_for_health(url, server, log_path)
        print(f"server {url} (pid {server.pid}, log {log_path}) healthy; {plan}")
        return asyncio.run(drive_sessions(url, server.pid, arguments, models, answers))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=8, help="concurrent browser sessions")
    parser.add_argument("--uploads", type=int, default=3, help="uploads per session")
    parser.add_argument(
        "--port", type=int, default=None, help="port for the app (default: a free one)"
    )
    parser.add_argument(
        "--url",
        default=None,
        help="drive an app that is already running at this address instead of starting one "
        "(its memory is then not measured)",
    )
    parser.add_argument(
        "--second-model-sessions",
        type=int,
        default=1,
        help="how many sessions (the last ones) switch to the second bundled model after "
        "their first upload, so that the server holds both models (0: none)",
    )
    arguments = parser.parse_args()
    if arguments.sessions < 1 or arguments.uploads < 1:
        parser.error("--sessions and --uploads must be at least 1")
    if not 0 <= arguments.second_model_sessions <= arguments.sessions:
        parser.error("--second-model-sessions must be between 0 and --sessions")
    return arguments


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # progress shows up in logs as it happens
    arguments = parse_arguments()
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        print("Chromium is not installed: apt-get install -y chromium", file=sys.stderr)
        return 2
    models = discover(config.weights_dir())
    if not models:
        print("No model in model/weights/: train one first (see README.md).", file=sys.stderr)
        return 2
    if arguments.second_model_sessions and len(models) < 2:
        print("Only one bundled model: no session switches model.", file=sys.stderr)
        arguments.second_model_sessions = 0
    used = models[:2] if arguments.second_model_sessions else models[:1]
    print(f"expected answers: classifying the samples with {', '.join(m.name for m in used)}")
    cards = card_fingerprints(used)
    answers = expected_answers(used)
    for (model_name, sample_name), answer in sorted(answers.items()):
        top = answer.probabilities[answer.label]
        print(f"  {model_name:10s} {sample_name:16s} {answer.label} {top:.1%}")

    switching = (
        f"{arguments.second_model_sessions} session(s) switch to {used[1].name}"
        if arguments.second_model_sessions
        else "no model switch"
    )
    plan = f"{arguments.sessions} sessions x {arguments.uploads} uploads; {switching}"
    started = time.perf_counter()
    if arguments.url:
        print(f"app {arguments.url}; {plan}")
        outcomes, monitor = asyncio.run(
            drive_sessions(arguments.url, None, arguments, used, answers)
        )
    else:
        outcomes, monitor = start_and_drive(arguments, plan, used, answers)
    print(f"wall time: {time.perf_counter() - started:.0f} s")
    print_report(outcomes, monitor, {o.model for o in outcomes if o.latency is not None})
    changed = [name for name, card in card_fingerprints(used).items() if cards[name] != card]
    if changed:
        print(
            f"error: the card of {', '.join(changed)} changed during the run, so the expected "
            "answers may be stale; run the load test again.",
            file=sys.stderr,
        )
    failed = changed or any(o.error or o.mix_up for o in outcomes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
