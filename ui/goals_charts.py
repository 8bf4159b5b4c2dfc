"""Pure chart builders for the Goals page: a goal metric's DataFrame in, a Plotly figure out.

Bars and lines take the colour of the team that owns the goal (ui.theme); a status is spelled out
in words and marked with its own colour and symbol, so amber never means both "marketing" and "at risk".
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from metrics.periods import Period
from ui import format as fmt
from ui.theme import MUTED, TEAM_COLOURS, TEAM_LABELS

STATUS_COLOURS = {"on track": "#15803D", "at risk": "#A16207", "off track": "#B91C1C"}
STATUS_SYMBOLS = {"on track": "✓", "at risk": "!", "off track": "✕"}
INK = "#111827"
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}  # as ui/charts.py
GRID = "#EEF2F7"


def value_text(value, unit: str) -> str:
    """A goal number in its metric's unit (count, currency, percent, days); '–' when unknown."""
    if unit == "currency":
        return fmt.money(value)
    if unit == "percent":
        return fmt.percent(value)
    if unit == "days":
        return fmt.days(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:,.1f}"


def status_text(status: str) -> str:
    symbol = STATUS_SYMBOLS.get(status)
    return f"{symbol} {status}" if symbol else status


def _layout(fig: go.Figure, height: int, title: str) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 10, "r": 20, "t": 70, "b": 10}, font=FONT,
                      title={"text": title, "x": 0, "font": {"size": 15}}, plot_bgcolor="white",
                      paper_bgcolor="white", hoverlabel={"font_size": 12})
    return fig


def _legend_top(fig: go.Figure, y: float = 1.02) -> None:
    fig.update_layout(legend={"orientation": "h", "y": y, "yanchor": "bottom", "x": 1, "xanchor": "right",
                              "title": None})


def _goal_names(progress: pd.DataFrame) -> list[str]:
    return [label if scope == "All" else f"{label} · {scope}"
            for label, scope in zip(progress["label"], progress["scope_label"])]


def bullet_chart(progress: pd.DataFrame, period_title: str) -> go.Figure:
    """Every goal as a bullet: attainment as a bar in the owner's colour against 100% of target, a tick
    at the share expected by now and a hollow diamond at the linear projection. Each row's label
    carries its attainment and status, so nothing is printed over the markers."""
    rows = progress.iloc[::-1]  # Plotly draws the first row at the bottom
    names = [f"{name}  <b>{fmt.percent(a, 0)}</b>  <span style='color:{STATUS_COLOURS.get(s, INK)}'>"
             f"{status_text(s)}</span>"
             for name, a, s in zip(_goal_names(rows), rows["attainment"], rows["status"])]
    expected = [_safe_div(e, t) if additive else 1.0 for e, t, additive in
                zip(rows["expected_to_date"], rows["target"], rows["is_additive"])]
    # As a share of target the way attainment is (target / projection when less is better); a rate's
    # projection is its value to date, already the bar.
    projected = [(_safe_div(t, p) if lower else _safe_div(p, t)) if additive else math.nan
                 for p, t, additive, lower in zip(rows["linear_projection"], rows["target"], rows["is_additive"],
                                                  rows["is_lower_better"])]
    attainment = rows["attainment"].fillna(0)
    fig = go.Figure()
    fig.add_trace(go.Bar(y=names, x=[1.0] * len(rows), orientation="h", marker={"color": "#F1F5F9"},
                         width=0.8, hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Bar(
        y=names, x=attainment, orientation="h", width=0.45, showlegend=False,
        marker={"color": [TEAM_COLOURS[o] for o in rows["owner_team"]]},
        customdata=list(zip([value_text(a, u) for a, u in zip(rows["actual"], rows["format"])],
                            [value_text(t, u) for t, u in zip(rows["target"], rows["format"])])),
        hovertemplate="%{customdata[0]} of %{customdata[1]} (%{x:.0%})<extra></extra>"))
    fig.add_trace(go.Scatter(y=names, x=expected, mode="markers", name="Expected by now",
                             marker={"symbol": "line-ns", "size": 22, "line": {"width": 3, "color": INK}},
                             hovertemplate="expected by now: %{x:.0%} of target<extra></extra>"))
    fig.add_trace(go.Scatter(y=names, x=projected, mode="markers", name="Linear projection",
                             marker={"symbol": "diamond-open", "size": 11, "color": INK,
                                     "line": {"width": 2, "color": INK}},
                             hovertemplate="linear projection: %{x:.0%} of target<extra></extra>"))
    for owner in dict.fromkeys(rows["owner_team"]):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=TEAM_LABELS[owner], hoverinfo="skip",
                                 marker={"size": 12, "symbol": "square", "color": TEAM_COLOURS[owner]}))
    fig.add_vline(x=1.0, line={"color": INK, "width": 1, "dash": "dot"})
    top = max([1.3] + [v * 1.1 for v in list(attainment) + projected if not math.isnan(v)])
    fig.update_xaxes(tickformat=".0%", range=[0, min(top, 3.0)], gridcolor=GRID, title="% of target")
    fig.update_yaxes(title=None, automargin=True, tickfont={"color": INK})
    fig.update_layout(barmode="overlay")
    _legend_top(fig)
    return _layout(fig, max(260, 46 * len(rows) + 120), f"Attainment against target, {period_title}")


def _safe_div(a, b) -> float:
    if a is None or b is None or pd.isna(a) or pd.isna(b) or b == 0:
        return math.nan
    return float(a) / float(b)


def pacing_chart(pacing: pd.DataFrame, goal: pd.Series) -> go.Figure:
    """One goal's cumulative actual against its cumulative target line, the target, and the linear
    projection from the last day read to the period's end."""
    colour = TEAM_COLOURS[goal["owner_team"]]
    unit = goal["format"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=pacing["day"], y=pacing["cumulative_target"], mode="lines", name="Target to date",
                             line={"color": INK, "width": 2, "dash": "dash"},
                             hovertemplate="%{x|%d %b}: target to date %{y:,.0f}<extra></extra>"))
    read = pacing.dropna(subset=["cumulative_actual"])
    fig.add_trace(go.Scatter(x=read["day"], y=read["cumulative_actual"], mode="lines+markers", name="Actual",
                             line={"color": colour, "width": 3}, marker={"size": 6, "color": colour},
                             hovertemplate="%{x|%d %b}: actual %{y:,.0f}<extra></extra>"))
    if goal["is_additive"] and len(read) and goal["days_remaining"] > 0:
        fig.add_trace(go.Scatter(x=[read["day"].iloc[-1], pacing["day"].iloc[-1]],
                                 y=[read["cumulative_actual"].iloc[-1], goal["linear_projection"]],
                                 mode="lines+markers", name="Linear projection",
                                 line={"color": colour, "width": 2, "dash": "dot"},
                                 marker={"symbol": "diamond-open", "size": 10, "color": colour},
                                 hovertemplate="projection at the end: %{y:,.0f}<extra></extra>"))
    fig.add_hline(y=goal["target"], line={"color": MUTED, "width": 2},
                  annotation={"text": f"target {value_text(goal['target'], unit)}", "xanchor": "left",
                              "font": {"color": INK}}, annotation_position="top left")
    fig.update_xaxes(title="day of the period", tickformat="%d %b", gridcolor=GRID)
    y_title = {"currency": "$ cumulative", "percent": "rate to date", "days": "days"}.get(unit, "cumulative count")
    fig.update_yaxes(title=y_title, rangemode="tozero", gridcolor=GRID,
                     tickformat=".0%" if unit == "percent" else "~s")
    _legend_top(fig)
    name = goal["label"] if goal["scope_label"] == "All" else f"{goal['label']} · {goal['scope_label']}"
    title = Period(goal["period_type"], goal["period_start"]).title
    return _layout(fig, 380, f"{name}, {title}: cumulative actual against the target line")


def history_chart(history: pd.DataFrame) -> go.Figure:
    """A goal period by period: actual as a bar in the owner's colour, the target as a tick, attainment
    and status above whichever is higher; a missed period outlined in red, the running one hollow, one before
    the data began marked "no data" (no bar: nothing was loaded for it, which is not zero)."""
    colour = TEAM_COLOURS["shared"]
    unit = history["format"].iloc[0]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=history["period_title"], y=history["actual"], name="Actual",
        marker={"color": [colour if done else "white" for done in history["is_complete"]],
                "line": {"color": [STATUS_COLOURS["off track"] if done and s == "off track" else colour
                                   for s, done in zip(history["status"], history["is_complete"])], "width": 3}},
        customdata=[value_text(a, unit) for a in history["actual"]],
        hovertemplate="%{x}: %{customdata}<extra></extra>"))
    fig.add_trace(go.Scatter(x=history["period_title"], y=history["target"], mode="markers", name="Target",
                             marker={"symbol": "line-ew", "size": 34, "line": {"width": 3, "color": INK}},
                             customdata=[value_text(t, unit) for t in history["target"]],
                             hovertemplate="%{x}: target %{customdata}<extra></extra>"))
    for row in history.itertuples(index=False):
        if not row.has_data:
            fig.add_annotation(x=row.period_title, y=0, yanchor="bottom", showarrow=False, text="no data",
                               font={"color": colour, "size": 13})
            continue
        if pd.isna(row.attainment):
            continue
        top = max(v for v in (row.actual, row.target) if not pd.isna(v))
        fig.add_annotation(x=row.period_title, y=top, yshift=6, yanchor="bottom", showarrow=False,
                           text=f"{row.attainment:.0%} {STATUS_SYMBOLS.get(row.status, '')}",
                           font={"color": STATUS_COLOURS.get(row.status, INK), "size": 13})
    top = max([v for v in list(history["actual"]) + list(history["target"]) if not pd.isna(v)] or [1])
    fig.update_yaxes(title=f"{history['label'].iloc[0]} ({'$' if unit == 'currency' else unit})",
                     range=[0, top * 1.25], gridcolor=GRID, tickformat="~s")
    fig.update_xaxes(title=None)
    _legend_top(fig)
    return _layout(fig, 320, f"{history['label'].iloc[0]} against target, period by period "
                             "(label: attainment; hollow: still running)")


def sources_chart(sources: pd.DataFrame) -> go.Figure:
    """Won revenue as marketing-sourced + sales-sourced (one stacked bar adding up to it), and
    marketing-influenced as a separate, hatched bar that is never added."""
    parts = sources[sources["is_part_of_total"]]
    influenced = sources[~sources["is_part_of_total"]]
    total_label, influence_label = "Won revenue", "Marketing-influenced<br>(not added)"
    fig = go.Figure()
    for row in parts.itertuples(index=False):
        share = fmt.percent(row.share_of_won_revenue, 0)
        fig.add_trace(go.Bar(y=[total_label], x=[row.won_amount], orientation="h", name=row.label,
                             marker={"color": TEAM_COLOURS[row.owner]},
                             text=[f"{row.label} {fmt.money(row.won_amount)} ({share})"],
                             textposition="inside", insidetextanchor="start", textfont={"color": "white"},
                             hovertemplate=f"{row.label}: %{{x:$,.0f}}, {row.deal_count:,} deals<extra></extra>"))
    for row in influenced.itertuples(index=False):
        fig.add_trace(go.Bar(y=[influence_label], x=[row.won_amount], orientation="h", name=row.label,
                             marker={"color": "white", "line": {"color": TEAM_COLOURS[row.owner], "width": 2},
                                     "pattern": {"shape": "/", "fgcolor": TEAM_COLOURS[row.owner]}},
                             text=[f"{fmt.money(row.won_amount)} ({fmt.percent(row.share_of_won_revenue, 0)} of won)"],
                             textposition="outside", cliponaxis=False, textfont={"color": INK},
                             hovertemplate=f"{row.label}: %{{x:$,.0f}}, {row.deal_count:,} deals<extra></extra>"))
    fig.update_layout(barmode="stack")
    widest = max([parts["won_amount"].sum()] + list(influenced["won_amount"]) + [1.0])
    # Room on the right for the influenced bar's label.
    fig.update_xaxes(title="won revenue ($)", tickformat="$~s", gridcolor=GRID, range=[0, widest * 1.3])
    fig.update_yaxes(title=None, automargin=True, categoryorder="array",
                     categoryarray=[influence_label, total_label])
    _legend_top(fig)
    return _layout(fig, 260, "Where won revenue began: sourced adds up to it, influenced is shown apart")


def reverse_funnel_chart(plan: pd.DataFrame) -> go.Figure:
    """Each stage's projected volume as a share of what the revenue target requires, in the stage
    owner's colour; the bottleneck outlined in red."""
    rows = plan.iloc[::-1]
    pace = rows["pace_vs_required"]
    fig = go.Figure(go.Bar(
        y=rows["label"], x=pace.fillna(0), orientation="h", showlegend=False,
        marker={"color": [TEAM_COLOURS[o] for o in rows["owner"]],
                "line": {"color": [STATUS_COLOURS["off track"] if b else "white" for b in rows["is_bottleneck"]],
                         "width": 4}},
        text=[f"{p:.0%} of required" + ("  ← bottleneck" if b else "") if not pd.isna(p) else "no pace yet"
              for p, b in zip(pace, rows["is_bottleneck"])],
        textposition="outside", cliponaxis=False,
        customdata=list(zip([value_text(v, "count") for v in rows["projected"]],
                            [value_text(v, "count") for v in rows["required"]])),
        hovertemplate="%{y}: projected %{customdata[0]} of %{customdata[1]} required<extra></extra>"))
    for owner in dict.fromkeys(rows["owner"]):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=TEAM_LABELS[owner], hoverinfo="skip",
                                 marker={"size": 12, "symbol": "square", "color": TEAM_COLOURS[owner]}))
    fig.add_vline(x=1.0, line={"color": INK, "width": 1, "dash": "dot"})
    top = max([1.3] + [v * 1.3 for v in pace if not pd.isna(v)])
    fig.update_xaxes(tickformat=".0%", range=[0, min(top, 4.0)], gridcolor=GRID,
                     title="projected volume at the current pace / volume the target requires")
    fig.update_yaxes(title=None, automargin=True)
    _legend_top(fig)
    return _layout(fig, 330, "Reverse funnel: each stage's pace against what the revenue target needs")
