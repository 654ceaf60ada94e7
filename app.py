"""Brain MRI classifier: entry point. Run with ``streamlit run app.py``."""

import streamlit as st

from model.caveats import sidebar_line
from model.config import APP_STYLESHEET, EXPLANATION_METHODS, SHORT_INTENDED_USE
from model.overlay import COLORMAPS
from pages.common import (
    SIDEBAR_COLORMAP,
    SIDEBAR_METHOD,
    SIDEBAR_OPACITY,
    SIDEBAR_WEIGHTS,
    registered_models,
)

st.set_page_config(
    page_title="Brain MRI classifier", page_icon=":material/neurology:", layout="wide"
)

pages = [
    st.Page("pages/predict.py", title="Classify a scan", icon=":material/search:", default=True),
    st.Page("pages/own_scans.py", title="Test on your scans", icon=":material/fact_check:"),
    st.Page("pages/compare.py", title="Compare models", icon=":material/bar_chart:"),
    st.Page("pages/about.py", title="About", icon=":material/info:"),
]
# The sidebar draws its own links: Streamlit's automatic list would show the
# modules of pages/ by file name while the app starts.
navigation = st.navigation(pages, position="hidden")
st.html(APP_STYLESHEET)  # shows why the browser refused a file (see the file)

with st.sidebar:
    for page in pages:
        st.page_link(page)
    st.divider()
    models = registered_models()
    if models:
        st.selectbox(
            "Model weights",
            options=[entry.name for entry in models],
            format_func=lambda name: next(e.label for e in models if e.name == name),
            key=SIDEBAR_WEIGHTS,
            help="Every model in model/weights/. The ResNet50 is the main model; "
            "Compare models has their numbers on Kaggle and on other hospitals' scans.",
        )
        chosen = next((e for e in models if e.name == st.session_state[SIDEBAR_WEIGHTS]), None)
        figures = sidebar_line(chosen.report()) if chosen else None
        if figures:
            st.caption(figures)
    st.radio(
        "Explanation",
        options=list(EXPLANATION_METHODS),
        key=SIDEBAR_METHOD,
        horizontal=True,
        help="How the heatmap of where the model looked is computed.",
    )
    st.slider("Heatmap opacity", 0.0, 1.0, 0.45, 0.05, key=SIDEBAR_OPACITY)
    st.selectbox("Colour map", options=list(COLORMAPS), key=SIDEBAR_COLORMAP)
    st.caption(SHORT_INTENDED_USE)

navigation.run()
