"""Plotly figure builders, one module per page, all drawn with the ``rnnplay`` template.

Importing this package registers the template and makes it plotly's default, so every figure
built in ``core`` looks the same. Pages pass figures to ``ui.show_figure`` (``theme=None``) so
Streamlit keeps this template instead of its own.
"""

from core.plots.theme import COLORS, TEMPLATE_NAME, base_figure

__all__ = ["COLORS", "TEMPLATE_NAME", "base_figure"]
