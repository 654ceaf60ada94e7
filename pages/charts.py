"""Plotly figures for the pages, built from plain numbers (no Streamlit)."""

import numpy as np
import plotly.graph_objects as go

from model.config import CLASS_LABELS

MODEL_COLOURS = {"resnet50": "#1f77b4", "baseline": "#ff7f0e"}


def class_label(name: str) -> str:
    """'notumor' -> 'No tumour'."""
    return CLASS_LABELS.get(name, name)


def probability_bars(probabilities, class_names, threshold: float | None = None) -> go.Figure:
    """Horizontal bars of the class probabilities, the top class highlighted."""
    top = int(np.argmax(probabilities))
    colours = ["#d62728" if i == top else "#9aa5b1" for i in range(len(class_names))]
    figure = go.Figure(
        go.Bar(
            x=[float(p) for p in probabilities],
            y=[class_label(n) for n in class_names],
            orientation="h",
            marker_color=colours,
            text=[f"{p:.1%}" for p in probabilities],
            textposition="auto",
        )
    )
    if threshold is not None:
        figure.add_vline(
            x=threshold,
            line_dash="dot",
            line_color="#555",
            annotation_text="confidence needed",
            annotation_position="top left",  # inside the plot: the line sits near 100 %
        )
    figure.update_layout(
        xaxis={"range": [0, 1], "tickformat": ".0%", "title": "probability"},
        yaxis={"autorange": "reversed"},
        height=230,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
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


def recall_bars(recalls: dict[str, dict[str, float]], title: str) -> go.Figure:
    """Grouped bars: per-class recall of each model. ``recalls[model][class]``."""
    figure = go.Figure()
    for model_name, per_class in recalls.items():
        figure.add_bar(
            name=model_name,
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
        title=metric.capitalize(),
        xaxis_title="epoch",
        height=300,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return figure


def reliability_diagram(diagrams: dict[str, dict], names: dict[str, str], title: str) -> go.Figure:
    """Accuracy against mean confidence per confidence bin, one trace per model.

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
        bins = calibration["reliability"]
        figure.add_scatter(
            x=bins["confidence"],
            y=bins["accuracy"],
            mode="lines+markers",
            name=f"{names.get(model_name, model_name)} · ECE {calibration['ece_before']:.3f} → "
            f"{calibration['ece_after']:.3f}",
            marker={"size": [6 + 14 * (c / max(bins["count"])) ** 0.5 for c in bins["count"]]},
            line={"color": MODEL_COLOURS.get(model_name)},
            customdata=bins["count"],
            hovertemplate="confidence %{x:.1%}<br>accuracy %{y:.1%}<br>%{customdata} images"
            "<extra></extra>",
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
