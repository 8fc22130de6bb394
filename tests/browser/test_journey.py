"""A new user's journey in one browser tab: upload, train, press twice, switch models, every page.

No page may show an exception at any step (issue 22's "done when").
"""

import cv2
import numpy as np
import pytest

from tests.browser.helpers import assert_no_exception, wait_for_rerun

pytestmark = pytest.mark.browser

PAGES = ("Home", "Translation", "Video", "Generator", "Variable length", "Multi GPU", "Inside the cell")


def long_clip(path, seconds=4, fps=10):
    """A disc that moves right for two seconds, then grows: two classes in time ranges 0-2 and 2-4."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (96, 64))
    for i in range(seconds * fps):
        frame = np.zeros((64, 96, 3), np.uint8)
        x, radius = (10 + 3 * i, 8) if i < 2 * fps else (70, 4 + (i - 2 * fps))
        cv2.circle(frame, (x, 32), radius, (255, 255, 255), -1)
        writer.write(frame)
    writer.release()
    return path


def settle(page):
    wait_for_rerun(page)
    assert_no_exception(page)


def visit(page, name: str):
    """Go to a page through the sidebar, as a user does: the session (and what it trained) stays."""
    page.get_by_test_id("stSidebarNavLink").filter(has_text=name).first.click()
    settle(page)


def pick(page, label: str, option: str):
    """Choose in a select box as a keyboard user does: open it, type the option, Enter."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).first.locator("input")
    box.click()
    box.fill(option)
    box.press("Enter")
    settle(page)


def test_a_new_users_journey_raises_nothing(page, tmp_path):
    page.goto("/")
    settle(page)
    for name in PAGES:
        visit(page, name)

    # Video: train two classes from time ranges of one uploaded clip, then press Train again.
    visit(page, "Video")
    page.get_by_text("Time ranges of one long clip", exact=True).click()
    settle(page)
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploader").filter(has_text="Long clip").get_by_test_id(
            "stFileUploaderDropzone"
        ).click()
    chooser.value.set_files(str(long_clip(tmp_path / "long.avi")))
    settle(page)
    page.get_by_label("Epochs").fill("2")
    page.get_by_label("Epochs").press("Enter")
    settle(page)
    for _ in range(2):
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text("Training accuracy").wait_for(timeout=180_000)
        settle(page)

    # Translation: the length chart twice (the second press replays the cache), then another model.
    visit(page, "Translation")
    pick(page, "Model", "dates-iso")
    for _ in range(2):
        page.get_by_role("button", name="Compute accuracy by input length").click()
        settle(page)
    pick(page, "Model", "numbers-en-fr")
    assert page.get_by_text("→").first.is_visible()

    # Generator: generate, switch to the prose model, generate twice.
    visit(page, "Generator")
    page.get_by_role("button", name="Generate").click()
    settle(page)
    page.get_by_role("radiogroup", name="Model").get_by_text("python-prose").click()
    settle(page)
    for _ in range(2):
        page.get_by_role("button", name="Generate").click()
        settle(page)
    assert page.get_by_text("Generated text coloured by probability").is_visible()

    for name in PAGES:  # and back through every page once more, with the session's state in place
        visit(page, name)
    visit(page, "Video")
    assert page.get_by_text("Training accuracy").is_visible()  # the trained model is still the session's
