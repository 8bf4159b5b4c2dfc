"""Pure chart builders for the Campaign ROI page: a metric's DataFrame in, a Plotly figure out. No Streamlit.

Team colours as everywhere: marketing's numbers (spend, cost, traffic, what marketing brings) amber, sales'
(its verdict, pipeline, what it uses late) blue, shared ones grey; small samples muted.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from metrics.attribution import MODELS
from ui import format as fmt
from ui.theme import MARKETING, MUTED, SALES, SHARED

_FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}
_GRID = "#EEF2F7"
# Models are not teams: a palette that avoids the team colours, one colour per model.
MODEL_COLOURS = {"first_touch": "#0F766E", "last_touch": "#7C3AED", "linear": "#64748B", "u_shaped": "#DB2777",
                 "w_shaped": "#111827", "full_path": "#16A34A", "time_decay": "#0891B2"}


def _layout(fig: go.Figure, height: int, title: str, top: int = 80) -> go.Figure:
    """Title at the top left, a one-line legend under it (charts with panel titles pass a larger `top`)."""
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": top, "b": 10}, font=_FONT,
                      title={"text": title, "x": 0, "y": 1 - 14 / height, "yanchor": "top", "yref": "container",
                             "font": {"size": 15}},
                      plot_bgcolor="white", paper_bgcolor="white", hoverlabel={"font_size": 12},
                      legend={"orientation": "h", "y": 1 - 42 / height, "yanchor": "top", "yref": "container",
                              "x": 0, "xanchor": "left", "title": None})
    return fig


def _row_labels(table: pd.DataFrame) -> pd.Series:
    return table["campaign_name"] if table["campaign_name"].notna().any() else table["channel"]


def times(value) -> str:
    """A ratio such as ROI or ROAS: 6.3x; a dash when there is none."""
    return "–" if value is None or pd.isna(value) else f"{value:,.1f}×"


def _alpha(hex_colour: str, alpha: float) -> str:
    red, green, blue = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def roi_chart(table: pd.DataFrame, top: int = 20) -> go.Figure:
    """ROI per channel or campaign, best on top; rows resting on too few won deals muted, with n beside each."""
    rows = table.dropna(subset=["roi"]).sort_values("roi").tail(top)
    labels = _row_labels(rows)
    colours = [MUTED if small else MARKETING for small in rows["is_small_sample"]]
    text = [f"{times(roi)} · ROAS {times(roas)} · {won:,} won deals" + (" (too few)" if small else "")
            for roi, roas, won, small in zip(rows["roi"], rows["roas"], rows["won_deals_touched"],
                                             rows["is_small_sample"])]
    fig = go.Figure(go.Bar(
        y=labels, x=rows["roi"], orientation="h", marker={"color": colours},
        customdata=rows[["spend", "won_revenue"]].to_numpy(),
        hovertemplate="%{y}<br>ROI %{x:.2f}<br>spend $%{customdata[0]:,.0f}, attributed revenue "
                      "$%{customdata[1]:,.0f}<extra></extra>", showlegend=False))
    fig.add_vline(x=0, line={"color": "#475569", "width": 1})
    low = min(0.0, float(rows["roi"].min())) if len(rows) else 0.0
    high = max(0.0, float(rows["roi"].max())) if len(rows) else 1.0
    # Room right of the longest bar (or of zero) for the labels: a bit over a third of the axis.
    room = max(high - low, 0.1) * 0.6
    # Labels start just right of the bar's end, or of the zero line for a loss: a loss's bar runs left towards
    # the campaign names, and a label beyond its end would print over them.
    gap = (high + room - low) * 0.008
    fig.add_trace(go.Scatter(y=labels, x=rows["roi"].clip(lower=0) + gap, mode="text", text=text,
                             textposition="middle right", textfont={"color": "#374151", "size": 11},
                             cliponaxis=False, hoverinfo="skip", showlegend=False))
    fig.update_xaxes(title="ROI = (attributed won revenue − spend) / spend", gridcolor=_GRID, zeroline=False,
                     range=[low * 1.05, high + room])
    fig.update_yaxes(title=None, automargin=True)
    model = rows["model_label"].iloc[0] if len(rows) else ""
    return _layout(fig, max(300, 30 * len(rows) + 120),
                   f"ROI by {'campaign' if rows['campaign_name'].notna().any() else 'channel'} under {model} "
                   "(grey: too few won deals to trust)")


def cost_vs_rejection_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows cost_vs_rejection_chart can place: a cost per lead above zero (the axis is logarithmic) and a
    rejection rate of worked MQLs."""
    rows = table.dropna(subset=["cost_per_lead", "rejection_rate"])
    return rows[(rows["worked"] > 0) & (rows["cost_per_lead"] > 0)]


def cost_vs_rejection_chart(table: pd.DataFrame, label_top: int = 3) -> go.Figure:
    """Cost per lead (marketing's number) against sales' rejection rate with its interval (sales' verdict):
    cheap leads that sales rejects sit top left. Dot size: leads."""
    rows = cost_vs_rejection_rows(table)
    labels = _row_labels(rows)
    size = (rows["leads"] / max(rows["leads"].max(), 1)) ** 0.5 * 40 + 8 if len(rows) else []
    worst = list(rows.nlargest(label_top, "rejection_rate").index)
    # Alternate the label side so neighbouring worst offenders don't print over each other.
    sides = {i: ("top right", "bottom right", "top left")[k % 3] for k, i in enumerate(worst)}
    fig = go.Figure(go.Scatter(
        x=rows["cost_per_lead"], y=rows["rejection_rate"], mode="markers+text",
        text=[name if i in sides else "" for i, name in zip(rows.index, labels)],
        textposition=[sides.get(i, "middle right") for i in rows.index], textfont={"size": 12, "color": "#111827"},
        marker={"size": size, "color": [MUTED if s else MARKETING for s in rows["is_small_verdict_sample"]],
                "line": {"color": "white", "width": 1}, "opacity": 0.85},
        error_y={"type": "data", "symmetric": False, "array": (rows["rejection_ci_high"] - rows["rejection_rate"]),
                 "arrayminus": (rows["rejection_rate"] - rows["rejection_ci_low"]), "color": SALES, "thickness": 1.5},
        customdata=pd.DataFrame({"name": labels, "leads": rows["leads"], "worked": rows["worked"]}).to_numpy(),
        hovertemplate="%{customdata[0]}<br>cost per lead $%{x:,.0f}<br>rejected %{y:.0%} of %{customdata[2]:,} "
                      "worked MQLs<br>%{customdata[1]:,} leads<extra></extra>", showlegend=False))
    ticks = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]
    fig.update_xaxes(title="Cost per lead (marketing, log scale)", type="log", gridcolor=_GRID, tickvals=ticks,
                     ticktext=[f"${t:,}" for t in ticks])
    fig.update_yaxes(title="Rejected by sales (of worked MQLs)", tickformat=".0%", rangemode="tozero", gridcolor=_GRID)
    fig.update_traces(cliponaxis=False)
    return _layout(fig, 460, "Cheap leads, rejected by sales? Cost per lead against sales' rejection rate "
                             "(bars: 95% interval; size: leads)")


def path_chart(path: pd.DataFrame) -> go.Figure:
    """One deal's touches in time order, each bar its credit; anchor touches labelled with their roles and
    credit; touches outside the path muted."""
    in_path = (path["status"] == "in the path").to_numpy()
    fig = go.Figure(go.Bar(
        x=path["touch_number"], y=path["credit"], marker={"color": [MARKETING if i else MUTED for i in in_path]},
        customdata=pd.DataFrame({"at": path["touched_at"].dt.strftime("%d %b %Y %H:%M"),
                                 "campaign": path["campaign_name"], "asset": path["content_asset"].fillna("no asset"),
                                 "status": path["status"], "roles": path["roles"]}).to_numpy(),
        hovertemplate="#%{x} %{customdata[1]}<br>%{customdata[0]} · %{customdata[2]}<br>credit $%{y:,.2f} "
                      "%{customdata[4]}<br>%{customdata[3]}<extra></extra>", showlegend=False))
    # Anchors are labelled above their bar (bar text would shrink to fit a narrow bar).
    for number, credit, roles in zip(path["touch_number"], path["credit"], path["roles"]):
        if roles:
            fig.add_annotation(x=number, y=credit, text=f"{fmt.money(credit)}<br>{roles}", showarrow=False,
                               yanchor="bottom", yshift=4, font={"size": 11, "color": "#374151"})
    top = float(path["credit"].max()) if len(path) else 1.0
    fig.update_yaxes(title="Credit ($)", gridcolor=_GRID, range=[0, max(top, 1.0) * 1.3])
    fig.update_xaxes(title="Touch number, in time order (hover for campaign and asset)",
                     dtick=1 if len(path) <= 40 else None, range=[0.4, max(len(path), 1) + 0.6])
    model = path["model_label"].iloc[0] if len(path) else ""
    return _layout(fig, 400, f"Each touch's credit under {model} (labelled: the model's anchors; grey: outside "
                             "the path)")


def comparison_chart(comparison: pd.DataFrame, top: int = 15) -> go.Figure:
    """Every model's credit per row as dots on one line; rows the models disagree on most flagged."""
    label = "campaign_name" if "campaign_name" in comparison else "channel"
    rows = pd.concat([comparison[comparison["is_disputed"]],
                      comparison.nlargest(top, "max_credit")]).drop_duplicates(subset=[label])
    rows = rows.sort_values("max_credit")
    names = [f"⚑ {name}" if disputed else name for name, disputed in zip(rows[label], rows["is_disputed"])]
    fig = go.Figure()
    for name, low, high, disputed in zip(names, rows["min_credit"], rows["max_credit"], rows["is_disputed"]):
        fig.add_trace(go.Scatter(x=[low, high], y=[name, name], mode="lines", hoverinfo="skip", showlegend=False,
                                 line={"color": MARKETING if disputed else "#CBD5E1", "width": 6 if disputed else 3}))
    for model in MODELS.values():
        fig.add_trace(go.Scatter(
            x=rows[f"credited_{model.name}"], y=names, mode="markers", name=model.label,
            marker={"color": MODEL_COLOURS[model.name], "size": 10, "line": {"color": "white", "width": 1}},
            hovertemplate=f"%{{y}}<br>{model.label}: $%{{x:,.0f}}<extra></extra>"))
    fig.update_xaxes(title="Credited amount ($)", gridcolor=_GRID, rangemode="tozero")
    fig.update_yaxes(title=None, automargin=True)
    height = max(380, 30 * len(rows) + 170)
    return _layout(fig, height, "Credit under each model (⚑ amber line: where the models disagree most)", top=100)


def sourced_influenced_chart(frame: pd.DataFrame) -> go.Figure:
    """Per channel, sourced and influenced side by side for pipeline and for revenue; never stacked or summed."""
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04)
    rows = frame.iloc[::-1]
    for col, measure in enumerate(("pipeline", "revenue"), start=1):
        for kind, colour in (("sourced", MARKETING), ("influenced", _alpha(MARKETING, 0.35))):
            fig.add_trace(go.Bar(
                y=rows["channel"], x=rows[f"{kind}_{measure}"], orientation="h", marker={"color": colour},
                name=f"Marketing-{kind}", legendgroup=kind, showlegend=col == 1,
                hovertemplate=f"%{{y}}: $%{{x:,.0f}} {kind}<extra></extra>"), row=1, col=col)
        fig.update_xaxes(title=f"{measure.capitalize()} ($)", gridcolor=_GRID, row=1, col=col)
    fig.update_yaxes(automargin=True)
    fig.update_layout(barmode="group")
    return _layout(fig, max(380, 40 * len(rows) + 140),
                   "Marketing-sourced and marketing-influenced, side by side (never add them up)")


def spend_trend_chart(trend: pd.DataFrame, channel: str | None) -> go.Figure:
    """Monthly spend (bars, marketing) under pipeline and revenue (lines, sales and shared), one channel or all."""
    rows = trend if channel is None else trend[trend["channel"] == channel]
    monthly = rows.groupby("month", as_index=False)[["spend", "pipeline", "won_revenue"]].sum()
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.6, 0.4],
                        subplot_titles=("Attributed pipeline and won revenue", "Campaign spend"))
    fig.add_trace(go.Scatter(x=monthly["month"], y=monthly["pipeline"], name="Pipeline (sales)", mode="lines+markers",
                             line={"color": SALES, "width": 2},
                             hovertemplate="%{x|%b %Y}: pipeline $%{y:,.0f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=monthly["month"], y=monthly["won_revenue"], name="Won revenue (shared)",
                             mode="lines+markers", line={"color": SHARED, "width": 2},
                             hovertemplate="%{x|%b %Y}: won $%{y:,.0f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(x=monthly["month"], y=monthly["spend"], name="Spend (marketing)",
                         marker={"color": MARKETING}, hovertemplate="%{x|%b %Y}: spend $%{y:,.0f}<extra></extra>"),
                  row=2, col=1)
    fig.update_yaxes(title="$", gridcolor=_GRID, rangemode="tozero")
    fig.update_xaxes(tickformat="%b\n%Y", gridcolor=_GRID)
    fig.update_annotations(font_size=13)
    model = rows["model_label"].iloc[0] if len(rows) else ""
    return _layout(fig, 560, f"{channel or 'All channels'}: spend against pipeline and revenue by month ({model})",
                   top=110)


def traffic_daily_chart(daily: pd.DataFrame, channel: str | None) -> go.Figure:
    """Sessions, visitors and engaged sessions (marketing), leads below; by week when the range is long."""
    rows = daily if channel is None else daily[daily["channel"] == channel]
    columns = ["sessions", "visitors", "engaged_sessions", "leads"]
    weekly = len(rows) and (rows["day"].max() - rows["day"].min()).days > 92
    period = rows["day"].dt.to_period("W").dt.start_time if weekly else rows["day"]
    per = rows.assign(period=period).groupby("period", as_index=False)[columns].sum()
    unit = "week" if weekly else "day"
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1, row_heights=[0.65, 0.35],
                        subplot_titles=(f"Website sessions per {unit}", f"Leads created per {unit}"))
    for column, name, style in (("sessions", "Sessions", {"width": 2}),
                                ("visitors", "Visitors", {"width": 1.5, "dash": "dot"}),
                                ("engaged_sessions", "Engaged sessions", {"width": 1.5, "dash": "dash"})):
        fig.add_trace(go.Scatter(x=per["period"], y=per[column], name=name, mode="lines",
                                 line={"color": MARKETING, **style},
                                 hovertemplate=f"%{{x|%d %b %Y}}: %{{y:,}} {name.lower()}<extra></extra>"),
                      row=1, col=1)
    fig.add_trace(go.Bar(x=per["period"], y=per["leads"], name="Leads", marker={"color": _alpha(MARKETING, 0.6)},
                         hovertemplate="%{x|%d %b %Y}: %{y:,} leads<extra></extra>"), row=2, col=1)
    fig.update_yaxes(title=f"per {unit}", gridcolor=_GRID, rangemode="tozero")
    fig.update_xaxes(gridcolor=_GRID)
    fig.update_annotations(font_size=13)
    return _layout(fig, 500, f"{channel or 'All channels'}: website traffic and leads by {unit}", top=110)


def traffic_conversion_chart(conversion: pd.DataFrame) -> go.Figure:
    """Session-to-lead and lead-to-MQL per channel with 95% intervals; small samples muted."""
    rows = conversion.iloc[::-1]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.05,
                        subplot_titles=("Session → lead", "Lead → MQL"))
    for col, rate in enumerate(("session_to_lead", "lead_to_mql"), start=1):
        fig.add_trace(go.Bar(
            y=rows["channel"], x=rows[rate], orientation="h",
            marker={"color": [MUTED if small else MARKETING for small in rows["is_small_sample"]]},
            error_x={"type": "data", "symmetric": False, "array": (rows[f"{rate}_ci_high"] - rows[rate]).fillna(0),
                     "arrayminus": (rows[rate] - rows[f"{rate}_ci_low"]).fillna(0), "color": "#475569",
                     "thickness": 1},
            text=[fmt.percent(v, 2 if col == 1 else 1) for v in rows[rate]], textposition="inside",
            insidetextanchor="start", hovertemplate="%{y}: %{x:.2%}<extra></extra>", showlegend=False),
            row=1, col=col)
        fig.update_xaxes(tickformat=".0%" if col == 2 else ".1%", rangemode="tozero", gridcolor=_GRID, row=1, col=col)
    fig.update_yaxes(automargin=True)
    fig.update_annotations(font_size=13)
    return _layout(fig, max(320, 34 * len(rows) + 130), "Traffic → lead → MQL by channel (95% intervals; grey: "
                                                        "under 30 leads)")


def content_won_chart(content: pd.DataFrame, top: int = 15) -> go.Figure:
    """Share of won paths and of lost paths each asset appears in (shared: both teams use content)."""
    rows = content.nlargest(top, "won_deals").iloc[::-1]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=rows["content_asset"], x=rows["pct_of_won"], orientation="h", name="Won deals",
                         marker={"color": SHARED}, hovertemplate="%{y}: in %{x:.0%} of won paths<extra></extra>"))
    fig.add_trace(go.Bar(y=rows["content_asset"], x=rows["pct_of_lost"], orientation="h", name="Lost deals",
                         marker={"color": MUTED}, hovertemplate="%{y}: in %{x:.0%} of lost paths<extra></extra>"))
    fig.update_xaxes(title="Share of closed deals whose path holds the asset", tickformat=".0%", gridcolor=_GRID)
    fig.update_yaxes(automargin=True)
    fig.update_layout(barmode="group")
    return _layout(fig, max(360, 44 * len(rows) + 130), "Content in the paths of won and lost deals")


def content_late_chart(late: pd.DataFrame, top: int = 15) -> go.Figure:
    """Touches per asset before the opportunity (marketing) and after it (sales at work), by late share."""
    rows = late[(late["early_touches"] + late["late_touches"]) > 0].nlargest(top, "late_share").iloc[::-1]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=rows["content_asset"], x=rows["early_touches"], orientation="h",
                         name="Before the opportunity (marketing)", marker={"color": MARKETING},
                         hovertemplate="%{y}: %{x:,} touches before the opportunity<extra></extra>"))
    fig.add_trace(go.Bar(y=rows["content_asset"], x=rows["late_touches"], orientation="h",
                         name="After it was created (sales)", marker={"color": SALES},
                         text=[f"{fmt.percent(s, 0)} late" for s in rows["late_share"]], textposition="outside",
                         hovertemplate="%{y}: %{x:,} touches while sales works the deal<extra></extra>"))
    total = float((rows["early_touches"] + rows["late_touches"]).max()) if len(rows) else 1.0
    fig.update_xaxes(title="Touches on opportunities' leads", gridcolor=_GRID, range=[0, total * 1.15])
    fig.update_yaxes(automargin=True)
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_traces(cliponaxis=False)
    return _layout(fig, max(360, 44 * len(rows) + 130), "Content used late in the cycle (sorted by late share)")
