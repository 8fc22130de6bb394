"""core.video.custom: the page's "Train your own" pipeline (names, ranges, split, training), without Streamlit."""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from core import checkpoints
from core.errors import UserError
from core.training import Callback
from core.video import custom, synth
from core.video.model import VideoClassifier, VideoConfig
from core.video.train import ClipSet


def test_class_names():
    assert custom.class_names(" wave, clap ,") == ["wave", "clap"]
    for bad in ("only-one", "a, a", ",".join("abcdefghi")):
        with pytest.raises(UserError, match="name 2-8 distinct classes"):
            custom.class_names(bad)


def test_parse_ranges():
    segments = custom.parse_ranges("wave: 0-1.5\n\nclap : 2.5-4", ["wave", "clap"])
    assert [(s.label, s.start, s.end) for s in segments] == [("wave", 0.0, 1.5), ("clap", 2.5, 4.0)]
    for text, message in [
        ("wave: 0-1\nclap 2 to 3", "line 2: write 'class: start-end'"),
        ("wave: 0-1\njump: 1-2", "line 2: unknown class 'jump'"),
        ("wave: 3-1", "line 1: a range needs 0 <= start < end"),
        ("\n", "at least one range"),
    ]:
        with pytest.raises(UserError, match=message):
            custom.parse_ranges(text, ["wave", "clap"])


def test_split_holds_out_a_share_of_each_class_with_two_or_more_clips():
    labels = np.array([0] * 10 + [1] * 2 + [2])
    train, held = custom.split(labels, 0.2, seed=0)
    assert sorted([*train, *held]) == list(range(13))
    assert np.bincount(labels[held], minlength=3).tolist() == [2, 1, 0]  # a lone clip always trains
    assert np.array_equal(held, custom.split(labels, 0.2, seed=0)[1])
    assert len(custom.split(labels, 0.0, seed=0)[1]) == 0  # "Held out 0" holds nothing out


def long_clip(tmp_path, seconds=4, fps=20) -> bytes:
    """A ball crossing the frame, MJPG at ``fps``."""
    path = tmp_path / "long.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (64, 48))
    for i in range(seconds * fps):
        frame = np.zeros((48, 64, 3), np.uint8)
        cv2.circle(frame, (2 + i * 60 // (seconds * fps), 24), 6, (255, 255, 255), -1)
        writer.write(frame)
    writer.release()
    return path.read_bytes()


def test_ranges_of_a_long_clip_past_its_end(tmp_path):
    data, names, settings = long_clip(tmp_path), ["left", "right"], custom.CustomTraining()
    collected = custom.clips_from_ranges(data, custom.parse_ranges("left: 0-2\nright: 2-3", names), names, settings)
    assert collected.data.clips.shape == (2, 16, 32, 32, 3) and collected.notes == []
    with pytest.raises(UserError, match=r"the range 9-12 s starts after the clip ends \(4.00 s\)"):
        custom.clips_from_ranges(data, custom.parse_ranges("left: 0-2\nright: 9-12", names), names, settings)
    cut = custom.clips_from_ranges(data, custom.parse_ranges("left: 0-2\nright: 3-6", names), names, settings)
    assert cut.notes == ["the range 3-6 s ends after the clip (4.00 s): used up to its end"]


def test_uploads_per_class(tmp_path):
    names, settings, clip = ["wave", "clap"], custom.CustomTraining(), long_clip(tmp_path)
    collected = custom.clips_from_uploads([[("a.avi", clip)], [("b.avi", clip), ("c.avi", clip)]], names, settings)
    assert collected.data.labels.tolist() == [0, 1, 1]
    with pytest.raises(UserError, match="none for clap"):
        custom.clips_from_uploads([[("a.avi", clip)], []], names, settings)
    with pytest.raises(UserError, match="clap / bad.avi: .*not a video"):
        custom.clips_from_uploads([[("a.avi", clip)], [("bad.avi", b"text" * 100)]], names, settings)


class Losses(Callback):
    def __init__(self):
        self.epochs = []

    def on_epoch(self, progress) -> None:
        self.epochs.append((progress.loss, progress.metrics["train_accuracy"]))


def test_a_tiny_run_scores_what_its_loss_says():
    """Five clips, one step an epoch: the eval-mode accuracy must agree with a near-zero training loss.

    It said 67 % at loss 0.01 while BatchNorm's running statistics still held most of their initial
    variance of 1 (the first layer's true variance is ~0.001): eval mode saw other activations than training."""
    x, y, _ = synth.training_set(3, 16, 32, seed=5)
    pick = np.flatnonzero(np.isin(y, [2, 3]))[:5]  # grow, shrink
    collected = custom.Collected(ClipSet(x[pick], (y[pick] == 3).astype(np.int64)))
    losses = Losses()
    trained = custom.train(
        collected, ["grow", "shrink"], custom.CustomTraining(start="scratch", held_share=0.0), losses
    )
    loss, train_accuracy = losses.epochs[-1]
    assert loss < 0.1, losses.epochs
    assert train_accuracy == trained.train_accuracy == 1.0, losses.epochs
    assert trained.held_accuracy is None and trained.confusion == [[0, 0], [0, 0]]


def test_transfer_starts_from_the_shipped_cnn_and_keeps_it_fixed(monkeypatch, tmp_path):
    for temporal in ("gru", "mean"):
        source = checkpoints.load(custom.transfer_source(temporal))  # gru: video-motion, mean: frames only
        shipped = source.cnn.state_dict()
        settings = custom.CustomTraining(temporal=temporal, width=8, hidden=8, epochs=2, held_share=0.0)
        assert (
            settings.clip_config().input_size == source.config.input_size
        )  # clips are sampled at what the source reads
        x, _, _ = synth.training_set(1, 16, settings.clip_config().input_size, seed=6)
        collected = custom.Collected(ClipSet(x[:4], np.array([0, 1, 0, 1])))
        trained = custom.train(collected, ["a", "b"], settings)
        cnn = trained.model.cnn.state_dict()
        first_conv = shipped["convs.0.weight"][:, : sum(trained.model.config.inputs().values())]
        assert cnn["convs.0.weight"].equal(first_conv)  # loaded, then not trained (width=8 is ignored)
        assert all(
            cnn[k].equal(v)
            for k, v in shipped.items()
            if k != "convs.0.weight" and "running" not in k and "batches" not in k
        )
        assert not any(p.requires_grad for p in trained.model.cnn.parameters())
    x, _, _ = synth.training_set(1, 16, 32, seed=6)
    collected = custom.Collected(ClipSet(x[:4], np.array([0, 1, 0, 1])))
    scratch = custom.train(collected, ["a", "b"], custom.CustomTraining(start="scratch", width=8, hidden=8, epochs=1))
    assert scratch.model.config.channels == [8, 16, 16]
    with pytest.raises(UserError, match="start must be one of transfer, scratch"):
        custom.new_model(["a", "b"], custom.CustomTraining(start="pretrained"))
    monkeypatch.setattr(checkpoints, "ASSETS_DIR", tmp_path)
    with pytest.raises(UserError, match="transfer needs the shipped video-motion model"):
        custom.new_model(["a", "b"], custom.CustomTraining())


class Epochs(Callback):
    def __init__(self):
        self.seen = []

    def on_epoch(self, progress) -> None:
        self.seen.append(progress)


def tiny_start(labels=("a", "b")) -> VideoClassifier:
    config = VideoConfig(labels=list(labels), image_size=16, frames=6, channels=[4, 8], feature_dim=8, hidden=8)
    return VideoClassifier(config).eval()


def test_fine_tune_starts_from_the_given_model_and_reports_epoch_0():
    x, y, _ = synth.training_set(1, 6, 16, seed=7)
    collected = custom.Collected(ClipSet(x[:4], np.array([0, 1, 0, 1])))
    start = tiny_start()
    before = {k: v.clone() for k, v in start.state_dict().items()}
    epochs = Epochs()
    settings = custom.CustomTraining(epochs=2, held_share=0.5).like(start)
    trained = custom.train(collected, ["a", "b"], settings, epochs, start=start, start_name="mine.zip")
    assert all(start.state_dict()[k].equal(v) for k, v in before.items())  # the start model is not changed
    assert [p.epoch for p in epochs.seen] == [0, 1, 2]  # the curve starts where the model started
    assert epochs.seen[0].metrics.keys() == {"train_accuracy", "val_accuracy"}
    assert trained.start_point["epoch"] == 0 and trained.start_point["loss"] == epochs.seen[0].loss
    assert trained.model.head.weight.shape == start.head.weight.shape  # the same classes keep the head
    assert trained.model.cnn.state_dict()["convs.0.weight"].equal(before["cnn.convs.0.weight"])  # frozen CNN
    assert not trained.model.rnn.weight_hh_l0.equal(before["rnn.weight_hh_l0"])  # the RNN trained on
    meta = trained.meta()
    assert meta["fine_tuned_from"] == "mine.zip" and meta["start"] == trained.start_point


def test_fine_tune_to_other_classes_gets_a_new_head_and_drops_the_mirror_pairs():
    x, y, _ = synth.training_set(1, 6, 16, seed=8)
    start = tiny_start(("l", "r"))
    start.config.mirror_labels = [1, 0]
    collected = custom.Collected(ClipSet(x[:6], np.array([0, 1, 2, 0, 1, 2])))
    settings = custom.CustomTraining(epochs=1, held_share=0.0, freeze_cnn=False).like(start)
    trained = custom.train(collected, ["x", "y", "z"], settings, start=start)
    assert trained.model.config.labels == ["x", "y", "z"] and trained.model.config.mirror_labels == []
    assert trained.model.head.out_features == 3 and start.config.labels == ["l", "r"]
    assert any(p.requires_grad for p in trained.model.cnn.parameters())
    assert trained.meta()["fine_tuned_from"] == "a checkpoint"


def test_fine_tune_refuses_another_network_naming_what_differs():
    start = tiny_start()
    with pytest.raises(UserError, match=r"keeps the start model's network.*over time lstm \(the start model: gru\)"):
        custom.new_model(["a", "b"], replace(custom.CustomTraining().like(start), temporal="lstm"), start)
    with pytest.raises(
        UserError, match=r"RNN size 64 \(the start model: 8\); frame changes on \(the start model: off\); frames per"
    ):
        custom.new_model(["a", "b"], custom.CustomTraining(start="model"), start)
    with pytest.raises(UserError, match="fine-tuning needs a start model"):
        custom.new_model(["a", "b"], custom.CustomTraining(start="model"))


def test_a_stream_computed_on_larger_frames_is_kept_by_transfer_and_fine_tuning(monkeypatch):
    """A CNN that learned a stream computed on 64x64 frames gets 64x64 clips, whichever way a user's model starts."""
    fine = VideoConfig(
        labels=["a", "b"], channels=[4, 8], feature_dim=8, hidden=8, appearance=False, flow=True, flow_size=64
    )
    documents = {custom.TRANSFER_FROM: {"config": vars(fine)}}
    monkeypatch.setattr(checkpoints, "shipped_documents", lambda: documents)
    transfer = custom.CustomTraining(hidden=8)
    assert transfer.clip_config().input_size == 64
    assert transfer.config(["x", "y"], fine).input_size == 64
    assert custom.CustomTraining(start="scratch", flow=True, flow_size=64).clip_config().input_size == 64
    tuned = custom.CustomTraining().like(VideoClassifier(fine))
    assert (tuned.flow_size, tuned.clip_config().input_size) == (64, 64)
    with pytest.raises(UserError, match="stream frame size 0 \\(the start model: 64\\)"):
        custom.check_start(VideoClassifier(fine), replace(tuned, flow_size=0))


def test_a_motion_crop_is_kept_by_transfer_and_fine_tuning(monkeypatch):
    """A CNN that learned frames cut to the motion gets a user's clips cut the same way, however their model starts."""
    cropped = VideoConfig(
        labels=["a", "b"], channels=[4, 8], feature_dim=8, hidden=8, appearance=False, flow=True, motion_crop=True
    )
    monkeypatch.setattr(checkpoints, "shipped_documents", lambda: {custom.TRANSFER_FROM: {"config": vars(cropped)}})
    assert custom.CustomTraining(hidden=8).clip_config().motion_crop
    assert custom.CustomTraining(hidden=8).config(["x", "y"], cropped).motion_crop
    assert not custom.CustomTraining(start="scratch").clip_config().motion_crop
    tuned = custom.CustomTraining().like(VideoClassifier(cropped))
    assert tuned.motion_crop and tuned.clip_config().motion_crop
    with pytest.raises(UserError, match="motion crop off \\(the start model: on\\)"):
        custom.check_start(VideoClassifier(cropped), replace(tuned, motion_crop=False))
