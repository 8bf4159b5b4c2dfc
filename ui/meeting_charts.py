"""Pure chart builders for the Meeting page and its brief: meeting metrics' DataFrames in, Plotly figures out.

Bars take the colour of the team that owns the number (ui.theme). Whether a change is for the better is
spelled out in the label and drawn as a solid bar (better) or a hatched one (worse), so colour keeps
meaning "whose number" only.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui import format as fmt
from ui.theme import MUTED, TEAM_COLOURS, TEAM_LABELS

FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}  # as ui/charts.py
GRID = "#EEF2F7"
INK = "#111827"


def _layout(fig: go.Figure, height: int, title: str) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 10, "r": 20, "t": 76, "b": 10}, font=FONT,
                      title={"text": title, "x": 0, "font": {"size": 15}}, plot_bgcolor="white",
                      paper_bgcolor="white", hoverlabel={"font_size": 12}, bargap=0.3)
    return fig


def value_text(value, unit: str) -> str:
    """A number in its unit: count, currency, percent, days or times (a return as a multiple); '–' when
    unknown."""
    if unit == "times":
        return "–" if value is None or pd.isna(value) else f"{value:,.1f}×"
    if unit == "currency":
        return fmt.money(value)
    if unit == "percent":
        return fmt.percent(value)
    if unit == "days":
        return fmt.days(value)
    return fmt.count(value)


def change_text(change, unit: str) -> str:
    """A change in the number's unit: +36, +$329.2k, +4.0 pts, +4.0 d."""
    if change is None or pd.isna(change):
        return "–"
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    size = abs(change)
    if unit == "percent":
        return f"{sign}{size * 100:.1f} pts"
    if unit == "currency":
        return sign + fmt.money(size)
    if unit == "days":
        return f"{sign}{size:.1f} d"
    if unit == "times":
        return f"{sign}{size:,.1f}×"
    return f"{sign}{size:,.0f}"


def verdict(is_better) -> str:
    return "no change" if is_better is None or pd.isna(is_better) else "better" if is_better else "worse"


def _legend(fig: go.Figure, owners) -> None:
    """Team colour key, plus what solid and hatched bars mean."""
    for owner in dict.fromkeys(owners):
        fig.add_trace(go.Bar(x=[None], y=[None], name=TEAM_LABELS[owner], marker={"color": TEAM_COLOURS[owner]},
                             hoverinfo="skip"))
    fig.add_trace(go.Bar(x=[None], y=[None], name="hatched: worse", hoverinfo="skip",
                         marker={"color": MUTED, "pattern": {"shape": "/", "fgcolor": "white", "solidity": 0.35}}))
    fig.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right",
                              "title": None, "traceorder": "normal"})


def kpi_change_chart(deltas: pd.DataFrame, span: float = 1.0) -> go.Figure:
    """Each KPI's relative change against the earlier reading, in its owner's colour; hatched when worse.
    Bars are drawn within ±`span` (100%) so one large change does not flatten the rest; the label gives
    the exact numbers."""
    rows = deltas.iloc[::-1]  # Plotly draws the first row at the bottom
    shown = rows["change_pct"].fillna(0).clip(-span, span)
    labels = [f"{change_text(c, u)} ({value_text(p, u)} → {value_text(v, u)})"
              + ("" if pd.isna(pct) else f"  {pct:+.0%}")
              for c, u, p, v, pct in zip(rows["change"], rows["format"], rows["previous_value"], rows["value"],
                                         rows["change_pct"])]
    fig = go.Figure(go.Bar(
        y=rows["label"], x=shown, orientation="h", showlegend=False, text=labels, textposition="outside",
        cliponaxis=False, textfont={"size": 11, "color": INK},
        marker={"color": [TEAM_COLOURS[o] for o in rows["owner"]],
                "pattern": {"shape": ["/" if b is False else "" for b in rows["is_better"].astype(object)],
                            "fgcolor": "white", "solidity": 0.35}},
        customdata=[verdict(b) for b in rows["is_better"]],
        hovertemplate="%{y}: %{text}, %{customdata}<extra></extra>"))
    _legend(fig, deltas["owner"])
    fig.add_vline(x=0, line={"color": INK, "width": 1})
    # The axis runs past ±span to leave room for the labels; ticks only where bars can reach.
    fig.update_xaxes(tickformat=".0%", range=[-span * 2.1, span * 2.1], gridcolor=GRID,
                     tickvals=[-span, -span / 2, 0, span / 2, span],
                     title=f"relative change against the earlier reading (bars capped at ±{span:.0%})")
    fig.update_yaxes(title=None, automargin=True)
    return _layout(fig, max(320, 26 * len(rows) + 130), "What changed: every KPI against the earlier reading")


def contributors_chart(rows: pd.DataFrame, dimension_label: str) -> go.Figure:
    """One KPI's change split by dimension value, biggest movers on top; in the KPI owner's colour,
    hatched where the value pulled the KPI down. Each value's change is printed in its axis label, so no
    text sits on the bars."""
    rows = rows.iloc[::-1]
    unit = rows["format"].iloc[0] if len(rows) else "count"
    owner = rows["owner"].iloc[0] if len(rows) else "shared"
    label = rows["label"].iloc[0] if len(rows) else ""
    names = [f"{name}&nbsp;&nbsp;<b>{change_text(c, unit)}</b>"
             for name, c in zip(rows["dimension_value"], rows["change"])]
    fig = go.Figure(go.Bar(
        y=names, x=rows["change"], orientation="h", showlegend=False,
        marker={"color": TEAM_COLOURS[owner],
                "pattern": {"shape": ["/" if c < 0 else "" for c in rows["change"]], "fgcolor": "white",
                            "solidity": 0.35}},
        customdata=[f"{change_text(c, unit)}: {value_text(p, unit)} → {value_text(v, unit)}"
                    for c, p, v in zip(rows["change"], rows["previous_value"], rows["value"])],
        hovertemplate="%{customdata}<extra></extra>"))
    fig.add_vline(x=0, line={"color": INK, "width": 1})
    named = label if label[:2].isupper() else label[:1].lower() + label[1:]  # "SALs", "won revenue"
    fig.update_xaxes(gridcolor=GRID, title=f"change in {named}", tickformat="~s", zeroline=False)
    fig.update_yaxes(title=None, automargin=True)
    return _layout(fig, max(240, 34 * len(rows) + 120), f"{label}: who moved it, by {dimension_label.lower()}")


def themes_chart(now: pd.DataFrame, before: pd.DataFrame, owner: str, top: int = 6) -> go.Figure:
    """Sales' top rejection reasons: this period's count beside the previous period's (lighter)."""
    now_counts = now.groupby("reason")["rejected_count"].sum()
    before_counts = before.groupby("reason")["rejected_count"].sum()
    reasons = list(now_counts.sort_values(ascending=False).head(top).index)[::-1]
    colour = TEAM_COLOURS[owner]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=reasons, x=[before_counts.get(r, 0) for r in reasons], orientation="h",
                         name="Previous period", marker={"color": colour, "opacity": 0.35},
                         hovertemplate="%{y}: %{x:,} rejected (previous period)<extra></extra>"))
    fig.add_trace(go.Bar(y=reasons, x=[now_counts.get(r, 0) for r in reasons], orientation="h",
                         name="This period", marker={"color": colour}, textposition="outside", cliponaxis=False,
                         text=[f"{now_counts.get(r, 0):,}" for r in reasons],
                         hovertemplate="%{y}: %{x:,} rejected (this period)<extra></extra>"))
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1,
                                               "xanchor": "right", "title": None, "traceorder": "reversed"})
    fig.update_xaxes(title="MQLs rejected", gridcolor=GRID, rangemode="tozero")
    fig.update_yaxes(title=None, automargin=True)
    return _layout(fig, max(260, 44 * len(reasons) + 120), "Sales' top rejection reasons")

