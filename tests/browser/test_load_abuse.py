"""Tiny runs of the bad-input scenarios (bench/load_abuse.py): against the live server (clients that never
read, a few uploads, a few reconnects; afterwards a normal session still gets its page), and through nginx
with deploy/rnnplay.conf, whose per-address limits must refuse the abusing address and not the others."""

import asyncio

import pytest

from bench import load_abuse as abuse
from deploy.serve import replicas_behind_nginx
from tests.browser.helpers import off_the_browser_loop

pytestmark = pytest.mark.browser  # it needs live servers (no Chromium)


def test_server_still_answers_after_never_reading_clients_uploads_and_reconnects(server):
    config = abuse.AbuseConfig(sessions=20, reruns=2, uploads=2, upload_mb=2, reconnects=5, storm_seconds=2)
    report = off_the_browser_loop(asyncio.run, abuse.abuse(server, config))
    assert report["unloaded"]["p50_s"] is not None
    for name in abuse.SCENARIOS:
        assert report[name]["server_answers_after"], (name, report[name])
        assert report[name]["probe_reruns"] > 0, (name, report[name])  # the normal session was answered meanwhile
        assert report[name]["refused"] == 0, (name, report[name])  # nothing in front of a bare server refuses
    assert report["max_upload"]["app_message"] == [True, True]  # zeros are not a video: a message, not a crash
    assert report["reconnect_storm"]["errors"] == []
    assert report["probe_errors"] == []
    assert off_the_browser_loop(asyncio.run, abuse.fresh_session_answers(server))


@pytest.fixture(scope="module")
def behind_nginx(tmp_path_factory):
    with replicas_behind_nginx(1, tmp_path_factory.mktemp("abuse-nginx")) as (url, _):
        yield url


def test_nginx_refuses_the_abusing_address_and_keeps_serving_the_others(behind_nginx):
    # 80 never-reading sessions from 127.0.0.2 all stay open: more than the 64 websockets one address may
    # hold, however slowly they open. The probe and the fresh session come from 127.0.0.1.
    config = abuse.AbuseConfig(sessions=80, reruns=1, uploads=3, upload_mb=1, reconnects=10, storm_seconds=2)
    assert config.abuser == "127.0.0.2"
    report = off_the_browser_loop(asyncio.run, abuse.abuse(behind_nginx, config))
    flood = report["never_read"]
    assert flood["refused"] > 0 and flood["served"] > 0, flood
    assert flood["served"] + flood["refused"] == 80, flood  # a refusal is counted, not an error
    uploads = report["max_upload"]
    assert uploads["refused"] > 0, uploads  # three back to back from one session: the third gets 429
    assert uploads["app_message"] == [True] * uploads["served"], uploads
    assert report["reconnect_storm"]["errors"] == [], report["reconnect_storm"]
    for name in abuse.SCENARIOS:
        assert report[name]["probe_reruns"] > 0, (name, report[name])  # the other address was answered
        assert report[name]["server_answers_after"], (name, report[name])
    assert report["probe_errors"] == []
    assert off_the_browser_loop(asyncio.run, abuse.fresh_session_answers(behind_nginx))
    # the limits let the abusing address back in once it stops: they do not ban it
    assert off_the_browser_loop(asyncio.run, abuse.fresh_session_answers(behind_nginx, source=config.abuser))
