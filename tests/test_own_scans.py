import io
import stat
import zipfile

import numpy as np
import pytest

from model import evaluate, own_scans
from model.cards import card_path, read_json, report_path, write_json
from model.inference import Classifier
from model.own_scans import Limits, OwnScansError, read_files_with_csv, read_zip
from model.registry import entry_for
from tests.conftest import SAMPLES_DIR, copy_model_files

JPEG = (SAMPLES_DIR / "glioma.jpg").read_bytes()


def zipped(entries: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("entries", "counts", "skipped", "unknown"),
    [
        ({"glioma/a.jpg": JPEG, "Meningioma/b.jpg": JPEG}, {"glioma": 1, "meningioma": 1}, 0, []),
        ({"scans/No_Tumor/a.jpg": JPEG, "scans/normal/b.jpg": JPEG}, {"notumor": 2}, 0, []),
        ({"pituitary tumour/a.jpg": JPEG, "Pituitary-Tumor/b.jpg": JPEG}, {"pituitary": 2}, 0, []),
        ({"glioma/a.jpg": JPEG, "stroke/b.jpg": JPEG}, {"glioma": 1}, 1, ["stroke"]),
        ({"glioma/a.jpg": JPEG, "loose.jpg": JPEG}, {"glioma": 1}, 1, ["(top level)"]),
        ({"glioma/a.jpg": JPEG, "__MACOSX/glioma/._a.jpg": b"x", "glioma/.DS_Store": b"x"},
         {"glioma": 1}, 0, []),
    ],
)  # fmt: skip
def test_valid_archives_are_read_by_class_folder(entries, counts, skipped, unknown):
    found = read_zip(zipped(entries))
    assert {k: v for k, v in found.counts().items() if v} == counts
    assert len(found.skipped) == skipped
    assert found.unknown_folders == unknown


def bomb() -> bytes:
    return zipped({"glioma/a.jpg": b"\0" * 5_000_000})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip at all", "not a ZIP archive"),
        (zipped({"../glioma/a.jpg": JPEG}), "points outside the archive"),
        (zipped({"/etc/glioma/a.jpg": JPEG}), "points outside the archive"),
        (zipped({"glioma/a.jpg": JPEG}, links=("glioma/link.jpg",)), "symbolic link"),
        (zipped({"glioma/inner.zip": zipped({"glioma/a.jpg": JPEG})}), "another archive"),
        (bomb(), "ZIP bomb"),
        (zipped({f"glioma/{i}.jpg": JPEG for i in range(4)}), "at most 3"),
    ],
)
def test_hostile_archives_are_refused_with_a_reason(data, message):
    with pytest.raises(OwnScansError, match=message):
        read_zip(data, Limits(max_images=3))


def test_a_zip_over_the_size_limit_is_refused():
    with pytest.raises(OwnScansError, match="expands to more than"):
        read_zip(zipped({"glioma/a.jpg": JPEG}), Limits(max_total_bytes=1000))


@pytest.mark.parametrize(
    ("table", "counts", "skipped"),
    [
        (b"file,class\na.jpg,glioma\nb.jpg,No tumour\n", {"glioma": 1, "notumor": 1}, 0),
        (b"File,Class\na.jpg,glioma\n", {"glioma": 1}, 1),  # b.jpg is not listed
        (b"file,class\na.jpg,glioma\nb.jpg,stroke\nc.jpg,glioma\n", {"glioma": 1}, 2),
    ],
)
def test_files_with_a_csv(table, counts, skipped):
    found = read_files_with_csv([("a.jpg", JPEG), ("b.jpg", JPEG)], table)
    assert {k: v for k, v in found.counts().items() if v} == counts
    assert len(found.skipped) == skipped


@pytest.mark.parametrize(
    ("table", "message"),
    [(b"name,label\na.jpg,glioma\n", "'file' and 'class'"), (b"\xff\xfe\x00bad", "UTF-8")],
)
def test_a_bad_csv_is_refused(table, message):
    with pytest.raises(OwnScansError, match=message):
        read_files_with_csv([("a.jpg", JPEG)], table)


def test_the_page_and_the_evaluation_command_give_identical_numbers(
    tiny_training_run, tiny_dataset, tmp_path
):
    weights = copy_model_files(tiny_training_run, tmp_path / "model")
    folder = tiny_dataset / "Testing"
    report = evaluate.evaluate(weights, folder, split="mine")
    entry = entry_for(weights)
    result = own_scans.score(Classifier(entry), own_scans.read_folder(folder))
    expected = report["splits"]["mine"]
    assert result.metrics["accuracy"] == pytest.approx(expected["accuracy"])
    assert result.metrics["confusion_matrix"] == expected["confusion_matrix"]
    np.testing.assert_allclose(
        [row.probabilities for row in result.rows], expected["probabilities"], atol=1e-4
    )
    assert report_path(weights).is_file()


def test_the_csv_has_a_row_per_scan(tiny_training_run, tiny_dataset, tmp_path):
    weights = copy_model_files(tiny_training_run, tmp_path / "model")
    entry = entry_for(weights)
    scans = own_scans.read_folder(tiny_dataset / "Testing")
    scans.add("broken.jpg", 0, b"not an image")
    result = own_scans.score(Classifier(entry), scans)
    lines = own_scans.rows_csv(result, entry.card.classes).decode().splitlines()
    assert len(lines) == 1 + len(scans.names)
    assert result.unreadable == 1 and "not an image" in lines[-1]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"ood_gate": {"threshold": 0.0}}, "flagged"),  # every score passes a gate at 0
        ({"ood_gate": None, "low_confidence_threshold": 0.0}, "answered"),
        ({"ood_gate": None, "low_confidence_threshold": 1.0}, "abstained"),
        # The gate outranks the threshold: a scan unlike the training ones is never answered.
        ({"ood_gate": {"threshold": 0.0}, "low_confidence_threshold": 0.0}, "flagged"),
    ],
)
def test_the_counts_follow_the_decision_of_each_scan(
    changes, expected, tiny_training_run, tiny_dataset, tmp_path
):
    weights = copy_model_files(tiny_training_run, tmp_path / "model")
    card = read_json(card_path(weights))
    for key, value in changes.items():
        card[key] = {**card[key], **value} if isinstance(value, dict) else value
    write_json(card_path(weights), card)
    scans = own_scans.read_folder(tiny_dataset / "Testing")
    result = own_scans.score(Classifier(entry_for(weights)), scans)
    counts = {name: getattr(result, name) for name in ("answered", "abstained", "flagged")}
    assert counts == {name: len(scans.names) if name == expected else 0 for name in counts}
    stated = [row.decision.stated for row in result.rows]
    assert (None not in stated) == (expected == "answered")
