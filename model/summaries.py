"""Tables and sentences of the compare and about pages, built from model cards and reports.

Pure functions on the JSON the project writes (``model.evaluate``,
``model.pointing``, ``model.train``, ``model.benchmark``), so the pages only
draw, every figure they show is read from those files, and the reshaping is
tested on its own.
"""

from math import ceil, floor, log10
from statistics import median

from model.cards import ModelCard
from model.caveats import CLEAN_KAGGLE_SPLIT, OTHER_HOSPITALS_SPLIT, headline_figures
from model.config import class_label
from model.threshold import TARGET_ACCURACY

# The test sets of a report, in the order the pages offer them; the first is the default.
SPLIT_TITLES = {
    "leak_free": "Kaggle leak-free",
    "radiopaedia_eval": "Other hospitals",
    "official": "Kaggle official",
    "external": "All Radiopaedia",
}
# The same sets inside a sentence: "on the 345 other-hospital scans".
SPLIT_IN_TEXT = {
    "leak_free": "Kaggle leak-free",
    "radiopaedia_eval": "other-hospital",
    "official": "Kaggle official",
    "external": "Radiopaedia developer",
}
SPLIT_DESCRIPTIONS = {
    "leak_free": "Kaggle test scans with no near-copy in training: the clean Kaggle number",
    "radiopaedia_eval": "Radiopaedia.org cases from other hospitals, none of them seen in "
    "training (glioma, meningioma and normal scans; no pituitary tumours)",
    "official": "the official Kaggle test folder, near-copies of training images included, "
    "so it flatters the models",
    "external": "every Radiopaedia.org developer case, those used in training included",
}
# The headline: the clean Kaggle number beside the number on other hospitals' scans.
HEADLINE_SPLITS = (CLEAN_KAGGLE_SPLIT, OTHER_HOSPITALS_SPLIT)

# A reliability bin of fewer images is too noisy to join the line: drawn apart.
MIN_BIN_IMAGES = 30

SOURCE_TITLES = {"kaggle": "Kaggle", "radiopaedia": "Radiopaedia.org"}
ARCHITECTURE_WORDS = {
    "resnet50": "a deep convolutional network of the ResNet family",
    "baseline": "a small convolutional network built for this project",
}
CLASS_PLURALS = {
    "glioma": "gliomas",
    "meningioma": "meningiomas",
    "notumor": "scans without a tumour",
    "pituitary": "pituitary tumours",
}


def percent(value: float | None, digits: int = 1) -> str:
    """0.9669 -> '96.7%'; None -> '–'."""
    return "–" if value is None else f"{value:.{digits}%}"


def headline_rows(reports: dict[str, dict], titles: dict[str, str]) -> list[dict]:
    """One row per model: its accuracy on clean Kaggle scans and on other hospitals' scans.

    The same two figures as the sidebar's (``model.caveats.headline_figures``).
    """
    rows = []
    for name, report in reports.items():
        figures = headline_figures(report)
        rows.append(
            {
                "model": titles.get(name, name),
                SPLIT_TITLES[CLEAN_KAGGLE_SPLIT]: percent(figures.kaggle_leak_free),
                SPLIT_TITLES[OTHER_HOSPITALS_SPLIT]: percent(figures.other_hospitals),
            }
        )
    return rows


def split_figures(report: dict, split: str) -> dict[str, str]:
    """A model's numbers on one test set, by row label, for the compare page's table."""
    result = report["splits"].get(split)
    if not result:
        return {}
    figures = {
        "scans": str(result["images"]),
        "accuracy": percent(result["accuracy"]),
        "macro-F1": f"{result['macro_f1']:.3f}",
    }
    if result.get("roc_auc_macro") is not None:
        figures["ROC-AUC"] = f"{result['roc_auc_macro']:.3f}"
    if result.get("tumour_sensitivity") is not None:
        figures["tumour sensitivity"] = percent(result["tumour_sensitivity"])
    if result.get("tumour_specificity") is not None:
        figures["no-tumour specificity"] = percent(result["tumour_specificity"])
    abstention = result.get("abstention")
    if abstention and abstention.get("accuracy") is not None:
        figures["answered at its threshold"] = percent(abstention["coverage"], 0)
        figures["right when it answers"] = percent(abstention["accuracy"])
    if result.get("ood_flagged") is not None:
        figures["flagged by the gate"] = percent(result["ood_flagged"])
    if report.get("ood"):
        figures["non-MRI images flagged"] = percent(report["ood"]["non_mri_flagged"])
    return figures


def transposed(columns: dict[str, dict[str, str]], label: str = "") -> list[dict]:
    """Rows of ``{label: row name, column: value…}`` from values by column then row.

    One column per model and one row per number reads across models and stays
    narrow enough for a phone. Rows keep their first-seen order; a number a
    model lacks is '–'.
    """
    names = list(dict.fromkeys(key for values in columns.values() for key in values))
    return [
        {label: name, **{column: values.get(name, "–") for column, values in columns.items()}}
        for name in names
    ]


def split_table(reports: dict[str, dict], titles: dict[str, str], split: str) -> list[dict]:
    """The numbers of one test set: a row per number, a column per model evaluated on it."""
    columns = {
        titles.get(name, name): split_figures(report, split) for name, report in reports.items()
    }
    return transposed({column: values for column, values in columns.items() if values})


def split_images(reports: dict[str, dict], split: str) -> int | None:
    """How many scans a test set holds (the same for every model evaluated on it)."""
    for report in reports.values():
        if split in report["splits"]:
            return report["splits"][split]["images"]
    return None


def speed_table(benchmark: dict, titles: dict[str, str]) -> list[dict]:
    """``model.benchmark``'s figures: a row per measurement, a column per model."""
    batch = benchmark["settings"]["batch_size"]
    columns = {}
    for name, result in benchmark["models"].items():
        figures = {
            "input": f"{result['input_size']} px",
            "load": f"{result['load_s']:.1f} s",
            "warm-up": f"{result['warm_up_s']:.1f} s",
            "prediction p50 / p95": f"{result['predict_ms']['p50']:.0f} / "
            f"{result['predict_ms']['p95']:.0f} ms",
            "with Grad-CAM p50 / p95": f"{result['predict_gradcam_ms']['p50']:.0f} / "
            f"{result['predict_gradcam_ms']['p95']:.0f} ms",
        }
        for method, milliseconds in result["methods_p50_ms"].items():
            figures[f"with {method} p50"] = f"{milliseconds / 1000:.1f} s"
        figures[f"batch of {batch}"] = f"{result['batch_images_per_s']:.0f} images/s"
        columns[titles.get(name, name)] = figures
    return transposed(columns)


def reliability_bins(reliability: dict) -> tuple[dict, dict]:
    """A reliability diagram's bins split in two: at least ``MIN_BIN_IMAGES`` images, and fewer.

    Args:
        reliability: A report's ``calibration.reliability`` block (``confidence``,
            ``accuracy`` and ``count`` lists, one entry per bin).

    Returns:
        ``(full, sparse)``, each a dict of the same three lists.
    """
    keys = ("confidence", "accuracy", "count")
    full = [count >= MIN_BIN_IMAGES for count in reliability["count"]]

    def pick(wanted: bool) -> dict:
        return {key: [v for v, f in zip(reliability[key], full) if f is wanted] for key in keys}

    return pick(True), pick(False)


LOSS_KEYS = ("loss", "val_loss")  # the curves of the loss chart


def loss_ticks(history: dict) -> list[float]:
    """Where the log-scale loss axis is labelled, each label a plain number.

    Powers of ten when the curves span two of them or more (a validation loss in
    the hundreds next to one below 1); 1, 2 and 5 times powers of ten over a
    narrower span, so that the axis always has more than one label.
    """
    values = [v for key in LOSS_KEYS for v in history.get(key, []) if v > 0]
    if not values:
        return []
    low, high = min(values), max(values)
    steps = (1,) if log10(high / low) >= 2 else (1, 2, 5)
    return [
        round(step * 10.0**power, 12)
        for power in range(floor(log10(low)), ceil(log10(high)) + 1)
        for step in steps
        if low <= step * 10.0**power <= high
    ]


def loss_note(history: dict) -> str | None:
    """What the loss chart's axis does and why, with the run's own peak."""
    losses = history.get("val_loss")
    if not losses:
        return None
    peak = max(losses)
    ticks = loss_ticks(history)
    marks = "powers of ten" if all(log10(t).is_integer() for t in ticks) else "1, 2 and 5 × 10ⁿ"
    return (
        f"Log scale, ticks at {marks}, because the first epochs' validation loss can be huge: "
        f"here {peak:.3g} in epoch {losses.index(peak) + 1}, against a median of "
        f"{median(losses):.2f}."
    )


def abstention_summary(title: str, card: ModelCard, result: dict, split: str) -> str:
    """Plain words: what a model's threshold reaches on validation and on one test set.

    Args:
        title: The model's display name.
        card: Its card (temperature, the threshold's validation figures).
        result: Its report's entry for the test set.
        split: The test set's key, e.g. ``leak_free``.
    """
    validation = card.low_confidence or {}
    tested = result.get("abstention")
    if card.temperature is None or not validation or not tested:
        return (
            f"**{title}**: not calibrated yet; run `python -m model.calibrate --weights "
            f"model/weights/{card.name}.keras`."
        )
    scans = f"{result['images']} {SPLIT_IN_TEXT.get(split, split)} scans"
    text = (
        f"**{title}** (temperature {card.temperature:.2f}): below "
        f"{tested['threshold']:.0%} confidence the app asks for expert review. On the "
        f"{(card.validation or {}).get('images', '')} validation scans it then answers "
        f"{validation['coverage']:.0%} with {validation['accuracy']:.1%} accuracy"
    )
    if tested["accuracy"] is None:
        text += f"; on the {scans} it answers none."
    else:
        text += (
            f"; on the {scans} it answers {tested['coverage']:.0%} with "
            f"{tested['accuracy']:.1%} accuracy."
        )
    target = validation.get("target", TARGET_ACCURACY)
    if validation["accuracy"] < target:
        text += (
            f" No threshold reaches {target:.0%} on validation while answering at least "
            "half of the scans, so this is the most accurate one that does."
        )
    return text


def training_images_text(card: ModelCard) -> str:
    """How many images of which source trained a model, in words."""
    data = card.data or {}
    sources = data.get("sources")
    if not sources:
        return (
            f"{data['train_images']} Kaggle images (near-copies of test images removed), "
            f"{data['validation_images']} more held back to check it while it learned"
        )
    learned = " and ".join(
        f"{counts['train']} {SOURCE_TITLES.get(name, name.capitalize())}"
        for name, counts in sources.items()
    )
    held = " and ".join(str(counts["validation"]) for counts in sources.values())
    return f"{learned} images, {held} more held back to check it while it learned"


def what_it_is(card: ModelCard, main: bool) -> str:
    """A model in one sentence a user can follow: what it is and what it sees."""
    words = ARCHITECTURE_WORDS.get(card.architecture, f"a {card.architecture} network")
    role = "the app's main model" if main else "a second model, for comparison"
    start = (
        "started from weights learned on everyday photos (ImageNet)"
        if card.initial_weights == "imagenet"
        else "learned from scratch, from random weights"
    )
    view = "a grey copy" if card.input_view == "grey" else "a copy"
    return (
        f"{words[0].upper()}{words[1:]}, {role}. It looks at {view} of one slice, "
        f"{card.input_size} × {card.input_size} pixels, and {start}."
    )


def where_it_fails(card: ModelCard, report: dict | None) -> str:
    """Where a model goes wrong, from its card's metrics and its report's per-sequence figures."""
    metrics = card.metrics or {}
    clean, other = metrics.get("leak_free"), metrics.get("radiopaedia_eval")
    if not other:
        return (
            "It has not been tested on scans from other hospitals yet: expect it to do worse there."
        )
    text = (
        f"On {other['images']} scans from other hospitals, never seen in training, it is right "
        f"{percent(other['accuracy'])} of the time"
    )
    if clean:
        text += f", against {percent(clean['accuracy'])} on clean Kaggle test scans"
    recall = other.get("recall") or {}
    if recall:
        worst = min(recall, key=recall.get)
        text += (
            f"; there it recognises only {percent(recall[worst], 0)} of the "
            f"{CLASS_PLURALS.get(worst, worst)}"
        )
    sequences = ((report or {}).get("splits", {}).get("radiopaedia_eval") or {}).get(
        "by_sequence"
    ) or {}
    if len(sequences) > 1:
        worst = min(sequences, key=lambda sequence: sequences[sequence]["accuracy"])
        text += (
            f", and it does worst on {worst} scans ({percent(sequences[worst]['accuracy'], 0)} "
            f"of {sequences[worst]['images']} right)"
        )
    return text + "."


def near_copy_share(card: ModelCard) -> float | None:
    """The share of the official Kaggle test images with a near-copy in training."""
    summary = (card.data or {}).get("dedup_summary")
    if not summary or not summary.get("test_images"):
        return None
    return summary["test_with_near_duplicate_in_train"] / summary["test_images"]


def localisation_rows(reports: dict, titles: dict[str, str]) -> list[dict]:
    """One row per model and explanation method of the reports' heatmap check."""
    rows = []
    for name, report in reports.items():
        check = report.get("localisation", {}).get("leak_free")
        if not check:
            continue
        title = titles.get(name, name)
        centre = check["centre"]
        for method, figures in check["methods"].items():
            rows.append(
                {
                    "model": title,
                    "method": method,
                    "on the tumour": percent(figures["hit_rate"]),
                    "inside the box": percent(figures["mass_inside"]),
                    "beats the centre": "yes"
                    if figures["hit_rate"] > centre["hit_rate"]
                    and figures["mass_inside"] > centre["mass_inside"]
                    else "no",
                    "scans": figures["images"],
                }
            )
        rows.append(
            {
                "model": title,
                "method": "image centre (no model)",
                "on the tumour": percent(centre["hit_rate"]),
                "inside the box": percent(centre["mass_inside"]),
                "beats the centre": "",
                "scans": centre["images"],
            }
        )
    return rows


def per_class_rows(per_class: dict[str, dict]) -> list[dict]:
    """A report's per-class metrics as table rows, classes absent from the split left out.

    Args:
        per_class: ``{class name: {"precision", "recall", "f1", "support"}}``.
    """
    return [
        {
            "class": class_label(name),
            "precision": round(values["precision"], 3),
            "recall": round(values["recall"], 3),
            "F1": round(values["f1"], 3),
            "scans": values["support"],
        }
        for name, values in per_class.items()
        if values["support"]
    ]
