"""Named constants shared by training, evaluation and the app."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The fixed class order: index i of every softmax output is CLASS_NAMES[i].
CLASS_NAMES = ("glioma", "meningioma", "notumor", "pituitary")
CLASS_LABELS = {
    "glioma": "Glioma",
    "meningioma": "Meningioma",
    "notumor": "No tumour",
    "pituitary": "Pituitary tumour",
}

# What the model sees of an image (the model card's "input_view"):
# "full": the whole image, resized;
# "head": grey, cropped to a square around the head, intensities stretched per image;
# "grey": grey, the whole image, intensities stretched per image
# (``preprocessing.grey_levels``), so a scan gives the same input as an 8-bit JPEG,
# a 16-bit PNG, a float TIFF or a DICOM.
INPUT_VIEWS = ("full", "head", "grey")
DEFAULT_VIEW = "full"  # also the view of cards written before the choice existed

# The explanation methods the app offers (model.explain.METHODS maps each to its
# implementation); named here so the sidebar can list them without TensorFlow.
EXPLANATION_METHODS = ("Grad-CAM", "Grad-CAM++", "Score-CAM", "LayerCAM")
DEFAULT_EXPLANATION_METHOD = EXPLANATION_METHODS[0]


def class_label(name: str) -> str:
    """'notumor' -> 'No tumour'; an unknown name is returned as it is."""
    return CLASS_LABELS.get(name, name)


DATA_ENV_VAR = "BRAIN_MRI_DATA"
DEFAULT_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data" / "brain-tumor-mri"
TRAIN_SPLIT = "Training"
TEST_SPLIT = "Testing"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")

WEIGHTS_DIR = PROJECT_ROOT / "model" / "weights"
# The intended use, stated once for the app and the reports.
INTENDED_USE = (
    "For education and research only. This tool is not a medical device and must not be "
    "used to diagnose, treat or triage anyone. Every result needs review by a qualified reader."
)
SHORT_INTENDED_USE = "For education and research only. Not a medical device."

# One sample scan per class, for the app's "try a sample" buttons and the checks.
SAMPLES_DIR = PROJECT_ROOT / "assets" / "samples"
# The app's few style rules (the browser's reason for refusing a file, made visible).
APP_STYLESHEET = PROJECT_ROOT / "assets" / "app.css"
WEIGHTS_ENV_VAR = "BRAIN_MRI_WEIGHTS"
CACHE_ENV_VAR = "BRAIN_MRI_CACHE"
DEFAULT_CACHE_DIR = PROJECT_ROOT / ".cache"

# Near-duplicate rule: 256-bit difference hashes within this Hamming distance.
HASH_SIZE = 16
NEAR_DUPLICATE_DISTANCE = 5

SEED = 1337


def default_data_dir() -> Path:
    """Returns the dataset folder: $BRAIN_MRI_DATA if set, else the shared copy."""
    return Path(os.environ.get(DATA_ENV_VAR, DEFAULT_DATA_DIR))


def cache_dir() -> Path:
    """Returns the folder for decoded-image and duplicate caches."""
    return Path(os.environ.get(CACHE_ENV_VAR, DEFAULT_CACHE_DIR))


def weights_dir() -> Path:
    """Returns the folder of registered models: $BRAIN_MRI_WEIGHTS if set, else model/weights/."""
    return Path(os.environ.get(WEIGHTS_ENV_VAR, WEIGHTS_DIR))
