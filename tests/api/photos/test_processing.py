"""api.photos.processing: what reaches storage is upright pixels and nothing else."""

import io

import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat

from api.photos.processing import PhotoLimits, process_photo
from tests.factories import image_bytes

LIMITS = PhotoLimits(max_bytes=10 * 1024 * 1024, max_pixels=50_000_000)
PRIVATE = "Nguyễn Văn A 0912 345 678".encode()


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_turned_upright_like_pillow_does_it(orientation):
    upload = image_bytes(size=(320, 200), orientation=orientation)
    expected = ImageOps.exif_transpose(decoded(upload)).convert("RGB")
    display = decoded(process_photo(upload, "IMG.jpg", LIMITS).display).convert("RGB")
    assert display.size == expected.size
    # the same picture up to JPEG noise; a wrong turn moves the white corner marker (diff ~ 40+)
    assert max(ImageStat.Stat(ImageChops.difference(display, expected)).mean) < 4


@pytest.mark.parametrize("size", [(320, 200), (4032, 3024)], ids=["as_is", "scaled"])
def test_comment_xmp_and_exif_of_the_upload_are_not_stored(size):
    upload = image_bytes(size=size, orientation=6, gps=True, comment=PRIVATE, xmp=b"<x:xmpmeta>" + PRIVATE)
    assert PRIVATE in upload  # the factory did write them
    photo = process_photo(upload, "IMG.jpg", LIMITS)
    for stored in (photo.display, photo.thumbnail):
        image = decoded(stored)
        assert PRIVATE not in stored and b"PhoneMaker" not in stored
        assert not image.getexif() and not {"comment", "xmp", "exif"} & set(image.info)
