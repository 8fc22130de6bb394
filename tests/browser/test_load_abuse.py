"""A tiny run of the bad-input scenarios (bench/load_abuse.py) against the live server: clients that never
read, a few uploads, a few reconnects; afterwards a normal session still gets its page."""

import asyncio

import pytest

from bench import load_abuse as abuse
from tests.browser.helpers import off_the_browser_loop

pytestmark = pytest.mark.browser  # it needs the live server of the browser tests (no Chromium)


def test_server_still_answers_after_never_reading_clients_uploads_and_reconnects(server):
    config = abuse.AbuseConfig(sessions=20, reruns=2, uploads=2, upload_mb=2, reconnects=5, storm_seconds=2)
    report = off_the_browser_loop(asyncio.run, abuse.abuse(server, config))
    assert report["unloaded"]["p50_s"] is not None
    for name in abuse.SCENARIOS:
        assert report[name]["server_answers_after"], (name, report[name])
        assert report[name]["probe_reruns"] > 0, (name, report[name])  # the normal session was answered meanwhile
    assert report["max_upload"]["refused"] == [True, True]  # zeros are not a video: a message, not a crash
    assert report["reconnect_storm"]["errors"] == []
    assert report["probe_errors"] == []
    assert off_the_browser_loop(asyncio.run, abuse.fresh_session_answers(server))
