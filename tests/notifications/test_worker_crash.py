"""`phananh worker` processes: one is killed with SIGKILL mid-batch, and no push is lost.

Also listed by the reliability suite (issue 8): a worker dying is a production fault.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict

import pytest

from tests.factories import drain_outbox, file_report, new_uid, register_device, resolve

pytestmark = pytest.mark.slow  # starts and kills worker processes

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"
BATCH = 8


def start_worker(settings, fcm_settings) -> subprocess.Popen:
    env = {
        **os.environ,
        "PHANANH_MONGODB_URI": settings.mongodb_uri,
        "PHANANH_DATABASE_NAME": settings.database_name,
        "PHANANH_DATA_DIR": str(settings.data_dir),
        "PHANANH_FIREBASE_CREDENTIALS": str(fcm_settings.firebase_credentials),
        "PHANANH_FCM_ENDPOINT": fcm_settings.fcm_endpoint,
        "PHANANH_FCM_TIMEOUT_S": "2",
        "PHANANH_OUTBOX_LEASE_S": "5",
        "PHANANH_OUTBOX_BATCH_SIZE": str(BATCH),
        "PHANANH_OUTBOX_POLL_S": "0.1",
        "PHANANH_WORKER_INTERVAL_S": "3600",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_worker_killed_mid_batch_loses_no_push_and_duplicates_at_most_its_batch(
    push_client, push_settings, fcm, sync_db
):
    residents = [new_uid() for _ in range(40)]
    for uid in residents:
        register_device(push_client, uid)
    drain_outbox(push_client)  # the topic subscriptions, out of the way
    for i, uid in enumerate(residents):
        report = file_report(push_client, POTHOLE, uid=uid)
        if i % 4 == 0:
            resolve(push_client, report["id"], "construction_dept")  # three ordered events for this report
    wanted = sync_db.outbox.count_documents({"kind": "report"})
    assert sync_db.outbox.count_documents({"state": "pending"}) == wanted == 60
    fcm.hang_s = 0.4  # every send takes a while: batches are in flight long enough to be cut

    doomed, survivor = start_worker(push_settings, push_settings), None
    try:
        seen: list[int] = []  # sends of the batch being cut, read in the same instant as the condition

        def batch_in_flight() -> bool:
            seen.append(fcm.arrivals - len(fcm.received))
            return len(fcm.received) >= BATCH and seen[-1] > 0

        wait_for(batch_in_flight, 60, "a batch in flight")
        in_flight = seen[-1]
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        survivor = start_worker(push_settings, push_settings)
        wait_for(
            lambda: sync_db.outbox.count_documents({"kind": "report", "state": "sent"}) == wanted,
            90,
            "every event sent",
        )
    finally:
        for process in (doomed, survivor):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(10)
    events = Counter(r["message"]["data"]["event_id"] for r in fcm.received)
    assert len(events) == wanted  # at least once: nothing lost
    duplicates = sum(count - 1 for count in events.values())
    assert 0 < in_flight <= BATCH and duplicates <= BATCH, (in_flight, duplicates)
    versions = defaultdict(list)
    for received in sorted(fcm.received, key=lambda r: r["at"]):
        data = received["message"]["data"]
        if int(data["version"]) not in versions[data["report_id"]]:
            versions[data["report_id"]].append(int(data["version"]))
    assert all(v == sorted(v) for v in versions.values())  # each report's pushes in the order of its changes
