"""Stopping a background loop: a flag it checks, not only a cancellation.

On Python 3.11 ``asyncio.wait_for`` swallows a cancellation that arrives just as the awaited
operation completes (fixed in 3.12), and PyMongo sends every command under a timeout through
it. A loop cancelled at that moment carries on, and its TaskGroup never cancels it again: a
test run hung in an app's shutdown waiting for its worker, the event loop idle (the likeliest
reading of what was seen; the tasks were not dumped). So loops run ``while not
stopping.is_set()`` and pause with ``pause``, whose ``asyncio.timeout`` keeps a cancellation;
the stopper sets the flag before it cancels, and a lost cancellation costs at most one round.
"""

import asyncio
import contextlib


async def pause(stopping: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stopping`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stopping.wait()
