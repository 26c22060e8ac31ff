"""Statistics benchmark: the same queries at 1 000 and 200 000 reports over two years.

Seeds raw reports (the shape the services store, with two years of lives: reroutes, work,
resolutions, ratings, reopenings, overdue flags) with insert_many, runs the real rebuild
(``phananh stats rebuild`` + sealing of closed days + the checkpoint of today) and times, through the app (ASGI,
in-process), the overview, the breakdown by ward and a 2-year weekly trend, all over the
last two years. Prints p50/p95 per size, the large/small ratio (target <= 1.5) and PASS/FAIL
against 100 ms at the large size.

Run: python bench/stats.py [--sizes 1000 200000] [--runs 15]
"""

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pymongo import MongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.app import create_app  # noqa: E402
from api.auth import make_dev_token  # noqa: E402
from api.embedded import EmbeddedMongo  # noqa: E402
from api.reports.repository import ReportRepository  # noqa: E402
from api.stats.metrics import CITY_TZ  # noqa: E402
from api.stats.periods import checkpoint_live_days  # noqa: E402
from api.stats.rebuild import rebuild  # noqa: E402
from api.stats.repository import StatsRepository  # noqa: E402
from classifiers.routing.taxonomy import Taxonomy  # noqa: E402
from classifiers.routing.wards import WardIndex  # noqa: E402
from core.settings import Settings  # noqa: E402
from tests.factories import stored_report  # noqa: E402

PROJECT = "phananh-bench"
DAYS = 730
TARGET_MS = 100.0


def seed(uri: str, db_name: str, n: int, settings: Settings) -> None:
    taxonomy = Taxonomy.load(settings.taxonomy_file)
    wards = WardIndex.load(settings.wards_file).wards
    rng = random.Random(11)
    now = datetime.now(UTC).replace(microsecond=0)
    with MongoClient(uri) as client:
        reports = client[db_name]["reports"]
        batch = []
        for i in range(n):
            category = rng.choice(taxonomy.codes)
            ward = rng.choice(wards)
            rule = taxonomy.categories[category]
            agency = f"ward:{ward.code}" if rule.routing == "ward" else rule.agency
            created = now - timedelta(seconds=rng.randrange(DAYS * 86400))
            batch.append(stored_report(rng, created, agency, category, {"code": ward.code, "name": ward.name}, i, now))
            if len(batch) == 5000 or i == n - 1:
                reports.insert_many(batch, ordered=False)
                batch = []


async def measure(app, path: str, headers: dict, runs: int) -> list[float]:
    samples = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for _ in range(runs + 2):
            start = time.perf_counter()
            response = await client.get(path, headers=headers)
            samples.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
    return samples[2:]  # the first two warm caches (imports, connection pool)


async def one_size(uri: str, n: int, runs: int) -> dict[str, float]:
    db_name = f"bench_{n}"
    settings = Settings(
        mongodb_uri=uri, database_name=db_name, env="dev", firebase_project_id=PROJECT, run_worker=False
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        started = time.perf_counter()
        seed(uri, db_name, n, settings)
        seeded = time.perf_counter() - started
        today = datetime.now(CITY_TZ).date()
        started = time.perf_counter()
        done = await rebuild(
            ReportRepository(app.state.db),
            StatsRepository(app.state.db),
            today - timedelta(days=DAYS + 30),
            today,
            today - timedelta(days=1),
        )
        print(
            f"{n:>7} reports: seeded in {seeded:.1f} s; rebuild {time.perf_counter() - started:.1f} s "
            f"({done['rollups']} rollups, {done['sealed_days']} days sealed)"
        )
        # what the worker's stats job does every minute; no grace, nothing else is writing
        await checkpoint_live_days(StatsRepository(app.state.db), grace_s=0)
        headers = {"Authorization": f"Bearer {make_dev_token(PROJECT, 'bench-leader', {'role': 'leadership'})}"}
        period = f"from={(today - timedelta(days=DAYS - 1)).isoformat()}&to={today.isoformat()}"
        month = f"from={(today - timedelta(days=29)).isoformat()}&to={today.isoformat()}"
        queries = {
            "overview, 2 years": f"/v1/stats/overview?{period}",
            "breakdown by ward, 2 years": f"/v1/stats/breakdown?by=ward&{period}",
            "weekly trend, 2 years": f"/v1/stats/trend?interval=week&{period}",
            "(info) breakdown by ward, 30 days": f"/v1/stats/breakdown?by=ward&{month}",
            "(info) one agency by ward, 2 years": f"/v1/stats/breakdown?by=ward&agency=urenco&{period}",
            "(info) one agency's weekly trend": f"/v1/stats/trend?interval=week&agency=urenco&{period}",
            "(info) daily trend, 30 days": f"/v1/stats/trend?interval=day&{month}",
        }
        results = {}
        for label, path in queries.items():
            samples = sorted(await measure(app, path, headers, runs))
            results[label] = statistics.median(samples) * 1000
            p95 = samples[int(len(samples) * 0.95) - 1] * 1000
            print(f"    {label:<36} p50 {results[label]:7.1f} ms   p95 {p95:7.1f} ms")
    return results


async def run(sizes: list[int], runs: int) -> int:
    with tempfile.TemporaryDirectory() as data_dir:
        database = EmbeddedMongo(Path(data_dir))
        uri = database.start()
        try:
            results = {n: await one_size(uri, n, runs) for n in sizes}
        finally:
            database.stop()
    small, large = results[min(sizes)], results[max(sizes)]
    ok = True
    print(
        f"\n{'query':<36} {'small':>8} {'large':>8} {'ratio':>6}  verdict (ratio <= 1.5, large <= {TARGET_MS:.0f} ms)"
    )
    for label in small:
        ratio = large[label] / small[label]
        verdict = "PASS" if ratio <= 1.5 and large[label] <= TARGET_MS else "FAIL"
        if not label.startswith("(info)"):
            ok &= verdict == "PASS"
        print(f"{label:<36} {small[label]:7.1f}  {large[label]:7.1f}  {ratio:5.2f}  {verdict}")
    print("ALL PASS" if ok else "SOME FAIL")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 200_000])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    return asyncio.run(run(args.sizes, args.runs))


if __name__ == "__main__":
    sys.exit(main())
