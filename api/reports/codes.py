"""Short human report codes (HN-2026-000123) that residents can quote on the phone.

Numbers are reserved from the database in blocks, so most reports cost no counter round
trip; a process that stops leaves the rest of its block unused. Codes are therefore unique
and increasing per process, with gaps, which is all a quotable reference needs.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

HANOI_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CODE_PREFIX = "HN"


class CodeAllocator:
    def __init__(self, reserve: Callable[[str, int], Awaitable[int]], block_size: int = 20) -> None:
        self._reserve = reserve
        self._block_size = block_size
        self._blocks: dict[int, tuple[int, int]] = {}  # year -> (next number, last reserved)
        self._lock = asyncio.Lock()

    async def next_code(self, moment: datetime) -> str:
        year = moment.astimezone(HANOI_TZ).year  # a report at 00:30 on 1 January belongs to the new year
        async with self._lock:
            following, last = self._blocks.get(year, (1, 0))
            if following > last:
                last = await self._reserve(f"report_code:{year}", self._block_size)
                following = last - self._block_size + 1
            self._blocks[year] = (following + 1, last)
        return f"{CODE_PREFIX}-{year}-{following:06d}"
