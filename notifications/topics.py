"""Keeping a device's FCM topic subscriptions (its ward and language) in step with its record.

Subscribing calls Firebase, so it never happens inside a request: the change is queued in
the outbox in the same transaction as the device record, and the dispatcher applies it,
in order per device, with the same retries as pushes.
"""

import time
from datetime import datetime

from pymongo.asynchronous.client_session import AsyncClientSession

from core.documents import Device
from notifications.outbox import OutboxRepository
from notifications.payloads import device_topics


def _topics(device: Device | None) -> list[str]:
    return device_topics(device.get("ward"), device.get("locale", "vi")) if device else []


def topic_changes(before: Device | None, after: Device | None) -> list[tuple[str, bool]]:
    """(topic, subscribe) pairs that take a token from ``before``'s topics to ``after``'s."""
    old, new = _topics(before), _topics(after)
    return [(t, False) for t in old if t not in new] + [(t, True) for t in new if t not in old]


class TopicSubscriptions:
    def __init__(self, outbox: OutboxRepository) -> None:
        self._outbox = outbox

    async def device_changed(
        self,
        token: str,
        before: Device | None,
        after: Device | None,
        now: datetime,
        session: AsyncClientSession | None,
    ) -> None:
        changes = topic_changes(before, after)
        if changes:
            await self._outbox.enqueue(
                {
                    "kind": "topics",
                    "token": token,
                    "changes": changes,
                    "order_key": f"device:{token}",
                    "seq": time.time_ns(),
                },
                now,
                session,
            )
