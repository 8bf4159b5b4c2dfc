"""Pure chart builders for the Data page: a DataFrame in, a Plotly figure out. No Streamlit here."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.charts import _layout
from ui.theme import SHARED

_THRESHOLD = "#111827"


def trust_chart(summary: pd.DataFrame, warn_at: dict[str, float]) -> go.Figure:
    """Share of records each check flags, one bar per check (all checks are shared: grey), with a tick
    where the check starts to warn. `summary` is metrics.trust.trust_summary's frame."""
    rows = summary[summary["unit"] == "share"].iloc[::-1]
    values = rows["value"].fillna(0)
    # The numbers go in the axis labels, clear of the bars and ticks however small the bars are.
    labels = [f"{label}  ·  {v:.1%} ({int(a):,} of {int(t):,})" if t else f"{label}  ·  {empty}"
              for label, v, a, t, empty in zip(rows["label"], values, rows["affected"].fillna(0),
                                               rows["total"].fillna(0), rows["empty"])]
    ticks = [warn_at[c] for c in rows["check"]]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=values, orientation="h", marker={"color": SHARED}, name="Flagged share",
                         hovertemplate="%{y}<extra></extra>"))
    fig.add_trace(go.Scatter(y=labels, x=ticks, mode="markers",
                             name="Warns from", hovertemplate="warns from %{x:.0%}<extra></extra>",
                             marker={"symbol": "line-ns", "size": 18, "line": {"width": 3, "color": _THRESHOLD}}))
    top = max([float(values.max()) if len(values) else 0.0, *ticks])
    fig.update_xaxes(tickformat=".0%", range=[0, min(1.0, top * 1.15 + 0.02)], gridcolor="#EEF2F7",
                     title="share of records flagged")
    fig.update_yaxes(title=None, automargin=True)
    fig.update_layout(legend={"orientation": "h", "y": 1.08, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    return _layout(fig, 300, "What each data-trust check flags (tick: where it starts to warn)")
