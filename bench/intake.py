"""Intake benchmark (issue: foundation and report intake). Prints its numbers and PASS/FAIL.

1. Photo pipeline on a 12-megapixel phone-like JPEG vs a plain full decode of the same file.
2. Peak RSS of the API process while 8 such uploads run at once (target < 600 MB).
3. Text-only intake through the real HTTP server (uvicorn, one worker, embedded DB, 20
   concurrent clients) vs the floor: raw PyMongo async insert_one of the same document.

Run: python bench/intake.py   (needs the `embedded` and `test` extras; loopback only)
"""

import asyncio
import io
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import psutil
from PIL import Image
from pymongo import AsyncMongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.auth import make_dev_token  # noqa: E402
from api.embedded import EmbeddedMongo, free_port  # noqa: E402
from api.photos.processing import PhotoLimits, process_photo  # noqa: E402
from bench.service import start_serve  # noqa: E402

CLIENTS = 20
REPORTS_PER_CLIENT = 40
PROJECT = "phananh-bench"


def phone_jpeg(seed: int = 7) -> bytes:
    """4032x3024, smooth scene + texture + sensor noise, q92, EXIF orientation 6 and GPS (~3 MB)."""
    rng = np.random.default_rng(seed)
    height, width = 3024, 4032
    scene = np.asarray(
        Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)).resize(
            (width, height), Image.Resampling.BICUBIC
        ),
        dtype=np.float32,
    )
    texture = np.asarray(
        Image.fromarray(rng.integers(0, 255, (height // 4, width // 4), dtype=np.uint8)).resize(
            (width, height), Image.Resampling.BILINEAR
        ),
        dtype=np.float32,
    )[..., None]
    pixels = (scene * 0.8 + texture * 0.2 + rng.normal(0, 4, (height, width, 3))).clip(0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (21.0, 1.0, 42.0), 3: "E", 4: (105.0, 51.0, 15.0)}
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def paired_medians(floor, candidate, runs: int = 41) -> tuple[float, float]:
    """Median times of two functions run alternately, so both see the same machine noise."""
    floor_samples, candidate_samples = [], []
    for _ in range(runs):
        for fn, samples in ((floor, floor_samples), (candidate, candidate_samples)):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
    return statistics.median(floor_samples), statistics.median(candidate_samples)


def bench_pipeline(photo: bytes) -> bool:
    limits = PhotoLimits(max_bytes=10 * 1024 * 1024, max_pixels=50_000_000)
    decode, pipeline = paired_medians(
        lambda: Image.open(io.BytesIO(photo)).load(), lambda: process_photo(photo, "IMG.jpg", limits)
    )
    ratio = pipeline / decode
    print(
        f"[photo] 12 MP JPEG {len(photo) / 1e6:.1f} MB: full decode (floor) {decode * 1000:.1f} ms, "
        f"pipeline {pipeline * 1000:.1f} ms -> {ratio:.2f}x (target <= 0.80) {'PASS' if ratio <= 0.8 else 'FAIL'}"
    )
    return ratio <= 0.8


def form(i: int, hotspot: bool = False) -> dict[str, str]:
    """City-wide traffic: points spread over central Hanoi (seeded). ``hotspot``: all at one spot,
    so every report is a possible duplicate of every earlier one (a storm's worst case)."""
    rng = random.Random(i)
    lat, lng = (21.0285, 105.8542) if hotspot else (rng.uniform(20.98, 21.06), rng.uniform(105.78, 105.88))
    return {
        "description": f"Ổ gà lớn trước số {i} phố Hàng Bài, xe máy dễ ngã, đề nghị xử lý sớm.",
        "lat": f"{lat:.6f}",
        "lng": f"{lng:.6f}",
    }


async def bench_rss(base: str, pid: int, photo: bytes) -> bool:
    process = psutil.Process(pid)
    peak, stop = process.memory_info().rss, threading.Event()
    start_rss = peak

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:

        async def upload(i: int) -> int:
            headers = {"Authorization": f"Bearer {make_dev_token(PROJECT, f'rss-{i}')}"}
            response = await client.post(
                "/v1/reports", data=form(i), files=[("photos", ("IMG.jpg", photo, "image/jpeg"))], headers=headers
            )
            return response.status_code

        started = time.perf_counter()
        codes = await asyncio.gather(*[upload(i) for i in range(8)])
        elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    ok = codes == [201] * 8 and peak < 600 * 1024 * 1024
    print(
        f"[rss] 8 concurrent 12 MP uploads in {elapsed:.2f} s: API RSS {start_rss / 2**20:.0f} MB at start, "
        f"peak {peak / 2**20:.0f} MB (target < 600) statuses={sorted(set(codes))} {'PASS' if ok else 'FAIL'}"
    )
    return ok


def summarise(label: str, latencies: list[float], elapsed: float) -> float:
    latencies.sort()
    rate = len(latencies) / elapsed
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"[{label}] {len(latencies)} in {elapsed:.2f} s: {rate:.0f}/s, p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
    )
    return rate


async def bench_http(base: str, hotspot: bool = False) -> float:
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=CLIENTS)) as client:

        async def resident(n: int) -> None:
            headers = {"Authorization": f"Bearer {make_dev_token(PROJECT, f'resident-{n}')}"}
            for i in range(REPORTS_PER_CLIENT):
                start = time.perf_counter()
                response = await client.post(
                    "/v1/reports", data=form(n * REPORTS_PER_CLIENT + i, hotspot), headers=headers
                )
                latencies.append(time.perf_counter() - start)
                assert response.status_code == 201, response.text

        started = time.perf_counter()
        await asyncio.gather(*[resident(n) for n in range(CLIENTS)])
        return summarise(
            "http intake, one spot" if hotspot else "http intake, city-wide", latencies, time.perf_counter() - started
        )


async def bench_floor(uri: str, indexed: bool) -> float:
    """The documents the service just stored, inserted again straight into the same server.

    ``indexed`` gives the copy's collection the service's own report indexes (2dsphere,
    queues, code, resident): the database work intake cannot avoid. Without, the bare
    ``_id``-only collection is the absolute ceiling; both are printed.
    """
    from bson import ObjectId

    from api.reports.repository import ReportRepository

    client = AsyncMongoClient(uri)
    stored = await client["bench"]["reports"].find({"photos": []}).limit(CLIENTS * REPORTS_PER_CLIENT).to_list()
    target_db = client[f"bench_floor_{'indexed' if indexed else 'bare'}"]
    if indexed:
        await ReportRepository.ensure_indexes(target_db)
    reports = target_db["reports"]
    latencies: list[float] = []

    async def writer(n: int) -> None:
        for i in range(REPORTS_PER_CLIENT):
            doc = {**stored[(n * REPORTS_PER_CLIENT + i) % len(stored)], "_id": ObjectId(), "code": f"F-{n}-{i}"}
            start = time.perf_counter()
            await reports.insert_one(doc)
            latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    await asyncio.gather(*[writer(n) for n in range(CLIENTS)])
    label = "floor insert_one, service indexes" if indexed else "floor insert_one, bare collection"
    rate = summarise(label, latencies, time.perf_counter() - started)
    await client.close()
    return rate


def main() -> int:
    photo = phone_jpeg()
    results = [bench_pipeline(photo)]
    with tempfile.TemporaryDirectory() as data_dir:
        database = EmbeddedMongo(Path(data_dir))
        uri = database.start()
        port = free_port()
        service = start_serve(port, data_dir, PROJECT, uri=uri, database="bench")
        try:
            base = f"http://127.0.0.1:{port}"
            results.append(asyncio.run(bench_rss(base, service.pid, photo)))
            http = asyncio.run(bench_http(base))
            bare = asyncio.run(bench_floor(uri, indexed=False))
            indexed = asyncio.run(bench_floor(uri, indexed=True))
            print(
                f"[intake] HTTP intake at {http / bare:.0%} of the bare-collection floor, "
                f"{http / indexed:.0%} of the indexed floor (aim >= 40%) "
                f"{'MET' if http / indexed >= 0.4 else 'NOT MET'}"
            )
            hot = asyncio.run(bench_http(base, hotspot=True))  # the duplicate search's worst case: one spot
            print(
                f"[intake] hotspot intake at {hot / http:.0%} of spread intake (target >= 50%) "
                f"{'PASS' if hot / http >= 0.5 else 'FAIL'}"
            )
            results.append(hot / http >= 0.5)
        finally:
            service.terminate()
            service.wait(30)
            database.stop()
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
