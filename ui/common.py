"""Page set-up, figures, errors, progress and URL-backed settings.

URL-backed settings: ``bind_choice``/``bind_int``/``bind_float``/``bind_text`` give a widget's ``bind=`` argument
(Streamlit's own two-way sync, used by every page with settings): a value a widget cannot take is ignored
with a notice."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib
import math
import os
import pickle
from collections.abc import Callable
from typing import TypeVar

# Imported here, before any page draws: plotly's JSON encoder reads pandas and PIL.Image from
# sys.modules without waiting for an import in progress, so when one session's first table
# imported pandas while another drew a chart, that chart failed on a half-initialised pandas
# (found by bench/bench_load.py). Every page imports `ui` first, and other threads wait for that.
import pandas  # noqa: F401
import PIL.Image  # noqa: F401
import plotly.graph_objects as go
import streamlit as st
import torch
from streamlit.errors import StreamlitAPIException

import core.plots  # noqa: F401  (registers the app's plotly templates)
from core.errors import UserError
from core.plots.theme import themed

# Every rerun ends in a full garbage collection (Streamlit's runner.postScriptGC: gc.collect(2)) that walked the ~million objects torch, plotly and pandas
# create at import: 70-120 ms of server CPU per click on any page (a two-line app importing torch: 120 ms
# per rerun, 5 ms after this). Freezing moves what exists now out of the collector's reach; module
# objects live as long as the process anyway.
gc.freeze()

T = TypeVar("T")
ABOUT = "RNN Playground: recurrent networks trained and measured live. Light or dark theme: this menu, Settings."


def setup_page(title: str, icon: str = "🔁") -> None:
    """Page config + the environment sidebar; call first on every page."""
    # menu_items shows the menu under toolbarMode = "minimal"; it holds the light/dark theme switch
    st.set_page_config(
        page_title=f"{title} · RNN Playground", page_icon=icon, layout="wide", menu_items={"About": ABOUT}
    )
    environment_sidebar()


def environment_sidebar() -> None:
    with st.sidebar:
        st.caption("Environment")
        cuda = torch.cuda.device_count()
        devices = ", ".join(torch.cuda.get_device_name(i) for i in range(cuda)) if cuda else "none"
        st.markdown(
            f"torch `{torch.__version__}` · threads `{torch.get_num_threads()}` · "
            f"cores `{os.cpu_count()}` · CUDA devices: {devices}"
        )


def show_figure(fig: go.Figure, key: str, caption: str | None = None, **kwargs):
    """Render a core.plots figure with the app's template (not Streamlit's), light or dark as the browser
    shows the app; ``caption`` is a sentence under it saying what it shows (for readers who cannot see it)."""
    _rerun_on_theme_change()
    chart = st.plotly_chart(themed(fig, st.context.theme.type), key=key, theme=None, width="stretch", **kwargs)
    if caption:
        st.caption(caption)
    return chart


def _rerun_on_theme_change() -> None:
    """A theme switch reruns nothing (Streamlit issue #11920), and the next rerun may be one section's
    (st.fragment), which would leave the other sections' charts in the old theme: rerun the page once."""
    theme = st.context.theme.type
    seen = st.session_state.get("_chart_theme", theme)
    st.session_state["_chart_theme"] = theme
    if seen != theme:
        st.rerun()


@contextlib.contextmanager
def user_errors():
    """Show a UserError as st.error instead of a traceback; other errors stay bugs."""
    try:
        yield
    except UserError as error:
        st.error(str(error))


def kept_result(key: str, inputs, pressed: bool, compute: Callable[[], T]) -> T | None:
    """The result a button asked for, kept in the session until its inputs change.

    ``compute()`` runs when ``pressed``; the result is stored with ``inputs`` (anything
    comparable with ``==``) and returned on every later rerun whose inputs are equal, so moving
    an unrelated widget does not make it vanish. Returns None until asked or once inputs differ.
    """
    store = st.session_state.setdefault("_kept_results", {})
    if pressed:
        store.pop(key, None)  # a failed compute must not leave the previous result standing
        store[key] = (inputs, compute())
    kept = store.get(key)
    return kept[1] if kept is not None and kept[0] == inputs else None


def _bind_if_valid(key: str, label: str, valid: Callable[[str], bool]) -> str | None:
    """``bind=`` for the widget keyed ``key``: "query-params" unless the URL holds a value it must not take.

    Streamlit's binding drops most bad values silently, and an integer number_input seeded with
    ``inf`` or ``1e400`` raises OverflowError inside Streamlit (1.67) before the page can catch it.
    So a bad value is removed from the URL with a notice and the widget is drawn unbound this run;
    the browser's next query string no longer carries it, and the binding resumes.
    """
    raw = st.query_params.get(key)
    if raw is None or valid(raw):
        return "query-params"
    shown = raw[:40].replace("`", "'") + ("…" if len(raw) > 40 else "")
    st.warning(f"Ignored the link's value for {label} (`{shown}`): not one it can take; using the default.")
    with contextlib.suppress(StreamlitAPIException):  # already bound (history navigation): unbinding clears it
        del st.query_params[key]
    return None


def bind_choice(key: str, label: str, options) -> str | None:
    """``bind=`` for a choice widget: a URL value not among ``options`` is ignored with a notice."""
    return _bind_if_valid(key, label, lambda raw: raw in [str(o) for o in options])


def bind_text(key: str, label: str, max_chars: int) -> str | None:
    """``bind=`` for a text widget: a URL value longer than ``max_chars`` is ignored with a notice."""
    return _bind_if_valid(key, label, lambda raw: len(raw) <= max_chars)


def bind_int(key: str, label: str, low: int, high: int) -> str | None:
    """``bind=`` for an integer number_input: a URL value that is not a whole number in [low, high] is ignored."""

    def valid(raw: str) -> bool:
        try:
            number = float(raw)
        except ValueError:
            return False
        return math.isfinite(number) and number.is_integer() and low <= number <= high

    return _bind_if_valid(key, label, valid)


def bind_float(key: str, label: str, low: float, high: float) -> str | None:
    """``bind=`` for a float slider or number_input: a URL value that is not a finite number in [low, high] is
    ignored with a notice (Streamlit would clamp or drop it silently, or fail on ``nan``)."""

    def valid(raw: str) -> bool:
        try:
            number = float(raw)
        except ValueError:
            return False
        return math.isfinite(number) and low <= number <= high

    return _bind_if_valid(key, label, valid)


def last_result(key: str, inputs, compute: Callable[[], T]) -> T | None:
    """``compute()``'s result for ``inputs``, kept in the session until the inputs change (``kept_result``
    without a button): a rerun caused by a widget that does not change ``inputs`` does no model work."""
    kept = kept_result(key, inputs, False, compute)
    return kept if kept is not None else kept_result(key, inputs, True, compute)


def frozen_after(load: Callable[[], T]) -> T:
    """``load()``, then what it left behind moved out of the collector's reach, as gc.freeze() above does for the
    imports. A first checkpoint load imports torch and hub modules lazily (about 130k objects): the full collection
    that ends every rerun walked them again, 70-90 ms of server CPU per click on the Generator page (measured with
    bench/bench_rerun_cost.py --live). Call it for loads that live as long as the process (cached models)."""
    value = load()
    gc.collect()  # garbage first: a frozen cycle would never be freed
    gc.freeze()
    return value


class _DictKept(go.Figure):
    """A figure whose dict form is made once. st.plotly_chart turns a figure into a dict (to_dict: a deep copy of
    every trace, lists walked item by item) on every draw, so a section rerun paid 5-20 ms of server CPU per chart
    with per-point lists (heatmap hover text, token labels). Only for figures nobody changes once built."""

    def to_dict(self) -> dict:
        if "_kept_dict" not in self.__dict__:
            self._kept_dict = super().to_dict()
        return self._kept_dict


@st.cache_resource(max_entries=64, show_spinner=False)
def _built_figure(module: str, name: str, digest: str, _args: tuple, _kwargs: dict) -> go.Figure:
    fig = getattr(importlib.import_module(module), name)(*_args, **_kwargs)
    fig.__class__ = _DictKept  # not _DictKept(fig): that copy validates every property again
    return fig


def cached_figure(builder: Callable[..., go.Figure], *args, **kwargs) -> go.Figure:
    """``builder(*args, **kwargs)`` built once per distinct arguments, shared read-only by sessions, with its dict
    form (what st.plotly_chart serialises) kept too. Building a plotly figure costs 50-100 ms of server CPU
    (template validation); serialising one with per-point lists 5-20 ms per draw. show_figure never changes it;
    in the dark theme it draws a copy (themed()), which is converted again on each draw.

    The arguments are told apart by a digest of their pickle, not by Streamlit's hasher, which walks lists item by
    item in Python (5-10 ms per rerun for a batch of token lists). Different arguments never pickle alike; equal
    ones that pickle differently (another dict order) only build the figure again."""
    digest = hashlib.blake2b(pickle.dumps((args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()
    return _built_figure(builder.__module__, builder.__name__, digest, args, kwargs)


@st.cache_resource(show_spinner=False)
def frozen_after_first_run(page: str) -> None:
    """Call last on a page: once per page and process, what its first run left behind is frozen (frozen_after).
    A page's first run imports modules lazily (Streamlit's emoji table for the page icon, pandas' Styler
    templates, huggingface_hub, torch backends' sources): 30k objects on Variable length that the full collection
    ending every rerun walked again, 5-15 ms of server CPU per click. Frozen once, they live as long as the process,
    as modules do."""
    frozen_after(lambda: None)
