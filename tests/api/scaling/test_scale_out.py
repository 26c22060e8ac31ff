"""Scaling out: two API processes and two workers on one database, under a burst.

Every report must be counted once in the statistics (two statistics appliers race for the same
change log) and every push sent once (two dispatchers race for the same outbox).
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import httpx
import pytest

from api.embedded import free_port
from tests.api.stats.recompute import recomputed_rollups, stored_rollups
from tests.factories import auth_headers, drain_outbox, new_uid, register_device, report_form

pytestmark = pytest.mark.slow  # two API processes and two workers

FLOOD = "Nước ngập sâu quá đầu gối trên phố Thái Hà, xe máy chết máy hàng loạt"
REPORTS = 40


def _env(settings, push_settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHANANH_") and k != "FIREBASE_AUTH_EMULATOR_HOST"}
    return {
        **env,
        "PHANANH_MONGODB_URI": settings.mongodb_uri,
        "PHANANH_DATABASE_NAME": settings.database_name,
        "PHANANH_DATA_DIR": str(settings.data_dir),
        "PHANANH_ENV": "dev",
        "PHANANH_FIREBASE_PROJECT_ID": settings.firebase_project_id,
        "PHANANH_FIREBASE_CREDENTIALS": str(push_settings.firebase_credentials),
        "PHANANH_FCM_ENDPOINT": push_settings.fcm_endpoint,
        "PHANANH_OUTBOX_POLL_S": "0.1",
        "PHANANH_STATS_APPLY_POLL_S": "0.1",
        "PHANANH_OUTBOX_BATCH_SIZE": "8",
        "PHANANH_STATS_APPLY_BATCH": "8",
        "PHANANH_WORKER_INTERVAL_S": "3600",
    }


def _wait(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


async def _burst(bases: list[str], residents: list[str]) -> list[int]:
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=64)) as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    f"{bases[n % 2]}/v1/reports",
                    headers=auth_headers(uid),
                    data=report_form(description=f"{FLOOD} ({n})", lat=21.019 + n * 1e-6, lng=105.836),
                )
                for n, uid in enumerate(residents)
            )
        )
    return [a.status_code for a in answers]


def test_two_api_processes_and_two_workers_count_and_push_each_report_once(
    push_client, settings, push_settings, fcm, sync_db
):
    residents = [new_uid() for _ in range(REPORTS)]
    for uid in residents:
        register_device(push_client, uid)
    drain_outbox(push_client)  # topic subscriptions out of the way: what follows is the burst's
    fcm.received.clear()
    env = _env(settings, push_settings)
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--no-worker", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    processes += [
        subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(2)
    ]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        _wait(lambda: all(_ready(base) for base in bases), 120, "both API processes")
        assert asyncio.run(_burst(bases, residents)) == [201] * REPORTS
        _wait(
            lambda: (
                sync_db.report_changes.count_documents({"stats_due": {"$exists": True}}) == 0
                and sync_db.outbox.count_documents({"claimable_at": {"$exists": True}}) == 0
            ),
            60,
            "the workers",
        )
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
    assert sum(doc["c"]["received"] for doc in sync_db.stats_rollups.find({"dim": "total"})) == REPORTS
    assert stored_rollups(sync_db) == recomputed_rollups(sync_db)
    pushes = Counter(m["message"]["data"]["code"] for m in fcm.received if m["message"].get("data", {}).get("code"))
    codes = [r["code"] for r in sync_db.reports.find({}, {"code": 1})]
    assert sorted(pushes) == sorted(codes) and set(pushes.values()) == {1}  # each report's "received" push, once
