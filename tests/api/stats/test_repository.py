"""The statistics repository against a real server: rebuilt rollups replace what is stored."""

import asyncio

from api.stats.repository import StatsRepository, rollup_id
from core.db import make_client


def replace_days(settings, first, last, increments):
    async def go():
        client = make_client(settings.mongodb_uri)
        try:
            await StatsRepository(client[settings.database_name]).replace_days(first, last, increments)
        finally:
            await client.close()

    asyncio.run(go())


def test_a_rebuild_overwrites_the_documents_a_retried_batch_meets(settings, sync_db):
    """PyMongo retries a batch whose answer was lost; the retry meets its own first attempt's documents."""
    left_behind = rollup_id("2026-01-05", "total", "*")
    sync_db.stats_rollups.insert_one(
        {"_id": left_behind, "day": "1999-01-01", "dim": "total", "group": "*", "c": {"received": 99}}
    )  # not matched by the range's delete
    sync_db.stats_rollups.insert_one(
        {
            "_id": rollup_id("2026-01-20", "ward", "00004"),
            "day": "2026-01-20",
            "dim": "ward",
            "group": "00004",
            "c": {"received": 5},
        }
    )
    replace_days(
        settings,
        "2026-01-01",
        "2026-01-31",
        {("2026-01-05", "total", "*"): {"received": 3, "ack_h.4": 1}, ("2026-01-06", "total", "*"): {"received": 1}},
    )
    stored = {doc["_id"]: doc for doc in sync_db.stats_rollups.find()}
    assert stored[left_behind] == {
        "_id": left_behind,
        "day": "2026-01-05",
        "dim": "total",
        "group": "*",
        "c": {"received": 3, "ack_h": {"4": 1}},
    }
    assert stored[rollup_id("2026-01-06", "total", "*")]["c"] == {"received": 1}
    assert len(stored) == 2  # the range's other documents were replaced by exactly the increments
