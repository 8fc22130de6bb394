"""Multi-GPU throughput (placeholder until issue 7 lands)."""

import streamlit as st

from ui import setup_page

setup_page("Multi-GPU throughput")
st.title("Multi-GPU throughput")
st.info("This page is being built; its live model arrives with issue 7.")
