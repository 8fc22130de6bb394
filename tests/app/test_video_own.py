"""The video page with your own material: open a checkpoint zip, classify and fine-tune with it, the CSV."""

import base64
import csv

import numpy as np
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from core import checkpoints
from core.video import synth
from core.video.model import VideoClassifier, VideoConfig
from tests.app.test_video import avi_bytes
from tests.helpers.apptest import charts, text_of, titles

PAGE = "pages/2_Video.py"
UPLOADED = "your uploaded model"


def tiny_video_zip(labels=("up", "down")) -> bytes:
    config = VideoConfig(labels=list(labels), image_size=16, frames=6, channels=[4, 8], feature_dim=8, hidden=8)
    return checkpoints.to_zip(VideoClassifier(config), {"task": "video classification", "description": "tiny"})


def open_with_upload(open_page, data: bytes):
    at = open_page(PAGE)
    at.file_uploader(key="video_ckpt_upload").upload("model.zip", data, "application/zip").run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("model_type, task", [("rnn-translator", "translation"), ("char-rnn", "text generation")])
def test_a_checkpoint_of_another_task_is_refused_naming_both_tasks(open_page, model_type, task):
    data = checkpoints.to_zip(checkpoints.build_model(model_type, {}), {"task": "x"})
    at = open_with_upload(open_page, data)
    errors = " ".join(e.value for e in at.error)
    assert f"is a {task} model" in errors and "this page takes video classification models" in errors
    assert UPLOADED not in at.selectbox(key="video_model").options
    assert at.metric[0].label == "Prediction"  # the shipped model still classifies


def test_an_uploaded_checkpoint_is_listed_for_this_session_and_classifies(open_page):
    at = open_with_upload(open_page, tiny_video_zip())
    assert at.selectbox(key="video_model").options[-1] == UPLOADED
    assert any("Loaded for this session only" in c.value for c in at.caption)
    at.selectbox(key="video_model").set_value(UPLOADED).run()
    assert not at.exception, at.exception
    assert at.metric[0].value in ("up", "down")
    timeline = charts(at)[titles(at).index("Class probabilities per frame")]
    assert [trace["name"] for trace in timeline["data"]] == ["up", "down"]
    assert any("This checkpoint stores no held-out evaluation" in i.value for i in at.info)
    other = open_page(PAGE)  # another session: the upload is not there, nor reachable by a link
    assert UPLOADED not in other.selectbox(key="video_model").options
    linked = open_page(PAGE, query={"video_model": UPLOADED})
    assert any("Ignored the link's value for Model" in w.value for w in linked.warning)


def test_fine_tune_an_uploaded_model_starts_the_curve_at_epoch_0(open_page, tmp_path):
    from ui.video_train import JOB_KEY

    at = open_with_upload(open_page, tiny_video_zip())
    at.radio(key="vt_start").set_value(UPLOADED).run()
    assert any("Fine-tuning keeps your uploaded model's network" in c.value for c in at.caption)
    at.text_input(key="vt_names").set_value("grow, shrink").run()
    at.number_input(key="vt_epochs").set_value(2).run()
    for c, label in enumerate(("grow", "shrink")):
        files = [(f"{label}{k}.avi", avi_bytes(tmp_path, label, 600 + k, seconds=1.0), "video/avi") for k in range(3)]
        at.file_uploader(key=f"vt_clips_{c}").set_value(files).run()
    at.button(key="vt_train").click().run()
    assert not at.exception, at.exception
    job = at.session_state[JOB_KEY]
    job.wait(120)
    at.run()
    assert job.error is None, job.error
    assert [p.epoch for p in job.epochs] == [0, 1, 2]
    curve = charts(at)[titles(at).index("Training curve")]
    assert list(curve["data"][0]["x"]) == [0, 1, 2]
    assert any("epoch 0 is the start model before any step" in c.value for c in at.caption)
    assert "Fine-tuned from **your uploaded model**: before any step (epoch 0)" in text_of(at)
    model = job.result.model
    assert model.config.labels == ["grow", "shrink"] and model.config.channels == [4, 8]  # the upload's network


def test_the_csv_download_holds_what_the_timeline_shows(open_page, monkeypatch):
    stored = {}  # file id -> bytes, as the page handed them to Streamlit's media store
    real = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        file_id = real(self, path_or_data, mimetype, kind, filename)
        stored[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    at = open_page(PAGE, query={"video_sample": "grow.webm", "video_frames": "8"})
    button = next(b for b in at.get("download_button") if b.key == "video_csv")
    data = stored[button.proto.url.rsplit("/", 1)[1].split(".")[0]]
    table = list(csv.DictReader((data.decode() if isinstance(data, bytes) else data).splitlines()))
    assert list(table[0]) == ["clip", "sampled_frame", "frame_index", "time_s", *(f"p_{c}" for c in synth.LABELS)]
    assert [row["sampled_frame"] for row in table] == [str(n) for n in range(1, 9)]
    assert {row["clip"] for row in table} == {"grow.webm"}
    frames = [int(row["frame_index"]) for row in table]
    assert frames == sorted(set(frames))
    times = [float(row["time_s"]) for row in table]
    assert times == sorted(times) and times[0] > 0  # the centre of the first of 8 bins
    timeline = charts(at)[titles(at).index("Class probabilities per frame")]
    for trace in timeline["data"]:
        y = trace["y"]  # plotly sends a numpy column as a typed array
        shown = np.frombuffer(base64.b64decode(y["bdata"]), y["dtype"]) if isinstance(y, dict) else y
        assert [float(row[f"p_{trace['name']}"]) for row in table] == pytest.approx(list(shown), abs=1e-6)
