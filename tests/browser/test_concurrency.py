"""Several sessions at once on one server: each translates, uploads a clip and generates text, sees
only its own results and no exception, and the server keeps serving."""

import asyncio
import urllib.request

import pytest

from bench.sessions import INTERACTIONS, run_sessions
from tests.browser.helpers import off_the_browser_loop

pytestmark = pytest.mark.browser

SESSIONS = 3  # bounded for CI; bench/load_protocol.py simulates a classroom without browsers


def test_concurrent_sessions_get_their_own_results(server, tmp_path):
    results = off_the_browser_loop(asyncio.run, run_sessions(server, SESSIONS, tmp_path, timeout=90_000))
    assert len(results) == SESSIONS
    for result in results:
        assert result["own"] == dict.fromkeys(INTERACTIONS, True), "; ".join(result["errors"])
        assert result["exceptions"] == 0, "; ".join(result["errors"])
    with urllib.request.urlopen(f"{server}/_stcore/health", timeout=5) as response:
        assert response.read() == b"ok"  # the server is still serving
