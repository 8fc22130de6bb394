"""The one plotly template of the app."""

import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE_NAME = "rnnplay"
# Colour-blind-safe qualitative palette (Okabe-Ito), in the order series use it.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
FONT = "Inter, Segoe UI, Helvetica, Arial, sans-serif"

pio.templates[TEMPLATE_NAME] = go.layout.Template(
    layout=go.Layout(
        colorway=COLORS,
        font=dict(family=FONT, size=13, color="#1f2430"),
        title=dict(font=dict(size=16), x=0.0, xanchor="left"),
        margin=dict(l=50, r=20, t=50, b=45),
        hoverlabel=dict(font=dict(family=FONT)),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1.0),
        coloraxis=dict(colorscale="Blues"),
    )
)
pio.templates.default = f"plotly_white+{TEMPLATE_NAME}"


def base_figure(title: str | None = None, height: int = 380, **layout) -> go.Figure:
    """An empty figure with the app's template, a title and a height."""
    fig = go.Figure()
    fig.update_layout(template=pio.templates.default, title=title, height=height, **layout)
    return fig
