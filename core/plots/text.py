"""Text coloured piece by piece as HTML, for st.html: hover a piece for its value."""

from __future__ import annotations

import html


def colored_spans_html(pieces: list[tuple[str, str, str]], line_height: float, separator: str = "") -> str:
    """``pieces`` of (text, hover title, CSS style) as monospace spans; a newline piece breaks the line."""
    spans = []
    for text, title, style in pieces:
        shown = "<br>" if text == "\n" else html.escape(text).replace(" ", "&nbsp;")
        spans.append(f'<span title="{html.escape(title)}" style="{style}">{shown}</span>')
    # st.html does not wrap like markdown: break anywhere, or a long run of characters widens a phone's page
    block = f"font-family:monospace;line-height:{line_height};overflow-wrap:anywhere"
    return f'<div style="{block}">' + separator.join(spans) + "</div>"
