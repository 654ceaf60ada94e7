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

### What the models were trained on
Two sources of single 2-D slices:

- the Kaggle *Brain Tumor MRI Dataset* (masoudnickparvar, CC0), assembled from
  figshare (Cheng et al. 2015), SARTAJ and Br35H, labelled glioma, meningioma,
  pituitary tumour or no tumour;
- cases from **Radiopaedia.org** (glioma, meningioma and normal scans from many
  hospitals and sequences; CC BY-NC-SA 3.0). Only the cases marked for training
  are used; other cases are kept apart and measure how the models do on scans
  from other hospitals. **Because of this source, the bundled weights are for
  non-commercial use only.** Thanks to Radiopaedia.org and its contributors.

**Leakage caveat.** About a third of the official Kaggle *Testing* images are
copies or near-copies of *Training* images (mostly "no tumour" and meningioma), so
accuracy on that folder partly measures memory. This project finds the copies with
its own code (`python -m model.dedup`), keeps one image per group of near-copies
for training, and reports every number also on the **leak-free subset**, the
Testing images with no near-copy in Training: that is the clean Kaggle number.
""")

st.markdown("### The bundled models")
models = registered_models()
if not models:
    st.info("No trained model is bundled yet.")
SPLIT_WORDS = {
    "leak_free": "Kaggle test scans with no copy in training",
    "radiopaedia_eval": "Radiopaedia cases from other hospitals it never saw",
    "official": "the official Kaggle test folder (with near-copies of training scans)",
}
for entry in models:
    card = entry.card
    metrics = card.metrics or {}
    numbers = "; ".join(
        f"{metrics[split]['accuracy']:.1%} on {words}"
        for split, words in SPLIT_WORDS.items()
        if split in metrics
    )
    st.markdown(
        f"**{entry.title}**: {card.architecture} at {card.input_size} px, "
        f"trained by the project's own command (`python -m model.train --arch "
        f"{card.architecture}`, {card.epochs_run} epochs in all). "
        f"{card.recipe or ''}. Right {numbers or 'not evaluated yet'}. "
        f"{card.licence or ''}"
    )

st.markdown("""
### Limitations
- **Other hospitals' scans.** Models lose accuracy on scans from sources they
  were not trained on: compare the Kaggle and the Radiopaedia numbers above. A
  confident answer on your own scan is not evidence that it is right; the page
  "Compare models" has the full figures. One reason, measured here
  (`python -m model.shortcut_probe`): on the Kaggle images a classifier that sees
  only brightness, framing and colour, nothing of the anatomy, already does well,
  because each class comes mostly from one source. Training on a second source
  and on varied contrast, brightness and blur counters that, but not fully.
- **Images that are not brain MRI slices.** Each model has a gate that notices
  when an image is unlike every training scan (a CT, an X-ray, a photo, a
  screenshot); the app then names no class. The gate is not perfect.
- **Four classes only.** Any other finding (stroke, other tumours, artefacts) is
  forced into one of the four classes.
- **One slice, no context.** The model sees one 2-D slice, without the other
  slices, sequences, or the patient's history.
- **Heatmaps are approximate.** Grad-CAM shows which regions raised the class
  score at a coarse resolution; it is not a segmentation of the lesion.
""")
