"""A widget change inside a section reruns only that section (st.fragment), seen on the websocket: the browser
sends the section's fragment id and the server answers with a fragment run, not a run of the whole page."""

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.browser.helpers import assert_no_exception, wait_for_rerun

pytestmark = pytest.mark.browser


class Wire:
    """Every rerun request the page sends and every script-finished status it receives."""

    def __init__(self, page):
        self.sent: list[str] = []  # fragment id of each rerun_script ("" = the whole page)
        self.finished: list[int] = []
        page.on("websocket", self.attach)

    def attach(self, ws) -> None:
        ws.on("framesent", self.on_sent)
        ws.on("framereceived", self.on_received)

    def on_sent(self, payload) -> None:
        if isinstance(payload, bytes):
            msg = BackMsg()
            msg.ParseFromString(payload)
            if msg.WhichOneof("type") == "rerun_script":
                self.sent.append(msg.rerun_script.fragment_id)

    def on_received(self, payload) -> None:
        if isinstance(payload, bytes):
            msg = ForwardMsg()
            msg.ParseFromString(payload)
            if msg.WhichOneof("type") == "script_finished":
                self.finished.append(msg.script_finished)

    def clear(self) -> None:
        self.sent.clear()
        self.finished.clear()


@pytest.mark.parametrize(
    "path, key, value",
    [
        ("/Variable_length", "varlen_buckets", "5"),
        ("/Multi_GPU", "dist_steps", "13"),
        ("/Translation", "tr_seed", "5"),
        ("/Generator", "gen_length", "401"),
    ],
)
def test_a_number_changed_in_a_section_reruns_only_that_section(page, path, key, value):
    wire = Wire(page)
    page.goto(path)
    wait_for_rerun(page)
    assert wire.finished and ForwardMsg.FINISHED_SUCCESSFULLY in wire.finished  # the first visit runs the page
    wire.clear()
    field = page.locator(f".st-key-{key} input")
    field.fill(value)
    field.press("Enter")
    wait_for_rerun(page)
    page.wait_for_function(f"() => location.search.includes('{key}={value}')")
    assert wire.sent and all(wire.sent), wire.sent  # sent with its section's fragment id
    assert wire.finished == [ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY] * len(wire.finished), wire.finished
    assert_no_exception(page)
