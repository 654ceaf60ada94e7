"""The same scan gives the same answer whatever file format it arrives in (issue 16).

Five leak-free Kaggle test scans per class (the bundled samples when the data
set is not there) are saved again as an 8-bit PNG, a 16-bit PNG, a 16-bit TIFF,
a float TIFF whose background is NaN (a skull-stripped export), a 12-bit DICOM
without a display window and a 12-bit DICOM whose window covers the full range.
Every copy must get the class of the original JPEG, its top probability within
``MAX_PROBABILITY_CHANGE``, and the same verdict of the out-of-distribution gate.
"""

import io

import numpy as np
import pytest
from PIL import Image

from model import config
from model.inference import Classifier
from model.inputs import decode_upload
from tests.conftest import SAMPLES_DIR, SHIPPED_MODELS, needs_shipped_models
from tests.fixtures_hostile import dicom_bytes

MAX_PROBABILITY_CHANGE = 0.03
PER_CLASS = 5
# Copies whose top probability a shipped model moves by more than the tolerance,
# with the reason: recorded visibly, checked both ways (an entry that no longer
# misses fails the test until it is removed), never by widening the tolerance.
KNOWN_SHIFTS: dict[tuple[str, str, str], str] = {}


def scan_id(path) -> str:
    return f"{path.parent.name}-{path.stem}"


def scans() -> list:
    """5 leak-free Testing scans per class, or the bundled samples without the data set."""
    data = config.default_data_dir()
    if not (data / config.TEST_SPLIT).is_dir():
        return sorted(SAMPLES_DIR.glob("*.jpg"))
    from model.dedup import find_duplicates

    leak_free = find_duplicates(data).leak_free_test
    chosen = []
    for name in config.CLASS_NAMES:
        of_class = [path for path in leak_free if path.startswith(f"{name}/")]
        chosen += [data / config.TEST_SPLIT / path for path in of_class[:PER_CLASS]]
    return chosen


SCANS = scans()


def grey_levels(path) -> np.ndarray:
    """float64 (height, width) grey levels of a sample JPEG, 0-255."""
    with Image.open(path) as image:
        return np.asarray(image.convert("L"), dtype=np.float64)


def saved(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def copies(path) -> dict[str, bytes]:
    """The sample in five other formats, each a linear copy of its grey levels."""
    grey = grey_levels(path)
    twelve_bit = np.round(grey * 4095 / 255).astype(np.uint16)
    floating = (grey / 255).astype(np.float32)
    floating[grey == 0] = np.nan  # the background of a skull-stripped export
    return {
        "8-bit PNG": saved(Image.fromarray(grey.astype(np.uint8)), "PNG"),
        "16-bit PNG": saved(Image.fromarray(np.round(grey * 257).astype(np.uint16)), "PNG"),
        "16-bit TIFF": saved(Image.fromarray(twelve_bit * 16), "TIFF"),
        "float TIFF with NaN background": saved(Image.fromarray(floating, "F"), "TIFF"),
        "12-bit DICOM without a window": dicom_bytes(twelve_bit, BitsStored=12, HighBit=11),
        "DICOM with a full-range window": dicom_bytes(
            twelve_bit, WindowCenter=2048, WindowWidth=4096
        ),
    }


@pytest.fixture(scope="module", params=SHIPPED_MODELS, ids=lambda entry: entry.name)
def classifier(request) -> Classifier:
    return Classifier(request.param)


@needs_shipped_models
@pytest.mark.parametrize("scan", SCANS, ids=scan_id)
def test_every_format_of_a_scan_gets_the_same_answer(classifier, scan):
    original = classifier.analyse(decode_upload(scan.read_bytes()).rgb)
    top = original.predicted
    known = []
    for name, data in copies(scan).items():
        analysis = classifier.analyse(decode_upload(data).rgb)
        assert analysis.predicted == top, name
        assert analysis.out_of_distribution == original.out_of_distribution, name
        change = abs(float(analysis.probabilities[top] - original.probabilities[top]))
        reason = KNOWN_SHIFTS.get((classifier.entry.name, scan_id(scan), name))
        if reason:
            assert change >= MAX_PROBABILITY_CHANGE, f"{name} is within tolerance: remove it"
            known.append(reason)
            continue
        assert change < MAX_PROBABILITY_CHANGE, f"{name}: top probability moved {change:.3f}"
    if known:
        pytest.xfail("; ".join(known))
