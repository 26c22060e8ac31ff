"""Funnel concurrent single calls into batched calls, one batch at a time (group commit).

Whatever arrives while a batch runs forms the next one, so a burst shares the fixed cost of
each call (a model's forward pass, a database command) while a lone call runs at once. The
first item of a batch may also wait ``max_wait_s`` for others to join, up to ``max_batch``.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


class MicroBatcher(Generic[In, Out]):
    """``run`` takes a batch of items and returns one result per item, in order."""

    def __init__(
        self, run: Callable[[list[In]], Awaitable[list[Out]]], max_batch: int = 32, max_wait_s: float = 0.0
    ) -> None:
        self._run = run
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._pending: list[tuple[In, asyncio.Future[Out]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._full = asyncio.Event()
        self.batch_sizes: list[int] = []  # of the last 1000 batches (tests and benchmarks read it)

    async def submit(self, item: In) -> Out:
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self._max_batch:
            self._full.set()
        if self._drainer is None or self._drainer.done():
            # a task of its own: a caller that goes away (a client hung up) cancels only its wait
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _gather(self) -> None:
        """Let a batch fill: until ``max_wait_s`` passes or ``max_batch`` items wait."""
        if self._max_wait_s > 0 and len(self._pending) < self._max_batch:
            self._full.clear()
            with contextlib.suppress(TimeoutError):  # not wait_for: see core.stopping
                async with asyncio.timeout(self._max_wait_s):
                    await self._full.wait()

    async def _drain(self) -> None:
        await self._gather()
        while self._pending:
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            self.batch_sizes = [*self.batch_sizes[-999:], len(batch)]
            try:
                results = await self._run([item for item, _ in batch])
            except Exception as exc:  # every waiter gets the failure; none hangs
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
