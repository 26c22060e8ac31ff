"""`phananh serve` on the embedded database, as a newcomer runs it: start, use, stop, restart."""

import http.client
import os
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from api.embedded import free_port
from tests.factories import report_form

pytestmark = pytest.mark.slow  # each test runs the console script in a process


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHANANH_") and k != "FIREBASE_AUTH_EMULATOR_HOST"}
    return {**env, "PHANANH_DATA_DIR": str(tmp_path), **extra}


def _start(tmp_path, port):
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _cli(tmp_path, *args):
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], env=_env(tmp_path), capture_output=True, text=True, timeout=120
    )


def _wait_ready(base, process, timeout_s=90):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode()
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("service did not become ready")


def _stop(process):
    children = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0
    gone, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, "the embedded database outlived the service"


def _reused_after_idle(port: int, idle_s: float) -> list[int]:
    """Two requests on one connection, ``idle_s`` apart: the server must not have closed it
    (``PHANANH_KEEP_ALIVE_S``; at uvicorn's default 5 s the second raises RemoteDisconnected)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        statuses = []
        for pause in (0, idle_s):
            time.sleep(pause)
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        return statuses
    finally:
        connection.close()


def test_serve_starts_embedded_db_keeps_data_across_restart(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    token = subprocess.run(
        [sys.executable, "-m", "api.cli", "dev-token", "--uid", "cli-resident"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    process = _start(tmp_path, port)
    try:
        _wait_ready(base, process)
        created = httpx.post(f"{base}/v1/reports", data=report_form(), headers=headers, timeout=30)
        assert created.status_code == 201, created.text
        assert _reused_after_idle(port, idle_s=6) == [200, 200]
        # a second command finds the running server's database through the data directory alone
        issued = _cli(tmp_path, "apikey", "create", "--name", "Civic App")
        assert issued.returncode == 0 and "API key" in issued.stdout, issued.stdout + issued.stderr
    finally:
        _stop(process)
    assert (tmp_path / "db").is_dir()
    stopped = _cli(tmp_path, "apikey", "list")
    assert stopped.returncode != 0 and "phananh serve" in stopped.stderr

    process = _start(tmp_path, port)
    try:
        _wait_ready(base, process)
        again = httpx.get(f"{base}/v1/reports/{created.json()['id']}", headers=headers, timeout=30)
        assert again.status_code == 200 and again.json()["code"] == created.json()["code"]
    finally:
        _stop(process)


def test_dev_mode_refuses_a_public_address(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "refusing to serve in DEV mode" in result.stderr
    assert not (tmp_path / "db").exists()  # refused before starting anything


def test_dev_token_carries_claims(tmp_path):
    import base64
    import json

    token = subprocess.run(
        [sys.executable, "-m", "api.cli", "dev-token", "--uid", "u9", "--claims", '{"role": "admin"}'],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert payload["sub"] == "u9" and payload["role"] == "admin" and payload["exp"] > time.time()


def test_classify_prints_top_three_and_the_agency(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            "classify",
            "karaoke hát đến 2h sáng",
            "--lat",
            "21.0285",
            "--lng",
            "105.8542",
        ],
        env=_env(tmp_path, HF_HUB_OFFLINE="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 4 and "noise" in lines[0]
    assert lines[-1].startswith("-> UBND phường Hoàn Kiếm (ward:00070)")


class IdentityToolkitStandIn:
    """The accounts:update endpoint of Firebase Auth (emulator URL shape), on 127.0.0.1."""

    def __init__(self):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.calls = []
        calls = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                calls.append((self.path, body))
                reply = json.dumps({"localId": body["localId"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.host = f"127.0.0.1:{self.server.server_port}"


def test_staff_grant_sets_custom_claims_through_firebase_admin(tmp_path):
    import json

    stand_in = IdentityToolkitStandIn()
    env = _env(tmp_path, FIREBASE_AUTH_EMULATOR_HOST=stand_in.host, PHANANH_FIREBASE_PROJECT_ID="proj-x")

    def grant(*args):
        return subprocess.run(
            [sys.executable, "-m", "api.cli", "staff", "grant", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert grant("--uid", "u-1", "--role", "agency_staff", "--agency", "urenco").returncode == 0
    assert grant("--uid", "u-2", "--role", "agency_staff", "--agency", "ward:00070").returncode == 0
    assert grant("--uid", "u-3", "--role", "leadership").returncode == 0
    path, body = stand_in.calls[0]
    assert path.endswith("/v1/projects/proj-x/accounts:update")  # served by the 127.0.0.1 stand-in
    assert body["localId"] == "u-1" and json.loads(body["customAttributes"]) == {
        "role": "agency_staff",
        "agency": "urenco",
    }
    assert json.loads(stand_in.calls[1][1]["customAttributes"])["agency"] == "ward:00070"
    assert json.loads(stand_in.calls[2][1]["customAttributes"]) == {"role": "leadership"}
    for bad in (
        ["--role", "superuser"],
        ["--role", "agency_staff"],
        ["--role", "agency_staff", "--agency", "nowhere"],
        ["--role", "agency_staff", "--agency", "ward:99999"],
        ["--role", "admin", "--agency", "urenco"],
    ):
        result = grant("--uid", "u-9", *bad)
        assert result.returncode == 2, bad
    assert len(stand_in.calls) == 3  # refused grants never reach Firebase
    stand_in.server.shutdown()
