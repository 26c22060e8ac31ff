"""Counter vectors: percentiles from histograms and group sums, against brute force."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.stats.metrics import LAST_BUCKET, bucket_value
from api.stats.vectors import (
    BUCKETS,
    FIELDS,
    INDEX,
    add_groups,
    figures,
    from_document,
    merged,
    pack_groups,
    percentiles,
    unpack_groups,
)

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

histograms = st.dictionaries(st.integers(0, LAST_BUCKET).map(str), st.integers(-2, 30), max_size=BUCKETS)
documents = st.fixed_dictionaries(
    {"received": st.integers(-5, 5), "backlog": st.integers(-3, 3), "ack_h": histograms, "resolve_h": histograms}
)


def dense(histogram: dict[str, int]) -> list[int]:
    return [histogram.get(str(i), 0) for i in range(BUCKETS)]


@given(st.lists(histograms, min_size=1, max_size=5), st.sampled_from([0.5, 0.9, 0.01, 1.0]))
def test_percentiles_are_the_nearest_rank_of_each_expanded_histogram(rows, q):
    expected = []
    for histogram in rows:
        values = sorted(int(k) for k, n in histogram.items() for _ in range(max(n, 0)))
        expected.append(round(bucket_value(values[max(1, math.ceil(q * len(values))) - 1]), 1) if values else None)
    assert percentiles(np.array([dense(h) for h in rows]), q) == expected


@given(documents)
def test_a_live_document_becomes_the_vector_of_its_fields(document):
    vector = from_document(document)
    assert vector[INDEX["received"]] == document["received"]
    assert [int(vector[INDEX[f"resolve_h.{i}"]]) for i in range(BUCKETS)] == dense(document["resolve_h"])
    assert int(np.abs(vector).sum()) == sum(
        abs(v)
        for v in [
            document["received"],
            document["backlog"],
            *document["ack_h"].values(),
            *document["resolve_h"].values(),
        ]
    )
    shown, overridden = figures([vector, vector], backlogs=[7, 8])
    assert shown["received"] == document["received"] and (shown["backlog"], overridden["backlog"]) == (7, 8)
    ack = np.array([dense(document["ack_h"])])
    assert [shown["acknowledge_median_s"], shown["acknowledge_p90_s"]] == percentiles(ack, 0.5) + percentiles(ack, 0.9)
    assert figures([vector])[0]["backlog"] == document["backlog"]


@given(st.lists(st.dictionaries(st.sampled_from("abc"), documents, max_size=3), max_size=6))
def test_adding_then_subtracting_groups_gives_back_the_start_and_packing_is_lossless(docs):
    start = {"a": from_document({"received": 3, "ack_h": {"2": 1}})}
    vectors = [unpack_groups(pack_groups({g: from_document(c) for g, c in doc.items()})) for doc in docs]
    total = merged([start, *vectors])
    for doc in vectors:
        total = add_groups(total, doc, -1)
    assert total["a"].tolist() == start["a"].tolist()
    assert all(not vector.any() for group, vector in total.items() if group != "a")
    assert start["a"].tolist() == [3 if f == "received" else 1 if f == "ack_h.2" else 0 for f in FIELDS]
