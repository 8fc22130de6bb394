"""Video classification (placeholder until issue 4 lands)."""

import streamlit as st

from ui import setup_page

setup_page("Video classification")
st.title("Video classification")
st.info("This page is being built; its live model arrives with issue 4.")
