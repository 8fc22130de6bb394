"""The video page: sample clip, uploads, URL state, comparison, train your own."""

import pytest

from core.video import synth
from tests.helpers.apptest import charts, text_of, titles

PAGE = "pages/2_Video.py"


def avi_bytes(tmp_path, label="grow", seed=300, width=128, seconds=2.0) -> bytes:
    ranges = synth.Ranges(width=(width, width), duration=(seconds, seconds))
    spec = synth.random_spec(label, seed, ranges)
    return synth.write_clip(spec, tmp_path / f"{label}-{seed}", "MJPG").read_bytes()


def open_view(at, view: str) -> list[str]:
    """Open one of the lazy tabs under the answer; the titles of the charts then drawn."""
    at.session_state["video_view"] = view
    at.run()
    assert not at.exception, at.exception
    return titles(at)


def test_sample_clip_prediction_and_views(open_page):
    at = open_page(PAGE)
    assert at.selectbox(key="video_model").value == "video-motion"
    assert at.metric[0].label == "Prediction" and at.metric[0].value in synth.LABELS
    names = titles(at)
    for expected in ("Class probabilities per frame", "Confusion matrix", "Per-class accuracy"):
        assert expected in names, names
    # lazy tabs: the hidden state and the other models' readings wait until their tab is opened
    assert "GRU hidden state over time (PCA)" not in names and "Accuracy on the held-out set" not in names
    timeline = charts(at)[names.index("Class probabilities per frame")]
    assert len(timeline["data"]) == 8 and len(timeline["data"][0]["x"]) == 16
    names = open_view(at, "Hidden state")
    assert "GRU hidden state over time (PCA)" in names and "Class probabilities per frame" not in names
    names = open_view(at, "Every model on this clip")
    assert "GRU hidden state over time (PCA)" not in names
    bars = charts(at)[names.index("Accuracy on the held-out set")]
    assert list(bars["data"][0]["x"]) == [
        "CNN + GRU on the motion stream",
        "CNN + GRU on the motion stream, shuffled",
        "CNN + GRU on frames, plain scenes only",
        "CNN + GRU on frames, plain scenes only, shuffled",
        "single frame",
        "order-blind mean",
    ]


def test_intro_says_what_the_mirror_does_with_stored_numbers(open_page):
    from core import checkpoints

    at = open_page(PAGE)
    text = text_of(at)
    assert "`move_left`/`move_right` and `rotate_cw`/`rotate_ccw` swap in a mirror" in text
    assert "`grow`/`shrink` and `blink_fast`/`blink_slow` look the same in a mirror" in text
    stored = checkpoints.load("video-motion-mean").meta["metrics"]["per_class_accuracy"]
    assert f"`blink_fast` {stored['blink_fast']:.0%}, `blink_slow` {stored['blink_slow']:.0%}" in text
    assert "cancels any lean towards one side of a pair" not in text


def test_url_picks_model_frame_count_and_clip(open_page):
    at = open_page(PAGE, query={"video_model": "video-motion-mean", "video_frames": "8", "video_sample": "grow.webm"})
    assert at.selectbox(key="video_model").value == "video-motion-mean"
    assert at.slider(key="video_frames").value == 8
    timeline = charts(at)[titles(at).index("Class probabilities per frame")]
    assert len(timeline["data"][0]["x"]) == 8
    open_view(at, "Hidden state")
    assert any("has no hidden state" in i.value for i in at.info)
    assert at.selectbox(key="video_sample").value == "grow.webm" and not at.warning


def test_upload_mjpg_is_classified_and_not_played(open_page, tmp_path):
    at = open_page(PAGE)
    at.radio(key="video_source").set_value("Upload").run()
    at.file_uploader(key="video_upload").upload("clip.avi", avi_bytes(tmp_path), "video/x-msvideo").run()
    assert not at.exception
    assert any("cannot play this codec (MJPG)" in i.value for i in at.info)
    assert at.metric[0].value in synth.LABELS


@pytest.mark.parametrize("mode", ["clips", "ranges"])
def test_train_your_own(open_page, tmp_path, mode):
    from ui.video_train import JOB_KEY

    at = open_page(PAGE)
    at.text_input(key="vt_names").set_value("grow, shrink").run()
    at.number_input(key="vt_epochs").set_value(2).run()
    if mode == "clips":
        for c, label in enumerate(("grow", "shrink")):
            files = [
                (f"{label}{k}.avi", avi_bytes(tmp_path, label, 400 + k, seconds=1.0), "video/x-msvideo")
                for k in range(3)
            ]
            at.file_uploader(key=f"vt_clips_{c}").set_value(files).run()
    else:
        at.radio(key="vt_mode").set_value("Time ranges of one long clip").run()
        at.file_uploader(key="vt_long").upload(
            "long.avi", avi_bytes(tmp_path, "grow", 500, seconds=6.0), "video/x-msvideo"
        ).run()
        at.text_area(key="vt_ranges").set_value(
            "grow: 0-1\ngrow: 1-2\ngrow: 2-3\nshrink: 3-4\nshrink: 4-5\nshrink: 5-7"
        ).run()
    at.button(key="vt_train").click().run()
    assert not at.exception, at.exception
    job = at.session_state[JOB_KEY]
    job.wait(120)
    at.run()
    assert not at.exception, at.exception
    assert job.error is None, job.error
    assert any("Training accuracy" in s.value for s in at.success)
    assert "Held-out confusion" in titles(at)
    assert at.get("download_button")
    assert job.result.model.config.flow  # the default, transfer: the shipped CNN reads the motion stream
    if mode == "ranges":  # the last range runs a second past the 6 s clip: used up to its end, and said so
        assert any("the range 5-7 s ends after the clip" in w.value for w in at.warning), at.warning
    finished = [s.value for s in at.success if "finished after" in s.value]
    assert finished and " after 0 s" not in finished[0] and " after 0.0 s" not in finished[0], finished
    at.slider(key="video_frames").set_value(8).run()  # an unrelated widget: the trained model stays
    assert any("Training accuracy" in s.value for s in at.success)
    assert "Held-out confusion" in titles(at)


def test_frame_changes_are_off_for_order_blind_models_and_for_transfer(open_page):
    at = open_page(PAGE)
    assert at.checkbox(key="vt_motion").disabled  # transfer: the shipped CNN decides what it reads
    at.radio(key="vt_start").set_value("scratch").run()
    assert not at.checkbox(key="vt_motion").disabled
    at.selectbox(key="vt_temporal").set_value("mean").run()
    assert at.checkbox(key="vt_motion").disabled


def test_held_out_and_shift_accuracy_side_by_side_from_the_stored_file(open_page):
    from core import results
    from core.video import shift

    stored = results.read(shift.RESULTS)
    at = open_page(PAGE)
    bars = charts(at)[titles(at).index("Held-out set vs shift set")]
    assert [trace["name"] for trace in bars["data"]] == ["held-out set", "shift set"]
    assert list(bars["data"][0]["x"]) == list(stored["models"])  # every model, the shuffled reading too
    assert list(bars["data"][1]["y"]) == [parts["shift"]["accuracy"] for parts in stored["models"].values()]
    captions = " ".join(c.value for c in at.caption)
    assert f"Stored, not computed at page load: `{stored['command']}` on {stored['date']}" in captions


def test_train_your_own_starts_from_the_shipped_cnn_by_default(open_page):
    from core import results

    at = open_page(PAGE)
    assert at.radio(key="vt_start").value == "transfer"
    assert at.select_slider(key="vt_cnn").disabled  # the shipped CNN's size is used
    stored = results.read("bench/results/video_transfer.json")
    text = " ".join(c.value for c in at.caption)
    for start in ("transfer", "scratch"):
        assert f"{stored['starts'][start]['test_accuracy_mean']:.0%} (worst seed" in text
    at.radio(key="vt_start").set_value("scratch").run()
    assert not at.select_slider(key="vt_cnn").disabled


def test_every_chart_image_and_video_says_what_it_shows(open_page):
    at = open_page(PAGE)
    kinds = ("Line chart", "Scatter chart", "Bar chart", "Heatmap")
    described = [c.value for c in at.caption if c.value.startswith(kinds)]
    assert len(described) == len(charts(at)) == 4, (titles(at), described)  # the timeline tab is open
    assert any("After the last frame:" in text for text in described)  # the numbers, not only the kind
    for view in ("Hidden state", "Every model on this clip"):
        open_view(at, view)
        described = [c.value for c in at.caption if c.value.startswith(kinds)]
        assert len(described) == len(charts(at)) == 4, (view, titles(at), described)
    frames = at.get("image")[0].proto.imgs
    assert frames and all(img.alt.startswith("Sampled frame ") and " s" in img.alt for img in frames)
    crop = at.get("image")[1].proto.imgs[0].alt  # video-motion cuts frames to where the clip changes
    assert crop.startswith("The middle sampled frame: ") and "shrunk to 32x32" in crop, crop
    assert any(c.value.startswith("Motion crop: the model reads the boxed part") for c in at.caption)
    assert at.get("video")[0].proto.alt.startswith("The clip ")
