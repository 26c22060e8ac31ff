"""Rollups as stored, and as recomputed from scratch from the stored reports (for comparisons)."""

from typing import Any

from api.stats.metrics import (
    by_document,
    change_increments,
    city_day,
    nested,
    new_increments,
    record_increments,
    without_zeros,
)
from api.stats.replay import replay
from api.stats.repository import rollup_id


def _drop_zeros(counters: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for field, value in counters.items():
        value = _drop_zeros(value) if isinstance(value, dict) else value
        if value:
            out[field] = value
    return out


def _add(total: dict[str, Any], counters: dict[str, Any]) -> None:
    for field, value in counters.items():
        if isinstance(value, dict):
            _add(total.setdefault(field, {}), value)
        else:
            total[field] = total.get(field, 0) + value


def stored_rollups(sync_db) -> dict[str, dict[str, Any]]:
    """(day, dimension, group) -> counters, the city-wide shards summed."""
    stored: dict[str, dict[str, Any]] = {}
    for doc in sync_db.stats_rollups.find():
        _add(stored.setdefault(rollup_id(doc["day"], doc["dim"], doc["group"]), {}), doc["c"])
    cleaned = {key: _drop_zeros(counters) for key, counters in stored.items()}
    return {key: counters for key, counters in cleaned.items() if counters}


def recomputed_rollups(sync_db) -> dict[str, dict[str, Any]]:
    increments = new_increments()
    for report in sync_db.reports.find():
        for kind, before, after, at, stars in replay(report):
            by_document(city_day(at), change_increments(kind, before, after, at, stars), increments)
    return {rollup_id(*key): nested(fields) for key, fields in without_zeros(increments).items()}


def applied_rollups(sync_db) -> dict[str, dict[str, Any]]:
    """What the change-log records already applied add up to (what the rollups hold mid-way)."""
    increments = new_increments()
    for record in sync_db.report_changes.find({"stats_due": {"$exists": False}}):
        by_document(
            city_day(record["at"]), record_increments(record["kind"], record["at"], record["stats"]), increments
        )
    return {rollup_id(*key): nested(fields) for key, fields in without_zeros(increments).items()}
