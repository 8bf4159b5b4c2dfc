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
    text = [f"{v:.1%}  ({int(a):,} of {int(t):,})" if t else "no records"
            for v, a, t in zip(values, rows["affected"].fillna(0), rows["total"].fillna(0))]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=rows["label"], x=values, orientation="h", marker={"color": SHARED}, text=text,
                         textposition="outside", cliponaxis=False, name="Flagged share",
                         hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    fig.add_trace(go.Scatter(y=rows["label"], x=[warn_at[c] for c in rows["check"]], mode="markers",
                             name="Warns from", hovertemplate="warns from %{x:.0%}<extra></extra>",
                             marker={"symbol": "line-ns", "size": 18, "line": {"width": 3, "color": _THRESHOLD}}))
    top = max(float(values.max()) if len(values) else 0.0, max(warn_at.values(), default=0.0))
    fig.update_xaxes(tickformat=".0%", range=[0, min(1.0, top * 1.35 + 0.02)], gridcolor="#EEF2F7",
                     title="share of records flagged")
    fig.update_yaxes(title=None, automargin=True)
    fig.update_layout(legend={"orientation": "h", "y": 1.08, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    return _layout(fig, 300, "What each data-trust check flags (tick: where it starts to warn)")
