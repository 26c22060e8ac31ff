"""Storm benchmark: a burst of residents reporting the same flooded streets while officers work the queue.

Loopback only, bounded. Starts its own SecantusDB and `phananh serve` (the statistics applier and
the push dispatcher run inside it, as in a default deployment), then:

1. idle: one resident files reports one at a time; the p50 is the idle latency of one report;
2. closed loop: N residents (default 40) file M reports each (default 8) at once; 60% within 30 m
   of three hotspots with similar flood texts, 25% with an 800x600 phone photo; 4 triage
   officers move reports to in_progress with If-Match meanwhile (a 412 is re-read and retried);
3. statistics lag: how long from each change to its application (change log, p50/p99), and
   from the burst's end until /v1/stats shows every report;
4. open loop: reports arriving at random (Poisson) at half the closed loop's throughput for
   --open-seconds, so tail latency is measured on arrivals that do not wait for answers;
5. floor, same run, same server: bare ``insert_one`` of report-sized documents at the closed
   loop's concurrency;
6. the database commands of one text-only intake (PyMongo command monitoring, in-process app).

Targets (issue 19): 0 errors; throughput >= 10% of the floor; open-loop p99 <= 5x the idle p50.

Run: python bench/storm.py [--residents 40] [--reports 8] [--officers 4] [--open-seconds 60] [--workers 1]
"""

import argparse
import asyncio
import io
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import psutil
from bson import ObjectId
from PIL import Image
from pymongo import AsyncMongoClient, MongoClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from api.auth import make_dev_token  # noqa: E402
from api.embedded import EmbeddedMongo, free_port  # noqa: E402
from bench.service import start_serve  # noqa: E402

PROJECT = "phananh-storm"
DATABASE = "storm"
HOTSPOTS = [
    (21.0031, 105.8201, "phố Nguyễn Trãi"),
    (21.0190, 105.8360, "phố Thái Hà"),
    (21.0350, 105.8490, "phố Phan Bội Châu"),
]
FLOOD_TEXTS = [
    "Nước ngập sâu quá đầu gối trên {street}, xe máy chết máy hàng loạt",
    "{street} ngập nặng sau mưa, nước tràn vào nhà dân, cống không thoát được",
    "Ngập lụt ở {street}, nước lên nhanh, đề nghị thoát nước xử lý gấp",
    "mưa to {street} lại ngập như sông, cống tắc hết rồi",
]
OTHER_TEXTS = [
    "Cây đổ chắn ngang đường sau bão, không đi qua được",
    "Đèn đường tắt cả đoạn, tối om rất nguy hiểm",
    "Dây điện đứt rơi xuống đường sau giông, rất nguy hiểm",
    "Rác trôi dạt chất đống ở đầu ngõ sau mưa",
]


def token(uid: str, claims: dict | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_dev_token(PROJECT, uid, claims, lifetime_s=7200)}"}


def phone_photo(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.effect_noise((800, 600), 40).convert("RGB")
    image.paste(tuple(rng.randrange(256) for _ in range(3)), (0, 0, 400, 300))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def report_form(rng: random.Random) -> dict[str, str]:
    """60% at one of three hotspots (within 30 m), the rest spread over central Hanoi."""
    if rng.random() < 0.6:
        lat, lng, street = rng.choice(HOTSPOTS)
        lat, lng = lat + rng.uniform(-0.00025, 0.00025), lng + rng.uniform(-0.00025, 0.00025)
        text = rng.choice(FLOOD_TEXTS).format(street=street)
    else:
        lat, lng, text = rng.uniform(20.99, 21.05), rng.uniform(105.80, 105.87), rng.choice(OTHER_TEXTS)
    return {"description": f"{text} ({rng.randrange(1, 500)})", "lat": f"{lat:.6f}", "lng": f"{lng:.6f}"}


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()

    async def call(self, name: str, request) -> httpx.Response | None:  # noqa: ANN001
        started = time.perf_counter()
        try:
            response = await request
        except httpx.HTTPError as exc:
            self.errors[f"{name}: {type(exc).__name__}"] += 1
            return None
        if response.status_code >= 400 and response.status_code != 412:
            self.errors[f"{name}: {response.status_code} {response.json().get('code', '')}"] += 1
        elif name.startswith("POST /v1/reports"):
            self.latencies.append(time.perf_counter() - started)
        return response


async def file_one(
    http: httpx.AsyncClient, tally: Tally, rng: random.Random, headers: dict, photo: bytes | None
) -> None:
    files = [("photos", ("p.jpg", photo, "image/jpeg"))] if photo else None
    await tally.call(
        "POST /v1/reports",
        http.post(
            "/v1/reports", data=report_form(rng), files=files, headers={**headers, "Idempotency-Key": uuid.uuid4().hex}
        ),
    )


async def resident(http: httpx.AsyncClient, tally: Tally, n: int, reports: int, photos: list[bytes]) -> None:
    rng, headers = random.Random(n), token(f"storm-resident-{n}")
    for _ in range(reports):
        await file_one(http, tally, rng, headers, rng.choice(photos) if rng.random() < 0.25 else None)


async def officer(http: httpx.AsyncClient, staff: Tally, n: int, count: int, done: asyncio.Event) -> None:
    """Officers split the queue by id; each move is read-then-If-Match, retried on 412."""
    headers = token(f"storm-officer-{n}", {"role": "triage_officer"})
    while not done.is_set():
        queue = await staff.call(
            "GET queue",
            http.get("/v1/triage/queue", headers=headers, params={"status": "assigned", "sort": "due", "limit": 20}),
        )
        items = [
            i
            for i in (queue.json()["items"] if queue is not None and queue.status_code == 200 else [])
            if int(i["id"], 16) % count == n
        ]
        if not items:
            await asyncio.sleep(0.3)
        for item in items[:5]:
            for _ in range(3):
                report = await staff.call("GET report", http.get(f"/v1/reports/{item['id']}", headers=headers))
                if report is None or report.status_code != 200:
                    break
                moved = await staff.call(
                    "POST status",
                    http.post(
                        f"/v1/triage/reports/{item['id']}/status",
                        json={"status": "in_progress", "public_note": "Đang xử lý"},
                        headers={**headers, "If-Match": report.headers["etag"]},
                    ),
                )
                if moved is None or moved.status_code != 412:
                    staff.latencies.append(0.0)  # one move made (or refused for a reason already counted)
                    break


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def closed_loop(base: str, residents: int, reports: int, officers: int) -> tuple[Tally, Tally, float]:
    photos = [phone_photo(seed) for seed in range(4)]
    tally, staff, done = Tally(), Tally(), asyncio.Event()
    limits = httpx.Limits(max_connections=residents + officers + 4)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        workers = [asyncio.create_task(officer(http, staff, n, officers, done)) for n in range(officers)]
        started = time.perf_counter()
        await asyncio.gather(*(resident(http, tally, n, reports, photos) for n in range(residents)))
        elapsed = time.perf_counter() - started
        await asyncio.sleep(2)  # the officers catch up with the last reports
        done.set()
        await asyncio.gather(*workers)
    return tally, staff, elapsed


async def open_loop(base: str, rate: float, seconds: float) -> tuple[Tally, Tally]:
    """Poisson arrivals at ``rate`` reports/s: each arrival is sent whether or not earlier ones were answered.
    Tallied apart: text-only reports and reports with a photo (what makes the tail)."""
    text, with_photo, rng, photos, tasks = Tally(), Tally(), random.Random(99), [phone_photo(9)], []
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=httpx.Limits(max_connections=500)) as http:
        deadline = time.perf_counter() + seconds
        n = 0
        while time.perf_counter() < deadline:
            await asyncio.sleep(rng.expovariate(rate))
            headers = token(f"storm-open-{n}")
            photo = photos[0] if rng.random() < 0.25 else None
            tally = with_photo if photo else text
            tasks.append(asyncio.create_task(file_one(http, tally, random.Random(n), headers, photo)))
            n += 1
        await asyncio.gather(*tasks)
    return text, with_photo


async def idle_p50(base: str, photo: bytes | None = None, count: int = 15) -> float:
    """One report at a time on the idle service (text-only unless ``photo``)."""
    tally, rng, kind = Tally(), random.Random(5), "photo" if photo else "text"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for n in range(count):
            await file_one(http, tally, rng, token(f"storm-idle-{kind}-{n}"), photo)
    return percentile(tally.latencies, 0.5)


async def floor(uri: str, writers: int, per_writer: int) -> float:
    """Bare insert_one of documents shaped like the reports just stored, same concurrency, same server."""
    client = AsyncMongoClient(uri)
    sample = await client[DATABASE]["reports"].find({}).limit(50).to_list()
    target = client["storm_floor"]["reports"]

    async def writer(n: int) -> None:
        for i in range(per_writer):
            await target.insert_one({**sample[(n + i) % len(sample)], "_id": ObjectId(), "code": f"F-{n}-{i}"})

    started = time.perf_counter()
    await asyncio.gather(*(writer(n) for n in range(writers)))
    rate = writers * per_writer / (time.perf_counter() - started)
    await client.drop_database("storm_floor")
    await client.close()
    return rate


def statistics_lag(uri: str) -> tuple[list[float], int]:
    """Each change's wait (change → applied), and how many are still pending."""
    with MongoClient(uri, tz_aware=True) as client:
        changes = client[DATABASE]["report_changes"]
        lags = [
            (c["stats_applied_at"] - c["at"]).total_seconds()
            for c in changes.find({"stats_applied_at": {"$exists": True}}, {"at": 1, "stats_applied_at": 1})
        ]
        return lags, changes.count_documents({"stats_due": {"$exists": True}})


async def stats_caught_up(base: str, expected: int, timeout_s: float = 120) -> float:
    """Seconds from now until /v1/stats/overview counts ``expected`` reports received."""
    headers, started = token("storm-leader", {"role": "leadership"}), time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.perf_counter() - started < timeout_s:
            figures = (await http.get("/v1/stats/overview", headers=headers)).json()["figures"]
            if figures["received"] >= expected:
                return time.perf_counter() - started
            await asyncio.sleep(0.1)
    return float("inf")


def commands_of_one_intake(uri: str, data_dir: str) -> list[tuple[str, str]]:
    """Every database command one text-only intake sends (an in-process app on the same server)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.observability.commands import install_command_log
    from core.settings import Settings

    log = install_command_log()
    settings = Settings(
        mongodb_uri=uri,
        database_name="storm_commands",
        data_dir=data_dir,
        env="dev",
        firebase_project_id=PROJECT,
        run_worker=False,
    )
    with TestClient(create_app(settings)) as client:
        rng, headers = random.Random(1), token("storm-commands")
        client.post("/v1/reports", data=report_form(rng), headers=headers)  # warm: indexes, caches
        with log.recording() as commands:
            client.post("/v1/reports", data=report_form(rng), headers={**headers, "Idempotency-Key": "one"})
    return list(commands)


def database_time(uri: str) -> dict[str, tuple[int, int]]:
    """(microseconds, operations) the server has spent per collection and operation so far (``top``)."""
    with MongoClient(uri) as client:
        totals = client.admin.command("top")["totals"]
    return {
        f"{namespace.removeprefix(DATABASE + '.')} {op}": (figures["time"], figures["count"])
        for namespace, ops in totals.items()
        if namespace.startswith(DATABASE + ".")
        for op, figures in ops.items()
        if op not in ("total", "readLock", "writeLock") and figures.get("count")
    }


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and their children so far."""
    total = 0.0
    for pid in pids:
        process = psutil.Process(pid)
        for each in [process, *process.children(recursive=True)]:
            times = each.cpu_times()
            total += times.user + times.system
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=40)
    parser.add_argument("--reports", type=int, default=8)
    parser.add_argument("--officers", type=int, default=4)
    parser.add_argument("--open-seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="phananh-storm-") as data_dir:
        database = EmbeddedMongo(Path(data_dir) / "db")
        database.start()
        commands = commands_of_one_intake(database.uri, data_dir)
        port = free_port()
        service = start_serve(
            port,
            data_dir,
            PROJECT,
            workers=args.workers,
            uri=database.uri,
            database=DATABASE,
            settle_s=2 if args.workers > 1 else 0,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            idle, idle_photo = asyncio.run(idle_p50(base)), asyncio.run(idle_p50(base, phone_photo(9)))
            cpu_before = (cpu_seconds([service.pid]), cpu_seconds([database.process.pid]))
            top_before = database_time(database.uri)
            tally, staff, elapsed = asyncio.run(closed_loop(base, args.residents, args.reports, args.officers))
            cpu_used = (cpu_seconds([service.pid]) - cpu_before[0], cpu_seconds([database.process.pid]) - cpu_before[1])
            filed = len(tally.latencies)
            top_after = database_time(database.uri)
            caught_up_s = asyncio.run(stats_caught_up(base, filed + 30))
            lags, still_pending = statistics_lag(database.uri)
            throughput = filed / elapsed
            open_text, open_photo = asyncio.run(open_loop(base, throughput / 2, args.open_seconds))
            floor_rate = asyncio.run(floor(database.uri, args.residents, args.reports))
        finally:
            service.send_signal(signal.SIGTERM)
            try:
                service.wait(60)
            except subprocess.TimeoutExpired:
                service.kill()
            database.stop()
    errors = tally.errors + staff.errors + open_text.errors + open_photo.errors
    open_latencies = open_text.latencies + open_photo.latencies
    ratio, open_p99 = throughput / floor_rate, percentile(open_latencies, 0.99)
    print(
        f"[storm] {args.residents} residents x {args.reports} reports, {args.officers} officers, "
        f"{args.workers} API process(es)"
    )
    print(
        f"[closed] {filed} reports in {elapsed:.1f} s = {throughput:.1f} reports/s; "
        f"p50 {percentile(tally.latencies, 0.5) * 1000:.0f} ms, p99 {percentile(tally.latencies, 0.99) * 1000:.0f} ms; "
        f"staff moves {len(staff.latencies)}"
    )
    print(
        f"[cpu] per report of the burst (officers' work included): API {cpu_used[0] / filed * 1000:.0f} ms, "
        f"database {cpu_used[1] / filed * 1000:.0f} ms; machine cores {psutil.cpu_count()}"
    )
    print(
        f"[floor] bare insert_one x{args.residents}: {floor_rate:.0f} docs/s; storm/floor {ratio:.1%} "
        f"(target >= 10%) {'PASS' if ratio >= 0.10 else 'FAIL'}"
    )
    spent = sorted(
        (
            (time_us - top_before.get(key, (0, 0))[0], count - top_before.get(key, (0, 0))[1], key)
            for key, (time_us, count) in top_after.items()
        ),
        reverse=True,
    )
    print(
        "[database time] per report of the burst, busiest first (ms, operations): "
        + ", ".join(f"{key} {us / filed / 1000:.1f} x{ops / filed:.1f}" for us, ops, key in spent[:12] if us > 0)
    )
    print(f"[idle] one report p50 {idle * 1000:.0f} ms (text-only; with an 800x600 photo {idle_photo * 1000:.0f} ms)")
    print(
        f"[open] Poisson {throughput / 2:.1f}/s for {args.open_seconds:.0f} s: {len(open_latencies)} reports, "
        f"p50 {percentile(open_latencies, 0.5) * 1000:.0f} ms, p99 {open_p99 * 1000:.0f} ms = "
        f"{open_p99 / idle:.1f}x idle p50 (target <= 5x) {'PASS' if open_p99 <= 5 * idle else 'FAIL'}"
    )
    print(
        "[open] by kind: "
        + "; ".join(
            f"{kind} {len(t.latencies)}: p50 {percentile(t.latencies, 0.5) * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms = {p99 / own:.1f}x its idle p50"
            for kind, t, own in (("text-only", open_text, idle), ("with a photo", open_photo, idle_photo))
            for p99 in [percentile(t.latencies, 0.99)]
        )
    )
    print(
        f"[stats] change -> applied p50 {percentile(lags, 0.5):.2f} s, p99 {percentile(lags, 0.99):.2f} s "
        f"({still_pending} pending); burst end -> /v1/stats shows all: {caught_up_s:.2f} s"
    )
    print(
        f"[commands] one text-only intake: {len(commands)} database commands: "
        + ", ".join(f"{name} {target}".strip() for name, target in commands)
    )
    print(f"[errors] {sum(errors.values())} {dict(errors) or ''} (target 0) {'PASS' if not errors else 'FAIL'}")
    return 0 if not errors and ratio >= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
