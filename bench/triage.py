"""Triage queue benchmark: 50 000 reports, each queue query's latency and explain plan.

Seeds the reports collection directly (the shape intake writes), then calls
GET /v1/triage/queue through the real app (ASGI, in-process) for the queries staff run most,
and prints p50/p95 for each next to a floor measured in the same run: fetching one report by
id through GET /v1/reports/{id}. Also prints each query's winning plan (IXSCAN, never COLLSCAN).

Run: python bench/triage.py [--reports 50000]
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
from bson import ObjectId
from pymongo import MongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.app import create_app  # noqa: E402
from api.auth import make_dev_token  # noqa: E402
from api.embedded import EmbeddedMongo  # noqa: E402
from api.reports.repository import ReportRepository  # noqa: E402
from api.triage.queue import QueueFilters, build_query  # noqa: E402
from classifiers.routing.taxonomy import Taxonomy  # noqa: E402
from classifiers.routing.wards import WardIndex  # noqa: E402
from core.settings import Settings  # noqa: E402

PROJECT = "phananh-bench"
STATUSES = ["received", "assigned", "in_progress", "resolved", "closed", "rejected", "reopened"]
STATUS_WEIGHTS = [5, 20, 15, 20, 35, 3, 2]
QUERIES = {
    "agency queue by deadline": ("agency_staff", "construction_dept", {}),
    "agency queue by age": ("agency_staff", "construction_dept", {"sort": "age"}),
    "agency + status + category": (
        "agency_staff",
        "construction_dept",
        {"status": "assigned", "category": "road_damage"},
    ),
    "ward committee queue": ("agency_staff", "ward:00070", {}),
    "city-wide overdue (escalation)": ("triage_officer", None, {"overdue": "true"}),
    "triage centre queue": ("triage_officer", None, {"agency": "citizen_center"}),
    "city-wide free text (one status)": ("triage_officer", None, {"q": "ổ gà", "status": "assigned"}),
    "report code lookup in an agency": ("agency_staff", "urenco", {"q": "HN-2026-000123"}),
}


def seed(uri: str, db_name: str, n: int, settings: Settings) -> ObjectId:
    taxonomy = Taxonomy.load(settings.taxonomy_file)
    wards = WardIndex.load(settings.wards_file).wards
    rng = random.Random(7)
    now = datetime.now(UTC)
    docs = []
    for i in range(n):
        category = rng.choice(taxonomy.codes)
        ward = rng.choice(wards[:20]) if rng.random() < 0.5 else rng.choice(wards)
        agency = (
            f"ward:{ward.code}"
            if taxonomy.categories[category].routing == "ward"
            else taxonomy.categories[category].agency
        )
        status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
        created = now - timedelta(minutes=rng.randrange(60 * 24 * 60))
        due = created + timedelta(hours=rng.choice([8, 16, 40, 72]))
        docs.append(
            {
                "_id": ObjectId(
                    ObjectId.from_datetime(created).binary[:4] + ObjectId().binary[4:]
                ),  # unique, dated at creation
                "code": f"HN-2026-{i + 1:06d}",
                "resident_uid": f"r-{rng.randrange(20000)}",
                "description": rng.choice(
                    ["Ổ gà to giữa đường", "Rác chất đống", "Karaoke ồn", "Đèn đường hỏng", "Ngập sâu"]
                )
                + f" số {i}",
                "location": {"type": "Point", "coordinates": [105.85, 21.03]},
                "ward": {"code": ward.code, "name": ward.name},
                "status": status,
                "category": category,
                "agency": agency,
                "priority": "normal",
                "due_at": due if status in ("received", "assigned", "in_progress", "reopened") else None,
                "overdue": status in ("received", "assigned", "in_progress") and due < now,
                "routing": {"agency": agency, "suggestions": []},
                "photos": [],
                "status_history": [],
                "created_at": created,
                "updated_at": created,
                "version": 1,
            }
        )
    with MongoClient(uri) as client:
        reports = client[db_name]["reports"]
        for start in range(0, n, 5000):
            reports.insert_many(docs[start : start + 5000], ordered=False)
    return docs[0]["_id"]


async def measure(app, path: str, headers: dict, runs: int) -> list[float]:
    samples = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for _ in range(runs):
            start = time.perf_counter()
            response = await client.get(path, headers=headers)
            samples.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
    return samples


def line(label: str, samples: list[float]) -> str:
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1] * 1000
    return f"{label:<34} p50 {statistics.median(samples) * 1000:7.1f} ms   p95 {p95:7.1f} ms"


def plan_summary(plan: dict) -> str:
    stages, node = [], plan
    while node:
        stages.append(node["stage"] + (f"({node['indexName']})" if "indexName" in node else ""))
        node = node.get("inputStage")
    return " <- ".join(stages)


async def run(n: int, runs: int) -> int:
    with tempfile.TemporaryDirectory() as data_dir:
        database = EmbeddedMongo(Path(data_dir))
        uri = database.start()
        settings = Settings(mongodb_uri=uri, database_name="bench", env="dev", firebase_project_id=PROJECT)
        try:
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                started = time.perf_counter()
                some_id = seed(uri, "bench", n, settings)
                print(f"seeded {n} reports in {time.perf_counter() - started:.1f} s")
                admin = {"Authorization": f"Bearer {make_dev_token(PROJECT, 'bench-admin', {'role': 'admin'})}"}
                print(line("floor: GET one report by id", await measure(app, f"/v1/reports/{some_id}", admin, runs)))
                repo = ReportRepository(app.state.db)
                clean = True
                for label, (role, agency, params) in QUERIES.items():
                    claims = {"role": role, **({"agency": agency} if agency else {})}
                    headers = {"Authorization": f"Bearer {make_dev_token(PROJECT, 'bench-staff', claims)}"}
                    query = "&".join(f"{k}={v}" for k, v in params.items())
                    print(line(label, await measure(app, f"/v1/triage/queue?limit=50&{query}", headers, runs)))
                    filters = QueueFilters(
                        agency=agency or params.get("agency"),
                        status=params.get("status"),
                        category=params.get("category"),
                        overdue=params.get("overdue") == "true" or None,
                        q=params.get("q"),
                        sort=params.get("sort", "due"),
                    )
                    plan = build_query(filters, None)
                    winning = (await repo.explain_queue(plan.query, plan.sort))["queryPlanner"]["winningPlan"]
                    summary = plan_summary(winning)
                    clean &= "COLLSCAN" not in summary
                    print(f"    plan: {summary}")
        finally:
            database.stop()
    print("no collection scans: PASS" if clean else "a queue query scans the collection: FAIL")
    return 0 if clean else 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    return asyncio.run(run(args.reports, args.runs))


if __name__ == "__main__":
    sys.exit(main())
