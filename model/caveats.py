"""What a model's reports say about how far to trust one answer, in plain words."""

from dataclasses import dataclass

OTHER_HOSPITALS_SPLIT = "radiopaedia_eval"
CLEAN_KAGGLE_SPLIT = "leak_free"


@dataclass(frozen=True)
class HeadlineFigures:
    """A model's two headline accuracies (None when its report lacks the split)."""

    kaggle_leak_free: float | None
    other_hospitals: float | None
    other_hospitals_sensitivity: float | None


def headline_figures(report: dict | None) -> HeadlineFigures:
    """The clean Kaggle and other-hospital accuracies of a model's report."""
    splits = (report or {}).get("splits", {})
    clean = splits.get(CLEAN_KAGGLE_SPLIT) or {}
    other = splits.get(OTHER_HOSPITALS_SPLIT) or {}
    return HeadlineFigures(
        clean.get("accuracy"), other.get("accuracy"), other.get("tumour_sensitivity")
    )


def other_hospitals_caveat(report: dict | None) -> str | None:
    """The one line that goes under every answer: how the model fares on other hospitals' scans.

    Returns:
        A sentence, or None when the report has no other-hospital figures.
    """
    figures = headline_figures(report)
    if figures.other_hospitals is None or figures.other_hospitals_sensitivity is None:
        return None
    return (
        f"On scans from other hospitals that it never saw, this model is right "
        f"{figures.other_hospitals:.0%} of the time and finds "
        f"{figures.other_hospitals_sensitivity:.0%} of tumours: an answer can still be wrong."
    )


def sidebar_line(report: dict | None) -> str | None:
    """The model's clean Kaggle and other-hospital accuracies side by side, for the sidebar."""
    figures = headline_figures(report)
    if figures.kaggle_leak_free is None or figures.other_hospitals is None:
        return None
    return (
        f"Right on {figures.kaggle_leak_free:.1%} of clean Kaggle test scans and "
        f"{figures.other_hospitals:.1%} of other hospitals' scans."
    )
