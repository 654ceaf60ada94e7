"""About: what the tool is for, what its models are, what to do with an answer, limitations.

Every figure on this page is read from the model cards and reports (through
``model.summaries``); none is typed here.
"""

import streamlit as st

from model import summaries
from model.cards import report_path
from model.decision import EXPERT_REVIEW
from pages.common import read_report, registered_models

st.title("About this tool")

st.markdown("""
### What it is for
This app is for **education and research**: to see what a neural network trained
on public brain MRI scans makes of one slice, and where in the image it looked.
It is **not a medical device** and must not be used to diagnose, treat or triage
anyone. Every answer needs a qualified reader.
""")

models = registered_models()
st.markdown("### The models")
if not models:
    st.info("No trained model is bundled yet.")
for entry in models:
    card = entry.card
    path = report_path(entry.weights)
    report = read_report(str(entry.weights), path.stat().st_mtime) if path.exists() else None
    st.markdown(
        f"**{entry.title}.** {summaries.what_it_is(card, main=entry is models[0])}\n\n"
        f"- **Trained on** {summaries.training_images_text(card)}.\n"
        f"- **Where it fails:** {summaries.where_it_fails(card, report)}"
    )

st.markdown("""
### What they were trained on
Single slices of brain MRI, each labelled glioma, meningioma, pituitary tumour or
no tumour, from these sources:

- the Kaggle *Brain Tumor MRI Dataset* (by Masoud Nickparvar, public domain),
  assembled from several public collections;
- cases from **Radiopaedia.org**: glioma, meningioma and normal scans from many
  hospitals, scanners and sequences. Only the cases set aside for training are
  used; the others are kept apart to measure how the models do on scans from
  hospitals they never saw. Thanks to Radiopaedia.org and its contributors.
""")
licences = list(dict.fromkeys(entry.card.licence for entry in models if entry.card.licence))
if licences:
    st.markdown("**What this means for using the weights.** " + " ".join(licences))
share = next(
    (s for s in (summaries.near_copy_share(entry.card) for entry in models) if s is not None),
    None,
)
if share is not None:
    st.markdown(
        f"**A warning about the Kaggle test folder.** {share:.0%} of its images are copies "
        "or near-copies of training images, so accuracy on that folder partly measures "
        "memory. Every number in this app is also given on the **leak-free** test scans, "
        "those with no near-copy in training: the clean Kaggle number."
    )

st.markdown("### What to do with the answer")
answers = [
    "**Treat it as a second look for learning, never as a diagnosis.** The scan must be "
    "read by a radiologist, with the patient's other slices, sequences and history.",
    f"**“{EXPERT_REVIEW}”** means the model was not sure enough to name a class, or the "
    "image does not look like the scans it was trained on. Do not read a class into the "
    "probabilities; the scan needs a qualified reader.",
]
for entry in models:
    threshold = entry.card.low_confidence_threshold
    other = (entry.card.metrics or {}).get("radiopaedia_eval")
    if threshold is not None and other:
        answers.append(
            f"**When {entry.title} names a class**, its confidence was at least "
            f"{threshold:.0%}. Even so, on scans from other hospitals it is right only "
            f"{summaries.percent(other['accuracy'])} of the time: expect that, not the Kaggle "
            "number, on scans from your own hospital."
        )
answers += [
    "**Look at the heatmap.** If the hot area is outside the brain, on the skull, on a "
    "label or on the image border, the answer rests on the wrong thing: distrust it.",
    "**Ask every model** (the switch “Compare every model on this scan”): when they "
    "disagree, the scan is hard for them.",
    "**Check the models on scans you know** with the page “Test on your scans” before "
    "you trust them on your hospital's images.",
]
st.markdown("\n".join(f"- {answer}" for answer in answers))

st.markdown("""
### Limitations
- **Other hospitals' scans.** The models lose accuracy on scans from places they
  were not trained on (see their numbers above and the page "Compare models").
  One reason: on the Kaggle images, each class comes mostly from one collection,
  so brightness, framing and contrast alone already give the class away. Training
  on a second source and on varied contrast, brightness and blur counters that,
  but not fully.
- **Images that are not brain MRI slices.** Each model has a gate that notices
  when an image is unlike every training scan (a CT, an X-ray, a photo, a
  screenshot); the app then names no class. The gate is not perfect.
- **These classes only.** Any other finding (stroke, other tumours, artefacts) is
  forced into one of glioma, meningioma, pituitary tumour or no tumour.
- **One slice, no context.** The model sees one slice, without the other
  slices, sequences, or the patient's history.
- **Heatmaps are approximate.** They show which regions raised the class score,
  at a coarse resolution; they are not an outline of the lesion.

### How the models were made
Training commands, settings, data checks and every run: the project's README and
`docs/training.md`; each model's card in `model/weights/` records its own.
""")
