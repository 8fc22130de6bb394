"""AppTest fixtures: every test starts with empty Streamlit caches."""

import socket

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.helpers.apptest import APP, TIMEOUT


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Pages must work offline: any connection beyond loopback fails the test."""
    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else ""
        if self.family in (socket.AF_INET, socket.AF_INET6) and not (
            host.startswith("127.") or host in ("localhost", "::1", "")
        ):
            raise AssertionError(f"network access to {address!r} during a page test")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.delenv("RNNPLAY_ALLOW_NETWORK", raising=False)


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
