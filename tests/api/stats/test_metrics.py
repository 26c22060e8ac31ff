"""Pure counter arithmetic: percentiles from histograms and counter sums, against brute force."""

import math

from hypothesis import given, strategies as st

from api.stats.metrics import LAST_BUCKET, add_counters, bucket_value, percentiles

histograms = st.dictionaries(st.integers(0, LAST_BUCKET).map(str), st.integers(-2, 30), max_size=LAST_BUCKET + 1)


@given(histograms)
def test_percentiles_are_the_nearest_rank_of_the_expanded_histogram(histogram):
    values = sorted(int(k) for k, n in histogram.items() for _ in range(max(n, 0)))
    expected = [round(bucket_value(values[max(1, math.ceil(q * len(values))) - 1]), 1) if values else None
                for q in (0.5, 0.9)]
    assert percentiles(histogram, (0.5, 0.9)) == expected


@given(st.lists(st.fixed_dictionaries({"received": st.integers(-5, 5), "ack_h": histograms}), max_size=6))
def test_adding_then_subtracting_counters_gives_back_the_start(documents):
    start = {"received": 3, "ack_h": {"2": 1}}
    total = add_counters({}, start)
    for doc in documents:
        add_counters(total, doc)
    for doc in documents:
        add_counters(total, doc, -1)
    assert total["received"] == 3
    assert {k: n for k, n in total["ack_h"].items() if n} == {"2": 1}
    assert start == {"received": 3, "ack_h": {"2": 1}}  # the source was not modified
