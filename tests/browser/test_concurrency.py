"""Several sessions at once on one server: each sees its own result, none sees an exception."""

import asyncio
import urllib.request

import pytest

from tests.browser.sessions import run_sessions

pytestmark = pytest.mark.browser

SESSIONS = 3  # bounded for CI; bench/bench_load.py runs 20


def test_concurrent_sessions_get_their_own_results(server):
    results = asyncio.run(run_sessions(server, SESSIONS))
    assert len(results) == SESSIONS
    for result in results:
        assert result["own_translation"], result
        assert result["exceptions"] == 0, result
    with urllib.request.urlopen(f"{server}/_stcore/health", timeout=5) as response:
        assert response.read() == b"ok"  # the server is still serving
