"""A one-page PDF report per scan, and a ZIP of the reports of a batch.

The report holds what is needed to read a result later without the app: the
scan, the heatmap overlay, the calibrated probabilities, the decision or the
abstention, the model and its weights sha256, the date and the intended use.
It is drawn with fpdf2's built-in Helvetica, so no font file is needed; text
outside the Windows-1252 character set (for example a file name in another
script) is printed with ``?`` in place of the characters the font lacks.
"""

from __future__ import annotations  # ScanResult is only imported for type checking

import io
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

from model.cards import ModelCard
from model.config import CLASS_LABELS, INTENDED_USE, class_label
from model.decision import EXPERT_REVIEW, UNLIKE_TRAINING, UNSURE, Decision
from model.formatting import probability_text
from model.overlay import DEFAULT_COLORMAP, legend

if TYPE_CHECKING:  # importing the analysis path would load TensorFlow
    from model.analysis import ScanResult

# The intended use, stated once for the reports and the app.
DISCLAIMER = INTENDED_USE  # printed on every report

CSV_NAME = "brain-mri-results.csv"
REPORT_SUFFIX = "-report.pdf"

# Page geometry in millimetres (A4 portrait).
PAGE_WIDTH = 210
MARGIN = 15
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN  # 180 mm
IMAGE_GAP = 6
IMAGE_BOX_WIDTH = (CONTENT_WIDTH - IMAGE_GAP) / 2  # 87 mm per image
IMAGE_BOX_HEIGHT = 80
LINE_HEIGHT = 5.5

FONT = "Helvetica"
MONOSPACE_FONT = "Courier"
TEXT_ENCODING = "cp1252"  # what fpdf2's built-in fonts can print

# Bounds that keep every report on one page, whatever the input.
MAX_FILE_NAME_CHARS = 160  # at most two lines at 10 pt
MAX_NOTE_CHARS = 320  # at most three lines at 9 pt
MAX_ARCHIVE_STEM_CHARS = 80


def printable(text: str, max_chars: int | None = None) -> str:
    """Makes text safe for the PDF's built-in font, optionally shortened in the middle.

    Args:
        text: Any text, e.g. an uploaded file's name.
        max_chars: Longest result; longer text keeps its start and end around ``…``.

    Returns:
        Text with control characters replaced by spaces and characters the font
        lacks replaced by ``?``.
    """
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    if max_chars is not None and len(text) > max_chars:
        head = (max_chars - 1) // 2
        tail = max_chars - 1 - head
        text = f"{text[:head]}…{text[-tail:]}"
    return text.encode(TEXT_ENCODING, "replace").decode(TEXT_ENCODING)


def percent(value: float) -> str:
    """0.9312 -> '93.1 %' (a measured rate, e.g. precision or recall)."""
    return f"{100 * float(value):.1f} %"


def probability(value: float) -> str:
    """0.9312 -> '93.1 %'; never '100.0 %' or '0.0 %' (``model.formatting``)."""
    return probability_text(value, unit=" %")


def decision_text(decision: Decision, class_names: Sequence[str], threshold: float) -> str:
    """The report's headline: the class, or why the scan needs expert review.

    Args:
        decision: What the app states about the scan (``ScanResult.decision``).
        class_names: The model's class names.
        threshold: The card's low-confidence threshold.

    Returns:
        ``"Glioma · 93.1 %"`` or a ``"Needs expert review: ..."`` sentence that names no class.
    """
    top = probability(decision.probability)
    if decision.reason == UNLIKE_TRAINING:
        return f"{EXPERT_REVIEW}: the image does not look like the scans the model knows"
    if decision.reason == UNSURE:
        return (
            f"{EXPERT_REVIEW}: the model is unsure (top probability {top} "
            f"below threshold {percent(threshold)})"
        )
    return f"{class_label(class_names[decision.top])} · {top}"


def _fitted_size(image: np.ndarray) -> tuple[float, float]:
    """Width and height in mm of an (H, W, 3) image scaled into the image box."""
    height, width = image.shape[:2]
    scale = min(IMAGE_BOX_WIDTH / width, IMAGE_BOX_HEIGHT / height)
    return width * scale, height * scale


def _draw_images(
    pdf: FPDF, scan: np.ndarray, heatmap_overlay: np.ndarray, caption: str, colormap: str
) -> None:
    """Draws the scan and its overlay side by side, with captions and the colour scale."""
    top = pdf.get_y()
    for column, (image, text) in enumerate(((scan, "Scan"), (heatmap_overlay, caption))):
        width, height = _fitted_size(image)
        box_left = MARGIN + column * (IMAGE_BOX_WIDTH + IMAGE_GAP)
        pdf.image(
            Image.fromarray(image),
            x=box_left + (IMAGE_BOX_WIDTH - width) / 2,
            y=top + (IMAGE_BOX_HEIGHT - height) / 2,
            w=width,
            h=height,
        )
        pdf.set_xy(box_left, top + IMAGE_BOX_HEIGHT + 1)
        pdf.set_font(FONT, size=9)
        pdf.multi_cell(IMAGE_BOX_WIDTH, 4.5, printable(text, 120), align="C")
    scale_left = MARGIN + IMAGE_BOX_WIDTH + IMAGE_GAP
    scale_top = top + IMAGE_BOX_HEIGHT + 11
    pdf.image(Image.fromarray(legend(colormap)), x=scale_left, y=scale_top, w=IMAGE_BOX_WIDTH, h=3)
    pdf.set_xy(scale_left, scale_top + 3.5)
    pdf.set_font(FONT, size=8)
    pdf.cell(IMAGE_BOX_WIDTH / 2, 4, "no evidence")
    pdf.cell(IMAGE_BOX_WIDTH / 2, 4, "strongest evidence", align="R")
    pdf.set_xy(MARGIN, scale_top + 9)


def _draw_probabilities(
    pdf: FPDF,
    probabilities: Sequence[float],
    class_names: Sequence[str],
    uncalibrated: Sequence[float] | None,
) -> None:
    """Draws the probability table, the most probable class in bold."""
    top = int(np.argmax(probabilities))
    if uncalibrated is not None and (
        len(uncalibrated) != len(class_names) or np.allclose(uncalibrated, probabilities)
    ):
        uncalibrated = None  # missing, or the same numbers: no second column
    headings = ["Class", "Probability"]
    widths = [60, 32]
    if uncalibrated is not None:
        headings.append("Before calibration")
        widths.append(36)
    pdf.set_font(FONT, size=10)
    with pdf.table(
        width=sum(widths),
        col_widths=widths,
        align="LEFT",
        text_align=("LEFT", "RIGHT", "RIGHT")[: len(widths)],
        line_height=6,
        first_row_as_headings=True,
    ) as table:
        table.row(headings)
        for index, name in enumerate(class_names):
            cells = [class_label(name), probability(probabilities[index])]
            if uncalibrated is not None:
                cells.append(probability(uncalibrated[index]))
            table.row(cells, style=FontFace(emphasis="BOLD") if index == top else None)


def _labelled_line(pdf: FPDF, label: str, text: str, font: str = FONT, size: int = 10) -> None:
    """Writes ``label: text`` as one line, the label in bold."""
    pdf.set_font(FONT, "B", 10)
    pdf.cell(38, LINE_HEIGHT, label)
    pdf.set_font(font, size=size)
    pdf.cell(CONTENT_WIDTH - 38, LINE_HEIGHT, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def new_page(title: str, created: datetime) -> FPDF:
    """An A4 portrait document with the project's margins and fonts, on its first page."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.core_fonts_encoding = TEXT_ENCODING
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    pdf.set_title(title)
    pdf.set_creation_date(created)
    pdf.add_page()
    return pdf


def _draw_title(pdf: FPDF, file_name: str, created: datetime) -> None:
    """The report's title, the time it was made and the file's name."""
    pdf.set_font(FONT, "B", 17)
    pdf.cell(
        CONTENT_WIDTH, 9, "Brain MRI classifier: scan report", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font(FONT, size=10)
    pdf.cell(
        CONTENT_WIDTH,
        LINE_HEIGHT,
        f"Made on {created.astimezone(UTC):%Y-%m-%d at %H:%M} UTC",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font(FONT, "B", 10)
    pdf.cell(10, LINE_HEIGHT, "File:")
    pdf.set_font(FONT, size=10)
    pdf.multi_cell(
        CONTENT_WIDTH - 10,
        LINE_HEIGHT,
        printable(file_name, MAX_FILE_NAME_CHARS),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
        align="L",
        wrapmode="CHAR",
    )
    pdf.ln(3)


def _draw_decision(pdf: FPDF, headline: str, notes: Sequence[str | None]) -> None:
    """The decision in large type, then each note that is set in small type."""
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(CONTENT_WIDTH, 7, printable(headline), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for note in notes:
        if note:
            pdf.set_font(FONT, size=9)
            pdf.multi_cell(
                CONTENT_WIDTH,
                4.5,
                printable(note, MAX_NOTE_CHARS),
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
    pdf.ln(2)


def _draw_model_lines(pdf: FPDF, card: ModelCard, explanation: str) -> None:
    """How the probabilities were made, the explanation and which weights made them."""
    temperature = card.temperature
    calibration = (
        f"calibrated with temperature {temperature:.2f}" if temperature else "not calibrated"
    )
    threshold = percent(card.answer_threshold)
    _labelled_line(pdf, "Probabilities:", calibration)
    _labelled_line(pdf, "Confidence needed:", f"{threshold} (below it: expert review)")
    _labelled_line(pdf, "Explanation:", printable(explanation))
    pdf.ln(2)
    model = f"{card.title} (architecture {card.architecture})"
    _labelled_line(pdf, "Model:", printable(model))
    _labelled_line(pdf, "Weights sha256:", card.keras_sha256[:12])
    _labelled_line(pdf, "", card.keras_sha256, font=MONOSPACE_FONT, size=8)
    pdf.ln(4)


def _draw_disclaimer(pdf: FPDF) -> None:
    """The intended use in a pale amber box."""
    pdf.set_font(FONT, "B", 10)
    pdf.set_fill_color(255, 243, 205)  # pale amber
    pdf.multi_cell(
        CONTENT_WIDTH,
        LINE_HEIGHT,
        f"Intended use. {DISCLAIMER}",
        border=1,
        fill=True,
        padding=2,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def scan_report(
    file_name: str,
    result: ScanResult,
    card: ModelCard,
    heatmap_overlay: np.ndarray,
    *,
    colormap: str = DEFAULT_COLORMAP,
    caveat: str | None = None,
    created: datetime | None = None,
) -> bytes:
    """Builds the one-page A4 report of one scan.

    Args:
        file_name: The uploaded file's name, printed as plain text.
        result: The analysed scan (``model.analysis.analyse_bytes``): the image as
            shown in the app, the calibrated and raw probabilities, the decision,
            the explained class and method, and why the image is unusual, if it is.
        card: The model card of the model that made ``result``.
        heatmap_overlay: uint8 (H, W, 3) scan blended with the heatmap.
        colormap: The colour map of the overlay, for its colour scale.
        caveat: How the model fares on other hospitals' scans, printed under the decision.
        created: When the report is made; now (UTC) when None.

    Returns:
        The PDF file's bytes.
    """
    created = created or datetime.now(UTC)
    analysis = result.analysis
    class_names = card.classes
    explained_label = class_label(class_names[analysis.explained])
    pdf = new_page("Brain MRI classifier report", created)
    _draw_title(pdf, file_name, created)
    caption = f"{analysis.method}: where the model looked for \u201c{explained_label}\u201d"
    _draw_images(pdf, result.display, heatmap_overlay, caption, colormap)
    # The notes: why the image is unusual; how the model fares elsewhere.
    headline = decision_text(result.decision, class_names, card.answer_threshold)
    _draw_decision(pdf, headline, (result.unreliable, caveat))
    _draw_probabilities(pdf, analysis.probabilities, class_names, analysis.uncalibrated)
    pdf.ln(2)
    target = (
        "the most probable class"
        if analysis.explained == analysis.predicted
        else "a class chosen by the reader"
    )
    explanation = f"{analysis.method} of {explained_label} ({target})"
    _draw_model_lines(pdf, card, explanation)
    _draw_disclaimer(pdf)
    return bytes(pdf.output())


def archive_stem(name: str) -> str:
    """A file name stem safe inside a ZIP: ASCII letters, digits, ``.``, ``_`` and ``-`` only.

    Args:
        name: An uploaded file's name, possibly with folders, ``..`` or any characters.

    Returns:
        e.g. ``"../x/Scan 1 (axial).jpg"`` -> ``"Scan_1_axial"``; ``"scan"`` when nothing is left.
    """
    base = re.split(r"[\\/]", name)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.strip(".") else base
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_stem)
    safe = re.sub(r"\.{2,}", ".", safe).strip("._-")
    return safe[:MAX_ARCHIVE_STEM_CHARS].rstrip("._-") or "scan"


def report_file_names(scan_names: Sequence[str]) -> list[str]:
    """Unique, safe PDF names for the scans of a batch, in the same order.

    Args:
        scan_names: The uploaded files' names (duplicates allowed).

    Returns:
        e.g. ``["glioma-report.pdf", "glioma-2-report.pdf"]``.
    """
    used = {CSV_NAME}
    names = []
    for scan_name in scan_names:
        stem = archive_stem(scan_name)
        candidate, copy = f"{stem}{REPORT_SUFFIX}", 1
        while candidate.lower() in used:
            copy += 1
            candidate = f"{stem}-{copy}{REPORT_SUFFIX}"
        used.add(candidate.lower())
        names.append(candidate)
    return names


def batch_zip(rows_csv: bytes, reports: dict[str, bytes]) -> bytes:
    """Packs the results table and one PDF per scan into one ZIP file.

    Args:
        rows_csv: The results table as CSV bytes, stored as ``brain-mri-results.csv``.
        reports: PDF bytes keyed by scan name; stored under ``report_file_names`` of the keys.

    Returns:
        The ZIP file's bytes, every entry at the top level.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(CSV_NAME, rows_csv)
        for file_name, report in zip(report_file_names(list(reports)), reports.values()):
            archive.writestr(file_name, report)
    return buffer.getvalue()


def own_scans_summary(
    model_name: str, metrics: dict, comparison: list[dict], result, created: datetime | None = None
) -> bytes:
    """One-page summary of a model on a user's own labelled scans.

    Args:
        model_name: e.g. ``ResNet50``.
        metrics: ``model.metrics.classification_metrics`` of the scans read.
        comparison: Rows (set, images, accuracy, sensitivity, specificity) as shown
            on the page: the user's scans, then the published sets.
        result: The ``model.own_scans.OwnResult``.
        created: The time printed on the page (now when None).
    """
    created = created or datetime.now(UTC)
    pdf = new_page("Brain MRI classifier: test on your scans", created)
    pdf.set_font(FONT, "B", 16)
    pdf.cell(CONTENT_WIDTH, 9, "Test on your scans", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    pdf.multi_cell(
        CONTENT_WIDTH,
        LINE_HEIGHT,
        printable(
            f"Model: {model_name}. {len(result.rows)} scans uploaded, {metrics['images']} read. "
            f"A class was named for {result.answered}; {result.abstained} were below the "
            f"confidence threshold; {result.flagged} were flagged as unlike the training scans. "
            f"Created {created:%Y-%m-%d %H:%M} UTC."
        ),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(3)
    headings = list(comparison[0])
    with pdf.table(width=CONTENT_WIDTH, line_height=6, first_row_as_headings=True) as table:
        table.row(headings)
        for row in comparison:
            table.row([printable(str(row[h]), 60) for h in headings])
    pdf.ln(4)
    with pdf.table(width=110, align="LEFT", line_height=6, first_row_as_headings=True) as table:
        table.row(["Class", "Precision", "Recall", "Scans"])
        for name, values in metrics["per_class"].items():
            if values["support"]:
                table.row(
                    [
                        class_label(name),
                        percent(values["precision"]),
                        percent(values["recall"]),
                        str(values["support"]),
                    ]
                )
    pdf.ln(4)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(CONTENT_WIDTH, LINE_HEIGHT, "Confusion matrix (rows: true class, columns: predicted)")
    pdf.ln(LINE_HEIGHT + 1)
    pdf.set_font(FONT, size=10)
    matrix = metrics["confusion_matrix"]
    names = [class_label(n) for n in CLASS_LABELS]
    with pdf.table(width=CONTENT_WIDTH, line_height=6, first_row_as_headings=True) as table:
        table.row(["", *names])
        for name, counts in zip(names, matrix):
            if sum(counts):
                table.row([name, *(str(int(c)) for c in counts)])
    pdf.ln(4)
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(
        CONTENT_WIDTH, 4.5, f"Intended use. {DISCLAIMER}", border=1, padding=2,
        new_x=XPos.LMARGIN, new_y=YPos.NEXT,
    )  # fmt: skip
    return bytes(pdf.output())
