"""core.video: the synthetic classes, the CNN+RNN and its baselines, training smoke tests, shipped models."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from core import checkpoints
from core.errors import UserError
from core.training import TrainConfig, seed_everything
from core.video import synth
from core.video.model import VideoClassifier, VideoConfig, predict, train_loss
from core.video.train import ClipSet, fit


def tiny(temporal="gru", **kw):
    seed_everything(0)
    return VideoClassifier(
        VideoConfig(
            labels=list(synth.LABELS),
            image_size=16,
            frames=6,
            channels=[4, 8],
            feature_dim=8,
            hidden=8,
            temporal=temporal,
            **kw,
        )
    ).eval()


def clips(n=3, t=6):
    return torch.randint(0, 256, (n, t, 16, 16, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("temporal", ["gru", "lstm", "mean", "frame"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_shapes(temporal, bidirectional):
    out = tiny(temporal, bidirectional=bidirectional)(clips())
    assert out.logits.shape == (3, 8) and out.step_logits.shape[:2] == (3, 6) and out.states.shape[:2] == (3, 6)


def test_order_blind_and_single_frame_ignore_order_gru_does_not():
    x = clips(2)
    shuffled = x[:, [5, 0, 4, 3, 1, 2]]  # keeps frame 3 (the middle one) in the middle
    with torch.no_grad():
        assert torch.allclose(tiny("mean")(x).logits, tiny("mean")(shuffled).logits, atol=1e-5)
        assert torch.allclose(tiny("frame")(x).logits, tiny("frame")(shuffled).logits, atol=1e-5)
        assert not torch.allclose(tiny("gru")(x).logits, tiny("gru")(shuffled).logits, atol=1e-4)


def test_motion_input_sees_the_change_between_frames():
    """A still clip and the same frame repeated are identical without motion channels and with them; a
    clip whose frames differ only in order gives different features per step only with them."""
    x = clips(1)
    still = x[:, :1].expand(-1, 6, -1, -1, -1)
    plain, motion = tiny("gru"), tiny("gru", motion=True)
    with torch.no_grad():
        assert plain.cnn.convs[0].in_channels == 3 and motion.cnn.convs[0].in_channels == 6
        steps = motion.frame_features(still)
        assert torch.allclose(steps[:, 0], steps[:, 3])  # no change, no motion signal
        swapped = x[:, [1, 0, 2, 3, 4, 5]]  # frame 2's predecessor changes
        assert torch.allclose(plain.frame_features(x)[:, 2], plain.frame_features(swapped)[:, 2])
        assert not torch.allclose(motion.frame_features(x)[:, 2], motion.frame_features(swapped)[:, 2])


def test_adapt_cnn_weights_keeps_shared_inputs_drops_others_and_zeroes_new_ones():
    from core.video.model import adapt_cnn_weights

    motion, plain, stream = tiny("gru", motion=True), tiny("frame"), tiny("gru", appearance=False, flow=True)
    plain.cnn.load_state_dict(adapt_cnn_weights(motion.cnn.state_dict(), motion.config, plain.config))
    assert torch.equal(plain.cnn.convs[0].weight, motion.cnn.convs[0].weight[:, :3])
    both = tiny("gru", motion=True, flow=True)  # RGB, change, stream: 9 input channels
    both.cnn.load_state_dict(adapt_cnn_weights(motion.cnn.state_dict(), motion.config, both.config))
    assert torch.equal(both.cnn.convs[0].weight[:, :6], motion.cnn.convs[0].weight)
    assert not both.cnn.convs[0].weight[:, 6:].any()  # the stream starts unread
    with pytest.raises(UserError, match="reads flow, none of what this model reads"):
        adapt_cnn_weights(stream.cnn.state_dict(), stream.config, plain.config)


def test_the_motion_stream_carries_order_and_needs_an_input():
    with pytest.raises(UserError, match="carry the frame order"):
        tiny("mean", flow=True, appearance=False)
    with pytest.raises(UserError, match="must read something"):
        tiny("gru", appearance=False)
    assert tiny("gru", flow=True, appearance=False).cnn.convs[0].in_channels == 3


@pytest.mark.parametrize("name", ["video-motion-synthetic", "video-motion", "video-motion-frame", "video-motion-mean"])
def test_recipes_build_the_shipped_architectures(name):
    """One dataclass per recipe: each builds exactly the shipped checkpoint's configuration."""
    import dataclasses
    import json

    from core.video.recipes import RECIPES

    recipe = RECIPES[name].args[0]
    shipped = json.loads((checkpoints.ASSETS_DIR / name / checkpoints.CONFIG_NAME).read_text())
    assert dataclasses.asdict(recipe.config()) == dataclasses.asdict(VideoConfig(**shipped["config"]))
    started = {key: value for key, value in shipped["meta"]["training"].items() if key in ("cnn_from", "init_from")}
    assert started == {key: getattr(recipe, key) for key in ("cnn_from", "init_from") if getattr(recipe, key)}


def test_heldout_scenes_are_unchanged_by_the_training_randomisation():
    """The randomised ranges draw from their own streams: a held-out clip is drawn as before they existed."""
    spec = synth.random_spec("rotate_cw", 11, synth.HELDOUT)
    assert (spec.shake, spec.gain, spec.blur) == (0.0, (1.0, 1.0), 0.0)
    assert spec.background in synth.BACKGROUNDS and spec.shape in synth.SHAPES and spec.fill in synth.FILLS
    plain = synth.random_spec("rotate_cw", 11, synth.TRAIN_PLAIN)  # video-motion-synthetic's training ranges
    assert (plain.shake, plain.gain, plain.blur) == (0.0, (1.0, 1.0), 0.0)


def test_randomised_training_clips_shake_drift_and_wear_textures():
    specs = [synth.random_spec(label, seed) for seed in range(60) for label in synth.LABELS[:2]]
    assert {"leaves", "large leaves"} <= {s.background for s in specs} and "blob" in {s.shape for s in specs}
    spec = next(s for s in specs if s.background == "leaves" and s.shake > 1 and abs(s.gain[1] - s.gain[0]) > 0.2)
    still = synth.ClipSpec(**{**spec.__dict__, "noise": 0.0, "jpeg": 0, "cycles": 0, "label": "grow"})
    still.end, still.end_size, still.end_angle = still.start, still.size, still.angle  # nothing moves ...
    first, last = synth.render(still, [0, still.frames - 1]).astype(float)
    assert np.abs(first - last).mean() > 5  # ... yet the camera and the light change every pixel
    x, y, _ = synth.training_set(1, 4, 16, seed=3, ranges=synth.TRAIN_PLAIN)
    assert x.shape == (8, 4, 16, 16, 3)


def test_a_carried_fill_moves_with_the_object_a_scene_fill_does_not():
    """The patch at the object's centre keeps its colours when the object carries its fill, not otherwise."""
    assert not synth.random_spec("move_right", 11, synth.HELDOUT).fill_moves
    assert 0.3 < np.mean([synth.random_spec("grow", seed).fill_moves for seed in range(100)]) < 0.7
    ranges = replace(synth.HELDOUT, width=(400, 400), size=(0.35, 0.35), backgrounds=("solid",), noise=(0.0, 0.0))
    spec = synth.random_spec("move_right", 4, ranges)
    spec = replace(spec, fill="checker", texture_period=9.0, colors=[(0, 0, 0), (255, 255, 255), *spec.colors[2:]])
    indices = list(range(0, spec.frames, max(1, spec.frames // 8)))

    def centre_patches(moves: bool) -> list[np.ndarray]:
        frames = synth.render(replace(spec, fill_moves=moves), indices).astype(float)
        states = [synth.frame_state(spec, i) for i in indices]
        return [
            frame[round(y) - 6 : round(y) + 6, round(x) - 6 : round(x) + 6] for frame, (x, y, *_) in zip(frames, states)
        ]

    carried, fixed = centre_patches(True), centre_patches(False)
    assert max(np.abs(patch - carried[0]).mean() for patch in carried) < 8  # interpolation only
    assert max(np.abs(patch - fixed[0]).mean() for patch in fixed) > 20  # the object slides over the checker


def test_the_heldout_dev_set_draws_other_clips_from_the_same_ranges():
    from core.video import recipes

    for label in synth.LABELS:
        test, dev = (recipes.heldout_spec(label, 5, seed) for seed in (recipes.HELDOUT_SEED, recipes.HELDOUT_DEV_SEED))
        assert test[0].seed != dev[0].seed and test[0] != dev[0]


def test_heldout_clips_are_all_different_scenes():
    """Redrawing an oversized clip must not land on another clip's seed (it once left 129 scenes in 400)."""
    from core.video import recipes

    specs = [recipes.heldout_spec(label, k)[0] for k in range(recipes.HELDOUT_PER_CLASS) for label in synth.LABELS]
    assert len({spec.seed for spec in specs}) == len(specs)
    corners = 2 * len(synth.LABELS)  # clips 0 and 1 of each class sit at the range ends, size unchecked
    assert all(spec.width * spec.height * spec.frames <= recipes.PIXEL_FRAMES for spec in specs[corners:])


@pytest.mark.parametrize("kind", ["mirror", "reverse"])
def test_flip_augmentation_relabels_to_the_other_class_of_the_pair(kind):
    from core.video.train import _flip

    x, y, states = synth.training_set(1, 6, 16, seed=3)
    mapping = synth.MIRRORED if kind == "mirror" else synth.REVERSED
    swap = synth.relabelling(mapping)
    rows = torch.tensor([True, False] * 4)
    batch = [torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(states)]
    clips_, labels, states_ = _flip(batch, kind, rows, swap)
    names = [synth.LABELS[i] for i in labels]
    for i, label in enumerate(synth.LABELS):
        assert names[i] == (mapping.get(label, label) if rows[i] else label)
    move_right = synth.LABELS.index("move_right")  # odd row: flipped only if rows says so
    first = synth.LABELS.index("move_left")  # row 0 is flipped
    dx = states_[first, -1, 0] - states_[first, 0, 0]
    assert dx > 0, "a flipped move_left moves right"
    assert torch.equal(clips_[move_right], batch[0][move_right])  # unflipped rows untouched
    flipped = clips_[first]
    expected = batch[0][first].flip(2 if kind == "mirror" else 0)
    assert torch.equal(flipped, expected)
    assert batch[1][first] == first  # the caller's batch is not modified in place


def test_uni_gru_timeline_is_causal():
    x = clips(1)
    y = x.clone()
    y[:, 4:] = 0  # changing late frames must not change the answer after frame 3
    with torch.no_grad():
        a, b = tiny("gru")(x).step_logits, tiny("gru")(y).step_logits
    assert torch.allclose(a[:, :4], b[:, :4]) and not torch.allclose(a[:, 4:], b[:, 4:])


def test_save_load_roundtrip(tmp_path):
    model = tiny("lstm", bidirectional=True)
    checkpoints.save(model, tmp_path, {"task": "t"})
    loaded = checkpoints.load(str(tmp_path))
    with torch.no_grad():
        assert torch.allclose(model(clips()).logits, loaded(clips()).logits)
    assert loaded.config.labels == synth.LABELS


def test_bad_config_is_a_user_error():
    with pytest.raises(ValueError, match="temporal must be"):
        VideoClassifier(VideoConfig(temporal="transformer"))
    with pytest.raises(ValueError, match="carry the frame order"):
        VideoClassifier(VideoConfig(temporal="mean", motion=True))
    with pytest.raises(ValueError, match="must pair up"):
        VideoClassifier(VideoConfig(mirror_labels=[1, 1]))


@pytest.mark.parametrize("temporal", ["gru", "frame"])
def test_mirror_averaging_answers_a_mirrored_clip_with_the_mirrored_class(temporal):
    swap = synth.relabelling(synth.MIRRORED)
    x, mirrored = clips(), clips().flip(3)
    plain, averaging = tiny(temporal), tiny(temporal, mirror_labels=swap)
    with torch.no_grad():
        out, out_mirrored = averaging(x), averaging(mirrored)
        assert torch.allclose(out.logits, out_mirrored.logits[:, swap], atol=1e-5)
        assert torch.allclose(out.step_logits, out_mirrored.step_logits[..., swap], atol=1e-5)
        assert torch.allclose(out.states, plain(x).states, atol=1e-6)  # the clip's own trajectory
        assert not torch.allclose(plain(x).logits, plain(mirrored).logits[:, swap], atol=1e-4)


def test_synth_is_deterministic_and_pairs_share_the_middle_frame():
    a = synth.random_spec("move_left", 5, synth.HELDOUT)
    assert synth.random_spec("move_left", 5, synth.HELDOUT) == a
    assert np.array_equal(synth.render(a, [0, 3]), synth.render(a, [0, 3]))
    # class definitions, from the viewer's side
    assert 0.3 * a.width - 1e-6 <= a.start[0] - a.end[0] <= 0.8 * a.width + 1e-6
    g = synth.random_spec("grow", 6, synth.HELDOUT)
    assert 2 - 1e-6 <= g.end_size / g.size <= 4 + 1e-6
    r = synth.random_spec("rotate_cw", 7, synth.HELDOUT)
    assert 90 <= r.end_angle - r.angle <= 360
    for label in ("blink_fast", "blink_slow"):
        spec = synth.random_spec(label, 8, synth.HELDOUT)
        shown = np.mean([synth.frame_state(spec, i)[4] for i in range(spec.frames)])
        assert abs(shown - 0.5) < 0.1  # same visible share for both blink classes


@pytest.mark.parametrize("seed", [1, 2])
def test_codec_roughening_does_not_follow_the_class(seed):
    """Every class gets JPEG-roughened clips about half the time, in training_set's seed layout."""
    n = len(synth.LABELS)
    for c in range(n):
        share = np.mean([synth.jpeg_quality(seed * 1_000_003 + k * n + c) > 0 for k in range(200)])
        assert 0.35 < share < 0.65, (synth.LABELS[c], share)


def test_training_set_and_fit_smoke():
    x, y, states = synth.training_set(1, 6, 16, seed=3)
    assert x.shape == (8, 6, 16, 16, 3) and states.shape == (8, 6, 6) and list(y) == list(range(8))
    model = tiny("gru", motion=True)
    swaps = {"mirror": synth.relabelling(synth.MIRRORED), "reverse": synth.relabelling(synth.REVERSED)}
    train = ClipSet(x, y, states)
    history = fit(model, train, TrainConfig(epochs=1), ClipSet(x, y), batch_size=4, state_weight=1.0, **swaps)
    assert history.epochs and "val_accuracy" in history.epochs[0]
    assert torch.isfinite(train_loss(tiny("frame"), (torch.from_numpy(x), torch.from_numpy(y))))


def test_predict_reports_timeline_and_shuffle():
    model = tiny()
    frames = clips(1)[0].numpy()
    result = predict(model, frames)
    assert abs(sum(result["probs"].values()) - 1) < 1e-5 and len(result["timeline"]) == 6
    assert sorted(predict(model, frames, shuffle_seed=0)["order"]) == list(range(6))


@pytest.mark.parametrize("name", ["video-motion", "video-motion-frame", "video-motion-mean"])
def test_shipped_models_on_sample_clips(name):
    """Quality check on the shipped clips (held-out seeds and ranges, VP8 files)."""
    from pathlib import Path

    from core.video.cli import classify_file

    model = checkpoints.load(name)
    samples = sorted((Path(checkpoints.ASSETS_DIR).parent / "samples").glob("*.webm"))
    assert len(samples) == 8
    right = sum(classify_file(model, path)["label"] == path.stem for path in samples)
    metrics = model.meta["metrics"]
    assert len(metrics["confusion"]) == 8 and metrics["heldout_clips"] >= 80
    if name == "video-motion":
        assert right >= 7, right  # 8/8 when shipped
        assert metrics["heldout_accuracy"] > metrics["shuffled_accuracy"] + 0.3
    else:
        assert right <= 5, right  # without order, a pair is a coin flip (50 % ceiling)
        assert metrics["heldout_accuracy"] <= 0.6


def test_a_recipe_runs_its_further_stages_from_the_last_weights():
    from dataclasses import replace

    from core.video import recipes

    recipe = replace(recipes.MOTION, train_per_class=2, val_per_class=1, epochs=1, then=((1, 1e-4, 1.0),))
    model = VideoClassifier(recipe.config())
    training = recipes._train(model, recipe)
    assert training["epochs"] == 2 and [s["lr"] for s in training["stages"]] == [recipe.lr, 1e-4]
    assert training["seconds"] == round(sum(s["seconds"] for s in training["stages"]), 1)
    assert "stages" not in recipes._train(VideoClassifier(recipe.config()), replace(recipe, then=()))


def test_flow_size_reads_larger_frames_and_averages_the_stream_down():
    import cv2

    from core.video.motion_stream import motion_stream

    with pytest.raises(UserError, match="flow_size needs flow"):
        tiny("gru", flow_size=32)
    with pytest.raises(UserError, match="multiple of image_size"):
        tiny("gru", flow=True, appearance=False, flow_size=24)
    model = tiny("gru", flow=True, appearance=False, flow_size=32)
    assert (model.config.image_size, model.config.input_size) == (16, 32)
    big = torch.randint(0, 256, (2, 6, 32, 32, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    fine = motion_stream(big.numpy())[1, 3]  # (32, 32, 3): flow in pixels of the 32x32 frame
    expected = cv2.resize(fine, (16, 16), interpolation=cv2.INTER_AREA) / np.array([2, 2, 1], np.float32)
    np.testing.assert_allclose(motion_stream(big.numpy(), factor=2)[1, 3], expected, atol=1e-5)
    assert model(big).logits.shape == (2, 8)
    with pytest.raises(UserError, match="6 frames of 32x32"):  # fit refuses clips at the CNN's own size
        fit(model, ClipSet(clips(n=2).numpy(), np.array([0, 1])), TrainConfig(epochs=1))


def test_a_precomputed_stream_trains_as_the_computed_one():
    """fit gives a flow model each clip's stream computed once (motion_stream.streams_of_flips): the loss of a
    step is the one the model gets computing the stream itself, and a whole run trains."""
    from core.video.motion_stream import flipped, streams_of_flips

    x, y, states = synth.training_set(1, 6, 32, seed=3)
    mirror = synth.relabelling(synth.MIRRORED)
    model = tiny("gru", flow=True, appearance=False, flow_size=32, mirror_labels=mirror).train()
    frames = torch.from_numpy(flipped(x, True, True))  # mirrored and backwards, as augmentation may draw them
    stream = torch.from_numpy(streams_of_flips(x, [(True, True)], factor=2)[:, 0])
    seed_everything(0)
    given = train_loss(model, (frames, torch.from_numpy(y)), stream)
    seed_everything(0)
    assert torch.equal(given, train_loss(model, (frames, torch.from_numpy(y))))
    swaps = {"mirror": synth.relabelling(synth.MIRRORED), "reverse": synth.relabelling(synth.REVERSED)}
    history = fit(model, ClipSet(x, y, states), TrainConfig(epochs=2), ClipSet(x, y), 4, 1.0, **swaps)
    assert len(history.epochs) == 2 and "val_accuracy" in history.epochs[-1]
    with pytest.raises(ValueError, match="computes both streams itself"):
        model.eval()(frames, stream)


def test_every_training_step_gets_the_stream_of_the_frames_it_reads(monkeypatch):
    """The stream fit hands a step is the one of that step's frames as flipped (mirror and/or backwards): a wrong
    flip index would train the CNN on another clip's motion."""
    from core.video import train as video_train
    from core.video.motion_stream import motion_stream

    checked = []
    real = video_train.train_loss

    def checking(model, batch, stream=None):
        expected = motion_stream(batch[0].numpy(), model.config.input_size // model.config.image_size)
        checked.append(torch.equal(stream, torch.from_numpy(expected)))
        return real(model, batch, stream)

    monkeypatch.setattr(video_train, "train_loss", checking)
    x, y, states = synth.training_set(1, 6, 32, seed=4)
    model = tiny("gru", flow=True, appearance=False, flow_size=32, mirror_labels=synth.relabelling(synth.MIRRORED))
    swaps = {"mirror": synth.relabelling(synth.MIRRORED), "reverse": synth.relabelling(synth.REVERSED)}
    fit(model, ClipSet(x, y, states), TrainConfig(epochs=3), batch_size=4, state_weight=1.0, **swaps)
    assert len(checked) == 6 and all(checked), checked


@pytest.mark.parametrize("method", ["dis", "farneback"])
def test_the_stream_follows_an_object_whatever_the_flow(method):
    """A bright square moving right on a still background: its stream points right (flow dx > 0 where it is, the
    background's median motion removed), and a model reading that flow answers with it."""
    from core.video.motion_stream import motion_stream

    frames = np.full((1, 3, 32, 32, 3), 40, np.uint8)
    for t in range(3):
        frames[0, t, 12:20, 6 + 3 * t : 14 + 3 * t] = 220
    stream = motion_stream(frames, method=method)[0, 2]  # (32, 32, 3): frame 1 -> 2
    assert stream[13:19, 10:16, 0].mean() > 0.3 and abs(stream[13:19, 10:16, 1].mean()) < 0.2
    model = tiny("gru", flow=True, appearance=False, flow_method=method)
    assert model(torch.randint(0, 256, (1, 6, 16, 16, 3), dtype=torch.uint8)).logits.shape == (1, 8)


def test_each_flow_method_is_its_own_and_an_unknown_one_is_refused():
    from core.video.motion_stream import motion_stream

    frames = torch.randint(0, 256, (1, 3, 16, 16, 3), dtype=torch.uint8).numpy()
    assert not np.allclose(motion_stream(frames, method="dis"), motion_stream(frames, method="farneback"))

    with pytest.raises(UserError, match="flow_method must be one of dis, farneback"):
        tiny("gru", flow=True, appearance=False, flow_method="lucas")
    with pytest.raises(ValueError, match="unknown flow method 'lucas'"):
        motion_stream(np.zeros((1, 2, 16, 16, 3), np.uint8), method="lucas")
