"""Definitions: every metric Tandem computes, with the one written definition both teams use."""

import pandas as pd
import streamlit as st

from data.stages import MAIN_PATH, SKIPPED_STAGE_RULE, STAGE_LABELS, STAGE_OWNER
from metrics import REGISTRY
from ui.theme import team_badge

st.title("Definitions")
st.caption("One written definition per metric. The same text appears beside the number wherever it is shown.")

owners = st.segmented_control("Owner", ["marketing", "sales", "shared"], selection_mode="multi",
                              default=["marketing", "sales", "shared"], key="definitions_owner",
                              format_func=str.capitalize)
search = st.text_input("Search", key="definitions_search", placeholder="e.g. win rate, cohort, SLA")

table = pd.DataFrame([{
    "Metric": m.label, "Name": m.name, "Owner": m.owner, "Area": m.area, "Grain": m.grain,
    "Definition": m.definition,
    "Parameters": ", ".join(f"{p.name} (default {p.default})" for p in m.params),
} for m in REGISTRY.values()])
shown = table[table["Owner"].isin(owners or [])]
if search:
    needle = search.lower()
    shown = shown[shown["Metric"].str.lower().str.contains(needle, regex=False)
                  | shown["Definition"].str.lower().str.contains(needle, regex=False)]
if shown.empty:
    st.info("No metric matches. Clear the search or pick another owner.")
else:
    st.dataframe(shown, hide_index=True, width="stretch", key="definitions_table",
                 column_config={"Definition": st.column_config.TextColumn(width="large")})

st.subheader("The stage model")
st.markdown(" → ".join(f"{STAGE_LABELS[s]} {team_badge(STAGE_OWNER[s])}" for s in MAIN_PATH),
            unsafe_allow_html=True)
st.markdown("Detours: **Rejected** (sales sends a lead back, with a reason), **Recycled** (back to nurture), "
            "**Disqualified**, **Lost** (a closed opportunity that was not won).")
st.markdown(f"**Skipped stages.** {SKIPPED_STAGE_RULE}")
