import pytest
from streamlit.testing.v1 import AppTest

from core.shapes import SHAPES, uses
from tests.helpers.apptest import APP, ROOT, TIMEOUT, charts, text_of, titles

PAGES = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "pages").glob("*.py"))

# What each shape's definition allows an example to read and write (core/shapes.py's kinds).
DEFINITIONS = {
    "Sequence to sequence": ("sequence", "same length"),  # "the output is as long as the input"
    "Sequence to vector": ("sequence", "vector"),
    "Vector to sequence": ("vector", "own length"),
    "Encoder–decoder": ("sequence", "own length"),  # "input and output lengths are independent"
}


def test_home_draws_the_four_shapes_and_links_to_pages(open_page):
    at = open_page("app.py")
    assert [s.value for s in at.subheader] == list(DEFINITIONS)
    assert len(charts(at)) == 4 and all(chart["data"] for chart in charts(at))


def test_every_example_fits_its_shapes_definition():
    for shape in SHAPES:
        reads, writes = DEFINITIONS[shape.title]
        assert (shape.reads, shape.writes) == (reads, writes), shape.title
        for example in shape.examples:
            assert (example.reads, example.writes) == (reads, writes), (shape.title, example.task)


def test_home_shows_exactly_the_tables_examples(open_page):
    at = open_page("app.py")
    used_for = [m.value for m in at.markdown if m.value.startswith("**Used for:**")]
    assert used_for == [f"**Used for:** {uses(shape)}." for shape in SHAPES]


def test_plain_seq2seq_link_opens_the_plain_dates_model(open_page):
    at = open_page("app.py")
    link = next(p for p in at.get("page_link") if p.proto.label.startswith("Plain seq2seq"))
    assert "tr_model=dates-iso-plain" in link.proto.query_string
    at.query_params["tr_model"] = "dates-iso-plain"
    at.switch_page("pages/1_Translation.py").run()
    assert not at.exception
    assert at.selectbox(key="tr_model").value == "dates-iso-plain"


def test_home_says_which_pages_run_untrained_models(open_page):
    text = text_of(open_page("app.py"))
    assert "nothing on screen is canned" not in text
    assert "Variable-length page runs untrained" in text and "stored measurement says so" in text


def test_sidebar_shows_environment(open_page):
    at = open_page("app.py")
    text = " ".join(m.value for m in at.sidebar.markdown)
    assert "torch" in text and "threads" in text and "CUDA" in text


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_without_exception(open_page, path):
    at = open_page(path)
    assert at.title, f"{path} has no title"


@pytest.mark.parametrize("path", ["app.py", "pages/4_Variable_length.py", "pages/5_Multi_GPU.py"])
def test_every_chart_has_a_title(open_page, path):
    names = titles(open_page(path))
    assert names and all(name.strip() for name in names), names


def test_charts_follow_a_dark_theme(open_page):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.context = {"theme": "dark"}
    at.run()
    assert not at.exception
    backgrounds = {chart["layout"]["template"]["layout"]["paper_bgcolor"] for chart in charts(at)}
    assert backgrounds == {"#0E1117"}
    light = {chart["layout"]["template"]["layout"]["paper_bgcolor"] for chart in charts(open_page("app.py"))}
    assert light == {"white"}
