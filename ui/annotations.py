"""Annotations on time-series charts: a vertical line on each event's day, a short label, the full text on hover.

Pure: a Plotly figure and chart_annotations' frame in, the same figure annotated out. Works on a single chart
and on make_subplots grids: the line is drawn in every panel, the label only in the first, so a five-panel
trend is not labelled five times. Events of the same kind on the same day share one line.
"""

from __future__ import annotations

import itertools

import pandas as pd
import plotly.graph_objects as go

from ui.theme import MARKETING, SHARED, TEAM_COLOURS

KIND_LABELS = {"launch": "Launch", "definition": "Definition changed", "decision": "Decision", "note": "Note"}
# Dash patterns tell kinds apart where colours repeat (a marketing decision and a launch are both amber).
KIND_DASH = {"launch": "dot", "definition": "dash", "decision": "solid", "note": "dashdot"}
LABEL_CHARS = 40
# Room under the plot for the x axis's tick labels and title before the key of events starts.
_KEY_GAP = 58


def _colour(kind: str, owner_team: str) -> str:
    if kind == "launch":
        return MARKETING  # campaigns are marketing's
    if kind == "definition":
        return SHARED  # a definition is the one both teams read
    return TEAM_COLOURS.get(owner_team, SHARED)


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _day_and_kind(row: dict) -> tuple[pd.Timestamp, str]:
    return pd.Timestamp(row["on_date"]), row["kind"]


def events(annotations: pd.DataFrame) -> pd.DataFrame:
    """One row per day and kind: the label to print, the hover text, the colour and the dash."""
    rows = []
    # A handful of rows: plain Python, where a pandas groupby cost more than the chart they go on.
    records = annotations[["on_date", "kind", "label", "detail", "owner_team"]].to_dict("records")
    by_day_and_kind = itertools.groupby(sorted(records, key=_day_and_kind), key=_day_and_kind)
    for (day, kind), group in ((key, list(items)) for key, items in by_day_and_kind):
        first = group[0]
        more = f" +{len(group) - 1} more" if len(group) > 1 else ""
        hover = "<br>".join(f"{KIND_LABELS.get(kind, kind)}: {row['label']}"
                            + (f" ({row['detail']})" if isinstance(row["detail"], str) and row["detail"] else "")
                            for row in group)
        rows.append({"on_date": day, "kind": kind,
                     "text": f"{KIND_LABELS.get(kind, kind)}: {_short(first['label'])}{more}",
                     "hover": f"{day:%d %b %Y}<br>{hover}",
                     "colour": _colour(kind, first["owner_team"]), "dash": KIND_DASH.get(kind, "dot")})
    return pd.DataFrame(rows, columns=["on_date", "kind", "text", "hover", "colour", "dash"])


def _panels(fig: go.Figure) -> list[tuple[str, str]]:
    """(x reference, y reference) of each panel, first panel first."""
    layout = fig.layout.to_plotly_json()
    names = sorted((name for name in layout if name.startswith("xaxis")), key=lambda name: int(name[5:] or 1))
    panels = []
    for name in names or ["xaxis"]:
        suffix = name[5:]
        anchor = layout.get(name, {}).get("anchor")
        panels.append((f"x{suffix}", anchor if anchor and anchor != "free" else f"y{suffix}"))
    return panels


def _key_lines(items: list[str], width: int) -> list[str]:
    """Entries joined with wide gaps, wrapped into lines of about `width` characters of text."""
    lines, current, length = [], [], 0
    for text, visible in items:
        if current and length + visible > width:
            lines.append("&nbsp;&nbsp;&nbsp;".join(current))
            current, length = [], 0
        current.append(text)
        length += visible + 3
    if current:
        lines.append("&nbsp;&nbsp;&nbsp;".join(current))
    return lines


def annotate(fig: go.Figure, annotations: pd.DataFrame | None, key_width: int = 110) -> go.Figure:
    """Draw each event on `fig` (chart_annotations' columns: on_date, kind, label, detail, owner_team): a
    numbered line in every panel, and under the chart a key of what each number is. The figure grows by the
    key's height, so the plot keeps its size."""
    if annotations is None or annotations.empty:
        return fig
    panels = _panels(fig)
    marks = events(annotations).reset_index(drop=True)
    # Collected as plain dicts and added in one update: Plotly validates each add_shape / add_annotation call
    # against the whole layout, which cost more than building the chart.
    shapes, labels, key = list(fig.layout.shapes), list(fig.layout.annotations), []
    for number, event in enumerate(marks.itertuples(index=False), start=1):
        shapes += [{"type": "line", "xref": x_ref, "yref": f"{y_ref} domain", "x0": event.on_date,
                    "x1": event.on_date, "y0": 0, "y1": 1, "layer": "below",
                    "line": {"color": event.colour, "width": 1.5, "dash": event.dash}} for x_ref, y_ref in panels]
        x_ref, y_ref = panels[0]
        # Staggered down the line, so numbers of events a few days apart do not cover each other.
        labels.append({"x": event.on_date, "xref": x_ref, "y": 1 - 0.1 * ((number - 1) % 3), "yref": f"{y_ref} domain",
                       "text": f"<b>{number}</b>", "hovertext": event.hover, "showarrow": False, "yanchor": "top",
                       "font": {"size": 10, "color": "white"}, "bgcolor": event.colour, "borderpad": 2})
        entry = f"{number} · {event.on_date:%d %b} · {event.text}"
        key.append((f"<span style='color:{event.colour}'><b>{number}</b></span>{entry[len(str(number)):]}",
                    len(entry)))
    lines = _key_lines(key, key_width)
    extra = 16 * len(lines) + 8
    labels.append({"text": "<br>".join(lines), "xref": "paper", "yref": "paper", "x": 0, "y": 0, "xanchor": "left",
                   "yanchor": "top", "yshift": -_KEY_GAP, "align": "left", "showarrow": False, "font": {"size": 11}})
    grown = {"height": fig.layout.height + _KEY_GAP + extra} if fig.layout.height else {}
    fig.update_layout(shapes=shapes, annotations=labels, margin={"b": (fig.layout.margin.b or 0) + _KEY_GAP + extra},
                      **grown)
    return fig
