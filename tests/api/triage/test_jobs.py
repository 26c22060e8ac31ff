"""The periodic jobs: overdue flags and auto-close, idempotent and safe with two workers."""

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from api.worker import Worker, standard_jobs
from core.db import make_client, utc_now
from tests.factories import file_report, resolve, staff_headers

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"


def make_late(sync_db, codes, days=2):
    for code in codes:
        due = sync_db.reports.find_one({"code": code})["due_at"]
        sync_db.reports.update_one({"code": code}, {"$set": {"due_at": due - timedelta(days=30 + days)}})


def test_two_workers_flag_each_overdue_report_exactly_once(client, settings, sync_db):
    reports = [file_report(client, POTHOLE) for _ in range(6)]
    make_late(sync_db, [r["code"] for r in reports[:4]])

    async def two_workers() -> list[int]:
        clients = [make_client(settings.mongodb_uri) for _ in range(2)]
        try:
            workers = [standard_jobs(c, c[settings.database_name], settings) for c in clients]
            return list(await asyncio.gather(*(w["overdue"]() for w in workers)))
        finally:
            for c in clients:
                await c.close()

    flagged = asyncio.run(two_workers())
    assert sum(flagged) == 4
    assert sync_db.reports.count_documents({"overdue": True}) == 4
    assert sync_db.audit_log.count_documents({"action": "overdue"}) == 4  # one record per report, not per worker
    assert client.portal.call(client.app.state.worker.jobs["overdue"]) == 0  # idempotent


def test_overdue_reports_lead_the_queue_and_lose_the_flag_with_a_new_deadline(client, sync_db):
    on_time, late = file_report(client, POTHOLE), file_report(client, POTHOLE)
    make_late(sync_db, [late["code"]])
    client.portal.call(client.app.state.worker.jobs["overdue"])
    staff = staff_headers("agency_staff", "construction_dept")
    items = client.get("/v1/triage/queue", headers=staff).json()["items"]
    assert [i["code"] for i in items] == [late["code"], on_time["code"]] and items[0]["overdue"] is True
    resolve(client, late["id"], "construction_dept")
    assert sync_db.reports.find_one({"code": late["code"]})["overdue"] is False  # resolved: no deadline left


def test_resolved_reports_close_themselves_after_the_reopen_window(client, sync_db):
    old, recent = file_report(client, POTHOLE), file_report(client, POTHOLE)
    for report in (old, recent):
        resolve(client, report["id"], "construction_dept")
    resolved_at = sync_db.reports.find_one({"code": old["code"]})["resolved_at"]
    for report, days in ((old, 8), (recent, 6)):
        back = resolved_at - timedelta(days=days)
        sync_db.reports.update_one(
            {"code": report["code"]}, {"$set": {"resolved_at": back, "resolved_open_since": back}}
        )
    assert client.portal.call(client.app.state.worker.jobs["auto_close"]) == 1
    closed = sync_db.reports.find_one({"code": old["code"]})
    assert closed["status"] == "closed" and closed["status_history"][-1]["by_role"] == "system"
    assert sync_db.reports.find_one({"code": recent["code"]})["status"] == "resolved"
    assert client.portal.call(client.app.state.worker.jobs["auto_close"]) == 0


def test_jobs_are_served_by_indexes(client, sync_db):
    now = utc_now()
    for query in (
        {"overdue": False, "due_at": {"$lt": now}},
        {"resolved_open_since": {"$lt": now}},
        {"overdue": True, "escalate_at": {"$lte": now}},
    ):
        plan = str(sync_db.reports.find(query).explain()["queryPlanner"]["winningPlan"])
        assert "IXSCAN" in plan and "COLLSCAN" not in plan


@pytest.mark.slow  # runs the worker command in a process
def test_worker_command_runs_one_round(client, settings, sync_db):
    late = file_report(client, POTHOLE)
    make_late(sync_db, [late["code"]])
    env = {
        **os.environ,
        "PHANANH_MONGODB_URI": settings.mongodb_uri,
        "PHANANH_DATABASE_NAME": settings.database_name,
        "PHANANH_DATA_DIR": str(settings.data_dir),
    }
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "worker", "--once"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "orphan_photos": 0,
        "orphan_attachments": 0,
        "overdue": 1,
        "escalate": 1,
        "auto_close": 0,
        "stats_seal": 0,
        "public_photos": 0,
        "area_digests": 0,
        "digests_sent": 0,
        "stats": 3,  # received, overdue, escalation
        "outbox": 1,
    }  # the "received" push


def test_serve_runs_the_jobs_in_the_background_unless_told_not_to(client, make_client, sync_db):
    late = file_report(client, POTHOLE)
    make_late(sync_db, [late["code"]])
    time.sleep(0.5)
    assert sync_db.reports.find_one({"code": late["code"]})["overdue"] is False  # the test client runs no worker
    worker: Worker = make_client(run_worker=True, worker_interval_s=3600).app.state.worker
    assert set(worker.jobs) == {
        "orphan_photos",
        "orphan_attachments",
        "overdue",
        "escalate",
        "auto_close",
        "stats_seal",
        "public_photos",
        "area_digests",
        "digests_sent",
    }
    deadline = time.monotonic() + 10
    while not sync_db.reports.find_one({"code": late["code"]})["overdue"]:
        assert time.monotonic() < deadline, "the background worker never ran"
        time.sleep(0.05)
