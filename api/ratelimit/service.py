"""Rate limit rules: count an action in the current window, refuse with 429 past the limit."""

import math
from datetime import UTC, datetime, timedelta

from api.errors import AppError
from api.ratelimit.repository import RateLimitRepository


class RateLimiter:
    def __init__(self, repo: RateLimitRepository) -> None:
        self._repo = repo

    async def hit(self, scope: str, subject: str, limit: int, window_s: int, amount: int = 1,
                  now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        window_start = math.floor(now.timestamp() / window_s) * window_s
        window_end = datetime.fromtimestamp(window_start + window_s, UTC)
        count = await self._repo.add(f"{scope}:{subject}:{window_start}", amount, window_end + timedelta(seconds=60))
        if count > limit:
            retry_after = max(1, math.ceil((window_end - now).total_seconds()))
            raise AppError(429, "too_many_requests", headers={"Retry-After": str(retry_after)}, retry_after=retry_after)
