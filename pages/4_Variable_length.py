"""Variable-length sequences (placeholder until issue 6 lands)."""

import streamlit as st

from ui import setup_page

setup_page("Variable-length sequences")
st.title("Variable-length sequences")
st.info("This page is being built; its live model arrives with issue 6.")
