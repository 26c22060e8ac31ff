"""The Firebase Auth emulator (npm firebase-tools, installed by `npm ci` at the repository top).

Started on free ports in its own directory (its firebase.json and logs stay there); users are
created through the emulator's Identity Toolkit REST API at the address the app itself signs in
against (``api.web.pages.auth_endpoints``), so no host name is spelled out here.
"""

import json
import os
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from api.cli import main as phananh
from api.embedded import free_port
from api.web.pages import auth_endpoints
from core.settings import Settings

FIREBASE = Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / "firebase"
START_TIMEOUT_S = 180  # the CLI is slow to boot on a loaded machine


@dataclass
class AuthEmulator:
    host: str
    project_id: str

    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"auth_emulator_host": self.host})

    def create_user(self, email: str, password: str) -> str:
        """A password account, as an administrator would create it in the Firebase console; its uid."""
        identity, _ = auth_endpoints(Settings(env="dev", auth_emulator_host=self.host))
        request = urllib.request.Request(
            f"{identity}/accounts:signUp?key=test-key",
            method="POST",
            data=json.dumps({"email": email, "password": password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["localId"]

    def grant(self, monkeypatch, uid: str, role: str, agency: str | None = None) -> None:
        """`phananh staff grant`, the operator's command, against this emulator."""
        monkeypatch.delenv("PHANANH_MONGODB_URI", raising=False)  # dev mode: grants go to the emulator
        monkeypatch.setenv("PHANANH_AUTH_EMULATOR_HOST", self.host)
        monkeypatch.setenv("PHANANH_FIREBASE_PROJECT_ID", self.project_id)
        assert phananh(["staff", "grant", "--uid", uid, "--role", role, *(["--agency", agency] if agency else [])]) == 0

    def staff(
        self, monkeypatch, email: str, role: str, agency: str | None = None, password: str = "mat-khau-123"
    ) -> str:
        uid = self.create_user(email, password)
        self.grant(monkeypatch, uid, role, agency)
        return uid


def start_emulator(directory: Path, project_id: str) -> tuple[subprocess.Popen, AuthEmulator]:
    port, hub, logging = free_port(), free_port(), free_port()
    (directory / "firebase.json").write_text(
        json.dumps(
            {
                "emulators": {
                    "auth": {"host": "127.0.0.1", "port": port},
                    "hub": {"host": "127.0.0.1", "port": hub},
                    "logging": {"host": "127.0.0.1", "port": logging},
                    "ui": {"enabled": False},
                }
            }
        )
    )
    log = (directory / "emulator.log").open("wb")
    process = subprocess.Popen(
        [str(FIREBASE), "emulators:start", "--only", "auth", "--project", project_id],
        cwd=directory,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "HOME": str(directory)},
    )  # its config store stays here
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                break
        except OSError as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_emulator(process)
                raise RuntimeError(
                    f"the auth emulator did not start: {(directory / 'emulator.log').read_text()[-2000:]}"
                ) from exc
            time.sleep(0.5)
    return process, AuthEmulator(host=f"127.0.0.1:{port}", project_id=project_id)


def stop_emulator(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
