"""Bad inputs of the variable-length page: each shows its message and the page keeps working."""

import pytest

PAGE = "pages/4_Variable_length.py"

TYPED = [
    ("", "error", "no sequences typed"),
    ("1 two 3", "error", "line 1: 'two' is not a token id"),
    ("4 5\n" + " ".join(["7"] * 300), "error", "line 2 has 300 tokens; at most 200 per sequence"),
    ("1 5000", "error", "line 1: token id 5000 is above 999"),
    ("\n".join(["1 2"] * 40), "error", "40 sequences typed; at most 32 are accepted"),
    ("0 1 2\n3", "warning", "The pad value 0 is also a real token in this batch"),
]


@pytest.mark.parametrize("text, kind, message", TYPED)
def test_typed_sequences(open_page, text, kind, message):
    at = open_page(PAGE)
    at.radio(key="varlen_source").set_value("typed sequences").run()
    at.text_area(key="varlen_typed").input(text).run()
    assert not at.exception
    shown = [e.value for e in getattr(at, kind)]
    assert any(message in value for value in shown), shown
    assert at.header[-1].value.endswith("Static vs dynamic unrolling vs packing")  # the rest of the page still renders


@pytest.mark.parametrize(
    "query, message",
    [
        ({"varlen_batch": "100000"}, "Batch size 100,000 is above the cap of 128; using 128."),
        (
            {"varlen_dist": "uniform", "varlen_len": "1000000"},
            "Maximum length 1,000,000 is above the cap of 500; using 500.",
        ),
        ({"varlen_T": "5000"}, "T 5,000 is above the cap of 200; using 200."),
    ],
)
def test_sizes_that_would_exhaust_memory_are_capped_with_a_notice(open_page, query, message):
    at = open_page(PAGE, query=query)
    assert any(message in w.value for w in at.warning), [w.value for w in at.warning]


HOSTILE = {
    "varlen_batch": ["lots", "-1e99", "1e400", "inf", "nan", "7.5", "", "9" * 5000],
    "varlen_len": ["-1", "1e400"],
    "varlen_dist": ["zipf", "<script>alert(1)</script>", "x" * 100_000],
    "varlen_T": ["-3", "-inf", "0x10"],
}


@pytest.mark.parametrize("key, value", [(k, v) for k, values in HOSTILE.items() for v in values])
def test_hostile_url_values_are_ignored_with_a_notice(open_page, key, value):
    at = open_page(PAGE, query={key: value})  # open_page asserts no exception
    assert not at.error
    notices = [w.value for w in at.warning if "Ignored the link's value" in w.value]
    assert len(notices) == 1 and len(notices[0]) < 200, notices
    assert "<script>" not in " ".join(m.value for m in at.markdown)
    assert at.selectbox(key="varlen_dist").value == "long-tailed"
    assert at.number_input(key="varlen_batch").value == 24 and at.number_input(key="varlen_T").value == 50
    at.run()  # the next rerun keeps working and says nothing more
    assert not at.exception


def test_a_valid_link_gives_no_notice(open_page):
    at = open_page(PAGE, query={"varlen_dist": "uniform", "varlen_len": "40", "varlen_batch": "8"})
    assert not any("Ignored" in w.value for w in at.warning)
    assert at.number_input(key="varlen_len").value == 40


def test_typed_sequences_come_from_the_link_and_an_overlong_one_is_ignored(open_page):
    at = open_page(PAGE, query={"varlen_source": "typed sequences", "varlen_typed": "1 2 3 4\n5 6"})
    assert "**25% of the computed cells are padding**" in " ".join(m.value for m in at.markdown)
    at = open_page(PAGE, query={"varlen_source": "typed sequences", "varlen_typed": "1 " * 20_000})
    assert any("Ignored the link's value for the typed sequences" in w.value for w in at.warning)
    assert at.text_area(key="varlen_typed").value.startswith("3 1 4")  # the example
