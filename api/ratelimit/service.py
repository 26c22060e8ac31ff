"""Rate limit rules: count an action in the current window, refuse with 429 past the limit.

Fixed windows keep each check to one atomic ``$inc`` on one small document, shared by every
API process through MongoDB; concurrent requests of one process are charged together.
``check`` refuses without counting, for limits that are only
charged on failure (bad tokens): a blocked client is refused before any work is done.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from api.errors import AppError, TooManyRequests
from api.ratelimit.repository import Charge, RateLimitRepository
from core.batching import MicroBatcher

ChargeBatcher = MicroBatcher[Sequence[Charge], list[bool]]


def charge_batcher(repo: RateLimitRepository, max_batch: int = 64) -> ChargeBatcher:
    """One per process (app state): concurrent requests' charges go to the database together, in
    the command after the one in flight (a storm's reports share one statement per address)."""
    return MicroBatcher(repo.charge_together, max_batch)


def _window(scope: str, subject: str, window_s: int, now: datetime) -> tuple[str, datetime]:
    window_start = math.floor(now.timestamp() / window_s) * window_s
    return f"{scope}:{subject}:{window_start}", datetime.fromtimestamp(window_start + window_s, UTC)


def _refuse(window_end: datetime, now: datetime) -> AppError:
    retry_after = max(1, math.ceil((window_end - now).total_seconds()))
    return TooManyRequests("too_many_requests", headers={"Retry-After": str(retry_after)}, retry_after=retry_after)


@dataclass(frozen=True)
class Limit:
    """``amount`` of an action by ``subject`` against ``limit`` per ``window_s`` seconds of ``scope``."""

    scope: str
    subject: str
    limit: int
    window_s: int
    amount: int = 1


class RateLimiter:
    def __init__(self, repo: RateLimitRepository, charges: ChargeBatcher) -> None:
        self._repo = repo
        self._charges = charges

    async def hit(
        self, scope: str, subject: str, limit: int, window_s: int, amount: int = 1, now: datetime | None = None
    ) -> None:
        """Count ``amount`` against the subject's window; 429 once it would take the window past ``limit``."""
        await self.hit_all([Limit(scope, subject, limit, window_s, amount)], now)

    async def hit_all(self, limits: Sequence[Limit], now: datetime | None = None) -> None:
        """Count several limits in one database command (intake charges two or three); 429 if any
        is used up, with the latest of their windows' ends as Retry-After. A limit an action would
        pass is not charged with it, so a refused client does not push its own window further."""
        now = now or datetime.now(UTC)
        windows = [_window(limit.scope, limit.subject, limit.window_s, now) for limit in limits]
        charges = [
            Charge(bucket, limit.amount, limit.limit, window_end + timedelta(seconds=60))
            for limit, (bucket, window_end) in zip(limits, windows, strict=True)
        ]
        allowed = await self._charges.submit(charges)
        refused = [window_end for (_, window_end), ok in zip(windows, allowed, strict=True) if not ok]
        if refused:
            raise _refuse(max(refused), now)

    async def check(self, scope: str, subject: str, limit: int, window_s: int, now: datetime | None = None) -> None:
        """429 if the subject has already used up its window; counts nothing."""
        now = now or datetime.now(UTC)
        bucket, window_end = _window(scope, subject, window_s, now)
        if await self._repo.count(bucket) >= limit:
            raise _refuse(window_end, now)
