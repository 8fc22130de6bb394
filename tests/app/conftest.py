"""AppTest fixtures: every test starts with empty Streamlit caches."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 60  # seconds per script run; first loads of torch models are slow on 2 cores


@pytest.fixture(autouse=True)
def clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


@pytest.fixture
def open_page():
    """open_page("pages/1_Translation.py") -> AppTest that has run the page once."""

    def _open(path: str, query: dict | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.query_params.update(query or {})
        at.run()
        if path != "app.py":
            at.switch_page(path).run()
        assert not at.exception, at.exception
        return at

    return _open
