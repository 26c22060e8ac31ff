"""Sealed days and monthly prefixes give the same answers as summing the live rollups; rebuilds restore them."""

import asyncio
import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from api.reports.repository import ReportRepository
from api.stats.metrics import CITY_TZ
from api.stats.periods import checkpoint_live_days
from api.stats.rebuild import rebuild
from api.stats.repository import StatsRepository
from classifiers.routing.wards import WardIndex
from core.db import make_client
from tests.api.stats.recompute import recomputed_rollups, stored_rollups
from tests.factories import apply_statistics, file_report, resolve, staff_headers, stored_report

pytestmark = pytest.mark.slow  # a seeded history per test (6-15 s), one runs the CLI in a process

LEADER = staff_headers("leadership")
POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"  # construction_dept
GARBAGE = "Rác sinh hoạt chất đống ven đường không ai thu gom"  # urenco
AGENCIES = [("construction_dept", "road_damage"), ("urenco", "waste_sanitation"), ("lighting_co", "street_lighting")]


@pytest.fixture
def history(settings, sync_db):
    """~400 reports filed over the last 80 days, stored as the services would have left them."""
    rng = random.Random(5)
    wards = WardIndex.load(settings.wards_file).wards[:6]
    now = datetime.now(UTC)
    docs = []
    for number in range(400):
        agency, category = rng.choice(AGENCIES)
        ward = rng.choice(wards)
        created = now - timedelta(minutes=rng.randrange(80 * 24 * 60))
        docs.append(
            stored_report(
                rng,
                created.replace(microsecond=0),
                agency,
                category,
                {"code": ward.code, "name": ward.name},
                number,
                now,
            )
        )
    sync_db.reports.insert_many(docs)
    return docs


def run_rebuild(settings, first, last, seal_through):
    async def go():
        client = make_client(settings.mongodb_uri)
        try:
            db = client[settings.database_name]
            return await rebuild(ReportRepository(db), StatsRepository(db), first, last, seal_through)
        finally:
            await client.close()

    return asyncio.run(go())


def answers(client, today):
    apply_statistics(client)
    ranges = [
        (today - timedelta(days=d), today - timedelta(days=e))
        for d, e in [(79, 0), (45, 3), (31, 31), (60, 20), (16, 15), (70, 40), (2, 0), (0, 0)]
    ]
    out = []
    for first, last in ranges:
        params = {"from": first.isoformat(), "to": last.isoformat()}
        out.append(client.get("/v1/stats/overview", params=params, headers=LEADER).json())
        out.append(client.get("/v1/stats/breakdown", params={**params, "by": "ward"}, headers=LEADER).json())
        out.append(
            client.get(
                "/v1/stats/breakdown", params={**params, "by": "category", "agency": "urenco"}, headers=LEADER
            ).json()
        )
    for interval in ("day", "week", "month"):
        for agency in (None, "urenco"):
            params = {"from": (today - timedelta(days=79)).isoformat(), "interval": interval}
            out.append(
                client.get(
                    "/v1/stats/trend", params={**params, **({"agency": agency} if agency else {})}, headers=LEADER
                ).json()
            )
    out.append(
        client.get(
            "/v1/stats/trend",
            params={
                "from": (today - timedelta(days=61)).isoformat(),
                "interval": "week",
                "to": (today - timedelta(days=9)).isoformat(),
            },
            headers=LEADER,
        ).json()
    )
    return out


def test_sealed_answers_equal_live_sums(client, settings, sync_db, history):
    today = datetime.now(CITY_TZ).date()
    result = run_rebuild(settings, today - timedelta(days=200), today, today - timedelta(days=1))
    assert result["reports"] == 400 and result["sealed_days"] > 60
    assert stored_rollups(sync_db) == recomputed_rollups(sync_db)
    for kind in ("cum", "block", "day", "week", "month"):
        assert sync_db.stats_sealed.count_documents({"kind": kind}) > 0, kind
    sealed = answers(client, today)
    sync_db.stats_sealed.delete_many({})  # no watermark: every answer summed from the live rollups
    live = answers(client, today)
    assert sealed == live
    assert sealed[0]["figures"]["received"] > 300 and sealed[1]["rows"]


def run_checkpoint(settings):
    async def go():
        client = make_client(settings.mongodb_uri)
        try:
            return await checkpoint_live_days(StatsRepository(client[settings.database_name]), grace_s=0)
        finally:
            await client.close()

    return asyncio.run(go())


def test_checkpointed_answers_equal_live_sums_after_later_changes(client, settings, sync_db, history):
    today = datetime.now(CITY_TZ).date()
    run_rebuild(settings, today - timedelta(days=200), today, today - timedelta(days=1))
    received = answers(client, today)[0]["figures"]["received"]
    before = [file_report(client, POTHOLE) for _ in range(2)]
    apply_statistics(client)
    assert run_checkpoint(settings)
    assert sync_db.stats_sealed.count_documents({"kind": "checkpoint"}) == 6  # every sealed dimension
    # after the checkpoint: a document it read changes (same ward and agency), and new ones appear
    resolve(client, before[0]["id"], "construction_dept")
    file_report(client, GARBAGE)
    checkpointed = answers(client, today)
    assert checkpointed[0]["figures"]["received"] == received + 3
    watermark = sync_db.stats_sealed.find_one({"_id": "watermark"})
    sync_db.stats_sealed.update_one({"_id": "watermark"}, {"$set": {"checkpoint.at": datetime(2001, 1, 1, tzinfo=UTC)}})
    assert answers(client, today) == checkpointed  # a pointer that names another checkpoint: not used
    sync_db.stats_sealed.replace_one({"_id": "watermark"}, watermark)
    sync_db.stats_sealed.update_one({"_id": "checkpoint|latest|total"}, {"$set": {"g": {}}})
    assert answers(client, today)[0] != checkpointed[0]  # the checkpoint is what the city-wide figures read
    run_rebuild(settings, today, today, today - timedelta(days=1))  # rewrites today: the checkpoint is forgotten
    assert sync_db.stats_sealed.find_one({"_id": "watermark"}).get("checkpoint") is None
    assert answers(client, today) == checkpointed
    sync_db.stats_sealed.delete_many({})
    assert answers(client, today) == checkpointed  # no sealing at all: every answer from the live rollups


def test_rebuild_command_restores_a_damaged_range(client, settings, sync_db, history):
    today = datetime.now(CITY_TZ).date()
    run_rebuild(settings, today - timedelta(days=200), today, today - timedelta(days=1))
    before = answers(client, today)
    first, last = today - timedelta(days=40), today - timedelta(days=10)
    sync_db.stats_rollups.update_many(
        {"day": {"$gte": first.isoformat(), "$lte": last.isoformat()}}, {"$inc": {"c.received": 7}}
    )
    env = {**os.environ, "PHANANH_MONGODB_URI": settings.mongodb_uri, "PHANANH_DATABASE_NAME": settings.database_name}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "stats", "rebuild", "--from", first.isoformat(), "--to", last.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    filed_by_then = sum(1 for r in history if r["created_at"].astimezone(CITY_TZ).date() <= last)
    assert json.loads(done.stdout.strip().splitlines()[-1])["reports"] == filed_by_then
    assert stored_rollups(sync_db) == recomputed_rollups(sync_db)
    assert answers(client, today) == before
    refused = subprocess.run(
        [sys.executable, "-m", "api.cli", "stats", "rebuild", "--from", "2026-05-01", "--to", "2026-04-01"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
