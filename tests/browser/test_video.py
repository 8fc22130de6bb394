"""The video page in Chromium: sample clip plays, upload classifies, screenshot of the full view."""

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.browser.helpers import assert_no_exception, record_timing, screenshot, wait_for_rerun

pytestmark = pytest.mark.browser


def clip_dropzone(page):
    """The clip uploader's drop zone (the checkpoint uploader above it is another)."""
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Upload a clip")
    return uploader.get_by_test_id("stFileUploaderDropzone")


def test_video_page_sample_and_upload(page, tmp_path):
    page.goto("/Video")
    wait_for_rerun(page)
    assert_no_exception(page)
    assert page.get_by_test_id("stMetric").first.is_visible()
    assert page.locator("video").count() == 1  # the VP8 sample plays in the browser
    assert page.locator(".js-plotly-plot").count() == 4  # timeline, confusion, per class, shift set
    page.get_by_role("tab", name="Every model on this clip").click()  # a lazy tab: drawn when opened
    wait_for_rerun(page)
    page.get_by_text("Accuracy on the held-out set").first.wait_for()
    assert_no_exception(page)
    page.get_by_role("tab", name="Every model on this clip").scroll_into_view_if_needed()
    screenshot(page, "video")

    clip = tmp_path / "upload.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10, (96, 64))
    for i in range(30):
        frame = np.zeros((64, 96, 3), np.uint8)
        cv2.circle(frame, (10 + 2 * i, 32), 8, (255, 255, 255), -1)
        writer.write(frame)
    writer.release()
    page.get_by_role("radiogroup", name="Clip", exact=True).get_by_text("Upload").click()
    wait_for_rerun(page)
    with page.expect_file_chooser() as chooser:
        clip_dropzone(page).click()
    start = time.perf_counter()
    chooser.value.set_files(str(clip))
    wait_for_rerun(page)
    page.get_by_text("cannot play this codec (MJPG)").wait_for()
    record_timing("interaction.video_upload", time.perf_counter() - start)
    assert_no_exception(page)
    assert page.get_by_test_id("stMetric").first.is_visible()

    picture = tmp_path / "photo.mp4"  # a PNG renamed .mp4: one frame, no motion
    picture.write_bytes(cv2.imencode(".png", np.zeros((64, 96, 3), np.uint8))[1].tobytes())
    with page.expect_file_chooser() as chooser:
        clip_dropzone(page).click()
    chooser.value.set_files(str(picture))
    wait_for_rerun(page)
    page.get_by_text("a single image shows no motion").wait_for()
    page.get_by_role("heading", name="Held-out set").wait_for()  # the stored evaluation stays
    assert_no_exception(page)


def test_an_uploaded_checkpoint_classifies_and_its_csv_downloads(page, tmp_path):
    from tests.app.test_video_own import UPLOADED, tiny_video_zip

    zipped = tmp_path / "my-model.zip"
    zipped.write_bytes(tiny_video_zip(("up", "down")))
    page.goto("/Video")
    wait_for_rerun(page)
    page.get_by_text("Open your own checkpoint").click()
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploader").filter(has_text="Use your own checkpoint").get_by_test_id(
            "stFileUploaderDropzone"
        ).click()
    start = time.perf_counter()
    chooser.value.set_files(str(zipped))
    wait_for_rerun(page)
    page.get_by_text("Loaded for this session only").wait_for()
    box = page.get_by_test_id("stSelectbox").filter(has_text="Model").first.locator("input")
    box.click()
    box.fill(UPLOADED)
    box.press("Enter")
    wait_for_rerun(page)
    page.get_by_text(f"{UPLOADED}: CNN (4, 8 channels, reads ").wait_for()
    record_timing("interaction.video_reopen_classify", time.perf_counter() - start)
    assert_no_exception(page)
    assert page.get_by_test_id("stMetricValue").first.inner_text() in ("up", "down")
    assert "video_model=your+uploaded+model" in page.url or "video_model=your%20uploaded%20model" in page.url
    with page.expect_download() as download:
        page.get_by_role("button", name="Per-frame probabilities (CSV)").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0] == "clip,sampled_frame,frame_index,time_s,p_up,p_down" and len(lines) == 1 + 16
    assert_no_exception(page)
