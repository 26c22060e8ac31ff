"""Micro-batched classification gives each report its own prediction (real shipped model)."""

import asyncio
import threading

import pytest

from api.reports.classification import forward_passes
from classifiers.loader import load_classifier
from core.batching import MicroBatcher

TEXTS = [
    "Ổ gà rất to giữa đường",
    "karaoke hát đến 2h sáng",
    "mat nuoc ca ngay hom nay",
    "Cây đổ chắn ngang đường",
    "Rác thải chất đống đầu ngõ",
    "streetlight has been off for a week",
    "Cho hỏi thủ tục làm sổ đỏ",
] * 5


def test_concurrent_predictions_match_one_by_one():
    classifier = load_classifier(None)
    expected = [classifier.predict([text])[0] for text in TEXTS]
    batcher = MicroBatcher(forward_passes(classifier), max_batch=8)

    async def all_at_once():
        return await asyncio.gather(*[batcher.submit(text) for text in TEXTS])

    got = asyncio.run(all_at_once())
    assert [p.category for p in got] == [p.category for p in expected]
    assert [p.confidence for p in got] == pytest.approx([p.confidence for p in expected], abs=1e-4)


def test_a_failing_model_fails_every_waiter_without_hanging():
    class Broken:
        model_version, labels, threshold = "broken", [], 0.5

        def predict(self, texts):
            raise RuntimeError("model crashed")

    batcher = MicroBatcher(forward_passes(Broken()))

    async def two():
        return await asyncio.gather(batcher.submit("a"), batcher.submit("b"), return_exceptions=True)

    results = asyncio.run(asyncio.wait_for(two(), timeout=10))
    assert all(isinstance(r, RuntimeError) for r in results)


class Recording:
    """A stand-in model that records the batches it is given (the batching, not the model, is tested)."""

    model_version, labels, threshold = "recording", ["other"], 0.5

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def predict(self, texts):
        from classifiers.base import Prediction

        self.batches.append(list(texts))
        return [Prediction("other", 1.0, [("other", 1.0)]) for _ in texts]


def test_texts_arriving_within_the_wait_share_one_forward_pass():
    model = Recording()
    batcher = MicroBatcher(forward_passes(model), max_batch=32, max_wait_s=0.2)

    async def staggered():
        async def one(i):
            await asyncio.sleep(i * 0.005)
            return await batcher.submit(str(i))

        return await asyncio.gather(*[one(i) for i in range(5)])

    asyncio.run(staggered())
    assert model.batches == [["0", "1", "2", "3", "4"]]


def test_a_full_batch_runs_without_waiting_and_the_queue_follows_in_batches():
    """max_batch 2, five texts queued while the first pass runs: [0, 1], then [2, 3], then [4].
    The first pass is held until all five are queued, so a loaded machine cannot reorder them."""
    queued = threading.Event()

    class Held(Recording):
        def predict(self, texts):
            queued.wait(10)
            return super().predict(texts)

    model = Held()
    batcher = MicroBatcher(forward_passes(model), max_batch=2, max_wait_s=0.2)

    async def five():
        tasks = [asyncio.create_task(batcher.submit(str(i))) for i in range(5)]
        await asyncio.sleep(0)  # every task has queued its text
        queued.set()
        return await asyncio.gather(*tasks)

    asyncio.run(five())
    assert model.batches == [["0", "1"], ["2", "3"], ["4"]]


def test_without_a_wait_a_lone_text_runs_at_once():
    model = Recording()
    batcher = MicroBatcher(forward_passes(model), max_wait_s=0.0)

    async def lone():
        started = asyncio.get_running_loop().time()
        await batcher.submit("x")
        return asyncio.get_running_loop().time() - started

    assert asyncio.run(lone()) < 0.1 and model.batches == [["x"]]
