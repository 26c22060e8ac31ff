"""A stopping worker stops even when its cancellation is lost.

On Python 3.11 ``asyncio.wait_for`` (through which PyMongo sends commands) returns normally when
a cancellation lands just as the awaited operation completes; a worker whose loops relied on that
cancellation alone kept going, and an app's shutdown waited for it forever (a test run hung so).
"""

import asyncio

from api.worker import Worker
from core.stopping import pause


def test_a_worker_whose_cancellation_is_swallowed_still_stops() -> None:
    async def scenario() -> bool:
        started = asyncio.Event()

        async def job_that_swallows_a_cancellation() -> int:
            started.set()
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:  # what 3.11's wait_for does when its operation completes
                return 0
            return 1

        worker = Worker({"swallows": job_that_swallows_a_cancellation}, interval_s=3600)
        running = asyncio.create_task(worker.run_forever())
        await started.wait()
        worker.stop()
        running.cancel()
        done, _ = await asyncio.wait({running}, timeout=5)
        return running in done

    assert asyncio.run(scenario())


def test_pause_ends_early_when_told_to_stop_and_keeps_a_cancellation() -> None:
    async def scenario() -> tuple[float, bool]:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        started = loop.time()
        loop.call_later(0.05, stopping.set)
        await pause(stopping, 10)
        early = loop.time() - started
        cancelled = asyncio.create_task(pause(asyncio.Event(), 10))
        await asyncio.sleep(0)
        cancelled.cancel()
        await asyncio.wait({cancelled})
        return early, cancelled.cancelled()

    early, cancelled = asyncio.run(scenario())
    assert early < 1 and cancelled
