"""Streamlit helpers shared by the pages (the only package besides pages/ that imports streamlit)."""

from ui.common import (
    environment_sidebar,
    query_choice,
    query_number,
    setup_page,
    show_figure,
    user_errors,
)

__all__ = [
    "environment_sidebar",
    "query_choice",
    "query_number",
    "setup_page",
    "show_figure",
    "user_errors",
]
