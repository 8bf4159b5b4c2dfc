"""The meeting's one-page brief: an HTML page (A4, printable) with the charts as PNG images drawn by kaleido
through Chromium, and a CSV of each table. No Streamlit here: the page hands the board's frames in.

kaleido 1.x drives a Chrome or Chromium it finds itself; BROWSER_PATH names Debian's /usr/bin/chromium
when it is there. One kaleido server is started per process on first use and reused, so a brief's charts
take well under a second each after the first.
"""

from __future__ import annotations

import base64
import html
import io
import os
import threading
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from metrics.meeting import DIMENSION_LABELS, KPI_BY_NAME, top_contributors
from metrics.registry import REGISTRY
from ui.export import safe_csv
from ui.meeting_charts import change_text, contributors_chart, themes_chart, value_text
from ui.theme import TEAM_COLOURS, TEAM_LABELS

CHROMIUM = Path("/usr/bin/chromium")
_COLUMN_PX = 560  # charts are drawn this wide and shown half a page wide (about 90 mm)
MOVERS_SHOWN = 5  # campaigns in the brief's "Who moved it", chart and table alike
_SERVER_LOCK = threading.Lock()
_server_started = False


@dataclass(frozen=True)
class BriefInfo:
    """What the brief is of: its title, the period read, and where the numbers come from."""

    title: str
    period: str  # "1 Oct – 31 Oct 2026 against 31 Aug – 30 Sep 2026"
    provenance: str  # "Snapshot 3, frozen 27 Nov 2026 09:12 by Maya Marketing" or "Live numbers, not frozen"
    filters: str  # "Segment: Enterprise" or "All records"


class BriefError(RuntimeError):
    """The charts could not be drawn as images; the message says what to install or set."""


# --- charts as images ---------------------------------------------------------------------------

def _start_kaleido() -> None:
    global _server_started
    with _SERVER_LOCK:
        if _server_started:
            return
        if "BROWSER_PATH" not in os.environ and CHROMIUM.exists():
            os.environ["BROWSER_PATH"] = str(CHROMIUM)
        import kaleido

        kaleido.start_sync_server(silence_warnings=True)
        _server_started = True


def figure_png(fig: go.Figure, width: int = 1000) -> bytes:
    """The figure as PNG bytes at twice the pixel density (sharp when printed)."""
    _start_kaleido()
    import kaleido

    height = int(fig.layout.height or 400)
    # Streamlit makes its own Plotly template the process default; the brief is drawn the same everywhere.
    fig.update_layout(template="plotly_white")
    try:
        return kaleido.calc_fig_sync(fig.to_dict(), opts={"format": "png", "width": width, "height": height,
                                                          "scale": 2})
    except Exception as exc:  # kaleido raises its own and choreographer's errors; say what to do about all of them
        raise BriefError(f"The brief's charts could not be drawn as images ({type(exc).__name__}: {exc}). kaleido "
                         "needs Chrome or Chromium: install it (apt-get install -y chromium) or set BROWSER_PATH "
                         "to its executable.") from exc


def _image(fig: go.Figure, alt: str, width: int) -> str:
    """The chart as an embedded PNG; without a browser to draw it, a note saying so (the tables still stand)."""
    try:
        data = base64.b64encode(figure_png(fig, width)).decode()
    except BriefError as exc:
        return f'<p class="note">Chart "{html.escape(alt)}" not drawn: {html.escape(str(exc))}</p>'
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


# --- tables: the CSVs and the brief read the same frames ----------------------------------------

def _owner(owner: str) -> str:
    return TEAM_LABELS.get(owner, owner)


def kpi_table(deltas: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "KPI": deltas["label"], "Owner": deltas["owner"].map(_owner),
        "Now": [value_text(v, u) for v, u in zip(deltas["value"], deltas["format"])],
        "Before": [value_text(v, u) for v, u in zip(deltas["previous_value"], deltas["format"])],
        "Change": [change_text(c, u) for c, u in zip(deltas["change"], deltas["format"])],
        "Relative": ["–" if pd.isna(p) else f"{p:+.1%}" for p in deltas["change_pct"]],
        "Better?": ["–" if pd.isna(b) else "better" if b else "worse" for b in deltas["is_better"]],
        "Source metric": deltas["source"],
    })


def who_moved_it(board: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The campaigns that moved the biggest mover most: the brief's chart and table both show these rows."""
    return top_contributors(board["contributors_campaign"], biggest_mover(board["kpi_deltas"]), MOVERS_SHOWN)


def contributor_table(rows: pd.DataFrame, dimension: str) -> pd.DataFrame:
    return pd.DataFrame({
        "KPI": rows["label"], DIMENSION_LABELS[dimension]: rows["dimension_value"],
        "Now": [value_text(v, u) for v, u in zip(rows["value"], rows["format"])],
        "Before": [value_text(v, u) for v, u in zip(rows["previous_value"], rows["format"])],
        "Change": [change_text(c, u) for c, u in zip(rows["change"], rows["format"])],
        "Share of the KPI's change": ["–" if pd.isna(s) else f"{s:.0%}" for s in rows["share_of_change"]],
    })


def goals_table(goals: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Goal": [label if scope == "All" else f"{label} · {scope}" for label, scope in
                 zip(goals["label"], goals["scope_label"])],
        "Owner": goals["owner_team"].map(_owner), "Period": goals["period_label"],
        "Actual": [value_text(a, u) for a, u in zip(goals["actual"], goals["format"])],
        "Target": [value_text(t, u) for t, u in zip(goals["target"], goals["format"])],
        "Attainment": [value_text(a, "percent") for a in goals["attainment"]],
        "Expected by now": [value_text(e, u) for e, u in zip(goals["expected_to_date"], goals["format"])],
        "Status": goals["status"],
    })


def funnel_table(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    previous = dict(zip(before["stage"], before["volume"]))
    return pd.DataFrame({
        "Stage": now["label"], "Owner": now["owner"].map(_owner), "Volume": now["volume"],
        "Previous period": [previous.get(s) for s in now["stage"]],
        "% of previous": [value_text(r, "percent") for r in now["pct_of_previous"]],
        "Median days in stage": [value_text(d, "days") for d in now["median_days"]],
    })


def _ledger_value(value, unit: str) -> str:
    return value_text(value, "count" if unit == "count" else "percent")


def sla_table(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    previous = dict(zip(before["policy_id"], before["actual"]))
    return pd.DataFrame({
        "Promise": now["name"], "Owed by": now["side"].map(_owner),
        "Actual": [_ledger_value(a, u) for a, u in zip(now["actual"], now["unit"])],
        "Target": [_ledger_value(t, u) for t, u in zip(now["target"], now["unit"])],
        "Kept": ["yes" if met else "no" for met in now["is_met"]],
        "Previous period": [_ledger_value(previous.get(p), u) for p, u in zip(now["policy_id"], now["unit"])],
        "Still owed": [value_text(s, "count") for s in now["shortfall"]],
    })


def themes_table(now: pd.DataFrame, before: pd.DataFrame, top: int = 6) -> pd.DataFrame:
    counts = now.groupby("reason")["rejected_count"].sum().sort_values(ascending=False).head(top)
    shares = now.groupby("reason")["share"].sum()
    earlier = before.groupby("reason")["rejected_count"].sum()
    return pd.DataFrame({"Reason": counts.index, "Rejected": counts.to_numpy(),
                         "Share of rejections": [value_text(shares[r], "percent") for r in counts.index],
                         "Previous period": [int(earlier.get(r, 0)) for r in counts.index]})


def campaigns_table(campaigns: pd.DataFrame, top: int = 8) -> pd.DataFrame:
    rows = campaigns[campaigns["campaign_id"].notna()].sort_values("won_revenue", ascending=False).head(top)
    return pd.DataFrame({
        "Campaign": rows["campaign_name"], "Channel": rows["channel"],
        "Spend": [value_text(s, "currency") for s in rows["spend"]],
        "Attributed won revenue": [value_text(r, "currency") for r in rows["won_revenue"]],
        "ROI": [value_text(r, "times") for r in rows["roi"]],
        "MQLs": rows["mqls"], "Rejection rate": [value_text(r, "percent") for r in rows["rejection_rate"]],
    })


def actions_table(actions: pd.DataFrame) -> pd.DataFrame:
    tied = [m if isinstance(m, str) else c if isinstance(c, str) else "–"
            for m, c in zip(actions["metric_label"], actions["campaign_name"])]
    return pd.DataFrame({
        "#": actions["item_id"], "Kind": actions["kind"].str.capitalize(), "What": actions["item_text"],
        "Tied to": tied, "Owner team": actions["owner_team"].map(_owner), "Owner": actions["owner_name"],
        "Due": [d.isoformat() if isinstance(d, date) else "–" for d in actions["due_date"]],
        "Status": actions["status"].str.replace("_", " "),
        "Raised in": actions["raised_in"], "Carried over": ["yes" if c else "" for c in actions["is_carried_over"]],
        "Overdue": [f"{int(d)} days" if o else "" for o, d in zip(actions["is_overdue"], actions["days_overdue"])],
    })


def annotations_table(annotations: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"Day": [f"{d:%d %b %Y}" for d in annotations["on_date"]],
                         "Kind": annotations["kind"].str.capitalize(), "What": annotations["label"],
                         "Detail": annotations["detail"].fillna("")})


def brief_tables(board: dict[str, pd.DataFrame], actions: pd.DataFrame,
                 annotations: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every table of the brief, by file name (without .csv)."""
    return {
        "kpi_changes": kpi_table(board["kpi_deltas"]),
        "who_moved_it": contributor_table(who_moved_it(board), "campaign"),
        "goals": goals_table(board["goals"]),
        "funnel": funnel_table(board["funnel"], board["funnel_previous"]),
        "sla_ledger": sla_table(board["sla"], board["sla_previous"]),
        "feedback_themes": themes_table(board["themes"], board["themes_previous"]),
        "campaigns": campaigns_table(board["campaigns"]),
        "decisions_and_actions": actions_table(actions),
        "annotations": annotations_table(annotations),
    }


def csv_tables(board: dict[str, pd.DataFrame], actions: pd.DataFrame,
               annotations: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The numbers behind every table of the brief, unformatted, by file name: the board's frames as the metrics
    returned them (the KPI changes carry each KPI's definition), the decisions and actions, the annotations."""
    names = {"kpi_deltas": "kpi_changes", "goals": "goals", "funnel": "funnel", "funnel_previous": "funnel_previous",
             "sla": "sla_ledger", "sla_previous": "sla_ledger_previous", "themes": "feedback_themes",
             "themes_previous": "feedback_themes_previous", "roi": "acquisition_cost", "campaigns": "campaigns"}
    tables = {names[key]: board[key] for key in names}
    for dimension in DIMENSION_LABELS:
        tables[f"contributors_by_{dimension}"] = board[f"contributors_{dimension}"]
    return {**tables, "decisions_and_actions": actions, "annotations": annotations}


def tables_zip(tables: dict[str, pd.DataFrame]) -> bytes:
    """One formula-safe CSV per table in a ZIP."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in tables.items():
            archive.writestr(f"{name}.csv", safe_csv(frame))
    return buffer.getvalue()


# --- the HTML page ------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 9mm; }
* { box-sizing: border-box; }
body { font: 9.5px/1.25 Inter, "Segoe UI", Helvetica, Arial, sans-serif; color: #111827; margin: 0 auto;
       max-width: 192mm; padding: 0; }
h1 { font-size: 17px; margin: 0 0 2px; }
h2 { font-size: 12px; margin: 6px 0 2px; border-bottom: 1px solid #E5E7EB; padding-bottom: 1px; }
.meta { color: #4B5563; margin: 0 0 4px; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 12px; }
.grid > section { min-width: 0; }
img { width: 100%; display: block; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 1px 4px; border-bottom: 1px solid #F1F5F9; vertical-align: top; }
th { color: #4B5563; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
.late td { color: #B91C1C; }
.note { color: #6B7280; font-size: 9px; }
.team { font-weight: 600; }
"""


def _cell(column: str, value) -> str:
    text = "–" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    if column in ("Owner", "Owned by", "Owed by", "Owner team"):
        colour = next((TEAM_COLOURS[k] for k, v in TEAM_LABELS.items() if v == text), None)
        if colour:
            return f'<td class="team" style="color:{colour}">{html.escape(text)}</td>'
    numeric = isinstance(value, int | float) or text[:1] in "+−$–" or text[:1].isdigit()
    return f'<td class="num">{html.escape(text)}</td>' if numeric and column not in ("What", "Due") \
        else f"<td>{html.escape(text)}</td>"


def _html_table(frame: pd.DataFrame, late: pd.Series | None = None, empty: str = "Nothing to show.") -> str:
    if frame.empty:
        return f'<p class="note">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for i, record in enumerate(frame.itertuples(index=False)):
        style = ' class="late"' if late is not None and bool(late.iloc[i]) else ""
        rows.append(f"<tr{style}>" + "".join(_cell(c, v) for c, v in zip(frame.columns, record)) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _section(title: str, body: str) -> str:
    return f"<section><h2>{html.escape(title)}</h2>{body}</section>"


def biggest_mover(deltas: pd.DataFrame) -> str:
    """The additive KPI whose relative change was largest either way (won revenue when none moved): the one
    the brief splits by campaign."""
    moved = deltas[deltas["has_contributors"] & deltas["change_pct"].notna() & (deltas["change"] != 0)]
    if moved.empty:
        return "won_revenue"
    return str(moved.loc[moved["change_pct"].abs().idxmax(), "kpi"])


def _print(fig: go.Figure, title: str, height: int = 250) -> go.Figure:
    """A half-page chart for paper: a short title, larger type, a fixed height so the brief fits one page."""
    fig.update_layout(title={"text": title, "font": {"size": 15}}, font={"size": 15}, margin={"t": 60},
                      height=height)
    fig.update_xaxes(automargin=True)
    return fig


def brief_html(info: BriefInfo, board: dict[str, pd.DataFrame], actions: pd.DataFrame,
               annotations: pd.DataFrame) -> str:
    """The brief as one self-contained HTML page: the board's frames (metrics.meeting.board_requests), the
    meeting's decisions and actions (meeting_actions) and the period's annotations (chart_annotations)."""
    tables = brief_tables(board, actions, annotations)
    kpis = tables["kpi_changes"].drop(columns=["Relative", "Source metric"])
    worse = board["kpi_deltas"]["is_better"].eq(False).fillna(False)
    goals = board["goals"]
    period = f", {goals['period_label'].iloc[0]}" if len(goals) else ""
    rows = [
        _grid(_section("What changed", _html_table(kpis, late=worse) + '<p class="note">Red: changed for the worse. '
                       "Definitions: each KPI's metric, named in kpi_changes.csv.</p>"),
              _section("Who moved it", _who_moved_it(board, tables["who_moved_it"]))),
        _grid(_section(f"Goals{period}", _html_table(tables["goals"].drop(columns=["Period", "Expected by now"]),
                                                     empty="No goals for the quarter.")),
              _section("Funnel", _html_table(tables["funnel"]))),
        _grid(_section("SLA ledger", _html_table(tables["sla_ledger"], empty="No SLA policy.")),
              _section("Top feedback themes", _themes(board))),
        _grid(_section("Campaign ROI", _roi_line(board["roi"])
                       + _html_table(tables["campaigns"].drop(columns=["Channel", "MQLs"]).head(5))),
              _section("Annotations", _html_table(tables["annotations"], empty="No launches, definition changes "
                                                                               "or decisions in the period."))),
        _section("Decisions and actions", _html_table(tables["decisions_and_actions"], late=actions["is_overdue"],
                                                      empty="No decisions or actions yet.")),
    ]
    header = (f"<p class='meta'>Tandem · meeting brief</p><h1>{html.escape(info.title)}</h1><p class='meta'>"
              f"{html.escape(info.period)} · {html.escape(info.filters)}<br>{html.escape(info.provenance)}</p>")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(info.title)}</title>"
            f"<style>{_CSS}</style></head><body>{header}{''.join(rows)}</body></html>")


def _who_moved_it(board: dict[str, pd.DataFrame], table: pd.DataFrame) -> str:
    """The biggest mover split by campaign: a chart and, under it, `table`, of the same rows."""
    label = KPI_BY_NAME[biggest_mover(board["kpi_deltas"])].shown_label
    if table.empty:
        return f'<p class="note">No campaign moved {html.escape(label.lower())}.</p>'
    title = f"{label}: change by campaign"
    chart = contributors_chart(who_moved_it(board), DIMENSION_LABELS["campaign"])
    shown = table.drop(columns=["Share of the KPI's change"])  # too wide for half a page; in the CSV
    return _image(_print(chart, title), title, _COLUMN_PX) + _html_table(shown)


def _themes(board: dict[str, pd.DataFrame]) -> str:
    if board["themes"].empty:  # no rejection in the period: a sentence, not an empty chart
        return '<p class="note">Sales rejected no MQLs in this period.</p>'
    chart = themes_chart(board["themes"], board["themes_previous"], REGISTRY["rejection_reason_mix"].owner, top=5)
    return _image(_print(chart, "Rejected MQLs by reason"), "Sales' top rejection reasons", _COLUMN_PX)


def _grid(left: str, right: str) -> str:
    return f'<div class="grid">{left}{right}</div>'


def _roi_line(roi: pd.DataFrame) -> str:
    row = roi.iloc[0]
    return (f"<p>Spend {value_text(row['campaign_spend'], 'currency')} · attributed won revenue "
            f"{value_text(row['attributed_won_revenue'], 'currency')} · ROI {value_text(row['roi'], 'times')} · "
            f"blended CAC {value_text(row['blended_cac'], 'currency')} "
            f"<span class='note'>({html.escape(str(row['model_label']))})</span></p>")
