"""Tables and sentences of the compare page, built from model cards and reports.

Pure functions on the JSON the project writes (``model.evaluate``,
``model.pointing``, ``model.train``), so the page only draws and the reshaping
is tested on its own.
"""

from model.cards import ModelCard

SPLIT_WORDS = (("leak_free", "Kaggle leak-free"), ("radiopaedia_eval", "other hospitals"))


def gate_figures(report: dict) -> dict[str, str]:
    """What the out-of-distribution gate flags, per set, for the headline table."""
    figures = {}
    ood = report.get("ood")
    if ood:
        figures["Gate: non-MRI images flagged"] = f"{ood['non_mri_flagged']:.1%}"
    for split, words in SPLIT_WORDS:
        flagged = report["splits"].get(split, {}).get("ood_flagged")
        if flagged is not None:
            figures[f"Gate: {words} scans flagged"] = f"{flagged:.1%}"
    return figures


def training_images_text(card: ModelCard) -> str:
    """How many images of which source trained and validated a model, in words."""
    data = card.data or {}
    sources = data.get("sources")
    if not sources:
        return (
            f"{data['train_images']} Kaggle images after removing near-copies of test "
            f"images; {data['validation_images']} for validation"
        )
    return "; ".join(
        f"{counts['train']} {name.capitalize()} images for training, "
        f"{counts['validation']} for validation"
        for name, counts in sources.items()
    )


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
                    "points at the tumour": f"{figures['hit_rate']:.1%}",
                    "heatmap inside the box": f"{figures['mass_inside']:.1%}",
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
                "points at the tumour": f"{centre['hit_rate']:.1%}",
                "heatmap inside the box": f"{centre['mass_inside']:.1%}",
                "beats the centre": "",
                "scans": centre["images"],
            }
        )
    return rows
