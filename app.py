"""Tandem: the router, sign-in and the shared filters; every view lives in views/."""

import streamlit as st

from data.db import StoreError
from ui import auth, filters, store

st.set_page_config(page_title="Tandem", page_icon=":material/handshake:", layout="wide")

try:
    store.connection(str(store.db_path()))
except StoreError as exc:
    st.error(str(exc))
    st.stop()

principal = auth.sign_in()  # draws the sign-in screen and stops the run until someone is signed in
st.session_state["principal"] = principal

bounds = store.bounds()
# An empty store opens on the Data page: it is how data gets in. Decided once per session, so the page
# a load was made on stays put when that load fills the store.
start_on_data = st.session_state.setdefault("start_on_data", bounds is None)
PAGES = [
    st.Page("views/funnel.py", title="Funnel", icon=":material/filter_alt:", default=not start_on_data),
    st.Page("views/goals.py", title="Goals", icon=":material/flag:"),
    st.Page("views/campaigns.py", title="Campaign ROI", icon=":material/campaign:"),
    st.Page("views/feedback.py", title="Feedback", icon=":material/forum:"),
    st.Page("views/sla.py", title="SLA ledger", icon=":material/handshake:"),
    st.Page("views/meeting.py", title="Meeting", icon=":material/groups:"),
    st.Page("views/definitions.py", title="Definitions", icon=":material/menu_book:"),
    st.Page("views/data.py", title="Data", icon=":material/database:", default=start_on_data),
]
page = st.navigation(PAGES)

if bounds is None and page.title != "Data":
    st.info(f"The store at {store.db_path()} holds no leads yet, so there is nothing to show here. Import your own "
            "data on the Data page, or build the demo with `python -m data demo --db PATH`.")
    st.page_link("views/data.py", label="Go to the Data page", icon=":material/database:")
    st.stop()
if bounds is not None:
    st.session_state["filters"] = filters.sidebar(store.options(), bounds, principal)
page.run()
