"""The embedded database: a SecantusDB child process for laptops and tests.

``phananh serve`` starts it when no ``PHANANH_MONGODB_URI`` is set, so a newcomer runs the
whole service with one command. It is a separate process (not a thread in the API) so that
several uvicorn workers share one database, and so a crashed API never corrupts its files.
SecantusDB is GPL-2.0 and an optional extra: production images point at real MongoDB.
"""

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: have the kernel stop the database if the service dies without cleaning up."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


URI_RECORD = "embedded.uri"


def running_uri(data_dir: Path) -> str | None:
    """The URI of the embedded database a running ``phananh serve`` recorded in ``data_dir``.

    Commands that need the database (``apikey``, ``stats rebuild``, ``worker``) find it here,
    so a newcomer does not restart the service on a fixed port and export a URI. A record
    left by a crashed server is ignored when nothing answers at its address.
    """
    record = Path(data_dir) / URI_RECORD
    try:
        uri = record.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    try:
        with MongoClient[dict[str, Any]](uri, serverSelectionTimeoutMS=1000) as client:
            client.admin.command("ping")
    except PyMongoError:
        return None
    return uri


class EmbeddedMongo:
    """Start, await and stop one SecantusDB server over a data directory."""

    def __init__(
        self,
        data_dir: Path,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        test_commands: bool = False,
        sync_on_commit: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.test_commands = test_commands  # failpoints for fault-injection tests; never in serve
        # SecantusDB commits transactions without flushing its journal (it ignores j: true inside
        # transactions), so a SIGKILL loses the last acknowledged commits; fsync per commit closes that.
        self.sync_on_commit = sync_on_commit
        self.host = host
        self.port = port or free_port(host)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"

    def start(self, timeout_s: float = 60.0) -> str:
        try:
            import secantus  # noqa: F401  (only to give a clear error when the extra is missing)
        except ImportError as exc:
            raise RuntimeError(
                "No PHANANH_MONGODB_URI is set and the embedded database is not installed: "
                "pip install 'phananh[embedded]' or point PHANANH_MONGODB_URI at MongoDB."
            ) from exc
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_file = open(self.data_dir / "secantus.log", "ab")  # noqa: SIM115 - owned by the child
        cmd = [
            sys.executable,
            "-m",
            "secantus",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--storage-path",
            str(self.data_dir / "db"),
            "--log-level",
            "WARNING",
        ]
        if self.test_commands:
            cmd.append("--enable-test-commands")
        if self.sync_on_commit:
            cmd.append("--sync-on-commit")
        self.process = subprocess.Popen(
            cmd, stdout=log_file, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent if os.name == "posix" else None
        )
        log_file.close()
        self._wait_ready(timeout_s)
        (self.data_dir / URI_RECORD).write_text(self.uri, encoding="utf-8")
        log.info("embedded SecantusDB ready at %s (data in %s)", self.uri, self.data_dir)
        return self.uri

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"embedded SecantusDB exited with {self.process.returncode}; see {self.data_dir / 'secantus.log'}"
                )
            try:
                with MongoClient[dict[str, Any]](self.uri, serverSelectionTimeoutMS=500) as client:
                    client.admin.command("ping")
                    return
            except PyMongoError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"embedded SecantusDB did not answer ping within {timeout_s:.0f}s")

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM lets WiredTiger checkpoint and close cleanly; SIGKILL only as a last resort."""
        (self.data_dir / URI_RECORD).unlink(missing_ok=True)
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            log.error("embedded SecantusDB ignored SIGTERM; killing it")
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """Hard stop, as a crash would (fault-injection tests)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "EmbeddedMongo":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
