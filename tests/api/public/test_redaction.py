"""Face blurring of public photo copies, measured on face photographs that scikit-image ships."""

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data

from api.public.redaction import blur_boxes, detect_faces, public_copy

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

# faces in scikit-image's bundled photographs, (x0, y0, x1, y1) by eye
ASTRONAUT_FACE = (165, 45, 275, 175)
CAMERAMAN_FACE = (180, 60, 280, 190)
LFW_FACES = 100  # lfw_subset(): 100 face crops then 100 non-face crops, 25 x 25 grey


def overlaps(boxes, truth) -> bool:
    x0, y0, x1, y1 = truth
    return any(x < x1 and x + w > x0 and y < y1 and y + h > y0 for x, y, w, h in boxes)


def framed(crop: np.ndarray) -> Image.Image:
    """An LFW crop scaled to 100 px on a plain 300 px background: a face as a phone photo frames one."""
    canvas = Image.new("L", (300, 300), 128)
    canvas.paste(Image.fromarray((crop * 255).astype("uint8")).resize((100, 100)), (100, 100))
    return canvas


def lfw_rates() -> tuple[float, float]:
    crops = data.lfw_subset()
    found = sum(overlaps(detect_faces(framed(c)), (100, 100, 200, 200)) for c in crops[:LFW_FACES])
    flagged = sum(bool(detect_faces(framed(c))) for c in crops[LFW_FACES:])
    return found / LFW_FACES, flagged / (len(crops) - LFW_FACES)


def test_faces_in_the_bundled_photographs_are_found():
    assert overlaps(detect_faces(Image.fromarray(data.astronaut())), ASTRONAUT_FACE)
    assert overlaps(detect_faces(Image.fromarray(data.camera()).convert("RGB")), CAMERAMAN_FACE)


@pytest.mark.slow  # 200 detections, ~40 s on the shared 2-core machine
def test_recall_on_the_lfw_subset_with_few_false_alarms():
    recall, false_alarms = lfw_rates()
    print(f"LFW subset: recall {recall:.2f}, non-face crops flagged {false_alarms:.2f}")
    assert recall >= 0.85 and false_alarms <= 0.05  # measured: 0.88 and 0.00 (README "Public reports")


def test_the_public_copy_blurs_the_face_and_keeps_the_rest():
    image = Image.fromarray(data.astronaut())
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    copy = public_copy(out.getvalue())
    assert copy.faces >= 1
    redacted = np.asarray(Image.open(io.BytesIO(copy.display)).convert("L"), dtype=float)
    original = np.asarray(image.convert("L"), dtype=float)
    x0, y0, x1, y1 = 190, 80, 250, 150  # inside the face: fine detail gone
    assert (
        np.abs(np.diff(redacted[y0:y1, x0:x1], axis=1)).mean()
        < 0.4 * np.abs(np.diff(original[y0:y1, x0:x1], axis=1)).mean()
    )
    assert np.abs(redacted[400:, :100] - original[400:, :100]).mean() < 6  # far from it: unchanged but for JPEG
    assert max(Image.open(io.BytesIO(copy.thumbnail)).size) == 400
    assert not detect_faces(Image.open(io.BytesIO(copy.display)))  # nothing left to recognise as a face


def test_blurring_nothing_changes_nothing():
    image = Image.fromarray(data.coffee())
    assert np.array_equal(np.asarray(blur_boxes(image, [])), np.asarray(image))
