"""The statistics applier: counts come from the committed change log, exactly once.

A report's transaction writes no statistics document (those were the documents every
concurrent report conflicted on); the applier applies each change once, whether two appliers
race for the same records or one is killed in the middle of a batch.
"""

import asyncio
import signal
import subprocess
import sys
import time

import pytest
from pymongo import MongoClient

from api.stats.applier import StatsApplier
from core.db import make_client
from tests.api.stats.recompute import applied_rollups, recomputed_rollups, stored_rollups
from tests.factories import apply_statistics, file_report, resolve

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"

KILLED_APPLIER = """
import asyncio, sys
from core.db import make_client
from api.stats.applier import StatsApplier

async def main():
    client = make_client(sys.argv[1])
    applier = StatsApplier(client, client[sys.argv[2]], batch_size=4)
    print("ready", flush=True)
    await applier.drain()

asyncio.run(main())
"""


def pending(sync_db) -> int:
    return sync_db.report_changes.count_documents({"stats_due": {"$exists": True}})


def test_a_report_transaction_writes_a_change_record_and_no_statistics(client, sync_db):
    report = file_report(client, POTHOLE)
    resolve(client, report["id"], "construction_dept")
    assert sync_db.stats_rollups.count_documents({}) == 0
    records = list(sync_db.report_changes.find().sort("at", 1))
    assert [r["kind"] for r in records][0] == "received" and len(records) >= 3 and pending(sync_db) == len(records)
    assert apply_statistics(client) == len(records)
    assert pending(sync_db) == 0 and stored_rollups(sync_db) == recomputed_rollups(sync_db)
    assert apply_statistics(client) == 0  # nothing is applied twice


def test_two_racing_appliers_apply_each_change_once(client, settings, sync_db):
    for _ in range(12):
        file_report(client, POTHOLE)
    assert pending(sync_db) == 12

    async def race() -> list[int]:
        clients = [make_client(settings.mongodb_uri) for _ in range(2)]
        try:
            appliers = [StatsApplier(c, c[settings.database_name], batch_size=3) for c in clients]
            return list(await asyncio.gather(*(a.drain() for a in appliers)))
        finally:
            for c in clients:
                await c.close()

    applied = asyncio.run(race())
    assert pending(sync_db) == 0 and sum(applied) == 12  # the loser of a race counts none of the batch
    assert stored_rollups(sync_db) == recomputed_rollups(sync_db)
    total = sum(doc["c"]["received"] for doc in sync_db.stats_rollups.find({"dim": "total"}))
    assert total == 12


@pytest.mark.slow  # kills an applier process
def test_an_applier_killed_mid_batch_loses_and_doubles_nothing(client, settings, sync_db, mongo_server):
    """Killed while its batch's commit hangs: the server may still commit it, or not; either way all
    of the batch or none of it counts, and the next applier counts exactly the rest.

    (Killed before sending the commit, its open transaction keeps the records until the server
    aborts it at the transaction lifetime limit: the next applier waits, it never double-counts.)
    """
    for _ in range(10):
        file_report(client, POTHOLE)
    with MongoClient(mongo_server.uri) as admin:
        admin.admin.command(
            "configureFailPoint",
            "failCommand",
            mode={"times": 1},
            data={"failCommands": ["commitTransaction"], "blockConnection": True, "blockTimeMS": 3000},
        )
        try:
            child = subprocess.Popen(
                [sys.executable, "-c", KILLED_APPLIER, settings.mongodb_uri, settings.database_name],
                stdout=subprocess.PIPE,
                text=True,
            )
            assert child.stdout.readline().strip() == "ready"
            time.sleep(1.5)
            child.send_signal(signal.SIGKILL)
            assert child.wait(10) == -signal.SIGKILL
        finally:
            admin.admin.command("configureFailPoint", "failCommand", mode="off")
    time.sleep(2)  # past the block: whatever the server does with the dead client's batch, it has done
    left = pending(sync_db)
    assert left in (10, 6) and stored_rollups(sync_db) == applied_rollups(sync_db)
    assert apply_statistics(client) == left
    assert pending(sync_db) == 0 and stored_rollups(sync_db) == recomputed_rollups(sync_db)


def test_the_lag_gauge_and_the_pending_poll_are_served_by_an_index(client, sync_db):
    file_report(client, POTHOLE)
    plan = str(sync_db.report_changes.find({"stats_due": {"$gte": 0}}).sort("stats_due", 1).explain()["queryPlanner"])
    assert "stats_pending" in plan and "COLLSCAN" not in plan
    lag = client.portal.call(client.app.state.worker.stats.lag_s)
    assert 0 <= lag < 60
    apply_statistics(client)
    assert client.portal.call(client.app.state.worker.stats.lag_s) == 0
