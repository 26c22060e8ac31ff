"""Where pushes go: the interface both senders implement, and the log sender.

``FcmSender`` (notifications/fcm.py) sends through firebase-admin; ``LogSender`` appends
every push to ``$PHANANH_DATA_DIR/pushes.jsonl`` so the whole flow is visible on a laptop
without Firebase credentials.
"""

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import anyio

from notifications.payloads import PushMessage

# FCM errors that say the token itself is dead: the device is deleted, never retried.
DEAD_TOKEN_ERRORS = frozenset({"UNREGISTERED", "INVALID_ARGUMENT", "SENDER_ID_MISMATCH", "NOT_FOUND"})


@dataclass(frozen=True)
class SendOutcome:
    """What became of one message (or one token's topic change)."""

    error: str | None = None  # FCM error code; None = delivered to FCM
    retry_after_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def dead_token(self) -> bool:
        return self.error in DEAD_TOKEN_ERRORS


class PushSender(Protocol):
    async def send(self, messages: list[PushMessage]) -> list[SendOutcome]:
        """One outcome per message, in order (at most 500 messages per call)."""

    async def change_topic(self, tokens: list[str], topic: str, subscribe: bool) -> list[SendOutcome]:
        """One outcome per token, in order (at most 1000 tokens per call)."""

    async def close(self) -> None: ...


class LogSender:
    """Appends pushes and topic changes to a JSON-lines file; every call succeeds."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def _append(self, lines: list[dict]) -> None:
        if not lines:
            return

        def write() -> None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                for line in lines:
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")

        await anyio.to_thread.run_sync(write)

    async def send(self, messages: list[PushMessage]) -> list[SendOutcome]:
        now = datetime.now(UTC).isoformat()
        await self._append([{"at": now, "push": asdict(message)} for message in messages])
        return [SendOutcome() for _ in messages]

    async def change_topic(self, tokens: list[str], topic: str, subscribe: bool) -> list[SendOutcome]:
        now = datetime.now(UTC).isoformat()
        await self._append([{"at": now, "topic": topic, "subscribe": subscribe, "tokens": tokens}])
        return [SendOutcome() for _ in tokens]

    async def close(self) -> None:
        return None
