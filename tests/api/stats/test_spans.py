"""The block layout that bounds a prefix: exact cover of the month's first days in at most four documents."""

from datetime import date, timedelta

from api.stats.spans import block_end, blocks_to, intervals, is_whole, month_blocks, month_end


def test_blocks_cover_each_day_of_a_month_exactly_in_at_most_four_aligned_blocks():
    for month in (date(2024, 2, 1), date(2025, 2, 1), date(2026, 4, 1), date(2026, 12, 1)):
        needed = month_blocks(month)
        day = month
        while day < month_end(month):
            blocks = blocks_to(day)
            covered = [b[0] + timedelta(days=n) for b in blocks for n in range(b[1])]
            assert covered == [month + timedelta(days=n) for n in range(day.day)]
            assert len(blocks) <= 4
            assert all((b[0].day - 1) % b[1] == 0 for b in blocks)  # aligned: shared by every later day
            assert set(blocks) <= needed
            day += timedelta(days=1)
        assert all(block_end(b) < month_end(month) for b in needed)
        assert len(needed) == month_end(month).day - 1  # as many block documents as days before the month end
    assert max(len(blocks_to(date(2026, 1, d))) for d in range(1, 31)) == 4


def test_trend_points_cut_at_the_range_and_know_whole_weeks_and_months():
    points = intervals(date(2026, 11, 4), date(2026, 12, 2), "week")  # a Wednesday to a Wednesday
    assert points[0] == (date(2026, 11, 4), date(2026, 11, 8)) and points[-1] == (date(2026, 11, 30), date(2026, 12, 2))
    assert [is_whole(s, e, "week") for s, e in points] == [False, True, True, True, False]
    months = intervals(date(2026, 1, 1), date(2026, 3, 15), "month")
    assert months == [
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 15)),
    ]
    assert [is_whole(s, e, "month") for s, e in months] == [True, True, False]
    assert not is_whole(date(2026, 1, 1), date(2026, 1, 1), "day")
