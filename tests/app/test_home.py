import json

import pytest

PAGES = [
    "pages/1_Translation.py",
    "pages/2_Video.py",
    "pages/3_Generator.py",
    "pages/4_Variable_length.py",
    "pages/5_Multi_GPU.py",
]


def test_home_draws_the_four_shapes_and_links_to_pages(open_page):
    at = open_page("app.py")
    subheaders = [s.value for s in at.subheader]
    assert subheaders == ["Sequence to sequence", "Sequence to vector", "Vector to sequence", "Encoder–decoder"]
    charts = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    assert len(charts) == 4
    assert all(chart["data"] for chart in charts)
    used_for = " ".join(m.value for m in at.markdown)
    for application in ("image captioning", "speech recognition", "anomaly detection", "music-genre"):
        assert application in used_for


def test_sidebar_shows_environment(open_page):
    at = open_page("app.py")
    text = " ".join(m.value for m in at.sidebar.markdown)
    assert "torch" in text and "threads" in text and "CUDA" in text


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_without_exception(open_page, path):
    at = open_page(path)
    assert at.title, f"{path} has no title"
