import numpy as np
import pytest

from model import sources


def test_roles_split_the_cases(tiny_radiopaedia):
    train = sources.case_images(tiny_radiopaedia, "train")
    evaluation = sources.case_images(tiny_radiopaedia, "eval")
    assert len(train.images) == 24 and len(evaluation.images) == 12
    assert not set(train.case_groups) & set(evaluation.case_groups)
    assert not set(train.images.paths) & set(evaluation.images.paths)
    assert set(np.unique(train.images.labels)) == {0, 1, 2}


def write_manifest(folder, rows):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize(
    ("rows", "error", "message"),
    [
        (
            ["file,class,case_group,role", "glioma/missing.png,glioma,a,train"],
            FileNotFoundError,
            "which is not in",
        ),
        (["file,class,role", "x.png,glioma,train"], ValueError, "case_group"),
        (["file,class,case_group,role", "x.png,tumour,a,train"], ValueError, "unknown class"),
        (["file,class,case_group,role", "x.png,glioma,a,test"], ValueError, "role must be"),
    ],
)
def test_a_bad_manifest_gives_a_clear_error(tmp_path, rows, error, message):
    write_manifest(tmp_path / "set", rows)
    with pytest.raises(error, match=message):
        sources.read_manifest(tmp_path / "set")


def test_a_folder_without_manifest_says_what_it_needs(tmp_path):
    with pytest.raises(FileNotFoundError, match="manifest.csv"):
        sources.case_images(tmp_path, "train")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kaggle", ("kaggle",)),
        ("kaggle,radiopaedia", ("kaggle", "radiopaedia")),
        (" kaggle , radiopaedia ", ("kaggle", "radiopaedia")),
    ],
)
def test_sources_parse(text, expected):
    assert sources.parse_sources(text) == expected


@pytest.mark.parametrize("text", ["", "radiopaedia", "kaggle,brats", ","])
def test_bad_sources_are_refused(text):
    with pytest.raises(ValueError, match="--sources"):
        sources.parse_sources(text)
