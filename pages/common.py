"""Streamlit glue shared by the pages: cached loaders and sidebar state.

Domain work happens in ``model/``; this module only caches its results.
"""

import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from model import config, registry
from model.cards import history_path, read_json

if TYPE_CHECKING:  # TensorFlow loads with the first model, not with the sidebar
    from model.analysis import ScanResult
    from model.inference import Classifier

BENCHMARK_FILE = "benchmark.json"

SIDEBAR_WEIGHTS = "sidebar_weights"
SIDEBAR_METHOD = "sidebar_method"
SIDEBAR_OPACITY = "sidebar_opacity"
SIDEBAR_COLORMAP = "sidebar_colormap"


def plain(text: str) -> str:
    """Escapes Markdown so that a file name is shown as typed, never as links or images."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", text)


def registered_models() -> list[registry.ModelEntry]:
    """The models in model/weights/ (or $BRAIN_MRI_WEIGHTS), main model first."""
    return _discover(str(config.weights_dir()))


@st.cache_data(ttl=60, show_spinner=False)
def _discover(folder: str) -> list[registry.ModelEntry]:
    return registry.discover(Path(folder))


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def load_classifier(weights_path: str) -> "Classifier":
    """Loads one model per process (checked against its card) and warms it up."""
    from model.inference import Classifier

    entry = next(
        e for e in registry.discover(Path(weights_path).parent) if e.weights == Path(weights_path)
    )
    classifier = Classifier(entry)
    classifier.warm_up()
    return classifier


def _load_quietly(weights_path: str) -> None:
    """``load_classifier`` for the preloading thread; the page reports any error itself."""
    try:
        load_classifier(weights_path)
    except Exception:  # noqa: BLE001 - the page's own call shows the error in plain words
        pass


@st.cache_resource(show_spinner=False)
def preload(weights_path: str) -> threading.Thread:
    """Starts loading a model in a thread, once per model and server process.

    The page draws first, then TensorFlow and the model load while the user
    picks a scan. A page that needs the model meanwhile waits for this load
    (Streamlit computes a cached resource once) instead of starting another.
    """
    thread = threading.Thread(
        target=_load_quietly, args=(weights_path,), name="preload-model", daemon=True
    )
    thread.start()
    return thread


def selected_entry() -> registry.ModelEntry | None:
    """The model chosen in the sidebar (the main model by default)."""
    models = registered_models()
    if not models:
        return None
    chosen = st.session_state.get(SIDEBAR_WEIGHTS, models[0].name)
    return next((e for e in models if e.name == chosen), models[0])


def selected_classifier() -> "Classifier":
    """Loads the sidebar's model, or shows why not and stops the page."""
    entry = selected_entry()
    if entry is None:
        st.error(
            "No trained model was found in model/weights/. Train one with "
            "`python -m model.train --arch baseline`."
        )
        st.stop()
    try:
        return load_classifier(str(entry.weights))
    except registry.WeightsError as error:
        st.error(str(error))
        st.stop()


@st.cache_data(max_entries=64, show_spinner=False)
def analyse_upload(
    sha256: str, weights_path: str, method: str, target: int | None, _data: bytes
) -> "ScanResult":
    """``model.analysis.analyse_bytes``, cached per sha256 of the bytes and model.

    Args:
        sha256: Hash of ``_data``, the cache key of the bytes.
        weights_path: The model's ``.keras`` file.
        method: An explanation method of ``model.explain.METHODS``.
        target: Class index to explain; the predicted class when None.

    Raises:
        model.inputs.InputError: For a file that cannot be used (not cached).
    """
    from model.analysis import analyse_bytes

    return analyse_bytes(load_classifier(weights_path), _data, method, target)


@st.cache_data(show_spinner=False)
def read_report(weights_path: str, modified: float) -> dict | None:
    """The committed evaluation report of a model (re-read when the file changes)."""
    entry = next(e for e in registered_models() if str(e.weights) == weights_path)
    return entry.report()


@st.cache_data(show_spinner=False)
def read_history(weights_path: str, modified: float) -> dict | None:
    """The training history of a model, or None when it has none."""
    path = history_path(Path(weights_path))
    return read_json(path) if path.exists() else None


def read_benchmark() -> dict | None:
    """The committed speed measurements (``python -m model.benchmark``), or None."""
    return _read_benchmark(str(config.weights_dir()))


@st.cache_data(show_spinner=False, ttl=60)
def _read_benchmark(folder: str) -> dict | None:
    path = Path(folder) / BENCHMARK_FILE  # the folder is the cache key
    return read_json(path) if path.exists() else None
