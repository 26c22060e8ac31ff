"""Write contention on the day's rollups: concurrent report transactions all ``$inc`` the same
city-wide document (and their agency's, category's, ward's) of today.

Each transaction stores one report, as intake does, with or without the rollup listener.
The floor is the same workload without rollups, measured in the same run; the cost of the
rollups is the difference, and write conflicts show as extra attempts per committed
transaction (``with_transaction`` retries them). Prints reports/s, attempts per commit and
transaction latency p50/p99 for 1, 4 and 16 concurrent writers.

Run: python bench/stats_contention.py [--transactions 400]
"""

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.changes import ReportChange  # noqa: E402
from api.db import make_client, run_in_transaction  # noqa: E402
from api.embedded import EmbeddedMongo  # noqa: E402
from api.settings import Settings  # noqa: E402
from api.stats.repository import StatsRepository  # noqa: E402
from api.stats.rollups import RollupListener  # noqa: E402
from classifiers.routing.taxonomy import Taxonomy  # noqa: E402
from classifiers.routing.wards import WardIndex  # noqa: E402
from tests.factories import stored_report  # noqa: E402

WRITERS = (1, 4, 16)


async def one_run(client, db, reports: list[dict], writers: int, rollups: bool) -> dict[str, float]:
    listener = RollupListener(db)
    queue = list(reports)
    attempts, latencies = 0, []

    async def writer() -> None:
        nonlocal attempts
        while queue:
            report = queue.pop()

            async def callback(session) -> None:
                nonlocal attempts
                attempts += 1
                await db.bench_reports.insert_one(report, session=session)
                if rollups:
                    await listener.on_report_change(ReportChange("received", None, report, report["created_at"]),
                                                    session)
            started = time.perf_counter()
            await run_in_transaction(client, callback)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(writers)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"per_s": len(reports) / elapsed, "attempts": attempts / len(reports),
            "p50_ms": statistics.median(latencies) * 1000, "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000}


def fresh_reports(n: int, rng: random.Random, settings: Settings) -> list[dict]:
    """Reports filed now, spread over the city's wards and categories (intake's shape, status assigned)."""
    taxonomy, wards = Taxonomy.load(settings.taxonomy_file), WardIndex.load(settings.wards_file).wards
    now = datetime.now(UTC).replace(microsecond=0)
    out = []
    for number in range(n):
        category, ward = rng.choice(taxonomy.codes), rng.choice(wards)
        rule = taxonomy.categories[category]
        agency = f"ward:{ward.code}" if rule.routing == "ward" else rule.agency
        report = stored_report(rng, now, agency, category, {"code": ward.code, "name": ward.name}, number, now)
        report["status_history"], report["status"] = report["status_history"][:2], "assigned"
        out.append(report)
    return out


async def run(transactions: int) -> None:
    settings = Settings()
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as data_dir:
        database = EmbeddedMongo(Path(data_dir))
        uri = database.start()
        client = make_client(uri)
        try:
            db = client["contention"]
            await StatsRepository.ensure_indexes(db)
            print(f"{'writers':>7} {'rollups':>8} {'reports/s':>10} {'attempts/commit':>16} {'p50 ms':>8} {'p99 ms':>8}")
            for writers in WRITERS:
                for rollups in (False, True):
                    result = await one_run(client, db, fresh_reports(transactions, rng, settings), writers, rollups)
                    print(f"{writers:>7} {'yes' if rollups else 'no (floor)':>8} {result['per_s']:>10.1f} "
                          f"{result['attempts']:>16.2f} {result['p50_ms']:>8.1f} {result['p99_ms']:>8.1f}")
        finally:
            await client.close()
            database.stop()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", type=int, default=400)
    asyncio.run(run(parser.parse_args().transactions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
