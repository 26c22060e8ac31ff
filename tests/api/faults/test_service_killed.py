"""The API process is SIGKILLed in the middle of an upload, then started again.

The service runs as its own uvicorn process against the test database. A failpoint holds the
report's transaction (the one command that writes the report, its photos, push event, change
record and idempotency key), so the kill lands while the upload is in flight: nothing of it is
stored, and the retry with the same Idempotency-Key files the report once, photos and all.
There is no later step to kill: nothing is written after the transaction (until 2026-11-30
the photos were stored before it and marked committed after it, and a kill left them pending).
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


def test_sigkill_mid_upload_leaves_nothing_and_the_retry_gets_one_report(service, settings, mongo_server):
    url, process = service()
    uid = new_uid()
    headers = auth_headers(uid, **{"Idempotency-Key": "retry-after-kill"})
    files = photo_files(image_bytes(seed=3), image_bytes(seed=4))
    with MongoClient(mongo_server.uri) as mongo, ThreadPoolExecutor(1) as pool:
        db = mongo[settings.database_name]
        mongo.admin.command(
            "configureFailPoint",
            "failCommand",
            mode={"times": 1},
            data={
                "failCommands": ["bulkWrite"],
                "appName": "phananh",
                "blockConnection": True,
                "blockTimeMS": 8000,
                "errorCode": 2,
            },
        )
        try:
            upload = pool.submit(
                httpx.post, f"{url}/v1/reports", data=report_form(), files=files, headers=headers, timeout=60
            )
            # the rate limits are charged before the photos are processed and the report written
            _wait_for(lambda: db.rate_limits.count_documents({"_id": {"$regex": uid}}) > 0, "the upload to start")
            time.sleep(2.0)  # the service is now waiting on the held transaction
            process.send_signal(signal.SIGKILL)
            process.wait()
            with pytest.raises(httpx.TransportError):
                upload.result()
        finally:
            mongo.admin.command("configureFailPoint", "failCommand", mode="off")
        assert db.reports.count_documents({}) == 0
        assert db["photos.files"].count_documents({}) == 0 and db["photos.chunks"].count_documents({}) == 0

        url, _ = service()
        retry = httpx.post(f"{url}/v1/reports", data=report_form(), files=files, headers=headers, timeout=60)
        assert retry.status_code == 201, retry.text
        assert db.reports.count_documents({}) == 1
        assert "idempotent-replayed" not in retry.headers
        photo = retry.json()["photos"][0]
        assert httpx.get(f"{url}{photo['url']}", headers=headers, timeout=10).status_code == 200
        assert (
            db["photos.files"].count_documents({}) == 4
            and db["photos.files"].count_documents({"metadata.committed": False}) == 0
        )
