"""The video page in Chromium: sample clip plays, upload classifies, screenshot of the full view."""

import time

import cv2
import numpy as np
import pytest

from tests.browser.helpers import assert_no_exception, record_timing, screenshot, wait_for_rerun

pytestmark = pytest.mark.browser


def test_video_page_sample_and_upload(page, tmp_path):
    page.goto("/Video")
    wait_for_rerun(page)
    assert_no_exception(page)
    assert page.get_by_test_id("stMetric").first.is_visible()
    assert page.locator("video").count() == 1  # the VP8 sample plays in the browser
    assert page.locator(".js-plotly-plot").count() >= 5
    page.get_by_text("Side by side").first.scroll_into_view_if_needed()
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
        page.get_by_test_id("stFileUploaderDropzone").first.click()
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
        page.get_by_test_id("stFileUploaderDropzone").first.click()
    chooser.value.set_files(str(picture))
    wait_for_rerun(page)
    page.get_by_text("a single image shows no motion").wait_for()
    page.get_by_role("heading", name="Held-out set").wait_for()  # the stored evaluation stays
    assert_no_exception(page)
