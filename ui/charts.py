"""Pure chart builders: a metric's DataFrame in, a Plotly figure out. No Streamlit here."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from data.stages import MAIN_PATH, STAGE_OWNER
from ui.theme import MUTED, TEAM_COLOURS, TEAM_LABELS, stage_colour

_FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}


def _layout(fig: go.Figure, height: int, title: str | None = None) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 70 if title else 20, "b": 10},
                      font=_FONT, title={"text": title, "x": 0, "font": {"size": 15}} if title else None,
                      plot_bgcolor="white", paper_bgcolor="white", hoverlabel={"font_size": 12})
    return fig


def _legend_for_teams(fig: go.Figure, owners, y: float = 1.08, **subplot) -> None:
    """Invisible traces that give the chart a Marketing / Sales colour key."""
    for owner in dict.fromkeys(owners):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=TEAM_LABELS[owner], hoverinfo="skip",
                                 marker={"size": 12, "symbol": "square", "color": TEAM_COLOURS[owner]}), **subplot)
    fig.update_layout(legend={"orientation": "h", "y": y, "yanchor": "bottom", "x": 1, "xanchor": "right",
                              "title": None})


def funnel_chart(waterfall: pd.DataFrame) -> go.Figure:
    """Stage volumes as a funnel, each stage in its owning team's colour, with % of previous and of first."""
    text = [
        f"{volume:,}  ·  {_pct(prev)} of previous  ·  {_pct(first)} of first"
        if i else f"{volume:,}"
        for i, (volume, prev, first) in enumerate(zip(waterfall["volume"], waterfall["pct_of_previous"],
                                                      waterfall["pct_of_first"]))
    ]
    fig = go.Figure(go.Funnel(
        y=waterfall["label"], x=waterfall["volume"], text=text, textinfo="text", textposition="outside",
        marker={"color": [stage_colour(s) for s in waterfall["stage"]]}, connector={"fillcolor": "#EEF2F7"},
        hovertemplate="%{y}: %{x:,} records<extra></extra>", showlegend=False,
    ))
    _legend_for_teams(fig, waterfall["owner"], y=1.02)
    # Leave the right part of the plot for the labels printed beside each bar.
    fig.update_xaxes(visible=False, domain=[0, 0.62])
    fig.update_yaxes(title=None, autorange="reversed")
    fig.update_traces(cliponaxis=False, selector={"type": "funnel"})
    return _layout(fig, 380, "Stage volume, coloured by the team that owns the stage")


def _pct(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value * 100:.1f}%"


# Steps of one team share its colour; marker and dash tell them apart.
_STEP_MARKERS = ("circle", "square", "diamond", "triangle-up", "pentagon")
_STEP_DASHES = ("solid", "solid", "dash", "dot", "dashdot")


def conversion_trend_chart(trend: pd.DataFrame) -> go.Figure:
    """Every step's monthly conversion on one set of axes, in its owning team's colour; whiskers: 95% interval;
    hollow markers: immature cohort. One plot instead of a panel per step: a fraction of the work to build
    and for the browser to draw."""
    traces = []
    for i, (step, part) in enumerate(trend.groupby("step", sort=False)):
        owner = part["owner"].iloc[0]
        colour = TEAM_COLOURS[owner]
        traces.append(go.Scatter(
            x=part["month"], y=part["rate"], name=step, mode="lines+markers",
            legendgroup=owner, legendgrouptitle={"text": TEAM_LABELS[owner]},
            line={"color": colour, "width": 2, "dash": _STEP_DASHES[i % len(_STEP_DASHES)]},
            marker={"symbol": _STEP_MARKERS[i % len(_STEP_MARKERS)], "size": 9,
                    "color": ["white" if flag else colour for flag in part["is_immature"]],
                    "line": {"color": colour, "width": 2}},
            error_y={"type": "data", "symmetric": False, "array": (part["ci_high"] - part["rate"]).fillna(0),
                     "arrayminus": (part["rate"] - part["ci_low"]).fillna(0), "color": colour, "thickness": 1,
                     "width": 3},
            customdata=part[["numerator", "denominator"]].to_numpy(),
            hovertemplate="%{y:.1%} (%{customdata[0]:,} of %{customdata[1]:,})"))
    fig = go.Figure(traces, layout={
        "hovermode": "x unified",
        # Beside the plot, one group per team: the team colour key and the step key in one.
        "legend": {"orientation": "v", "y": 1, "yanchor": "top", "x": 1.01, "xanchor": "left",
                   "groupclick": "toggleitem", "tracegroupgap": 12},
        "yaxis": {"tickformat": ".0%", "rangemode": "tozero", "gridcolor": "#EEF2F7", "title": None},
        "xaxis": {"tickformat": "%b %Y", "hoverformat": "%b %Y", "gridcolor": "#EEF2F7", "title": None},
    })
    return _layout(fig, 360, "Conversion by month (whiskers: 95% interval; hollow: immature cohort)")


def _with_alpha(hex_colour: str, alpha: float) -> str:
    red, green, blue = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def breakdown_chart(breakdown: pd.DataFrame, step_label: str, dimension_label: str, top: int = 25) -> go.Figure:
    """One step's conversion per dimension value, best first, with intervals; small samples muted."""
    rows = breakdown.dropna(subset=["rate"]).sort_values(["is_small_sample", "rate"], ascending=[True, True])
    rows = rows.tail(top)
    colour = TEAM_COLOURS[rows["owner"].iloc[0]] if len(rows) else TEAM_COLOURS["shared"]
    colours = [MUTED if small else colour for small in rows["is_small_sample"]]
    fig = go.Figure(go.Bar(
        y=rows["dimension_value"], x=rows["rate"], orientation="h", marker={"color": colours},
        error_x={"type": "data", "symmetric": False, "array": (rows["ci_high"] - rows["rate"]).fillna(0),
                 "arrayminus": (rows["rate"] - rows["ci_low"]).fillna(0), "color": "#475569", "thickness": 1},
        # Labels sit inside the bar, at its base, so the interval whiskers at the bar's end stay clear.
        text=[f"{r:.1%}  n={n:,}" for r, n in zip(rows["rate"], rows["denominator"])], textposition="inside",
        insidetextanchor="start",
        textfont={"color": ["#111827" if small else "white" for small in rows["is_small_sample"]]},
        hovertemplate="%{y}: %{x:.1%}<extra></extra>", showlegend=False,
    ))
    fig.update_xaxes(tickformat=".0%", rangemode="tozero", gridcolor="#EEF2F7", title=f"{step_label} conversion")
    fig.update_yaxes(title=None, automargin=True)
    height = max(260, 28 * len(rows) + 90)
    return _layout(fig, height, f"{step_label} by {dimension_label} (grey: fewer than 30 records, 95% intervals)")


def time_in_stage_chart(time_in_stage: pd.DataFrame) -> go.Figure:
    """Median and p90 days in each stage; coloured by the team that must move records out of it."""
    next_owner = {stage: STAGE_OWNER[MAIN_PATH[i + 1]] for i, stage in enumerate(MAIN_PATH[:-1])}
    owners = time_in_stage["stage"].map(next_owner)
    labels = [f"{label}  ·  median {_days(median)}, p90 {_days(p90)}" for label, median, p90 in
              zip(time_in_stage["label"], time_in_stage["median_days"], time_in_stage["p90_days"])]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=time_in_stage["median_days"], orientation="h", name="Median",
                         marker={"color": [TEAM_COLOURS[o] for o in owners]},
                         hovertemplate="median %{x:.1f} days<extra></extra>", showlegend=False))
    fig.add_trace(go.Scatter(y=labels, x=time_in_stage["p90_days"], mode="markers", name="90th percentile",
                             marker={"symbol": "line-ns", "size": 18, "line": {"width": 3, "color": "#111827"}},
                             hovertemplate="p90 %{x:.1f} days<extra></extra>"))
    _legend_for_teams(fig, owners)
    fig.update_yaxes(autorange="reversed", title=None, automargin=True)
    fig.update_xaxes(title="days in stage", gridcolor="#EEF2F7", rangemode="tozero")
    return _layout(fig, 320, "Days in each stage before moving on (bar: median; tick: 90th percentile)")


def _days(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f} d"
