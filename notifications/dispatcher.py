"""The outbox dispatcher: claim events, turn them into pushes, send, record the outcome.

Run by ``phananh worker`` (any number of processes) and inside ``phananh serve`` unless
``--no-worker``. Guarantees: each event is pushed at least once (a dispatcher that dies
keeps its partitions until its lease runs out; whoever takes them over sends its unsettled
events again); two live dispatchers never both hold an event (each partition has one
holder, see ``notifications.partitions``); one report's events go out in the order of its
changes (see the outbox).

Failures, per FCM error: a dead token (UNREGISTERED, invalid) deletes the device; any
other error retries the failed tokens only, after exponential backoff with full jitter
(at least the server's Retry-After); after ``max_attempts`` the event is dead-lettered
with its last error, for admins to inspect and re-drive.
"""

import asyncio
import logging
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.db import utc_now
from core.documents import Device
from core.logs import bind_request_id, reset_request_id
from core.stopping import pause
from notifications.documents import OutboxEvent
from notifications.outbox import OutboxRepository
from notifications.partitions import PartitionRepository, PartitionShare
from notifications.payloads import PushMessage, broadcast_messages, digest_message, report_message
from notifications.ports import DeviceDirectory, FollowerDirectory, ImageLinks
from notifications.senders import PushSender, SendOutcome

log = logging.getLogger(__name__)
FCM_BATCH = 500
TOPIC_BATCH = 1000
# Batches claimed per read: a claim reads every undelivered event of the partitions (a backlog
# of 10 000 read whole for each batch of 500 was most of a drain's database time).
READ_AHEAD = 4
LEAVE_TIMEOUT_S = 2.0  # a stopping dispatcher does not wait longer for an unreachable database


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_s: float = 2.0
    cap_s: float = 3600.0

    def delay(self, attempts: int, retry_after_s: float | None, rng: random.Random) -> float:
        """Full-jitter exponential backoff, never sooner than the server asked."""
        backoff = rng.uniform(0, min(self.cap_s, self.base_s * 2 ** (attempts - 1)))
        return max(backoff, retry_after_s or 0.0)


@dataclass
class _Delivery:
    """One event's sends in this round: a target (token or topic) and an outcome for each."""

    event: OutboxEvent
    messages: list[PushMessage]
    targets: list[str] = field(default_factory=list)
    outcomes: list[SendOutcome] = field(default_factory=list)

    def record(self, target: str, outcome: SendOutcome) -> None:
        self.targets.append(target)
        self.outcomes.append(outcome)

    def dead_tokens(self) -> list[str]:
        token_of = (lambda _: self.event["token"]) if self.event["kind"] == "topics" else (lambda target: target)
        return [token_of(t) for t, o in zip(self.targets, self.outcomes, strict=True) if o.dead_token]


def _log_delivery(delivery: _Delivery) -> None:
    """One line per event, under the id of the request that caused it (JSON logs carry it)."""
    token = bind_request_id(delivery.event.get("request_id"))
    try:
        log.info(
            "outbox event %s (%s %s): %d sent, %d failed",
            delivery.event["_id"],
            delivery.event["kind"],
            delivery.event.get("event", ""),
            sum(o.ok for o in delivery.outcomes),
            sum(not o.ok for o in delivery.outcomes),
        )
    finally:
        reset_request_id(token)


class OutboxDispatcher:
    def __init__(
        self,
        outbox: OutboxRepository,
        partitions: PartitionRepository,
        devices: DeviceDirectory,
        followers: FollowerDirectory,
        sender: PushSender,
        *,
        batch_size: int = 500,
        lease: timedelta = timedelta(seconds=60),
        retry: RetryPolicy = RetryPolicy(),
        retention: timedelta = timedelta(days=7),
        signer: ImageLinks | None = None,
    ) -> None:
        self._signer = signer  # signs a resolution photo's link as it is sent (None: no images)
        self._outbox = outbox
        self._devices = devices
        self._followers = followers
        self._sender = sender
        self._batch_size = batch_size
        self._share = PartitionShare(partitions, uuid.uuid4().hex, lease)
        self._ready: list[OutboxEvent] = []  # read ahead, not yet sent (heads of their keys when read)
        self._retry = retry
        self._retention = retention
        self._rng = random.Random()

    async def run_once(self) -> int:
        """Claim and handle one batch; returns how many events were handled."""
        now = utc_now()
        held = await self._share.current(now)
        self._ready = [event for event in self._ready if event["partition"] in held]
        if not self._ready:
            self._ready = await self._outbox.claim(held, now, self._batch_size * READ_AHEAD)
        events, self._ready = self._ready[: self._batch_size], self._ready[self._batch_size :]
        if not events:
            return 0
        deliveries = await self._prepare(events)
        await self._send_pushes([d for d in deliveries if d.event["kind"] != "topics"])
        await self._change_topics([d for d in deliveries if d.event["kind"] == "topics"])
        dead_tokens = {token for d in deliveries for token in d.dead_tokens()}
        if dead_tokens:
            await self._devices.delete(sorted(dead_tokens))
        now = utc_now()
        await self._outbox.settle([(d.event["_id"], self._settlement(d, now)) for d in deliveries])
        for delivery in deliveries:
            _log_delivery(delivery)
        return len(events)

    async def leave(self) -> None:
        """Hand this dispatcher's partitions back now rather than when its lease runs out."""
        self._ready = []
        await self._share.leave()

    async def run_forever(self, poll_s: float, stopping: asyncio.Event) -> None:
        """Back-to-back batches while they come full; otherwise a pause of ``poll_s``, so that a
        trickle of events goes out in batches instead of one read of every held partition per
        event (in a storm the dispatcher spun on one or two events a round). Until ``stopping``
        is set (``core.stopping``)."""
        try:
            while not stopping.is_set():
                try:
                    handled = await self.run_once()
                except Exception:  # the database away, a sender bug: log, wait, try again
                    log.exception("outbox round failed")
                    handled = 0
                if handled < self._batch_size and not self._ready:
                    await pause(stopping, poll_s)
        finally:
            try:
                async with asyncio.timeout(LEAVE_TIMEOUT_S):  # not wait_for: see core.stopping
                    await self.leave()
            except Exception:  # stopping anyway: the lease runs out on its own
                log.warning("could not hand the outbox partitions back", exc_info=True)

    async def _prepare(self, events: list[OutboxEvent]) -> list[_Delivery]:
        """Expand report events to one message per device of the author and followers."""
        report_events = [e for e in events if e["kind"] == "report"]
        followers = await self._followers.for_reports([e["report_id"] for e in report_events if e["event"] != "reply"])
        recipients = {
            e["_id"]: {
                e["resident_uid"],
                *(uid for uid, since in followers.get(e["report_id"], ()) if since <= e["created_at"]),
            }  # news since they followed
            for e in report_events
        }
        recipients |= {e["_id"]: {e["resident_uid"]} for e in events if e["kind"] == "digest"}
        devices = await self._devices.for_residents(sorted({uid for uids in recipients.values() for uid in uids}))
        by_uid: dict[str, list[Device]] = defaultdict(list)
        for device in devices:
            by_uid[device["resident_uid"]].append(device)
        deliveries = []
        for event in events:
            if event["kind"] == "report":
                image = self._image_url(event)
                messages = [
                    report_message(event, d["_id"], d.get("locale", "vi"), uid == event["resident_uid"], image)
                    for uid in sorted(recipients[event["_id"]])
                    for d in by_uid.get(uid, ())
                ]
            elif event["kind"] == "broadcast":
                messages = broadcast_messages(event)
            elif event["kind"] == "digest":
                messages = [
                    digest_message(event, d["_id"], d.get("locale", "vi"))
                    for d in by_uid.get(event["resident_uid"], ())
                ]
            else:
                messages = []
            if event.get("remaining") is not None:  # a retry: only the targets that failed last time
                retry = set(event["remaining"])
                messages = [m for m in messages if (m.token or m.topic) in retry]
            deliveries.append(_Delivery(event, messages))
        return deliveries

    def _image_url(self, event: OutboxEvent) -> str | None:
        photo_id = event.get("image_photo_id")
        return None if photo_id is None or self._signer is None else self._signer.url(photo_id, utc_now())

    async def _send_pushes(self, deliveries: list[_Delivery]) -> None:
        flat = [(d, m) for d in deliveries for m in d.messages]
        for start in range(0, len(flat), FCM_BATCH):
            chunk = flat[start : start + FCM_BATCH]
            outcomes = await self._sender.send([m for _, m in chunk])
            for (delivery, message), outcome in zip(chunk, outcomes, strict=True):
                delivery.record(message.token or message.topic or "", outcome)

    async def _change_topics(self, deliveries: list[_Delivery]) -> None:
        """Topic events (a device's subscription changes), grouped into one call per topic."""
        groups: dict[tuple[str, bool], list[_Delivery]] = defaultdict(list)
        for delivery in deliveries:
            remaining = delivery.event.get("remaining")
            for topic, subscribe in delivery.event["changes"]:
                if remaining is None or topic in remaining:
                    groups[(topic, subscribe)].append(delivery)
        for (topic, subscribe), members in groups.items():
            for start in range(0, len(members), TOPIC_BATCH):
                chunk = members[start : start + TOPIC_BATCH]
                outcomes = await self._sender.change_topic([d.event["token"] for d in chunk], topic, subscribe)
                for delivery, outcome in zip(chunk, outcomes, strict=True):
                    delivery.record(topic, outcome)

    def _settlement(self, delivery: _Delivery, now: datetime) -> dict[str, Any]:
        """The event's update after this attempt (attempts are counted here: no lease counts them).

        Counters are ``$inc``s, so every event sent in a round with as many pushes gets the same
        update, which ``OutboxRepository.settle`` then writes as one statement."""
        event = delivery.event
        attempts = event["attempts"] + 1
        failed = [
            (t, o) for t, o in zip(delivery.targets, delivery.outcomes, strict=True) if not o.ok and not o.dead_token
        ]
        sent = sum(o.ok for o in delivery.outcomes)
        if not failed:
            return {
                "$set": {
                    "state": "sent",
                    "sent_at": now,
                    "expires_at": now + self._retention,
                },
                "$inc": {"attempts": 1, "pushed": sent},
                "$unset": {"claimable_at": "", "remaining": ""},
            }
        remaining = [target for target, _ in failed]
        last_error = failed[-1][1].error
        if attempts >= self._retry.max_attempts:
            log.warning("outbox event %s dead after %d attempts: %s", event["_id"], attempts, last_error)
            return {
                "$set": {
                    "state": "dead",
                    "died_at": now,
                    "last_error": last_error,
                    "remaining": remaining,
                },
                "$inc": {"attempts": 1, "pushed": sent},
                "$unset": {"claimable_at": ""},
            }
        retry_after = max((o.retry_after_s or 0.0) for _, o in failed)
        delay = self._retry.delay(attempts, retry_after, self._rng)
        return {
            "$set": {
                "state": "pending",
                "claimable_at": now + timedelta(seconds=delay),
                "tried_at": now,
                "last_error": last_error,
                "remaining": remaining,
            },
            "$inc": {"attempts": 1, "pushed": sent},
        }
