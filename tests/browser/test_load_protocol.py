"""The protocol load generator against a live server: two simulated people, one translation each
(typed number, then beam 5); each must see its own number's French words and no error."""

import pytest

from bench import load_protocol as load
from tests.browser.helpers import off_the_browser_loop

pytestmark = pytest.mark.browser  # it needs the live server of the browser tests (no Chromium)


def test_two_people_each_see_their_own_translation(server, tmp_path):
    config = load.LoadConfig(people=2, minutes=3, think=(0.1, 0.3), timeout=90, scenario=("translate",), rounds=1)
    report = off_the_browser_loop(load.run, config, server, pids=[], folder=tmp_path)
    assert report["errors"] == [] and report["not_own"] == 0
    assert report["all_own_results"]
    for action in ("translate", "beam5"):
        assert report["seconds"][action]["completed"] == 2, report["seconds"]
    assert report["seconds"]["open"]["completed"] == 4  # Home and Translation, per person
    assert [p["completed"] for p in report["per_person"]] == [4, 4]
