"""Micro-batched classification gives each report its own prediction (real shipped model)."""

import asyncio

import pytest

from api.reports.classification import MicroBatcher
from classifiers.loader import load_classifier

TEXTS = ["Ổ gà rất to giữa đường", "karaoke hát đến 2h sáng", "mat nuoc ca ngay hom nay", "Cây đổ chắn ngang đường",
         "Rác thải chất đống đầu ngõ", "streetlight has been off for a week", "Cho hỏi thủ tục làm sổ đỏ"] * 5


def test_concurrent_predictions_match_one_by_one():
    classifier = load_classifier(None)
    expected = [classifier.predict([text])[0] for text in TEXTS]
    batcher = MicroBatcher(classifier, max_batch=8)

    async def all_at_once():
        return await asyncio.gather(*[batcher.predict(text) for text in TEXTS])

    got = asyncio.run(all_at_once())
    assert [p.category for p in got] == [p.category for p in expected]
    assert [p.confidence for p in got] == pytest.approx([p.confidence for p in expected], abs=1e-4)


def test_a_failing_model_fails_every_waiter_without_hanging():
    class Broken:
        model_version, labels, threshold = "broken", [], 0.5

        def predict(self, texts):
            raise RuntimeError("model crashed")

    batcher = MicroBatcher(Broken())

    async def two():
        return await asyncio.gather(batcher.predict("a"), batcher.predict("b"), return_exceptions=True)

    results = asyncio.run(asyncio.wait_for(two(), timeout=10))
    assert all(isinstance(r, RuntimeError) for r in results)
