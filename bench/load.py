"""Load benchmark: residents and staff against `phananh serve --workers 2`. Loopback only, bounded.

50 simulated residents for 60 s (file a report with a small photo, list their reports, read
one of them) and 5 triage officers working the queue (read the queue, open a report, move it
to in_progress or resolved with If-Match, uploading an after-photo before resolving), against
the real service: `phananh serve` starting its embedded SecantusDB and two uvicorn workers
(each loads the classifier). A 10 s warm-up runs first so the RSS at start is taken after lazy
allocations. Prints throughput, p50/p99 per endpoint, errors (must be 0) and the service's RSS
(the uvicorn processes, summed; the database separately) at start and end (growth must stay
under 10%).

Run: python bench/load.py [--residents 50] [--staff 5] [--seconds 60] [--workers 2]
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
from collections import defaultdict
from pathlib import Path

import httpx
import psutil
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from api.auth import make_dev_token  # noqa: E402
from api.embedded import free_port  # noqa: E402
from bench.service import start_serve  # noqa: E402

PROJECT = "phananh-load"
DESCRIPTIONS = [
    "Ổ gà lớn giữa đường, xe máy dễ ngã",
    "Rác thải đổ trộm ở đầu ngõ, bốc mùi",
    "Đèn đường hỏng cả tuần nay",
    "Nước ngập sâu sau mưa, không đi được",
    "Cây đổ chắn ngang vỉa hè",
    "Nắp cống bị mất, rất nguy hiểm",
]


class Stats:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)

    async def call(self, name: str, request) -> httpx.Response | None:  # noqa: ANN001
        started = time.perf_counter()
        try:
            response = await request
        except httpx.HTTPError as exc:
            self.errors[f"{name}: {type(exc).__name__}"] += 1
            return None
        self.latencies[name].append(time.perf_counter() - started)
        if response.status_code >= 400:
            self.errors[f"{name}: {response.status_code}"] += 1
        return response


def small_photo(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def token(uid: str, claims: dict | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_dev_token(PROJECT, uid, claims, lifetime_s=3600)}"}


async def resident(http: httpx.AsyncClient, stats: Stats, n: int, deadline: float) -> None:
    rng = random.Random(n)
    headers = token(f"load-resident-{n}-{uuid.uuid4().hex[:6]}")
    photo = small_photo(n)
    mine: list[str] = []
    while time.monotonic() < deadline:
        form = {
            "description": f"{rng.choice(DESCRIPTIONS)} (số {rng.randrange(1, 200)})",
            "lat": f"{rng.uniform(20.99, 21.05):.6f}",
            "lng": f"{rng.uniform(105.80, 105.87):.6f}",
        }
        created = await stats.call(
            "POST /v1/reports",
            http.post(
                "/v1/reports",
                data=form,
                files=[("photos", ("p.jpg", photo, "image/jpeg"))],
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            ),
        )
        if created is not None and created.status_code == 201:
            mine.append(created.json()["id"])
        await stats.call("GET /v1/reports/mine", http.get("/v1/reports/mine", headers=headers))
        if mine:
            await stats.call("GET /v1/reports/{id}", http.get(f"/v1/reports/{rng.choice(mine)}", headers=headers))


async def staff(http: httpx.AsyncClient, stats: Stats, n: int, count: int, deadline: float) -> None:
    """Each officer takes the reports whose id falls in its share, so two never race for one."""
    headers = token(f"load-staff-{n}", {"role": "triage_officer"})
    next_status = {"assigned": "in_progress", "received": "in_progress", "in_progress": "resolved"}
    while time.monotonic() < deadline:
        queue = await stats.call(
            "GET /v1/triage/queue", http.get("/v1/triage/queue", params={"sort": "age", "limit": 50}, headers=headers)
        )
        items = [
            i
            for i in (queue.json()["items"] if queue is not None and queue.status_code == 200 else [])
            if int(i["id"], 16) % count == n and i["status"] in next_status
        ]
        if not items:
            await asyncio.sleep(0.5)
            continue
        for item in items[:5]:
            report = await stats.call(
                "GET /v1/reports/{id} (staff)", http.get(f"/v1/reports/{item['id']}", headers=headers)
            )
            if report is None or report.status_code != 200:
                continue
            body = {"status": next_status[item["status"]], "public_note": "Đã tiếp nhận, đang xử lý"}
            if body["status"] == "resolved":  # proof of resolution: an after-photo first, as staff do
                body["attachments"] = await proof_photo(http, stats, item["id"], headers)
            await stats.call(
                "POST /v1/triage/reports/{id}/status",
                http.post(
                    f"/v1/triage/reports/{item['id']}/status",
                    json=body,
                    headers={**headers, "If-Match": report.headers["etag"]},
                ),
            )


async def proof_photo(http: httpx.AsyncClient, stats: Stats, report_id: str, headers: dict[str, str]) -> list[str]:
    """Upload one after-photo for a report; its id (none if the upload failed: the resolve then shows the 422)."""
    uploaded = await stats.call(
        "POST /v1/triage/reports/{id}/attachments",
        http.post(
            f"/v1/triage/reports/{report_id}/attachments",
            files=[("files", ("after.jpg", small_photo(int(report_id, 16) % 1000), "image/jpeg"))],
            headers=headers,
        ),
    )
    if uploaded is None or uploaded.status_code != 201:
        return []
    return [a["id"] for a in uploaded.json()["attachments"]]


def service_processes(serve: psutil.Process) -> tuple[list[psutil.Process], list[psutil.Process]]:
    """(uvicorn supervisor and workers, database) among the serve process and its children."""
    api, database = [serve], []
    for child in serve.children(recursive=True):
        cmdline = " ".join(child.cmdline())
        if "secantus" in cmdline:
            database.append(child)
        elif "resource_tracker" not in cmdline:
            api.append(child)
    return api, database


def rss_mb(processes: list[psutil.Process]) -> float:
    return sum(p.memory_info().rss for p in processes) / 2**20


async def run_load(base: str, residents: int, staff_count: int, seconds: float) -> Stats:
    stats = Stats()
    limits = httpx.Limits(max_connections=residents + staff_count, max_keepalive_connections=residents + staff_count)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(resident(http, stats, n, deadline) for n in range(residents)),
            *(staff(http, stats, n, staff_count, deadline) for n in range(staff_count)),
        )
    return stats


def report(stats: Stats, elapsed: float) -> int:
    total = sum(len(v) for v in stats.latencies.values())
    print(
        f"[load] {total} requests in {elapsed:.1f} s: {total / elapsed:.1f} requests/s; "
        f"{len(stats.latencies['POST /v1/reports']) / elapsed:.1f} reports/s"
    )
    for name, values in sorted(stats.latencies.items()):
        values.sort()
        p50, p99 = values[len(values) // 2], values[max(0, int(len(values) * 0.99) - 1)]
        print(
            f"  {name:<38} {len(values):>6}  {len(values) / elapsed:6.1f}/s"
            f"  p50 {p50 * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms"
        )
    errors = sum(stats.errors.values())
    print(f"[load] errors: {errors} {dict(stats.errors) if errors else ''} {'PASS' if errors == 0 else 'FAIL'}")
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=50)
    parser.add_argument("--staff", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="phananh-load-") as data_dir:
        # settle: every worker has finished its start-up (model loaded), not only the first
        serve = start_serve(port, data_dir, PROJECT, workers=args.workers, settle_s=3)
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(run_load(base, args.residents, args.staff, args.warmup))
            api, database = service_processes(psutil.Process(serve.pid))
            rss_start, db_start = rss_mb(api), rss_mb(database)
            started = time.monotonic()
            stats = asyncio.run(run_load(base, args.residents, args.staff, args.seconds))
            elapsed = time.monotonic() - started
            api_end, _ = service_processes(psutil.Process(serve.pid))
            rss_end, db_end = rss_mb(api_end), rss_mb(database)
            errors = report(stats, elapsed)
            growth = (rss_end - rss_start) / rss_start
            print(
                f"[rss] service ({len(api)} processes: supervisor + {len(api) - 1} workers) {rss_start:.0f} MB -> "
                f"{rss_end:.0f} MB ({growth:+.1%}, limit +10%) {'PASS' if growth < 0.10 else 'FAIL'}; "
                f"database {db_start:.0f} MB -> {db_end:.0f} MB"
            )
            metrics = httpx.get(f"{base}/metrics", timeout=10)
            series = sum(
                1
                for line in metrics.text.splitlines()
                if line.startswith("phananh_http_request_duration_seconds_count")
            )
            print(f"[metrics] /metrics {metrics.status_code}, {series} route/status series (merged over workers)")
            return 0 if errors == 0 and growth < 0.10 else 1
        finally:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(60)
            except subprocess.TimeoutExpired:
                serve.kill()


if __name__ == "__main__":
    sys.exit(main())
