"""`phananh serve` started the same way for every benchmark that drives the real service.

A benchmark measures the service as a newcomer runs it: the console script in its own process,
on loopback, dev-mode tokens, with the per-resident and per-address limits lifted (one client
machine plays hundreds of residents). Either on the embedded database it starts itself, or on
a database the benchmark started (``uri``) to time floors on the same server.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
UNLIMITED = {
    "PHANANH_REPORT_RATE_LIMIT": "1000000",
    "PHANANH_REPORT_IP_RATE_LIMIT": "1000000",
    "PHANANH_PHOTO_BYTES_RATE_LIMIT": str(10**12),
}


def start_serve(
    port: int,
    data_dir: str,
    project: str,
    *,
    workers: int = 1,
    uri: str | None = None,
    database: str | None = None,
    settle_s: float = 0,
) -> subprocess.Popen:
    """The service, once ``/readyz`` answers; ``settle_s`` more for every worker to load its model."""
    env = {**os.environ, "PHANANH_DATA_DIR": data_dir, "PHANANH_FIREBASE_PROJECT_ID": project, **UNLIMITED}
    for name in ("PHANANH_MONGODB_URI", "PHANANH_ENV", "FIREBASE_AUTH_EMULATOR_HOST"):
        env.pop(name, None)
    if uri is not None:
        env |= {"PHANANH_MONGODB_URI": uri, "PHANANH_ENV": "dev"}
    if database is not None:
        env["PHANANH_DATABASE_NAME"] = database
    command = ["serve", "--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    process = subprocess.Popen([sys.executable, "-m", "api.cli", *command], env=env, cwd=ROOT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                time.sleep(settle_s)
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("the service did not start")
