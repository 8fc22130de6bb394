"""core.video.io: uniform sampling in one sequential pass, honest frame counts, bad files."""

import tempfile

import cv2
import numpy as np
import pytest

from core.errors import UserError
from core.video import io as vio


def write_ramp(path, frames=40, size=(64, 48), fourcc="MJPG", fps=10):
    """Frame i is a flat grey of 5*i, so a decoded frame tells which frame number it was."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), 5 * i, np.uint8))
    writer.release()
    return path


@pytest.fixture
def ramp(tmp_path):
    return write_ramp(tmp_path / "ramp.avi")


@pytest.fixture
def passes(monkeypatch):
    """Counts the sequential passes (each records how many frames it retrieves)."""
    calls = []
    original = vio._sequential_pass

    def counting(capture, wanted, max_frames, size):
        calls.append(len(wanted))
        return original(capture, wanted, max_frames, size)

    monkeypatch.setattr(vio, "_sequential_pass", counting)
    return calls


def test_sample_indices_are_uniform_centres():
    assert vio.sample_indices(40, 4) == [5, 15, 25, 35]
    assert vio.sample_indices(3, 6) == [0, 0, 1, 1, 2, 2]  # fewer frames than samples: repeats
    assert vio.sample_indices(10, 2, start=100) == [102, 107]


def test_reads_the_right_frames_in_one_pass(ramp, passes):
    clip = vio.read_clip(ramp, 4)
    assert clip.indices == [5, 15, 25, 35]
    assert clip.frames_read == 40 and clip.frames.shape == (4, 48, 64, 3)
    assert np.allclose(clip.frames.mean(axis=(1, 2, 3)), [25, 75, 125, 175], atol=4)
    assert passes == [4]  # the container's count was right: one pass
    assert not clip.notes


def test_bytes_and_path_agree(ramp):
    a, b = vio.read_clip(ramp, 8), vio.read_clip(ramp.read_bytes(), 8)
    assert a.indices == b.indices and np.array_equal(a.frames, b.frames)


def test_fewer_frames_than_requested_repeat_with_a_note(tmp_path):
    clip = vio.read_clip(write_ramp(tmp_path / "short.avi", frames=5), 16)
    assert len(clip.frames) == 16 and len(set(clip.indices)) == 5
    assert "only 5 distinct frames" in clip.notes[0]


def test_long_clip_uses_only_the_first_frames(ramp):
    clip = vio.read_clip(ramp, 4, max_frames=20)
    assert clip.indices == [2, 7, 12, 17] and "only its first 20 frames" in clip.notes[0]


def test_truncated_file_is_resampled_over_frames_really_read(tmp_path, passes):
    data = write_ramp(tmp_path / "t.avi", frames=50).read_bytes()
    cut = data[: len(data) // 2]  # MJPG avi without its index: the count is missing or wrong
    clip = vio.read_clip(cut, 4)
    assert 0 < clip.frames_read < 50
    assert clip.indices == vio.sample_indices(clip.frames_read, 4)
    assert len(passes) == 2  # one to count what is really there, one to sample it


def test_png_renamed_mp4_is_refused():
    """OpenCV opens a still image as a one-frame video; a single frame has no motion to name."""
    ok, png = cv2.imencode(".png", np.zeros((30, 40, 3), np.uint8))
    with pytest.raises(UserError, match="only 1 frame could be decoded: a single image shows no motion"):
        vio.read_clip(png.tobytes(), 4)


def test_two_frames_are_enough(tmp_path):
    clip = vio.read_clip(write_ramp(tmp_path / "two.avi", frames=2), 4)
    assert clip.indices == [0, 0, 1, 1]


def test_frames_are_shrunk_by_area_averaging():
    """Shrinking 8x must average each 8x8 block (noise std falls ~8x); cv2.resize's third positional
    argument is ``dst``, not the interpolation, and bilinear sampling kept most of the noise."""
    noise = np.random.default_rng(0).integers(0, 256, (640, 640, 3), dtype=np.uint8)
    shrunk = vio._shrink(noise, 80)
    assert shrunk.shape == (80, 80, 3)
    assert shrunk.std() < noise.std() / 5, (shrunk.std(), noise.std())
    blocks = noise.reshape(80, 8, 80, 8, 3).mean(axis=(1, 3))[..., ::-1]  # each 8x8 block's mean, BGR -> RGB
    assert np.abs(shrunk - blocks).max() <= 1.5  # three 2x2 halvings round three times
    odd = vio._shrink(noise[:639, :601], 80)  # no halving: one area shrink to the exact size
    assert odd.shape == (80, 75, 3) and odd.std() < noise.std() / 5


def test_animated_gif_is_read():
    import io

    from PIL import Image

    images = [Image.new("RGB", (40, 30), (25 * i, 0, 0)) for i in range(8)]
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    clip = vio.read_clip(buffer.getvalue(), 4)
    assert clip.frames_read == 8 and clip.frames.shape[1:] == (30, 40, 3)


def test_rotation_metadata_is_applied(tmp_path):
    av = pytest.importorskip("av")
    path = tmp_path / "rot.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 32, "yuv420p"
        stream.set_display_rotation(90)
        for _ in range(6):
            frame = np.zeros((32, 64, 3), np.uint8)
            frame[:, :16] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    clip = vio.read_clip(path, 2)
    assert (clip.width, clip.height) == (32, 64)  # a phone's portrait clip stays portrait
    assert clip.frames.shape[1:3] == (64, 32)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"empty \(0 bytes\)"),
        (b"this is just text, renamed to .mp4\n" * 20, "not a video that can be decoded"),
        (bytes(range(256)) * 40, "not a video that can be decoded"),
    ],
)
def test_bad_bytes_give_clear_messages(data, message):
    with pytest.raises(UserError, match=message):
        vio.read_clip(data, 4)


def test_huge_resolution_is_refused_before_decoding(ramp, monkeypatch):
    monkeypatch.setattr(vio, "MAX_PIXELS", 32 * 32)
    with pytest.raises(UserError, match="megapixels"):
        vio.read_clip(ramp, 4)


def test_upload_limit(monkeypatch):
    monkeypatch.setattr(vio.limits, "VIDEO_MAX_MB", 1)
    with pytest.raises(UserError, match="up to 1 MB"):
        vio.read_clip(b"x" * (2 * 2**20), 4)


def test_no_temporary_file_is_left(ramp, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    for data in (ramp.read_bytes(), ramp.read_bytes()[:3000], b"garbage" * 100, b""):
        try:
            vio.read_clip(data, 4)
        except UserError:
            pass
    assert list(scratch.iterdir()) == []


def test_segments_share_one_pass(ramp, passes):
    first, second = vio.read_segments(ramp, 2, [(0.0, 1.0), (2.0, 3.0)])  # 10 fps
    assert first.indices == [2, 7] and second.indices == [22, 27]
    assert len(passes) == 1


def test_ranges_past_the_end_or_on_one_frame(ramp):
    """A range after the clip's end would be its last frame repeated: a still labelled as a motion."""
    with pytest.raises(UserError, match=r"the range 4-5 s starts after the clip ends \(4.00 s\)"):
        vio.read_segments(ramp, 2, [(0.0, 1.0), (4.0, 5.0)])  # 40 frames at 10 fps
    with pytest.raises(UserError, match="holds under 2 frames at 10 fps"):
        vio.read_segments(ramp, 2, [(1.0, 1.1)])
    inside, late = vio.read_segments(ramp, 2, [(0.0, 1.0), (3.0, 9.0)])
    assert late.indices == [32, 37] and late.notes == [
        "the range 3-9 s ends after the clip (4.00 s): used up to its end"
    ]
    assert inside.notes == []


def test_probe_and_codec(ramp):
    info = vio.probe(ramp)
    assert info["codec"] == "MJPG" and info["frames"] == 40 and info["width"] == 64
