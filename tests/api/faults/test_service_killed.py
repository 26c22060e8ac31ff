"""The API process is SIGKILLed in the middle of an upload, then started again.

The service runs as its own uvicorn process against the test database. A failpoint holds one
database command of the upload, so the kill lands at a known step:
- before the report's transaction: photos are stored (pending), no report. The sweep removes
  them, and the retry with the same Idempotency-Key files the report once.
- after the transaction, before the photos are marked committed: the report exists but its
  photos are pending. The sweep commits them, and the retry replays the original 201.
"""

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

from api.embedded import free_port
from tests.factories import PROJECT_ID, auth_headers, image_bytes, new_uid, photo_files, report_form

pytestmark = pytest.mark.slow  # starts and kills service processes

ROOT = Path(__file__).resolve().parents[3]


def _env(settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PHANANH_MONGODB_URI": settings.mongodb_uri,
        "PHANANH_DATABASE_NAME": settings.database_name,
        "PHANANH_ENV": "dev",
        "PHANANH_FIREBASE_PROJECT_ID": PROJECT_ID,
        "PHANANH_RUN_WORKER": "false",
        **extra,
    }


def _start_service(settings, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-proxy-headers",
            "--log-level",
            "warning",
        ],
        env=_env(settings),
        cwd=ROOT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, "the service exited during start-up"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    process.kill()
    raise AssertionError("the service did not become ready")


def _wait_for(condition, what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def service(settings):
    """Starts the service on one port (again after a kill); every process is gone after the test."""
    port = free_port()
    processes: list[subprocess.Popen] = []

    def start() -> tuple[str, subprocess.Popen]:
        processes.append(_start_service(settings, port))
        return f"http://127.0.0.1:{port}", processes[-1]

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def _sweep_orphans(settings) -> None:
    """`phananh worker --once`, as an operator (or the next API process's loop) would run it."""
    subprocess.run(
        [sys.executable, "-m", "api.cli", "worker", "--once"],
        cwd=ROOT,
        check=True,
        timeout=60,
        env=_env(settings, PHANANH_ORPHAN_PHOTO_GRACE_S="0"),
        capture_output=True,
    )


# (command held, commands of that name let through first, what the database shows once the upload reached it)
KILL_POINTS = {
    # two photos, each a display copy and a thumbnail, each a GridFS chunk and a file document:
    # 8 inserts; then the report's transaction sends its documents in one bulkWrite
    "before_report_written": ("bulkWrite", 0, lambda db: db["photos.files"].count_documents({}) == 4),
    # one update before the transaction (the rate limits, charged together); the transaction makes
    # none (one bulkWrite of inserts: the report, its push event, change record and idempotency
    # key); marking the photos committed is the next one, after the transaction
    "after_report_written": ("update", 1, lambda db: db.reports.count_documents({}) == 1),
}


@pytest.mark.parametrize("kill_point", sorted(KILL_POINTS))
def test_sigkill_mid_upload_leaves_no_orphans_and_the_retry_gets_one_report(
    service, settings, mongo_server, kill_point
):
    command, skip, reached = KILL_POINTS[kill_point]
    url, process = service()
    headers = auth_headers(new_uid(), **{"Idempotency-Key": f"retry-{kill_point}"})
    files = photo_files(image_bytes(seed=3), image_bytes(seed=4))
    with MongoClient(mongo_server.uri) as mongo, ThreadPoolExecutor(1) as pool:
        db = mongo[settings.database_name]
        mongo.admin.command(
            "configureFailPoint",
            "failCommand",
            mode={"skip": skip, "times": 1},
            data={
                "failCommands": [command],
                "appName": "phananh",
                "blockConnection": True,
                "blockTimeMS": 6000,
                "errorCode": 2,
            },
        )
        try:
            upload = pool.submit(
                httpx.post, f"{url}/v1/reports", data=report_form(), files=files, headers=headers, timeout=60
            )
            _wait_for(lambda: reached(db), f"the upload to reach {kill_point}")
            time.sleep(1.0)  # the service is now waiting on the held command
            process.send_signal(signal.SIGKILL)
            process.wait()
            with pytest.raises(httpx.TransportError):
                upload.result()
        finally:
            mongo.admin.command("configureFailPoint", "failCommand", mode="off")
        original = db.reports.find_one()
        assert db["photos.files"].count_documents({"metadata.committed": False}) == 4  # pending, mid-flight

        _sweep_orphans(settings)
        if original is None:
            assert db["photos.files"].count_documents({}) == 0 and db["photos.chunks"].count_documents({}) == 0
        else:
            assert db["photos.files"].count_documents({"metadata.committed": True}) == 4

        url, _ = service()
        retry = httpx.post(f"{url}/v1/reports", data=report_form(), files=files, headers=headers, timeout=60)
        assert retry.status_code == 201, retry.text
        assert db.reports.count_documents({}) == 1
        if original is not None:  # the first attempt was acknowledged by the database: its result comes back
            assert retry.headers["idempotent-replayed"] == "true"
            assert (retry.json()["id"], retry.json()["code"]) == (str(original["_id"]), original["code"])
        photo = retry.json()["photos"][0]
        assert httpx.get(f"{url}{photo['url']}", headers=headers, timeout=10).status_code == 200
        assert (
            db["photos.files"].count_documents({}) == 4
            and db["photos.files"].count_documents({"metadata.committed": False}) == 0
        )
