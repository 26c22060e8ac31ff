"""Push benchmark: 10 000 outbox events to 10 000 devices through two `phananh worker` processes.

Everything is real but Google: SecantusDB, two worker processes sharing the outbox partitions,
firebase-admin sending over HTTP to the local FCM stand-in (bench/fcm_stand_in.py),
which records when each message arrives. Two runs:

- steady: events are written at --rate per second (a storm's worth of status changes)
  while the workers drain them; prints pushes/s and the lag from the event being written
  to the stand-in receiving the push (p50/p99). Aim: >= 500 pushes/s, p99 < 2 s.
- backlog: all events written first, then the workers start; prints the drain rate.

Floors, same run: firebase-admin alone (no database, no outbox) sending the same number of
messages to the same stand-in in batches of 500 from one process; and the database alone
doing the write every event needs after its insert (settle) in bulk.

Run: python bench/notifications.py [--events 10000] [--rate 150]
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bson import ObjectId
from pymongo import MongoClient, UpdateOne

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.embedded import EmbeddedMongo  # noqa: E402
from bench.fcm_stand_in import FcmStandIn  # noqa: E402
from core.settings import Settings  # noqa: E402
from notifications.fcm import FcmSender  # noqa: E402
from notifications.outbox import OutboxRepository  # noqa: E402
from notifications.partitions import partition_of  # noqa: E402
from notifications.payloads import PushMessage  # noqa: E402

PROJECT = "phananh-bench"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def event(i: int, report_id: ObjectId, now: datetime) -> dict:
    """The shape notifications.events writes for a report routed to an agency."""
    return {
        "_id": ObjectId(),
        "state": "pending",
        "claimable_at": now,
        "created_at": now,
        "attempts": 0,
        "kind": "report",
        "event": "routed",
        "order_key": f"report:{report_id}",
        "partition": partition_of(f"report:{report_id}"),
        "seq": 2,
        "report_id": report_id,
        "code": f"HN-2026-{i:06d}",
        "status": "assigned",
        "resident_uid": f"bench-{i}",
        "agency_name": "Sở Xây dựng Hà Nội",
        "note": None,
        "merged_into": None,
    }


def seed_devices(db, n: int) -> None:
    now = datetime.now(UTC)
    db.devices.insert_many(
        [
            {
                "_id": f"bench-token-{i:06d}-{'x' * 20}",
                "resident_uid": f"bench-{i}",
                "platform": "android",
                "locale": "vi" if i % 5 else "en",
                "ward": None,
                "registered_at": now,
            }
            for i in range(n)
        ]
    )


def start_workers(env: dict[str, str], count: int) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(count)
    ]


def wait_sent(db, fcm: FcmStandIn, n: int, timeout_s: float) -> None:
    """Until the stand-in has every event's push and the outbox records every event sent.

    The pushes are watched at the stand-in, in this process: counting ``sent`` in the outbox
    five times a second read thousands of index entries each time on the server being
    measured (a third of the database's time in a 4 000-event drain). The database is asked
    only once the last push has arrived.
    """
    deadline = time.monotonic() + timeout_s
    while len(fcm.received) < n or len({r["message"]["data"]["event_id"] for r in fcm.received}) < n:
        if time.monotonic() > deadline:
            raise SystemExit("timed out: not every event was pushed")
        time.sleep(0.05)
    while db.outbox.count_documents({"state": "sent"}) < n:
        if time.monotonic() > deadline:
            raise SystemExit("timed out: not every event was recorded sent")
        time.sleep(0.2)


def lags(fcm: FcmStandIn, written: dict[str, float]) -> list[float]:
    return [r["at"] - written[r["message"]["data"]["event_id"]] for r in fcm.received]


def steady(db, env, fcm: FcmStandIn, n: int, rate: float) -> None:
    workers = start_workers(env, 2)
    time.sleep(3)  # imports and the first OAuth token
    written: dict[str, float] = {}
    try:
        start, tick = time.time(), 0.05
        for offset in range(0, n, max(1, int(rate * tick))):
            now = datetime.now(UTC)
            batch = [event(i, ObjectId(), now) for i in range(offset, min(n, offset + max(1, int(rate * tick))))]
            db.outbox.insert_many(batch)
            stamp = time.time()
            written.update({str(e["_id"]): stamp for e in batch})
            time.sleep(max(0.0, start + (offset + len(batch)) / rate - time.time()))
        wait_sent(db, fcm, n, 300)
    finally:
        for worker in workers:
            worker.terminate()
    delays = lags(fcm, written)
    span = max(r["at"] for r in fcm.received) - start
    print(
        f"steady   {len(fcm.received)} pushes in {span:.1f} s = {len(fcm.received) / span:.0f} pushes/s "
        f"(offered {rate:.0f}/s); lag p50 {statistics.median(delays) * 1000:.0f} ms, "
        f"p99 {percentile(delays, 0.99) * 1000:.0f} ms"
    )
    print(
        f"         aim >= 500 pushes/s and p99 < 2 s: "
        f"{'PASS' if len(fcm.received) / span >= 500 * 0.98 and percentile(delays, 0.99) < 2 else 'FAIL'}"
    )


def backlog(db, env, fcm: FcmStandIn, n: int) -> float:
    now = datetime.now(UTC)
    db.outbox.insert_many([event(i, ObjectId(), now) for i in range(n)])
    start = time.time()
    workers = start_workers(env, 2)
    try:
        wait_sent(db, fcm, n, 300)
    finally:
        for worker in workers:
            worker.terminate()
    span = max(r["at"] for r in fcm.received) - start
    print(
        f"backlog  {len(fcm.received)} pushes in {span:.1f} s (incl. worker start-up) = "
        f"{len(fcm.received) / span:.0f} pushes/s"
    )
    return len(fcm.received) / span


async def floor(credentials: Path, endpoint: str, n: int) -> float:
    sender = FcmSender(credentials, endpoint, 10)
    messages = [
        PushMessage(
            event_id="x",
            title="Phản ánh",
            body="Đã chuyển",
            data={"type": "report_update"},
            channel_id="report_updates",
            thread_id="t",
            collapse_key="c",
            token=f"floor-{i:06d}-{'x' * 20}",
        )
        for i in range(n)
    ]
    await sender.send(messages[:1])  # OAuth token first, as the workers have it
    start = time.perf_counter()
    for chunk in range(0, n, 500):
        await sender.send(messages[chunk : chunk + 500])
    elapsed = time.perf_counter() - start
    await sender.close()
    print(f"floor    firebase-admin alone, one process: {n / elapsed:.0f} pushes/s")
    return n / elapsed


def database_floor(uri: str, n: int) -> float:
    """The database alone: the write each event costs after its insert (settle; no per-event lease
    since partitions), as bulk updates by _id on an outbox with the service's indexes: events/s
    this server can carry."""
    asyncio.run(_indexes(uri, "bench_floor"))
    with MongoClient(uri, tz_aware=True) as mongo:
        outbox = mongo["bench_floor"].outbox
        now = datetime.now(UTC)
        docs = [event(i, ObjectId(), now) for i in range(n)]
        outbox.insert_many(docs)
        start = time.perf_counter()
        settled = {"$set": {"state": "sent", "sent_at": now}, "$unset": {"claimable_at": ""}}
        for chunk in range(0, n, 500):
            outbox.bulk_write([UpdateOne({"_id": d["_id"]}, settled) for d in docs[chunk : chunk + 500]])
        rate = n / (time.perf_counter() - start)
    print(
        f"floor    database alone, settling writes of {n} events: {rate:.0f} events/s "
        f"(the outbox's ceiling on this server)"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=150.0, help="events written per second in the steady run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedMongo(Path(tmp) / "db")
        uri = server.start()
        try:
            for run in ("steady", "backlog"):
                fcm = FcmStandIn(PROJECT).start()
                account = Path(tmp) / "service-account.json"
                account.write_text(json.dumps(fcm.service_account()))
                settings = Settings(mongodb_uri=uri, database_name=f"bench_{run}")
                mongo = MongoClient(uri, tz_aware=True)
                db = mongo[settings.database_name]
                asyncio.run(_indexes(uri, settings.database_name))
                seed_devices(db, args.events)
                env = {
                    **os.environ,
                    "PHANANH_MONGODB_URI": uri,
                    "PHANANH_DATABASE_NAME": settings.database_name,
                    "PHANANH_FIREBASE_CREDENTIALS": str(account),
                    "PHANANH_FCM_ENDPOINT": fcm.url,
                    "PHANANH_WORKER_INTERVAL_S": "3600",
                    "PHANANH_OUTBOX_POLL_S": "0.05",
                    "PHANANH_DATA_DIR": tmp,
                }
                if run == "steady":
                    steady(db, env, fcm, args.events, args.rate)
                else:
                    drained = backlog(db, env, fcm, args.events)
                fcm.received.clear()
                mongo.close()
                if run == "backlog":
                    best = asyncio.run(floor(account, fcm.url, args.events))
                    print(f"         backlog drain = {drained / best:.0%} of the floor")
                fcm.stop()
            database_floor(uri, args.events)
        finally:
            server.stop()


async def _indexes(uri: str, name: str) -> None:
    from api.devices.repository import DeviceRepository
    from api.duplicates.repository import FollowerRepository
    from core.db import make_client

    client = make_client(uri)
    for setup in (OutboxRepository.ensure_indexes, DeviceRepository.ensure_indexes, FollowerRepository.ensure_indexes):
        await setup(client[name])
    await client.close()


if __name__ == "__main__":
    main()
