"""Plotly figures for the pages, built from plain numbers (no Streamlit)."""

import numpy as np
import plotly.graph_objects as go

from model import config, summaries
from model.formatting import probability_text

MODEL_COLOURS = {"resnet50": "#1f77b4", "baseline": "#ff7f0e"}


class_label = config.class_label  # the one definition, re-exported for the pages


TOP_TUMOUR_COLOUR = "#b2182b"  # the most probable class, when it is a tumour
TOP_NORMAL_COLOUR = "#2166ac"  # the most probable class, when it is "no tumour"
OTHER_COLOUR = "#9aa5b1"


def probability_bars(probabilities, class_names, threshold: float | None = None) -> go.Figure:
    """Horizontal bars of the class probabilities, the top class highlighted.

    The top bar is red for a tumour class and blue for "no tumour"; the
    threshold is a dotted line labelled with its value above the plot.
    """
    top = int(np.argmax(probabilities))
    top_colour = TOP_NORMAL_COLOUR if class_names[top] == "notumor" else TOP_TUMOUR_COLOUR
    colours = [top_colour if i == top else OTHER_COLOUR for i in range(len(class_names))]
    figure = go.Figure(
        go.Bar(
            x=[float(p) for p in probabilities],
            y=[class_label(n) for n in class_names],
            orientation="h",
            marker_color=colours,
            text=[probability_text(p) for p in probabilities],
            textposition="auto",
        )
    )
    if threshold is not None:
        # Under the bars, so it never crosses a bar's value label.
        figure.add_vline(x=threshold, line_dash="dot", line_color="#555", layer="below")
        figure.add_annotation(
            x=threshold,
            y=1.0,
            yref="paper",
            yanchor="bottom",
            showarrow=False,
            text=f"confidence needed: {threshold:.0%}",
            xanchor="right" if threshold > 0.5 else "left",
        )  # above the bars, so it never covers one
    figure.update_layout(
        xaxis={
            "range": [0, 1.04],  # room for the 100 % tick
            "tickformat": ".0%",
            "tickvals": [0, 0.25, 0.5, 0.75, 1.0],
            "title": "probability",
        },
        yaxis={"autorange": "reversed"},
        height=240,
        margin={"l": 10, "r": 10, "t": 34, "b": 10},
    )
    return figure


def confusion_heatmap(matrix, class_names, normalise: bool, title: str) -> go.Figure:
    """Confusion matrix (rows: true class) as counts or row-normalised shares."""
    counts = np.asarray(matrix, dtype=float)
    keep = counts.sum(axis=1) > 0  # hide true classes absent from the split
    labels = [class_label(n) for n in class_names]
    values = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalise else counts
    text = [[f"{v:.0%}" if normalise else f"{int(v)}" for v in row] for row in values[keep]]
    figure = go.Figure(
        go.Heatmap(
            z=values[keep],
            x=labels,
            y=[lab for lab, k in zip(labels, keep) if k],
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
            zmin=0,
            zmax=1 if normalise else None,
        )
    )
    figure.update_layout(
        title=title,
        xaxis_title="predicted",
        yaxis_title="true",
        yaxis={"autorange": "reversed"},
        height=360,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return figure


def recall_bars(
    recalls: dict[str, dict[str, float]], title: str, names: dict[str, str] | None = None
) -> go.Figure:
    """Grouped bars: per-class recall of each model. ``recalls[model][class]``.

    ``names`` maps a model's file name to the name shown in the legend.
    """
    figure = go.Figure()
    for model_name, per_class in recalls.items():
        figure.add_bar(
            name=(names or {}).get(model_name, model_name),
            x=[class_label(c) for c in per_class],
            y=list(per_class.values()),
            text=[f"{v:.1%}" for v in per_class.values()],
            textposition="outside",
            marker_color=MODEL_COLOURS.get(model_name),
        )
    figure.update_layout(
        barmode="group",
        title=title,
        yaxis={"range": [0, 1.08], "tickformat": ".0%"},
        height=360,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return figure


def training_curves(history: dict[str, list[float]], metric: str) -> go.Figure:
    """Training and validation curves of one metric ('loss' or 'accuracy') per epoch."""
    figure = go.Figure()
    for key, name in ((metric, "training"), (f"val_{metric}", "validation")):
        if key in history:
            epochs = list(range(1, len(history[key]) + 1))
            figure.add_scatter(x=epochs, y=history[key], mode="lines+markers", name=name)
    figure.update_layout(
        title=metric.capitalize() + (" (log scale)" if metric == "loss" else ""),
        xaxis_title="epoch",
        # A first-epoch validation loss in the hundreds would flatten the rest.
        yaxis_type="log" if metric == "loss" else "linear",
        height=300,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return figure


def reliability_diagram(diagrams: dict[str, dict], names: dict[str, str], title: str) -> go.Figure:
    """Accuracy against mean confidence per confidence bin, one trace per model.

    Bins with at least ``summaries.MIN_BIN_IMAGES`` images are joined by a line;
    the others, whose accuracy zigzags by chance, are hollow markers alone.

    Args:
        diagrams: ``diagrams[model]`` is a report's ``calibration`` block:
            ``reliability`` (``confidence``, ``accuracy``, ``count`` per bin)
            and ``ece_before`` / ``ece_after``.
        names: Display name of each model.
        title: Figure title.
    """
    figure = go.Figure()
    figure.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        name="perfect calibration",
        line={"dash": "dot", "color": "#888"},
    )
    for model_name, calibration in diagrams.items():
        full, sparse = summaries.reliability_bins(calibration["reliability"])
        colour = MODEL_COLOURS.get(model_name)
        if full["count"]:
            figure.add_scatter(
                x=full["confidence"],
                y=full["accuracy"],
                mode="lines+markers",
                name=f"{names.get(model_name, model_name)} · ECE "
                f"{calibration['ece_before']:.3f} → {calibration['ece_after']:.3f}",
                marker={"size": [6 + 14 * (c / max(full["count"])) ** 0.5 for c in full["count"]]},
                line={"color": colour},
                customdata=full["count"],
                hovertemplate="confidence %{x:.1%}<br>accuracy %{y:.1%}<br>%{customdata} images"
                "<extra></extra>",
            )
        if sparse["count"]:
            figure.add_scatter(
                x=sparse["confidence"],
                y=sparse["accuracy"],
                mode="markers",
                name=f"{names.get(model_name, model_name)} · bins under "
                f"{summaries.MIN_BIN_IMAGES} images",
                showlegend=False,
                marker={
                    "symbol": "circle-open",
                    "size": 9,
                    "color": colour,
                    "line": {"width": 1.5},
                },
                customdata=sparse["count"],
                hovertemplate="confidence %{x:.1%}<br>accuracy %{y:.1%}<br>only %{customdata}"
                " images<extra></extra>",
            )
    figure.update_layout(
        title=title,
        xaxis={"range": [0, 1.03], "tickformat": ".0%", "title": "mean confidence in the bin"},
        yaxis={"range": [0, 1.03], "tickformat": ".0%", "title": "accuracy in the bin"},
        legend={"orientation": "h", "y": -0.25},
        height=420,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return figure


def risk_coverage_curve(
    curves: dict[str, dict], chosen: dict[str, dict], names: dict[str, str], title: str
) -> go.Figure:
    """Accuracy on the scans answered against the share answered, one trace per model.

    Args:
        curves: ``curves[model]`` is a report's ``risk_coverage`` block
            (``threshold``, ``coverage``, ``accuracy`` lists).
        chosen: ``chosen[model]`` is a report's ``abstention`` block, marked
            on the curve (``threshold``, ``coverage``, ``accuracy``).
        names: Display name of each model.
        title: Figure title.
    """
    figure = go.Figure()
    for model_name, curve in curves.items():
        colour = MODEL_COLOURS.get(model_name)
        name = names.get(model_name, model_name)
        figure.add_scatter(
            x=curve["coverage"],
            y=curve["accuracy"],
            mode="lines",
            name=name,
            line={"color": colour},
            customdata=curve["threshold"],
            hovertemplate="threshold %{customdata:.0%}<br>answers %{x:.1%}<br>"
            "accuracy %{y:.1%}<extra></extra>",
        )
        point = chosen.get(model_name)
        if point and point["accuracy"] is not None:
            figure.add_scatter(
                x=[point["coverage"]],
                y=[point["accuracy"]],
                mode="markers+text",
                name=f"{name} · threshold {point['threshold']:.0%}",
                marker={"color": colour, "size": 13, "symbol": "diamond"},
                text=[f"{point['threshold']:.0%}"],
                textposition="bottom left",
                hovertemplate="chosen threshold<br>answers %{x:.1%}<br>accuracy %{y:.1%}"
                "<extra></extra>",
            )
    figure.update_layout(
        title=title,
        xaxis={"range": [0, 1.02], "tickformat": ".0%", "title": "share of scans answered"},
        yaxis={"tickformat": ".0%", "title": "accuracy on the scans answered"},
        legend={"orientation": "h", "y": -0.25},
        height=420,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return figure
