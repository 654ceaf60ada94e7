"""About: intended use, data, how the bundled weights were made, limitations."""

import streamlit as st

from pages.common import registered_models

st.title("About this tool")

st.markdown("""
### Intended use
This app is for **education and research**: to see what a convolutional network
trained on a public dataset does with a brain MRI slice, and where it looks.
It is **not a medical device** and must not be used to diagnose, treat or triage
anyone. Every result needs a qualified reader. When the model's top probability
is below the threshold in its card, the app names no class and says the scan needs
expert review. The PDF report of each scan carries the same statement.

### What the model was trained on
The Kaggle *Brain Tumor MRI Dataset* (masoudnickparvar, CC0), assembled from
figshare (Cheng et al. 2015), SARTAJ and Br35H: single 2-D slices labelled glioma,
meningioma, pituitary tumour or no tumour.

**Leakage caveat.** About a third of the official *Testing* images are copies or
near-copies of *Training* images (mostly "no tumour" and meningioma). Accuracy on
that folder partly measures memory. This project finds the copies with its own
code (`python -m model.dedup`): training drops every image that has a near-copy in
Testing and keeps one image per group of near-copies, and every number is also
reported on the **leak-free subset**, the Testing images with no near-copy in
Training.
""")

st.markdown("### The bundled models")
models = registered_models()
if not models:
    st.info("No trained model is bundled yet.")
for entry in models:
    card = entry.card
    metrics = card.get("metrics", {})
    numbers = ", ".join(
        f"{split.replace('_', '-')} {values['accuracy']:.1%}" for split, values in metrics.items()
    )
    st.markdown(
        f"**{entry.label.split(' · ')[0]}**: {card['architecture']} at {card['input_size']} px, "
        f"{card.get('initial_weights_note', '')}; trained with `python -m model.train "
        f"--arch {card['architecture']}` for {card.get('epochs_run')} epochs "
        f"({card.get('wall_time_seconds', 0) / 60:.0f} min on {card['machine']['cores']} CPU "
        f"cores). Accuracy: {numbers or 'not evaluated'}."
    )

st.markdown("""
### Limitations
- **Other hospitals' scans.** Models trained on this dataset, ours included, lose
  most of their accuracy on scans from other sources (measured at about 26-36 % on
  an external Radiopaedia set, where most tumours were called "no tumour").
  A confident answer on your own scan is not evidence that it is right. One
  reason, measured here (`python -m model.shortcut_probe`): on the Kaggle images,
  a classifier that sees only brightness, framing and colour, nothing of the
  anatomy, already reaches 92 % accuracy, because each class comes mostly from
  one source. A network can learn the source instead of the tumour.
- **Four classes only.** Any other finding (stroke, other tumours, artefacts) is
  forced into one of the four classes.
- **One slice, no context.** The model sees one 2-D slice, without the other
  slices, sequences, or the patient's history.
- **Heatmaps are approximate.** Grad-CAM shows which regions raised the class
  score at a coarse resolution; it is not a segmentation of the lesion.
""")
