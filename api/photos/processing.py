"""Turn an untrusted upload into a display copy and a thumbnail with no metadata.

Residents' phones embed GPS coordinates, device serials and owner names in EXIF: nothing of
that may reach storage. The type is read from the bytes (a PDF renamed .jpg is refused),
the pixel count is checked from the header before any decoding (a 20000x20000 PNG of a few
KB is a decompression bomb), and JPEGs are decoded at a reduced DCT scale (draft mode) so a
12-megapixel photo is never decoded at full size.
"""

import io
import warnings
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from PIL import ExifTags, Image, UnidentifiedImageError

if TYPE_CHECKING:
    from core.settings import Settings

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
OUTPUT_CONTENT_TYPE = "image/jpeg"


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int
    max_pixels: int
    display_long_side: int = 1280
    thumbnail_long_side: int = 400

    @classmethod
    def from_settings(cls, settings: "Settings") -> "PhotoLimits":
        """The one place the limits are read from settings (the API's photo service and the worker's)."""
        return cls(
            max_bytes=settings.max_photo_bytes,
            max_pixels=settings.max_photo_pixels,
            display_long_side=settings.display_long_side,
            thumbnail_long_side=settings.thumbnail_long_side,
        )


@dataclass(frozen=True)
class ProcessedPhoto:
    display: bytes
    display_size: tuple[int, int]
    thumbnail: bytes
    thumbnail_size: tuple[int, int]
    source_format: str


class PhotoRejected(Exception):
    """An upload we will not store; ``key`` names the catalogue message."""

    def __init__(self, status: int, key: str, **params: Any) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.params = params


@cache
def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _draft_scale(long_side: int, target: int) -> int:
    """Largest DCT scale (1/2, 1/4, 1/8) that still leaves at least 3/4 of the target size.

    Huffman decoding costs the same at every scale (about half a full decode of a phone
    photo), so the saving comes from decoding as few pixels as the display copy needs.
    """
    scale = 1
    while scale < 8 and long_side // (scale * 2) >= target * 3 // 4:
        scale *= 2
    return scale


# EXIF orientation -> the transpose that shows the photo upright (as ImageOps.exif_transpose)
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _upright(image: Image.Image) -> Image.Image:
    """The pixels turned as the EXIF orientation says.

    Not ``ImageOps.exif_transpose``: it also rewrites the EXIF block (GPS included) into the
    copy's info for a file we are about to write without any metadata, and copies an upright
    image whole; together that was 10% of the pipeline on a phone photo (bench/intake.py).
    """
    method = _UPRIGHT.get(image.getexif().get(ExifTags.Base.Orientation, 1))
    return image.transpose(method) if method is not None else image


def _jpeg_ready(image: Image.Image) -> Image.Image:
    """An image the JPEG encoder takes as it is; transparency goes onto white."""
    if image.mode in ("RGB", "YCbCr", "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _fit(image: Image.Image, long_side: int) -> Image.Image:
    width, height = image.size
    if max(width, height) <= long_side:
        return image
    ratio = long_side / max(width, height)
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    # A cheap integer box reduction first, then an area average (box) for the last < 2x step:
    # it does not alias when shrinking, and costs 30% less than bilinear, 50% less than bicubic.
    factor = int(1 / ratio)
    reduced = image.reduce(factor) if factor > 1 else image
    return reduced.resize(size, Image.Resampling.BOX)


def _encode_jpeg(image: Image.Image, quality: int, icc_profile: bytes | None) -> bytes:
    out = io.BytesIO()
    # The stored file carries pixels and (for colour) the ICC profile only. No exif= and no
    # xmp= are given; ``comment`` must be, or Pillow copies the upload's JPEG comment (COM
    # segment: cameras and editors put owner names there) from the image's info.
    image.save(out, "JPEG", quality=quality, icc_profile=icc_profile or None, comment=b"")
    return out.getvalue()


def process_photo(data: bytes, filename: str, limits: PhotoLimits) -> ProcessedPhoto:
    """Validate, orient, strip and resize one upload. Raises PhotoRejected for bad input."""
    name = (filename or "photo")[:100]
    if len(data) > limits.max_bytes:
        raise PhotoRejected(413, "photo_too_large", filename=name, limit_mb=limits.max_bytes // (1024 * 1024))
    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        if isinstance(exc, UnidentifiedImageError):
            raise PhotoRejected(415, "photo_unsupported_type", filename=name) from exc
        raise PhotoRejected(413, "photo_too_many_pixels", filename=name, pixels="?", limit=limits.max_pixels) from exc
    except (OSError, EOFError, ValueError, SyntaxError) as exc:  # EOFError: pillow-heif on a cut file
        raise PhotoRejected(422, "photo_corrupt", filename=name) from exc
    with image:
        width, height = image.size
        if width * height > limits.max_pixels or width <= 0 or height <= 0:
            raise PhotoRejected(
                413, "photo_too_many_pixels", filename=name, pixels=width * height, limit=limits.max_pixels
            )
        source_format = image.format or "unknown"
        icc_profile = image.info.get("icc_profile")
        try:
            if source_format == "JPEG":
                scale = _draft_scale(max(width, height), limits.display_long_side)
                if scale > 1:
                    # RGB, not YCbCr: libjpeg-turbo's SIMD colour conversion on decode and encode
                    # beats YCbCr's unconverted C loops by ~3 ms on a phone photo (bench/intake.py)
                    image.draft("RGB", (width // scale, height // scale))
                # the whole upload in one feed: libjpeg does not suspend and resume per 64 KB block
                image.decodermaxblock = max(len(data), image.decodermaxblock)
            image.load()
            oriented = _jpeg_ready(_upright(image))
        except (OSError, EOFError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            raise PhotoRejected(422, "photo_corrupt", filename=name) from exc
        # still inside ``with``: an upright, small photo is the opened image itself until encoded
        display = _fit(oriented, limits.display_long_side)
        thumbnail = _fit(display, limits.thumbnail_long_side)
        return ProcessedPhoto(
            display=_encode_jpeg(display, 85, icc_profile),
            display_size=display.size,
            thumbnail=_encode_jpeg(thumbnail, 80, icc_profile),
            thumbnail_size=thumbnail.size,
            source_format=source_format,
        )
