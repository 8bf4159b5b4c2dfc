"""Pure chart builders for the feedback loop and the SLA ledger: a metric's DataFrame in, a Plotly figure out.

Team colours as everywhere (marketing amber, sales blue); a breach of a promise is drawn in BREACH red, the one
status colour these charts add.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from metrics.sla import BANDS
from ui.charts import _layout, _legend_for_teams, _with_alpha
from ui.theme import MARKETING, MUTED, SALES, SHARED, TEAM_COLOURS

BREACH = "#B91C1C"  # a promise not kept (the Goals page's "off track" red)
_GRID = "#EEF2F7"
# Reasons are categories, not teams: muted hues that stay clear of marketing amber and sales blue.
_REASON_COLOURS = ("#7C3AED", "#0D9488", "#DB2777", "#65A30D", "#9A3412", "#0891B2", "#A21CAF", "#4D7C0F",
                   "#B45309", "#475569")


def _pct(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.0%}"


def _minutes(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.0f} min"


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 14, "color": SHARED})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, 220, title)


# --- feedback -----------------------------------------------------------------------------------

def rejection_rate_chart(rates: pd.DataFrame, dimension_label: str, top: int = 20) -> go.Figure:
    """Rejection rate per value (the `top` most worked), highest first, with 95% intervals; small samples muted.
    Each bar's label sits past its interval's whisker, so neither hides the other."""
    title = f"Rejection rate by {dimension_label} (grey: fewer than 30 worked; whiskers: 95% interval)"
    rows = rates.dropna(subset=["rejection_rate"]).nlargest(top, "worked")
    if rows.empty:
        return _empty(title, "No MQL was worked under these filters.")
    rows = rows.sort_values(["rejection_rate", "worked"], ascending=[True, True])
    small = rows["is_small_sample"]
    fig = go.Figure(go.Bar(
        y=rows["dimension_value"], x=rows["rejection_rate"], orientation="h",
        marker={"color": [MUTED if s else MARKETING for s in small]},
        error_x={"type": "data", "symmetric": False, "array": (rows["ci_high"] - rows["rejection_rate"]).fillna(0),
                 "arrayminus": (rows["rejection_rate"] - rows["ci_low"]).fillna(0), "color": "#475569",
                 "thickness": 1},
        customdata=rows[["rejected", "worked", "top_reason"]].fillna("").to_numpy(),
        hovertemplate="%{y}: %{x:.1%} rejected (%{customdata[0]:,} of %{customdata[1]:,} worked)<br>"
                      "most given reason: %{customdata[2]}<extra></extra>", showlegend=False))
    fig.add_trace(go.Scatter(
        y=rows["dimension_value"], x=rows["ci_high"].fillna(rows["rejection_rate"]), mode="text", hoverinfo="skip",
        text=[f"  {r:.0%} of {n:,}" for r, n in zip(rows["rejection_rate"], rows["worked"])],
        textposition="middle right", textfont={"color": "#111827"}, cliponaxis=False, showlegend=False))
    fig.update_xaxes(tickformat=".0%", range=[0, min(1.15, rows["ci_high"].max() + 0.25)], gridcolor=_GRID,
                     title="rejected / worked MQLs")
    fig.update_yaxes(title=None, automargin=True)
    return _layout(fig, max(260, 26 * len(rows) + 110), title)


def reason_mix_chart(mix: pd.DataFrame, dimension_label: str, top: int = 12) -> go.Figure:
    """Each value's rejections split by reason (100% bars); for all rejections, one bar per reason."""
    if mix.empty:
        return _empty("Why sales rejects", "No rejection under these filters.")
    colours = _reason_colours(mix)
    if mix["dimension_value"].nunique() == 1:
        rows = mix.sort_values("rejected_count")
        fig = go.Figure(go.Bar(
            y=rows["reason"], x=rows["share"], orientation="h", marker={"color": [colours[r] for r in rows["reason"]]},
            text=[f"{s:.0%} ({n:,})" for s, n in zip(rows["share"], rows["rejected_count"])], textposition="outside",
            cliponaxis=False, hovertemplate="%{y}: %{x:.1%} of rejections<extra></extra>", showlegend=False))
        fig.update_xaxes(tickformat=".0%", gridcolor=_GRID, title="share of rejections",
                         range=[0, rows["share"].max() * 1.35])
        fig.update_yaxes(title=None, automargin=True)
        return _layout(fig, max(260, 30 * len(rows) + 110), "Why sales rejects: share of rejections by reason")
    totals = mix.groupby("dimension_value")["rejected_count"].sum().nlargest(top)
    rows = mix[mix["dimension_value"].isin(totals.index)]
    order = list(totals.sort_values().index) if dimension_label != "month" else sorted(totals.index)
    fig = go.Figure()
    for reason, part in rows.groupby("reason", sort=False):
        part = part.set_index("dimension_value").reindex(order)
        fig.add_trace(go.Bar(y=order, x=part["share"], name=reason, orientation="h",
                             marker={"color": colours[reason]}, customdata=part["rejected_count"].fillna(0),
                             hovertemplate=f"%{{y}}: {reason} %{{x:.0%}} (%{{customdata:,}})<extra></extra>"))
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.18, "yanchor": "top", "x": 0})
    fig.update_xaxes(tickformat=".0%", gridcolor=_GRID, title="share of the value's rejections", range=[0, 1])
    fig.update_yaxes(title=None, automargin=True, autorange="reversed" if dimension_label == "month" else True)
    fig = _layout(fig, max(300, 30 * len(order) + 190), f"Why sales rejects, by {dimension_label} "
                                                         f"(the {len(order)} with most rejections)")
    fig.update_layout(margin={"b": 90})
    return fig


def _reason_colours(mix: pd.DataFrame) -> dict[str, str]:
    reasons = mix.groupby("reason")["rejected_count"].sum().sort_values(ascending=False).index
    colours = {}
    for i, reason in enumerate(reasons):
        colours[reason] = MUTED if reason.startswith("(") else _REASON_COLOURS[i % len(_REASON_COLOURS)]
    return colours


def rejection_trend_chart(trend: pd.DataFrame) -> go.Figure:
    """Monthly rejection rate with its 95% interval; months with fewer than 30 worked MQLs hollow."""
    title = "Rejection rate by month (band: 95% interval)"
    if trend["worked"].sum() == 0:
        return _empty(title, "No MQL was worked in this date range.")
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=pd.concat([trend["month"], trend["month"][::-1]]), y=pd.concat([trend["ci_high"], trend["ci_low"][::-1]]),
        fill="toself", fillcolor=_with_alpha(MARKETING, 0.15), mode="lines", line={"width": 0}, hoverinfo="skip",
        showlegend=False))
    fig.add_trace(go.Scatter(
        x=trend["month"], y=trend["rejection_rate"], mode="lines+markers", line={"color": MARKETING, "width": 2},
        marker={"color": ["white" if s else MARKETING for s in trend["is_small_sample"]],
                "line": {"color": MARKETING, "width": 2}, "size": 8},
        customdata=trend[["rejected", "worked"]].to_numpy(),
        hovertemplate="%{x|%b %Y}: %{y:.1%} (%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>",
        showlegend=False))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", gridcolor=_GRID, title="rejected / worked")
    fig.update_xaxes(tickformat="%b\n%Y", gridcolor=_GRID, title=None, dtick="M1")
    return _layout(fig, 300, title)


# Which side moves a recycled lead through each outcome: nurture brings it back, sales does the rest.
_OUTCOME_OWNER = {"recycled": "marketing", "came_back": "marketing", "accepted_on_return": "sales",
                  "reached_sql": "sales", "won": "sales"}


def recycled_outcomes_chart(outcomes: pd.DataFrame) -> go.Figure:
    """What became of recycled MQLs, as counts and shares of the recycled."""
    title = "What became of recycled leads"
    if outcomes["count"].iloc[0] == 0:
        return _empty(title, "No MQL was recycled in this date range.")
    owners = outcomes["outcome"].map(_OUTCOME_OWNER)
    fig = go.Figure(go.Bar(
        y=outcomes["label"], x=outcomes["count"], orientation="h", marker={"color": [TEAM_COLOURS[o] for o in owners]},
        text=[f"{n:,}  ·  {s:.0%}" for n, s in zip(outcomes["count"], outcomes["share_of_recycled"])],
        textposition="outside", cliponaxis=False, hovertemplate="%{y}: %{x:,}<extra></extra>", showlegend=False))
    _legend_for_teams(fig, owners)
    fig.update_yaxes(autorange="reversed", title=None, automargin=True)
    fig.update_xaxes(title="MQLs", gridcolor=_GRID, rangemode="tozero",
                     range=[0, outcomes["count"].max() * 1.25])
    return _layout(fig, 300, title)


def calibration_chart(calibration: pd.DataFrame) -> go.Figure:
    """Per score band: rejection and conversion rates (bars) and the share of MQLs nobody touched (line)."""
    title = "Lead score calibration: what each band became"
    rows = calibration[calibration["mqls"] > 0]
    if rows.empty:
        return _empty(title, "No MQL was delivered in this date range.")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for column, name, colour in (("rejection_rate", "Rejected (of worked)", MARKETING),
                                 ("sql_rate", "Reached SQL (of MQLs)", SALES),
                                 ("sql_rate_if_touched", "Reached SQL (of touched)", _with_alpha(SALES, 0.55)),
                                 ("sql_to_won_rate", "SQL → Won", "#1E3A8A")):
        fig.add_trace(go.Bar(x=rows["score_band"], y=rows[column], name=name, marker={"color": colour},
                             customdata=rows["mqls"],
                             hovertemplate=f"%{{x}}: {name} %{{y:.1%}} (of %{{customdata:,}} MQLs)<extra></extra>"),
                      secondary_y=False)
    fig.add_trace(go.Scatter(x=rows["score_band"], y=rows["untouched_share"], name="Never touched (right axis)",
                             mode="lines+markers", line={"color": "#111827", "dash": "dot", "width": 2},
                             hovertemplate="%{x}: %{y:.1%} never touched<extra></extra>"), secondary_y=True)
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": -0.3, "yanchor": "top", "x": 0})
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", gridcolor=_GRID, title="share", secondary_y=False)
    fig.update_yaxes(tickformat=".2~%", rangemode="tozero", showgrid=False, title="never touched",
                     secondary_y=True)
    fig.update_xaxes(title="lead score band")
    fig = _layout(fig, 420, title)
    fig.update_layout(margin={"b": 120})
    return fig


def capacity_chart(capacity: pd.DataFrame, top: int = 25) -> go.Figure:
    """Open MQLs per SDR (dark: never touched), with their median minutes to first touch."""
    title = "Open MQLs per SDR (label: of received · median minutes to touch)"
    rows = capacity.head(top).iloc[::-1]
    if rows.empty:
        return _empty(title, "No MQL was delivered in this date range.")
    labels = [f"{name} · {team}" for name, team in zip(rows["sdr_rep_name"], rows["sdr_team_name"])]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=rows["open_now"] - rows["untouched_open"], orientation="h", name="open, touched",
                         marker={"color": _with_alpha(SALES, 0.45)},
                         hovertemplate="%{y}: %{x:,} open and touched<extra></extra>"))
    fig.add_trace(go.Bar(y=labels, x=rows["untouched_open"], orientation="h", name="open, never touched",
                         marker={"color": SALES}, hovertemplate="%{y}: %{x:,} never touched<extra></extra>"))
    fig.add_trace(go.Scatter(
        y=labels, x=rows["open_now"], mode="text", cliponaxis=False, showlegend=False, hoverinfo="skip",
        text=[f"  {o:,} of {m:,} · {_minutes(t)}" for o, m, t in
              zip(rows["open_now"], rows["mqls"], rows["median_touch_minutes"])], textposition="middle right"))
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.16, "yanchor": "top", "x": 0})
    fig.update_xaxes(title="open MQLs (no verdict yet)", gridcolor=_GRID,
                     rangemode="tozero", range=[0, max(rows["open_now"].max(), 1) * 2.1])
    fig.update_yaxes(title=None, automargin=True)
    fig = _layout(fig, max(320, 26 * len(rows) + 170), title)
    fig.update_layout(margin={"b": 100})
    return fig


# --- the SLA ledger -----------------------------------------------------------------------------

def bands_chart(first_touch: pd.Series) -> go.Figure:
    """Due MQLs by business minutes to first touch; bands past the SLA in BREACH red, never-touched last."""
    threshold = first_touch["threshold_minutes"]
    labels = [label for label, _low, _high in BANDS] + ["never touched"]
    counts = [int(first_touch[f"band_{i}"]) for i in range(len(BANDS))] + [int(first_touch["untouched_count"])]
    within = [high <= threshold for _label, _low, high in BANDS] + [False]
    total = max(sum(counts), 1)
    fig = go.Figure(go.Bar(
        x=labels, y=counts, marker={"color": [SALES if w else BREACH for w in within]},
        text=[f"{n:,} ({n / total:.0%})" for n in counts], textposition="outside", cliponaxis=False,
        hovertemplate="%{x}: %{y:,} MQLs<extra></extra>", showlegend=False))
    for name, colour in (("within the SLA", SALES), ("past the SLA", BREACH)):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name, hoverinfo="skip",
                                 marker={"size": 12, "symbol": "square", "color": colour}))
    fig.update_layout(legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    fig.update_yaxes(title="MQLs due", gridcolor=_GRID, rangemode="tozero", range=[0, max(counts + [1]) * 1.2])
    fig.update_xaxes(title="business minutes to first touch")
    return _layout(fig, 330, f"Time to first touch (SLA: {threshold:g} business minutes)")


def breaches_chart(breaches: pd.DataFrame, dimension_label: str, threshold: float, top: int = 20) -> go.Figure:
    """Median business minutes to first touch per value, against the SLA line; share within the SLA as a label."""
    title = f"Median time to first touch by {dimension_label} (line: the {threshold:g}-minute SLA)"
    rows = breaches.dropna(subset=["p50_minutes"]).nlargest(top, "due_count").sort_values("p50_minutes")
    if rows.empty:
        return _empty(title, "No MQL fell due under these filters.")
    late = rows["p50_minutes"] > threshold
    longest = max(rows["p50_minutes"].max(), threshold)
    fig = go.Figure(go.Bar(
        y=rows["dimension_value"], x=rows["p50_minutes"], orientation="h",
        marker={"color": [BREACH if x else SALES for x in late]},
        # Labels of short bars sit outside, spaced clear of the SLA line just past the bar's end.
        text=[("" if m >= longest / 2 else "    ") + f"{_minutes(m)} · {c:.0%} within SLA ({n:,} due)"
              for m, c, n in zip(rows["p50_minutes"], rows["compliance"], rows["due_count"])],
        textposition=["inside" if m >= longest / 2 else "outside" for m in rows["p50_minutes"]],
        insidetextanchor="end", textfont={"color": ["white" if m >= longest / 2 else "#111827"
                                                    for m in rows["p50_minutes"]]}, cliponaxis=False,
        customdata=rows[["breach_count", "due_count"]].to_numpy(),
        hovertemplate="%{y}: median %{x:.1f} business minutes; %{customdata[0]:,} of %{customdata[1]:,} "
                      "breached<extra></extra>", showlegend=False))
    fig.add_vline(x=threshold, line={"color": "#111827", "dash": "dash", "width": 2}, layer="below")
    fig.update_xaxes(title="median business minutes to first touch", gridcolor=_GRID, rangemode="tozero",
                     range=[0, longest * (1.15 if rows["p50_minutes"].min() >= longest / 2 else 1.9)])
    fig.update_yaxes(title=None, automargin=True)
    return _layout(fig, max(260, 30 * len(rows) + 110), title)


def ledger_trend_chart(ledger: pd.DataFrame) -> go.Figure:
    """One panel per promise, month by month: actual against the target line, in the owing side's colour."""
    promises = ledger.drop_duplicates("policy_id")[["policy_id", "side", "name", "unit"]].to_dict("records")
    titles = [f"{p['name']} ({p['side']})" for p in promises]
    fig = make_subplots(rows=1, cols=max(len(promises), 1), subplot_titles=titles, horizontal_spacing=0.07)
    for col, promise in enumerate(promises, start=1):
        part = ledger[ledger["policy_id"] == promise["policy_id"]]
        colour = TEAM_COLOURS[promise["side"]]
        kept = [colour if met else BREACH for met in part["is_met"]]
        fmt = ":,.0f" if promise["unit"] == "count" else ":.0%"
        if promise["unit"] == "count":
            fig.add_trace(go.Bar(x=part["month"], y=part["actual"], marker={"color": kept}, showlegend=False,
                                 hovertemplate=f"%{{x|%b %Y}}: %{{y{fmt}}} delivered<extra></extra>"), row=1, col=col)
        else:
            fig.add_trace(go.Scatter(x=part["month"], y=part["actual"], mode="lines+markers", showlegend=False,
                                     line={"color": colour, "width": 2}, marker={"color": kept, "size": 9},
                                     hovertemplate=f"%{{x|%b %Y}}: %{{y{fmt}}}<extra></extra>"), row=1, col=col)
        fig.add_trace(go.Scatter(x=part["month"], y=part["target"], mode="lines", showlegend=False,
                                 line={"color": "#111827", "dash": "dash", "width": 1.5, "shape": "hv"},
                                 hovertemplate=f"%{{x|%b %Y}}: target %{{y{fmt}}}<extra></extra>"), row=1, col=col)
        axis = {"rangemode": "tozero", "gridcolor": _GRID}
        if promise["unit"] != "count":
            axis.update(tickformat=".0%", range=[0, 1.05])
        fig.update_yaxes(row=1, col=col, **axis)
    fig.update_xaxes(tickformat="%b\n%Y", dtick="M1")
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="not kept", hoverinfo="skip",
                             marker={"size": 10, "color": BREACH}))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="target", hoverinfo="skip",
                             line={"color": "#111827", "dash": "dash"}))
    fig.update_layout(legend={"orientation": "h", "y": 1.16, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    fig.update_annotations(font_size=13)
    return _layout(fig, 340, "Each promise month by month (dashed: the target; red: a month it was not kept)")
