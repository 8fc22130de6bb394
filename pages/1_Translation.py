"""Translation with attention (placeholder until issue 3 lands)."""

import streamlit as st

from ui import setup_page

setup_page("Translation with attention")
st.title("Translation with attention")
st.info("This page is being built; its live model arrives with issue 3.")
