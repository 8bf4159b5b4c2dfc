"""Tandem: the router and the shared filters; every view lives in pages/."""

import streamlit as st

from data.db import StoreError
from ui import filters, identity, store

st.set_page_config(page_title="Tandem", page_icon=":material/handshake:", layout="wide")

try:
    store.connection(str(store.db_path()))
except StoreError as exc:
    st.error(str(exc))
    st.stop()

PAGES = [
    st.Page("pages/funnel.py", title="Funnel", icon=":material/filter_alt:", default=True),
    st.Page("pages/goals.py", title="Goals", icon=":material/flag:"),
    st.Page("pages/campaigns.py", title="Campaign ROI", icon=":material/campaign:"),
    st.Page("pages/feedback.py", title="Feedback", icon=":material/forum:"),
    st.Page("pages/sla.py", title="SLA ledger", icon=":material/handshake:"),
    st.Page("pages/meeting.py", title="Meeting", icon=":material/groups:"),
    st.Page("pages/definitions.py", title="Definitions", icon=":material/menu_book:"),
    st.Page("pages/data.py", title="Data", icon=":material/database:"),
]
page = st.navigation(PAGES)

bounds = store.bounds()
# An empty store still opens the Data page: it is how data gets in.
if bounds is None and page.url_path != "data":
    st.info(f"The store at {store.db_path()} holds no leads yet, so there is nothing to show here. Import your own "
            "data on the Data page, or build the demo with `python -m data demo --db PATH`.")
    st.page_link("pages/data.py", label="Go to the Data page", icon=":material/database:")
    st.stop()
if bounds is not None:
    st.session_state["filters"] = filters.sidebar(store.options(), bounds)
st.session_state["user"] = identity.sidebar_picker()
page.run()
