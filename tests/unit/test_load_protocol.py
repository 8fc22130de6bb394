"""The protocol load generator's checks and summaries, and the nginx site it deploys (no server)."""

import tomllib
from pathlib import Path

import pytest
from streamlit.proto.Element_pb2 import Element

from bench import load_protocol as load
from deploy import serve


def session_showing(*markdown: str) -> load.Session:
    session = load.Session("http://127.0.0.1:1", timeout=1)
    for index, body in enumerate(markdown):
        element = Element()
        element.markdown.body = body
        session.elements[(0, index)] = element
    return session


def test_a_translation_is_own_only_when_it_shows_this_persons_words():
    load.check_translation(session_showing("### → deux mille", "Source tokens: ..."), "deux mille")
    with pytest.raises(load.NotOwn):  # another person's number
        load.check_translation(session_showing("### → trois mille"), "deux mille")
    with pytest.raises(load.NotOwn):  # no result at all
        load.check_translation(session_showing("Type an input"), "deux mille")


def test_a_page_exception_is_an_error():
    session = session_showing("### → deux mille")
    element = Element()
    element.exception.type, element.exception.message = "ValueError", "boom"
    session.elements[(0, 9)] = element
    with pytest.raises(RuntimeError, match="ValueError: boom"):
        session.raise_shown_exception()


def test_widgets_are_found_by_their_user_key():
    session = session_showing()
    element = Element()
    element.text_input.id = "$$ID-0123abcd-tr_text"
    session.elements[(0, 0)] = element
    assert session.widget("tr_text").id == "$$ID-0123abcd-tr_text"
    with pytest.raises(load.NotOwn):
        session.widget("text")  # a suffix of the key, not the key


def test_summary_percentiles_and_targets():
    row = load.summary([i / 100 for i in range(1, 101)], errors=1)
    assert (row["completed"], row["errors"], row["p95"], row["p99"], row["max"]) == (100, 1, 0.95, 0.99, 1.0)
    assert load.summary([], errors=2) == {"completed": 0, "errors": 2}
    report = {
        "seconds": {"translate": {"p95": 1.5}, "generate": {"p95": 6.0}},
        "error_count": 0,
        "all_own_results": True,
        "server_rss_mb": {"peak": 900},
    }
    met = load.targets_met(report)
    assert met["translate_p95_le_2.0s"] and not met["generate_p95_le_5.0s"] and met["peak_le_1536MB"]
    assert "slider_p95_le_2.0s" not in met  # not in this run's scenario


def test_the_site_lists_every_replica_and_hashes_on_the_route_cookie(tmp_path):
    text = serve.site("8500", [8501, 8502, 8503])
    assert "@" not in text.replace("$", "")  # every placeholder filled
    assert "listen 8500;" in text
    assert [line.strip() for line in text.splitlines() if line.strip().startswith("server 127")] == [
        "server 127.0.0.1:8501;",
        "server 127.0.0.1:8502;",
        "server 127.0.0.1:8503;",
    ]
    assert f"hash ${serve.ROUTE_COOKIE} consistent;" in text and "ip_hash" not in text.replace("`ip_hash`", "")
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    conf = serve.nginx_conf(tmp_path, tmp_path / "site.conf")
    assert f"pid {tmp_path}/nginx.pid;" in conf and f"include {tmp_path}/site.conf;" in conf


def test_the_site_limits_each_client_address_with_429():
    text = serve.site("8500", [8501])
    zones = [line for line in text.splitlines() if line.startswith("limit_")]
    assert len(zones) == 4 and text.index(zones[-1]) < text.index("server {")  # http level, before the server
    for limit in ("limit_conn rnnplay_sockets", "limit_req zone=rnnplay_opens", "limit_req zone=rnnplay_uploads"):
        assert limit in text
    assert "limit_req_status 429;" in text and "limit_conn_status 429;" in text


def test_the_server_skips_streamlits_full_collection_after_every_run():
    """Each run's gc.collect(2) walks every open session's objects: 200 idle sessions made every click of the
    others slower (bench/load_abuse.py never_read). Python's own collector still runs."""
    config = tomllib.loads((Path(__file__).parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def test_a_session_connects_from_its_source_address_and_commands_are_recorded_as_typed():
    assert load.Session("http://127.0.0.1:1", 1, source="127.0.0.2").socket_options() == {
        "local_addr": ("127.0.0.2", 0)
    }
    assert load.Session("http://127.0.0.1:1", 1).socket_options() == {}
    assert load.command_line(["--abuse", "--out", "a b.json"], "bench/load_protocol.py") == (
        "python bench/load_protocol.py --abuse --out 'a b.json'"
    )
