"""ui.video.summary: the line under the model picker names what the model reads, flow and crop included."""

from core.video.model import VideoClassifier, VideoConfig
from ui.video import summary


def test_the_summary_names_the_flow_and_the_crop():
    small = {"labels": ["a", "b"], "channels": [4, 8], "feature_dim": 8, "hidden": 8}
    frames = summary(VideoClassifier(VideoConfig(**small)))
    assert "reads frames)" in frames and "flow" not in frames and "cut to" not in frames
    stream = VideoConfig(**small, appearance=False, flow=True, flow_method="farneback", flow_size=64)
    assert "reads motion stream (Farnebäck flow computed on 64x64)" in summary(VideoClassifier(stream))
    cropped = VideoConfig(**small, appearance=False, flow=True, motion_crop=True)
    line = summary(VideoClassifier(cropped))
    assert "(DIS flow)" in line and "32x32, cut to where the clip changes, 2 classes" in line
