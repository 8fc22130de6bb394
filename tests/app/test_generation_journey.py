"""Generator page, issue 17/22 journeys: tunes that crashed play, the prime follows the model, results stay."""

from tests.helpers.apptest import charts

PAGE = "pages/3_Generator.py"


def test_a_tune_that_crashed_music21_plays_with_audio_midi_and_piano_roll(open_page):
    # 6/8 D jig, seed 3: music21 raised StreamException ("... is already found in this Stream") writing its MIDI
    query = {
        "gen_model": "folk-abc",
        "gen_meter": "6/8",
        "gen_key": "D major",
        "gen_type": "jig",
        "gen_seed": "3",
        "gen_length": "1500",
    }
    at = open_page(PAGE, query=query)
    at.button(key="gen_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.get("audio") and any("repeats played" in c.value for c in at.caption)
    labels = [b.label for b in at.get("download_button")]
    assert labels[:4] == ["Download text (.txt)", "Download .abc", "Download .mid", "Download .wav"]
    at.session_state["gen_result_view"] = "Piano roll"
    at.run()
    assert "Piano roll" in [(f["layout"].get("title") or {}).get("text") for f in charts(at)]


def test_prime_follows_the_model(open_page):
    at = open_page(PAGE, query={"gen_model": "folk-abc"})
    assert at.text_area(key="gen_prime").value == ""
    at.radio(key="gen_model").set_value("python-prose").run()
    assert not at.exception
    assert at.text_area(key="gen_prime").value == "The "
    at.radio(key="gen_model").set_value("folk-abc").run()
    assert at.text_area(key="gen_prime").value == ""


def test_url_prime_wins_on_first_load_and_survives_other_sections(open_page):
    at = open_page(PAGE, query={"gen_model": "python-prose", "gen_prime": "def "})
    assert at.text_area(key="gen_prime").value == "def "
    at.text_area(key="gen_prime").set_value("class ").run()
    at.radio(key="gen_view").set_value("Train your own").run()
    at.radio(key="gen_view").set_value("Generate").run()
    assert at.text_area(key="gen_prime").value == "class "


def test_opening_draws_only_the_generate_section(open_page):
    at = open_page(PAGE, query={"gen_model": "folk-abc"})
    assert not charts(at) and not at.code  # the gallery (26 samples and a chart) is not drawn until asked for
    assert "gen_train_corpus" not in [r.key for r in at.radio]


def test_tune_types_are_listed_once(open_page):
    at = open_page(PAGE, query={"gen_model": "folk-abc"})
    types = at.selectbox(key="gen_type").options
    assert len(types) == len(set(types)) and "other" in types


def test_greedy_says_why_it_loops_and_blocking_stops_it(open_page):
    at = open_page(
        PAGE, query={"gen_model": "python-prose", "gen_method": "greedy", "gen_length": "300", "gen_no_repeat": "12"}
    )
    assert at.number_input(key="gen_no_repeat").value == 12
    assert any("Why greedy and beam search loop" in c.value for c in at.caption)
    at.button(key="gen_run").click().run()
    assert not at.exception, at.exception
    text = "The"[-1] + at.session_state["gen_result"]["text"]
    grams = [text[i : i + 12] for i in range(len(text) - 11)]
    assert len(grams) == len(set(grams))
    assert at.query_params["gen_no_repeat"] == "12"


def test_style_check_result_stays_when_another_widget_changes(open_page):
    at = open_page(PAGE, query={"gen_model": "folk-abc", "gen_meter": "2/4", "gen_key": "G major"})
    at.slider(key="gen_check_n").set_value(4)
    at.button(key="gen_check").click().run()
    assert not at.exception, at.exception
    assert "Tunes that play" in [m.label for m in at.metric]
    at.number_input(key="gen_length").set_value(123).run()  # unrelated to the check
    assert "Tunes that play" in [m.label for m in at.metric]
    at.selectbox(key="gen_key").set_value("D").run()  # an input of the check: the old result goes
    assert "Tunes that play" not in [m.label for m in at.metric]
