"""Sampling a long 1080p clip holds a few frames, not all of them (bench/bench_video_memory.py: 10 minutes)."""

from bench.clip_memory import measure, write_clip

FRAMES = 240
ALL_FRAMES_MB = FRAMES * 1920 * 1080 * 3 / 2**20  # 1,424 MB if every decoded frame were kept


def test_sampling_a_1080p_clip_does_not_hold_every_frame(tmp_path):
    clip = write_clip(tmp_path / "long.mp4", FRAMES)
    result = measure(clip, timeout=120)
    assert result["frames_read"] == FRAMES
    # ~50 MB here (decoder buffers and a few frames); holding every frame would add ALL_FRAMES_MB,
    # and even 40 of them would pass 240 MB
    assert result["above_idle_mb"] < 240, result
