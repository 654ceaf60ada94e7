import pytest

from model.caveats import headline_figures, other_hospitals_caveat, sidebar_line

REPORT = {
    "splits": {
        "leak_free": {"accuracy": 0.967},
        "radiopaedia_eval": {"accuracy": 0.733, "tumour_sensitivity": 0.817},
    }
}


def test_the_caveat_reads_the_other_hospital_figures():
    line = other_hospitals_caveat(REPORT)
    assert "right 73% of the time" in line and "finds 82% of tumours" in line


def test_the_sidebar_line_puts_both_accuracies_side_by_side():
    assert sidebar_line(REPORT) == (
        "Right on 96.7% of clean Kaggle test scans and 73.3% of other hospitals' scans."
    )


@pytest.mark.parametrize(
    "report",
    [None, {}, {"splits": {}}, {"splits": {"leak_free": {"accuracy": 0.9}}}],
)
def test_without_other_hospital_figures_nothing_is_claimed(report):
    assert other_hospitals_caveat(report) is None
    assert sidebar_line(report) is None
    assert headline_figures(report).other_hospitals is None
