"""Data trust on screen: the badge under KPI tiles and the panel on the Data page.

Both read the registered checks in metrics.trust through the cached store; every number carries its
check's written definition on hover.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics import REGISTRY
from metrics.filters import Filters
from metrics.trust import CHECKS, trust_summary
from ui import format as fmt
from ui import store

# Streamlit's named colours for a check's status (not a team's colour: every check is shared).
_STATUS_COLOUR = {"ok": "green", "warn": "orange", "alert": "red"}
_STATUS_WORD = {"ok": "fine", "warn": "worth a look", "alert": "needs attention"}


def checks(f: Filters) -> pd.DataFrame:
    """One row per check for these filters (see metrics.trust.trust_summary)."""
    return trust_summary({check.name: store.metric(check.name, check.scope(f)) for check in CHECKS})


def value_text(unit: str, value, empty: str) -> str:
    if pd.isna(value):
        return empty
    return _age(value) if unit == "days" else fmt.percent(value)


def _age(days: float) -> str:
    if days < 1 / 24:
        return "under an hour"
    return f"{days * 24:.0f} hours" if days < 2 else f"{days:.0f} days"


def badge(f: Filters, metric_names: tuple[str, ...]) -> None:
    """A caption line under KPI tiles: the checks that touch `metric_names` and are not fine."""
    summary = checks(f)
    relevant = summary[summary["affects"].apply(lambda names: bool(set(names.split(", ")) & set(metric_names)))]
    flagged = relevant[relevant["status"] != "ok"]
    definitions = "\n\n".join(f"**{REGISTRY[c].label}**: {REGISTRY[c].definition}" for c in relevant["check"])
    if flagged.empty:
        st.caption(f":green[●] Data trust: the {len(relevant)} checks behind these numbers are fine.",
                   help=definitions)
        return
    parts = [f":{_STATUS_COLOUR[row.status]}[●] {row.label.lower()}: {value_text(row.unit, row.value, row.empty)}"
             for row in flagged.itertuples()]
    st.caption("Data trust, for the leads behind these numbers: " + " · ".join(parts) + ". See the Data page.",
               help=definitions)


def panel(f: Filters | None) -> None:
    """Every check as a tile (value, affected of total, status), for the whole store or `f`."""
    if f is None:
        st.info("No leads yet, so there is nothing to check. Import an export below.")
        return
    summary = checks(f)
    for row_start in range(0, len(summary), 3):
        for column, row in zip(st.columns(3), summary.iloc[row_start:row_start + 3].itertuples()):
            with column.container(border=True):
                column_help = f"{REGISTRY[row.check].definition}\n\nCan distort: {row.affects}."
                st.metric(row.label, value_text(row.unit, row.value, row.empty), help=column_help)
                detail = "" if row.unit == "days" or not row.total else \
                    f"{fmt.count(row.affected)} of {fmt.count(row.total)} · "
                st.caption(f"{detail}:{_STATUS_COLOUR[row.status]}[{_STATUS_WORD[row.status]}]")
