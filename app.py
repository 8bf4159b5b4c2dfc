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
    st.Page("pages/definitions.py", title="Definitions", icon=":material/menu_book:"),
]
page = st.navigation(PAGES)

bounds = store.bounds()
if bounds is None:
    st.info(f"The store at {store.db_path()} holds no leads yet. Build the demo with "
            "`python -m data demo --db PATH` or import your own data.")
    st.stop()
st.session_state["filters"] = filters.sidebar(store.options(), bounds)
st.session_state["user"] = identity.sidebar_picker()
page.run()
