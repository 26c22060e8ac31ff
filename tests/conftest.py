"""Shared fixtures: one real SecantusDB server per test session, a fresh database per test.

Nothing here mocks the database: tests talk to a real MongoDB-protocol server over TCP.
"""

import asyncio
import gc
import io
import json
import logging
import os
import sys
import threading
import traceback
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pymongo import MongoClient

from api.app import create_app
from api.embedded import EmbeddedMongo
from api.observability.commands import CommandLog, install_command_log
from bench.fcm_stand_in import FcmStandIn
from core.logs import JsonFormatter, RedactingFilter
from core.settings import Settings
from tests.auth_emulator import AuthEmulator, start_emulator, stop_emulator
from tests.factories import PROJECT_ID


@pytest.fixture(scope="session")
def command_log() -> CommandLog:
    """PyMongo command monitoring for the apps built after it (recording only inside ``recording()``)."""
    return install_command_log()


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedMongo]:
    server = EmbeddedMongo(tmp_path_factory.mktemp("secantus"), test_commands=True)
    server.start()
    yield server
    server.stop()


def base_settings(mongo_server: EmbeddedMongo, data_dir) -> Settings:
    """Settings on the session's server with a database of their own."""
    return Settings(
        mongodb_uri=mongo_server.uri,
        database_name=f"t_{uuid.uuid4().hex[:12]}",
        data_dir=data_dir,
        env="dev",
        firebase_project_id=PROJECT_ID,
        orphan_photo_grace_s=600,
        run_worker=False,  # tests run the jobs themselves, when they choose
        gc_freeze_after_start=False,  # frozen objects are never freed: one test process starts many apps
    )


@pytest.fixture
def settings(mongo_server: EmbeddedMongo, tmp_path) -> Settings:
    return base_settings(mongo_server, tmp_path)


@pytest.fixture(scope="module")
def module_settings(mongo_server: EmbeddedMongo, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """For a module that shares one app (and one seeded database) across many cheap tests."""
    return base_settings(mongo_server, tmp_path_factory.mktemp("module"))


@pytest.fixture
def make_client(settings: Settings):
    """Start an app (with its lifespan) on given settings; closed at the end of the test."""
    clients: list[TestClient] = []

    def make(custom: Settings | None = None, **overrides) -> TestClient:
        app_settings = custom or settings.model_copy(update=overrides)
        client = TestClient(create_app(app_settings), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()


@pytest.fixture
def sync_db(mongo_server: EmbeddedMongo, settings: Settings):
    """A plain PyMongo handle on the test's database, for asserting what was really stored."""
    with MongoClient(mongo_server.uri, tz_aware=True) as mongo:
        yield mongo[settings.database_name]


@pytest.fixture
def arm_commit_failure(mongo_server):
    """Call it to make the database refuse the next commitTransaction: a real failure between the steps."""
    with MongoClient(mongo_server.uri) as admin:

        def arm() -> None:
            admin.admin.command(
                "configureFailPoint",
                "failCommand",
                mode={"times": 1},
                data={"failCommands": ["commitTransaction"], "errorCode": 2},
            )

        yield arm
        admin.admin.command("configureFailPoint", "failCommand", mode="off")


@pytest.fixture
def fail_next_commit(arm_commit_failure):
    """The database refuses the test's first commitTransaction."""
    arm_commit_failure()


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """The service's own handler (JSON + redaction) on the root logger, at DEBUG: libraries included."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # pymongo then logs every command with its documents
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


def running_event_loops() -> list[asyncio.AbstractEventLoop]:
    loops = []
    for candidate in gc.get_objects():
        try:
            if isinstance(candidate, asyncio.AbstractEventLoop) and candidate.is_running():
                loops.append(candidate)
        except ReferenceError:  # a weak proxy whose object is gone: isinstance raises
            continue
    return loops


def print_event_loop_tasks() -> None:
    """Every running event loop's tasks with their stacks, on stderr: where a hung test's coroutines
    wait (thread stacks, which pytest-timeout prints next, only show a loop asleep in ``select``).
    Any failure is printed too: pytest keeps a thread's exception for a report the hung run never writes."""
    try:
        for loop in running_event_loops():
            print(f"==== tasks of event loop {id(loop):#x}", file=sys.stderr)
            for task in list(asyncio.all_tasks(loop)):
                task.print_stack(limit=30, file=sys.stderr)
    except Exception:
        traceback.print_exc(file=sys.stderr)
    sys.stderr.flush()


@pytest.fixture(autouse=True)
def _hang_report(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test still running 30 s before pytest-timeout ends the run (``timeout`` in pyproject.toml)
    first prints its event loops' tasks, so a hang in CI says where it waits."""
    timer = threading.Timer(float(request.config.getini("timeout")) - 30, print_event_loop_tasks)
    timer.daemon = True
    timer.start()
    yield
    timer.cancel()


@pytest.fixture(autouse=True)
def _no_emulator_leak() -> Iterator[None]:
    """Dev-mode apps set the Firebase emulator variable; make sure none outlives its test."""
    before = os.environ.get("FIREBASE_AUTH_EMULATOR_HOST")
    yield
    assert os.environ.get("FIREBASE_AUTH_EMULATOR_HOST") == before


@pytest.fixture
def fcm() -> Iterator[FcmStandIn]:
    """A local FCM v1 + OAuth stand-in on 127.0.0.1 (see bench/fcm_stand_in.py)."""
    stand_in = FcmStandIn(PROJECT_ID).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def push_settings(settings: Settings, fcm: FcmStandIn, tmp_path) -> Settings:
    """Settings whose pushes go through the real firebase-admin client to the stand-in."""
    account = tmp_path / "service-account.json"
    account.write_text(json.dumps(fcm.service_account()))
    return settings.model_copy(
        update={
            "firebase_credentials": account,
            "fcm_endpoint": fcm.url,
            "fcm_timeout_s": 2.0,
            "outbox_lease_s": 5.0,
            "outbox_backoff_base_s": 0.05,
            "outbox_backoff_cap_s": 0.2,
        }
    )


@pytest.fixture
def push_client(make_client, push_settings: Settings) -> TestClient:
    return make_client(push_settings)


@pytest.fixture(scope="session")
def auth_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthEmulator]:
    """The Firebase Auth emulator for the session (started by the first test that asks, ~20-60 s)."""
    process, emulator = start_emulator(tmp_path_factory.mktemp("auth-emulator"), PROJECT_ID)
    yield emulator
    stop_emulator(process)
