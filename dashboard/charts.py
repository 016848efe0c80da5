"""Plotly figures for the dashboard pages. Pure functions: DataFrame in, figure out (no Streamlit, no SQL)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

COLORS = {
    "new": "#2E86AB",
    "resurrected": "#7FB069",
    "retained": "#A0AEC0",
    "churned": "#D1495B",
    "line": "#222222",
    "accent": "#F29E4C",
    "muted": "#CBD5E0",
}
PALETTE = ["#2E86AB", "#F29E4C", "#7FB069", "#D1495B", "#6C5B7B", "#3BB273", "#E15554", "#4D9DE0", "#E1BC29"]


def _layout(fig: go.Figure, title: str | None = None, height: int = 380) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 10, "r": 10, "t": 80 if title else 40, "b": 10},
        title_y=0.97,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        template="plotly_white",
        colorway=PALETTE,
    )
    return fig


def growth_accounting(
    df: pd.DataFrame,
    period: str,
    new: str,
    resurrected: str,
    retained: str | None,
    churned: str,
    quick_ratio: str | None,
) -> go.Figure:
    """Stacked bars: retained, new and resurrected up, churned down; the quick ratio as a line on a second axis."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = df[period]
    if retained:
        fig.add_bar(x=x, y=df[retained], name="Retained", marker_color=COLORS["retained"])
    fig.add_bar(x=x, y=df[new], name="New", marker_color=COLORS["new"])
    fig.add_bar(x=x, y=df[resurrected], name="Resurrected", marker_color=COLORS["resurrected"])
    fig.add_bar(x=x, y=-df[churned].abs(), name="Churned", marker_color=COLORS["churned"])
    if quick_ratio:
        fig.add_scatter(
            x=x,
            y=df[quick_ratio],
            name="Quick ratio",
            mode="lines+markers",
            line={"color": COLORS["line"], "width": 2},
            secondary_y=True,
        )
        fig.add_hline(y=1, line_dash="dot", line_color=COLORS["muted"], secondary_y=True)
    fig.update_layout(barmode="relative")
    fig.update_yaxes(title_text="Users", secondary_y=False)
    fig.update_yaxes(title_text="Quick ratio", secondary_y=True, rangemode="tozero", showgrid=False)
    return _layout(fig, height=420)


def cohort_heatmap(
    values: pd.DataFrame,
    incomplete: pd.DataFrame,
    sizes: pd.Series | None = None,
    x_title: str = "Periods since cohort start",
) -> go.Figure:
    """Cohort triangle: rows = cohorts, columns = age. Incomplete cells (age not fully observed) grey, marked *."""
    rows = [str(i) for i in values.index]
    if sizes is not None:
        rows = [f"{r} (n={int(sizes.get(i, 0)):,})" for r, i in zip(rows, values.index, strict=True)]
    cols = [str(c) for c in values.columns]
    complete_z = values.where(~incomplete)
    partial_z = values.where(incomplete)

    def text(frame: pd.DataFrame, mark: str) -> list[list[str]]:
        return [["" if pd.isna(v) else f"{v:.0%}{mark}" for v in row] for row in frame.to_numpy()]

    fig = go.Figure()
    fig.add_heatmap(
        z=complete_z.to_numpy(dtype=float),
        x=cols,
        y=rows,
        text=text(complete_z, ""),
        texttemplate="%{text}",
        colorscale="Blues",
        zmin=0,
        zmax=1,
        colorbar={"title": "Retained", "tickformat": ".0%"},
        hovertemplate="cohort %{y}<br>age %{x}<br>retained %{z:.1%}<extra></extra>",
        name="complete",
    )
    if partial_z.notna().to_numpy().any():
        fig.add_heatmap(
            z=partial_z.to_numpy(dtype=float),
            x=cols,
            y=rows,
            text=text(partial_z, "*"),
            texttemplate="%{text}",
            colorscale=[[0, "#EDF2F7"], [1, "#A0AEC0"]],
            zmin=0,
            zmax=1,
            showscale=False,
            hovertemplate="cohort %{y}<br>age %{x}<br>retained %{z:.1%} (incomplete)<extra></extra>",
            name="incomplete",
        )
    fig.update_yaxes(autorange="reversed", type="category", title_text="Cohort")
    fig.update_xaxes(type="category", title_text=x_title, side="top")
    return _layout(fig, height=max(320, 28 * len(rows) + 120))


def lines(
    df: pd.DataFrame,
    x: str,
    y: str,
    color: str | None = None,
    *,
    y_format: str | None = None,
    title: str | None = None,
    markers: bool = False,
    y_title: str | None = None,
    x_title: str | None = None,
) -> go.Figure:
    fig = go.Figure()
    groups = [(None, df)] if color is None else list(df.groupby(color, sort=True))
    for name, part in groups:
        part = part.sort_values(x)
        fig.add_scatter(
            x=part[x],
            y=part[y],
            name=str(name) if name is not None else y,
            mode="lines+markers" if markers else "lines",
        )
    if y_format:
        fig.update_yaxes(tickformat=y_format)
    fig.update_yaxes(title_text=y_title)
    fig.update_xaxes(title_text=x_title)
    return _layout(fig, title)


def multi_lines(
    df: pd.DataFrame, x: str, ys: Sequence[str], names: Sequence[str], title: str | None = None
) -> go.Figure:
    fig = go.Figure()
    for col, name in zip(ys, names, strict=True):
        fig.add_scatter(x=df[x], y=df[col], name=name, mode="lines")
    return _layout(fig, title)


def line_with_anomalies(
    df: pd.DataFrame,
    x: str,
    y: str,
    anomalies: pd.DataFrame | None,
    *,
    smooth: str | None = None,
    y_format: str = ".0%",
    title: str | None = None,
) -> go.Figure:
    """A daily series (and its smoothed column ``smooth``) with flagged days as red markers."""
    fig = go.Figure()
    fig.add_scatter(x=df[x], y=df[y], name="daily", mode="lines", line={"color": COLORS["new"], "width": 1})
    if smooth:
        fig.add_scatter(x=df[x], y=df[smooth], name="7-day", mode="lines", line={"color": COLORS["line"], "width": 2})
    if anomalies is not None and not anomalies.empty:
        fig.add_scatter(
            x=anomalies[x],
            y=anomalies[y],
            name="anomaly",
            mode="markers",
            marker={"color": COLORS["churned"], "size": 11, "symbol": "x"},
        )
    fig.update_yaxes(tickformat=y_format)
    return _layout(fig, title)


def funnel_steps(steps: pd.DataFrame, label: str, users: str) -> go.Figure:
    """Users reaching each step (bars) and users lost since the previous step (stacked, red), with rates as text."""
    s = steps.reset_index(drop=True)
    previous = s[users].shift(1)
    lost = (previous - s[users]).fillna(0).clip(lower=0)
    first = s[users].iloc[0] if len(s) else 0
    from_first = [f"{u:,.0f} ({u / first:.0%} of entry)" if first else f"{u:,.0f}" for u in s[users]]
    step_rate = ["" if pd.isna(p) or p == 0 else f"−{lost_i / p:.0%}" for p, lost_i in zip(previous, lost, strict=True)]
    fig = go.Figure()
    fig.add_bar(
        x=s[label], y=s[users], name="Reached", marker_color=COLORS["new"], text=from_first, textposition="inside"
    )
    fig.add_bar(x=s[label], y=lost, name="Dropped since previous step", marker_color=COLORS["churned"], text=step_rate)
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="Users")
    return _layout(fig, height=400)


def grouped_bars(
    df: pd.DataFrame,
    x: str,
    y: str,
    color: str | None = None,
    *,
    y_format: str | None = None,
    title: str | None = None,
    orientation: str = "v",
    text_format: str | None = None,
) -> go.Figure:
    fig = go.Figure()
    groups = [(None, df)] if color is None else list(df.groupby(color, sort=True))
    for name, part in groups:
        text = None
        if text_format:
            text = [format(v, text_format) if pd.notna(v) else "" for v in part[y]]
        if orientation == "h":
            fig.add_bar(y=part[x], x=part[y], name=str(name) if name is not None else y, orientation="h", text=text)
        else:
            fig.add_bar(x=part[x], y=part[y], name=str(name) if name is not None else y, text=text)
    fig.update_layout(barmode="group")
    if y_format:
        (fig.update_xaxes if orientation == "h" else fig.update_yaxes)(tickformat=y_format)
    return _layout(fig, title)


def histogram_bars(df: pd.DataFrame, x: str, y: str, title: str | None = None, x_title: str | None = None) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(x=df[x], y=df[y], marker_color=COLORS["new"], name=y)
    fig.update_xaxes(title_text=x_title, dtick=1)
    fig.update_yaxes(title_text="Users")
    return _layout(fig, title)


def waterfall(
    labels: Sequence[str], values: Sequence[float], measures: Sequence[str], title: str | None = None
) -> go.Figure:
    """MRR bridge: opening total, movements (relative), closing total."""
    fig = go.Figure(
        go.Waterfall(
            x=list(labels),
            y=list(values),
            measure=list(measures),
            text=[f"{v:+,.0f}" if m == "relative" else f"{v:,.0f}" for v, m in zip(values, measures, strict=True)],
            textposition="outside",
            increasing={"marker": {"color": COLORS["resurrected"]}},
            decreasing={"marker": {"color": COLORS["churned"]}},
            totals={"marker": {"color": COLORS["new"]}},
            connector={"line": {"color": COLORS["muted"]}},
        )
    )
    return _layout(fig, title, height=420)


def lorenz(shares: pd.Series, title: str | None = None) -> go.Figure:
    """Revenue concentration: cumulative share of revenue against cumulative share of customers (largest first)."""
    values = np.sort(shares.to_numpy(dtype=float))[::-1]
    total = values.sum()
    n = len(values)
    x = np.concatenate([[0.0], np.arange(1, n + 1) / n]) if n else np.array([0.0])
    y = np.concatenate([[0.0], np.cumsum(values) / total]) if n and total else np.zeros_like(x)
    fig = go.Figure()
    fig.add_scatter(x=x, y=y, mode="lines", name="Revenue captured", fill="tozeroy", line={"color": COLORS["new"]})
    fig.add_scatter(
        x=[0, 1], y=[0, 1], mode="lines", name="Equal share", line={"color": COLORS["muted"], "dash": "dot"}
    )
    fig.update_xaxes(tickformat=".0%", title_text="Customers, largest first")
    fig.update_yaxes(tickformat=".0%", title_text="Share of revenue")
    return _layout(fig, title)


def bars_with_ci(
    df: pd.DataFrame, x: str, y: str, low: str, high: str, color: str | None = None, title: str | None = None
) -> go.Figure:
    """Point estimates with their confidence interval as error bars."""
    fig = go.Figure()
    groups = [(None, df)] if color is None else list(df.groupby(color, sort=False))
    for name, part in groups:
        fig.add_bar(
            x=part[x],
            y=part[y],
            name=str(name) if name is not None else y,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (part[high] - part[y]).clip(lower=0),
                "arrayminus": (part[y] - part[low]).clip(lower=0),
            },
            text=[f"{v:.1%}" for v in part[y]],
            textposition="inside",
            insidetextanchor="start",
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".1%")
    return _layout(fig, title)
