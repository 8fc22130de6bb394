"""Streamlit helpers shared by the pages (the only package besides pages/ that imports streamlit)."""

from ui.common import (
    environment_sidebar,
    setup_page,
    show_figure,
    user_errors,
)

__all__ = [
    "environment_sidebar",
    "setup_page",
    "show_figure",
    "user_errors",
]
