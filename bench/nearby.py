"""Nearby map benchmark: 50 000 reports, GET /v1/reports/nearby next to GET /v1/reports/{id}.

Seeds the reports collection directly (the fields intake writes: grid cells, visibility), 60%
within ~3 km of Hoàn Kiếm lake and the rest across Hanoi, 10% private, plus followers; then
calls both endpoints through the real app (ASGI, in-process) and prints p50/p95 of each, the
ratio to the floor, the winning plan of each cell query (IXSCAN, never COLLSCAN), and the
same cells read as one ``$in`` query instead of one equality query per cell.

Run: python bench/nearby.py [--reports 50000] [--runs 30]
"""

import argparse
import asyncio
import math
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from bson import ObjectId
from pymongo import DESCENDING, MongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.app import create_app  # noqa: E402
from api.auth import make_dev_token  # noqa: E402
from api.embedded import EmbeddedMongo  # noqa: E402
from api.public.service import CARD_FIELDS, nearby_cells  # noqa: E402
from core.settings import Settings  # noqa: E402
from tests.factories import mapped_report  # noqa: E402

PROJECT = "phananh-bench"
CENTRE = (21.0285, 105.8542)
STATUSES = ["received", "assigned", "in_progress", "resolved", "closed", "rejected"]
CIRCLES = {"200 m": 200, "500 m": 500, "1 000 m": 1000, "2 000 m (the limit)": 2000}


def point(rng: random.Random) -> tuple[float, float]:
    if rng.random() < 0.6:  # the old quarter and around: dense
        distance, angle = 3000 * math.sqrt(rng.random()), rng.random() * 2 * math.pi
        return (
            CENTRE[0] + distance * math.cos(angle) / 111_320,
            CENTRE[1] + distance * math.sin(angle) / (111_320 * math.cos(math.radians(CENTRE[0]))),
        )
    return rng.uniform(20.85, 21.2), rng.uniform(105.6, 106.0)


def seed(uri: str, db_name: str, n: int) -> ObjectId:
    rng = random.Random(18)
    now = datetime.now(UTC)
    docs, followers = [], []
    for i in range(n):
        lat, lng = point(rng)
        created = now - timedelta(minutes=rng.randrange(60 * 24 * 90))
        report = mapped_report(
            lat,
            lng,
            created,
            f"HN-2026-{i + 1:06d}",
            status=rng.choice(STATUSES),
            visibility="private" if rng.random() < 0.1 else "public",
            description=rng.choice(["Ổ gà to giữa đường", "Rác chất đống", "Đèn đường hỏng"]) + f" số {i}",
        )
        docs.append(report)
        report_id = report["_id"]
        followers += [
            {"report_id": report_id, "resident_uid": f"f-{uid}", "via": "follow", "at": created}
            for uid in rng.sample(range(20000), rng.choice([0, 0, 0, 1, 3]))
        ]
    with MongoClient(uri) as client:
        for name, batch in (("reports", docs), ("report_followers", followers)):
            for start in range(0, len(batch), 5000):
                client[db_name][name].insert_many(batch[start : start + 5000], ordered=False)
    return docs[0]["_id"]


async def measure(client: httpx.AsyncClient, path: str, headers: dict, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = await client.get(path, headers=headers)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, response.text
    return samples


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def line(label: str, samples: list[float], floor_ms: float | None = None) -> str:
    samples = sorted(samples)
    ratio = f"   {p50(samples) / floor_ms:5.1f}x the floor" if floor_ms else ""
    return f"{label:<40} p50 {p50(samples):7.1f} ms   p95 {samples[int(len(samples) * 0.95) - 1] * 1000:7.1f} ms{ratio}"


async def one_in_query(db, field: str, cells: list[int], runs: int) -> list[float]:
    """The alternative not served: all cells in one ``$in`` (no time window), sorted and limited by the server."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await (
            db.reports.find({"visibility": "public", field: {"$in": cells}}, CARD_FIELDS)
            .sort("_id", DESCENDING)
            .limit(21)
            .to_list()
        )
        samples.append(time.perf_counter() - start)
    return samples


async def in_with_window(db, field: str, cells: list[int], runs: int) -> list[float]:
    """Also not served: the cells as one ``$in`` with the first page's one-hour window."""
    newer_than = ObjectId.from_datetime(datetime.now(UTC) - timedelta(hours=1))
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await db.reports.find(
            {"visibility": "public", field: {"$in": cells}, "_id": {"$gte": newer_than}}, CARD_FIELDS
        ).to_list()
        samples.append(time.perf_counter() - start)
    return samples


async def run(n: int, runs: int) -> int:
    with tempfile.TemporaryDirectory() as data_dir:
        database = EmbeddedMongo(Path(data_dir))
        uri = database.start()
        settings = Settings(
            mongodb_uri=uri, database_name="bench", env="dev", firebase_project_id=PROJECT, run_worker=False
        )  # the periodic jobs would compete for the database
        clean = True
        try:
            app = create_app(settings)
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
            ):
                started = time.perf_counter()
                some_id = seed(uri, "bench", n)
                print(f"seeded {n} reports in {time.perf_counter() - started:.1f} s")
                admin = {"Authorization": f"Bearer {make_dev_token(PROJECT, 'bench-admin', {'role': 'admin'})}"}
                resident = {"Authorization": f"Bearer {make_dev_token(PROJECT, 'bench-resident')}"}
                floor = await measure(client, f"/v1/reports/{some_id}", admin, runs)
                print(line("floor: GET /v1/reports/{id}", floor))
                floor_ms = p50(floor)
                lat, lng = CENTRE
                for label, radius in CIRCLES.items():
                    path = f"/v1/reports/nearby?lat={lat}&lng={lng}&radius_m={radius}"
                    page = (await client.get(path, headers=resident)).json()
                    field, cells = nearby_cells(lat, lng, radius)
                    print(
                        line(
                            f"nearby {label}: {len(cells)} {field}s",
                            await measure(client, path, resident, runs),
                            floor_ms,
                        )
                    )
                    if page["next_cursor"]:
                        print(
                            line(
                                "    next page (cursor)",
                                await measure(client, f"{path}&cursor={page['next_cursor']}", resident, runs),
                                floor_ms,
                            )
                        )
                    print(
                        line(
                            "    status=resolved",
                            await measure(client, f"{path}&status=resolved", resident, runs),
                            floor_ms,
                        )
                    )
                    print(
                        line(
                            "    (not served) the cells as one $in",
                            await one_in_query(app.state.db, field, cells, runs),
                        )
                    )
                    print(
                        line(
                            "    (not served) one $in, first window",
                            await in_with_window(app.state.db, field, cells, runs),
                        )
                    )
                    plan = await app.state.db.reports.find(
                        {"visibility": "public", field: cells[0], "_id": {"$gte": ObjectId()}}
                    ).explain()
                    winning = str(plan["queryPlanner"]["winningPlan"])
                    clean &= "COLLSCAN" not in winning and "IXSCAN" in winning
                    print(f"    plan of one cell query: {'IXSCAN' if 'IXSCAN' in winning else winning}")
        finally:
            database.stop()
    print("no collection scans: PASS" if clean else "a cell query scans the collection: FAIL")
    return 0 if clean else 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    return asyncio.run(run(args.reports, args.runs))


if __name__ == "__main__":
    sys.exit(main())
