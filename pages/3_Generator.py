"""Text and music generator (placeholder until issue 5 lands)."""

import streamlit as st

from ui import setup_page

setup_page("Text and music generator")
st.title("Text and music generator")
st.info("This page is being built; its live model arrives with issue 5.")
