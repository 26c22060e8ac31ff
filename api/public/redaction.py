"""The public copy of a resident's photo: faces blurred, made by the worker after commit.

A street photo shows passers-by and neighbours; the public copy (the nearby map, Open311)
blurs every face OpenCV's bundled Haar cascades find (frontal and profile, both directions),
from ``cv2.data.haarcascades`` inside the pinned ``opencv-python-headless`` wheel: nothing is
downloaded. opencv-python-headless 5 no longer ships the cascades, hence the 4.x pin.
Recall is measured on face photographs that scikit-image ships (tests/api/public/
test_redaction.py, README "Public reports"): a face the detector misses stays visible, which
is why photos are public only when the author ticked ``photos_public`` and staff may hide any.

CPU-bound (tens of ms per 1280-px photo): never in a request; the worker runs it in a thread.
"""

import functools
import io
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

CASCADES = ("haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt2.xml", "haarcascade_profileface.xml")
DETECT_LONG_SIDE = 640  # detection on a downscaled grey copy: ~2.5x faster than at 1280 px, faces still ≥ 20 px
MARGIN = 0.25  # blur a little beyond the detected box: hair, ears, chin
THUMBNAIL_LONG_SIDE = 400


@dataclass(frozen=True)
class PublicCopy:
    display: bytes
    thumbnail: bytes
    faces: int


@functools.cache
def _opencv() -> tuple[ModuleType, tuple[Any, ...]]:
    """OpenCV and its detectors, loaded on first use, once per process: an API process that never
    makes a public copy (``serve --no-worker``, or before the first one) does not carry OpenCV's
    ~40 MB. One OpenCV thread: the worker shares the cores with the database and the API."""
    import cv2  # noqa: PLC0415 - lazily, see above
    from cv2.data import haarcascades as cascade_dir  # noqa: PLC0415 - the cascades bundled in the wheel

    cv2.setNumThreads(1)
    detectors = tuple(cv2.CascadeClassifier(cascade_dir + name) for name in CASCADES)
    if any(d.empty() for d in detectors):
        raise RuntimeError(f"OpenCV's bundled cascades are missing under {cascade_dir}")
    return cv2, detectors


def detect_faces(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """Face boxes (x, y, w, h) in the image's own pixels."""
    scale = min(1.0, DETECT_LONG_SIDE / max(image.size))
    grey = np.asarray(
        image.convert("L").resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    )
    cv2, detectors = _opencv()
    grey = cv2.equalizeHist(grey)
    boxes: list[tuple[int, int, int, int]] = []
    for index, detector in enumerate(detectors):
        views = (
            [(grey, False), (cv2.flip(grey, 1), True)]
            if CASCADES[index].startswith("haarcascade_profile")
            else [(grey, False)]
        )
        for pixels, flipped in views:
            for x, y, w, h in detector.detectMultiScale(pixels, scaleFactor=1.1, minNeighbors=4, minSize=(20, 20)):
                if flipped:
                    x = pixels.shape[1] - x - w
                boxes.append((round(x / scale), round(y / scale), round(w / scale), round(h / scale)))
    return boxes


def blur_boxes(image: Image.Image, boxes: list[tuple[int, int, int, int]]) -> Image.Image:
    """Pixelate then blur each box (with a margin): unreadable, and not reversible by deblurring."""
    out = image.copy()
    for x, y, w, h in boxes:
        dx, dy = round(w * MARGIN), round(h * MARGIN)
        box = (max(0, x - dx), max(0, y - dy), min(image.width, x + w + dx), min(image.height, y + h + dy))
        region = out.crop(box)
        small = region.resize((max(1, region.width // 12), max(1, region.height // 12)), Image.Resampling.BILINEAR)
        region = small.resize(region.size, Image.Resampling.NEAREST).filter(ImageFilter.GaussianBlur(max(2, w // 20)))
        out.paste(region, box[:2])
    return out


def public_copy(display_jpeg: bytes) -> PublicCopy:
    """The redacted display copy and its thumbnail, from the stored display JPEG (no metadata in it)."""
    with Image.open(io.BytesIO(display_jpeg)) as source:
        image = source.convert("RGB")
    boxes = detect_faces(image)
    redacted = blur_boxes(image, boxes)
    thumbnail = redacted.copy()
    thumbnail.thumbnail((THUMBNAIL_LONG_SIDE, THUMBNAIL_LONG_SIDE))
    return PublicCopy(_jpeg(redacted, 85), _jpeg(thumbnail, 80), len(boxes))


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()
