"""The app's plotly templates: a light one (the default every core figure is built with) and a dark
one that ``ui.show_figure`` re-applies when the browser shows Streamlit's dark theme."""

import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE_NAME = "rnnplay"
DARK_TEMPLATE_NAME = "rnnplay_dark"
# Colour-blind-safe qualitative palette (Okabe & Ito, "Color Universal Design", 2008), in the order series use it.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
# The same palette on a dark background: its black entry would vanish, so it becomes light grey.
DARK_COLORS = [*COLORS[:-1], "#DDDDDD"]
NEUTRAL = "#888888"  # lines, arrows and markers that must read on both the light and the dark background
SEQUENTIAL = "Cividis"  # perceptually uniform and readable with red-green colour blindness
FONT = "Inter, Segoe UI, Helvetica, Arial, sans-serif"
# Streamlit's own dark background and text colours (.streamlit/config.toml [theme.dark]), so a chart sits flush.
DARK_BACKGROUND, DARK_TEXT = "#0E1117", "#FAFAFA"


def _template(colors: list[str], text: str, **background) -> go.layout.Template:
    return go.layout.Template(
        layout=go.Layout(
            colorway=colors,
            font=dict(family=FONT, size=13, color=text),
            title=dict(font=dict(size=16), x=0.0, xanchor="left"),
            margin=dict(l=50, r=20, t=50, b=45),
            hoverlabel=dict(font=dict(family=FONT)),
            legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1.0),
            coloraxis=dict(colorscale=SEQUENTIAL),
            colorscale=dict(sequential=SEQUENTIAL, sequentialminus=SEQUENTIAL),
            **background,
        )
    )


pio.templates[TEMPLATE_NAME] = _template(COLORS, "#1f2430")
pio.templates[DARK_TEMPLATE_NAME] = _template(
    DARK_COLORS, DARK_TEXT, paper_bgcolor=DARK_BACKGROUND, plot_bgcolor=DARK_BACKGROUND
)
# Registered already merged: a "a+b" name is merged and validated again by every figure that uses it
# (~40 ms of server CPU per figure, most of a page rerun's cost); a single name is only copied.
LIGHT, DARK = "rnnplay_light", "rnnplay_dark_full"
pio.templates[LIGHT] = pio.templates[f"plotly_white+{TEMPLATE_NAME}"]
pio.templates[DARK] = pio.templates[f"plotly_dark+{DARK_TEMPLATE_NAME}"]
pio.templates.default = LIGHT


def template_for(theme_type: str | None) -> str:
    """The template for a Streamlit theme type ("light", "dark", or None when the browser has not said)."""
    return DARK if theme_type == "dark" else LIGHT


def themed(fig: go.Figure, theme_type: str | None) -> go.Figure:
    """``fig`` itself for the light theme (it was built with it), else a copy in the dark template."""
    if theme_type != "dark":
        return fig
    copy = go.Figure(fig)
    copy.update_layout(template=DARK)
    return copy


def base_figure(title: str | None = None, height: int = 380, **layout) -> go.Figure:
    """An empty figure with the app's template, a title and a height."""
    fig = go.Figure()
    # named, not pio.templates.default: importing streamlit (after this module) makes its own template the default
    fig.update_layout(template=LIGHT, title=title, height=height, **layout)
    return fig
