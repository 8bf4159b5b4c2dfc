"""Shared Streamlit pieces: the cached store and metric wrappers, filter widgets, chart builders."""
