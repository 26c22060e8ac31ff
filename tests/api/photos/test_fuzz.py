"""Fuzzing the photo pipeline: random and mutated JPEG/PNG/WebP/HEIC bytes.

Whatever comes in, ``process_photo`` either returns a valid image (both variants decode as
JPEGs of the sizes it claims) or raises its own ``PhotoRejected`` with a 413/415/422: no
other exception, no crash of the interpreter, no case running past ``CASE_TIMEOUT_S``. Each
case runs in a separate worker process, so a hang or a segfault in a decoder fails the test
instead of freezing the suite.
"""

import io
import multiprocessing
import multiprocessing.pool
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from api.photos.processing import PhotoLimits, PhotoRejected, _register_heif, process_photo
from tests.factories import image_bytes

pytestmark = pytest.mark.slow  # a process pool, thousands of decodes

CASE_TIMEOUT_S = 10
LIMITS = PhotoLimits(max_bytes=2 * 1024 * 1024, max_pixels=4_000_000, display_long_side=256, thumbnail_long_side=64)
CLEAN_REFUSALS = {
    (413, "photo_too_large"),
    (413, "photo_too_many_pixels"),
    (415, "photo_unsupported_type"),
    (422, "photo_corrupt"),
}


def _seeds() -> list[bytes]:
    _register_heif()  # HEIC needs pillow-heif's opener (and encoder) registered
    return [
        image_bytes("JPEG", (96, 64)),
        image_bytes("JPEG", (64, 96), orientation=6, gps=True),
        image_bytes("PNG", (80, 60)),
        image_bytes("PNG", (40, 40), mode="RGBA"),
        image_bytes("PNG", (40, 30), mode="P"),
        image_bytes("WEBP", (64, 48)),
        image_bytes("HEIF", (64, 48)),
    ]


def outcome(data: bytes) -> tuple:
    """Runs in the worker process: what the pipeline made of ``data``, checked."""
    try:
        photo = process_photo(data, "fuzz.jpg", LIMITS)
    except PhotoRejected as exc:
        return ("rejected", exc.status, exc.key)
    except BaseException as exc:  # noqa: BLE001 - anything else is the bug we are looking for
        return ("crash", f"{type(exc).__name__}: {exc}")
    for blob, size in ((photo.display, photo.display_size), (photo.thumbnail, photo.thumbnail_size)):
        with Image.open(io.BytesIO(blob)) as image:
            image.load()
            if image.format != "JPEG" or image.size != size or max(size) > LIMITS.display_long_side:
                return ("crash", f"invalid output {image.format} {image.size} vs {size}")
    return ("ok", photo.display_size)


@pytest.fixture(scope="module")
def pool() -> Iterator[multiprocessing.pool.Pool]:
    workers = multiprocessing.get_context("spawn").Pool(1)
    yield workers
    workers.terminate()


def _assert_clean(pool, data: bytes) -> tuple:
    try:
        result = pool.apply_async(outcome, (data,)).get(CASE_TIMEOUT_S)
    except multiprocessing.TimeoutError:
        pytest.fail(f"photo pipeline ran over {CASE_TIMEOUT_S}s on {data[:64]!r}... ({len(data)} bytes)")
    assert result[0] != "crash", f"{result[1]} on {data[:64]!r}... ({len(data)} bytes)"
    if result[0] == "rejected":
        assert (result[1], result[2]) in CLEAN_REFUSALS
    return result


SEEDS = _seeds()


@st.composite
def mutated_images(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(data) - 1)) if data else 0
        action = draw(st.sampled_from(("flip", "overwrite", "insert", "truncate", "delete")))
        if action == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[position : position + len(chunk)] = chunk
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=64))
        elif action == "truncate":
            del data[position:]
        else:
            del data[position : position + draw(st.integers(1, 32))]
    return bytes(data)


FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(FUZZ, max_examples=150)
@given(data=st.binary(max_size=4096))
def test_random_bytes_are_refused_cleanly(pool, data):
    assert _assert_clean(pool, data)[0] == "rejected"


@settings(FUZZ, max_examples=1500)
@given(data=mutated_images())
def test_mutated_images_give_a_clean_error_or_a_valid_image(pool, data):
    _assert_clean(pool, data)


@pytest.mark.parametrize("header", [b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", b"\x00\x00\x00\x18ftypavif"])
def test_heic_and_avif_headers_alone_are_clean_refusals(pool, header):
    assert _assert_clean(pool, header + b"\x00" * 64)[0] == "rejected"


def test_every_seed_is_accepted(pool):
    """The fuzzer starts from images the pipeline accepts, HEIC included."""
    assert [_assert_clean(pool, seed)[0] for seed in SEEDS] == ["ok"] * len(SEEDS)


def test_a_damaged_heic_that_ends_early_is_a_clean_refusal(pool):
    """Found by the mutation fuzzer: pillow-heif raised EOFError (not an OSError) on this file."""
    damaged = (Path(__file__).parent / "data" / "heic_eof.bin").read_bytes()
    assert _assert_clean(pool, damaged)[:3] == ("rejected", 422, "photo_corrupt")
