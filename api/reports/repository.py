"""Every MongoDB query of the reports feature, and the indexes that serve them."""

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase

from core.db import TransactionWrites, increment
from core.documents import Report, ReportPush

REPORTS = "reports"
COUNTERS = "counters"
# what the duplicate finder checks of a candidate, and shows of it
CANDIDATE_FIELDS = {
    "code": 1,
    "status": 1,
    "description": 1,
    "category": 1,
    "location": 1,
    "created_at": 1,
    "agency": 1,
    "visibility": 1,
    "supervisors": 1,  # ``can_see`` for staff of a body the candidate was escalated or appealed to
}


class ReportRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._reports = db[REPORTS]
        self._counters = db[COUNTERS]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        reports = db[REPORTS]
        await reports.create_index([("code", ASCENDING)], unique=True)
        await reports.create_index([("resident_uid", ASCENDING), ("_id", DESCENDING)])
        # triage queues: an agency's (or the whole city's) open reports by deadline or by age
        for name, scope in (("agency", [("agency", ASCENDING)]), ("city", [])):
            await reports.create_index(
                [*scope, ("status", ASCENDING), ("due_at", ASCENDING), ("_id", ASCENDING)], name=f"queue_{name}_due"
            )
            await reports.create_index([*scope, ("status", ASCENDING), ("_id", ASCENDING)], name=f"queue_{name}_age")
        await reports.create_index(
            [("overdue", ASCENDING), ("due_at", ASCENDING), ("_id", ASCENDING)], name="queue_overdue"
        )
        # escalation job: overdue reports whose next escalation is due (the clock stops with the flag)
        await reports.create_index([("overdue", ASCENDING), ("escalate_at", ASCENDING)], name="escalation_due")
        # a supervising body's list: reports escalated or appealed to it (multikey), oldest first
        await reports.create_index([("supervisors", ASCENDING), ("_id", ASCENDING)], name="supervised")
        # No 2dsphere index on ``location``: no query uses one (duplicates and maps go by grid
        # cell, since SecantusDB's geo queries scan), and it cost every intake ~1.5 ms of a
        # ~5.7 ms insert on SecantusDB. Dropped where an earlier version created it.
        if "location_2dsphere" in await reports.index_information():
            await reports.drop_index("location_2dsphere")
        # duplicates at intake: same category, same or neighbouring ~100 m grid cell
        await reports.create_index(
            [("category", ASCENDING), ("geo_cell", ASCENDING), ("created_at", DESCENDING)], name="duplicates"
        )
        # the nearby map: public reports in a set of fine (~100 m) or area (~1.1 km) cells, newest first
        for name, cell in (("nearby_fine", "geo_cell"), ("nearby_area", "area_cell")):
            await reports.create_index([("visibility", ASCENDING), (cell, ASCENDING), ("_id", DESCENDING)], name=name)
        # reports filed before visibility existed were public: say so, so the indexes above hold them
        # (an equality on null is served by the index: nothing is scanned once they are all marked)
        await reports.update_many({"visibility": None}, {"$set": {"visibility": "public"}})
        # statistics rebuild: every report filed before a day
        await reports.create_index([("created_at", ASCENDING)], name="filed")
        # set only while a report sits in `resolved`: this index never competes with the queues'
        await reports.create_index([("resolved_open_since", ASCENDING)], name="auto_close")
        # Open311 listings: reports of one status (and category) filed in a date range
        await reports.create_index([("status", ASCENDING), ("created_at", DESCENDING)], name="listing_status")
        await reports.create_index(
            [("category", ASCENDING), ("status", ASCENDING), ("created_at", DESCENDING)], name="listing_category"
        )

    async def reserve_sequence(self, name: str, count: int) -> int:
        """Reserve ``count`` consecutive numbers of a counter; returns the last one reserved.

        Outside any transaction, so concurrent intakes never conflict on the counter document.
        """
        return await increment(self._counters, name, "value", count)

    def insert(self, report: Report, writes: TransactionWrites) -> None:
        writes.insert(self._reports, report)

    async def update_versioned(
        self,
        report_id: ObjectId,
        expected_version: int | None,
        fields: dict[str, Any],
        push: ReportPush | None = None,
        session: AsyncClientSession | None = None,
        condition: dict[str, Any] | None = None,
        known: Report | None = None,
    ) -> Report | None:
        """Compare-and-set: None when the version (or ``condition``) no longer holds.

        Every change bumps the version, so an ETag a client holds goes stale the moment
        anything it shows changes. ``expected_version=None`` is for additive changes (a note)
        that cannot lose anyone's update. ``known``: the report as the caller read it; at the
        expected version it is exactly what an update conditioned on that version changes, so
        the whole report is not read again (1.9 ms of SecantusDB's CPU a report in the storm).

        In a transaction, only the version is read (by ``_id``) and the report written by ``_id``
        alone (``write_read``): SecantusDB serves an update filtered on ``_id`` alone by a direct
        lookup, while ``_id`` plus ``version`` goes through its index planner, which costs ~3.5 ms
        more on this collection's 17 indexes (10.9 against 7.1 ms an update, a read 0.9 ms).
        """
        query: dict[str, Any] = {"_id": report_id, **(condition or {})}
        if expected_version is not None:
            query["version"] = expected_version
            if known is not None and known.get("version") == expected_version:
                if condition is None and session is not None and session.in_transaction:
                    current = await self._reports.find_one({"_id": report_id}, {"version": 1}, session=session)
                    if current is None or current.get("version") != expected_version:
                        return None
                    return await self.write_read(known, fields, push, session)
                return await self._apply(known, query, fields, push, session)
        return await self.claim_one(query, fields, push, session)

    async def write_read(
        self, before: Report, fields: dict[str, Any], push: ReportPush | None, session: AsyncClientSession
    ) -> Report | None:
        """Change a report this transaction has read as ``before``, by ``_id`` alone: a change
        committed since the transaction's snapshot makes this write conflict, and the transaction
        is retried from its first read (MongoDB and SecantusDB alike), so nothing is overwritten
        unseen."""
        return await self._apply(before, {"_id": before["_id"]}, fields, push, session)

    async def claim_one(
        self,
        query: dict[str, Any],
        fields: dict[str, Any],
        push: ReportPush | None = None,
        session: AsyncClientSession | None = None,
    ) -> Report | None:
        """Atomically change one report still matching ``query`` (jobs: two workers never both win)."""
        changed = await self.claim_one_before(query, fields, push, session)
        return None if changed is None else changed[1]

    async def first_matching(self, query: dict[str, Any], session: AsyncClientSession) -> Report | None:
        """One report matching an index-served job query (jobs that compute the change from the report)."""
        return await self._reports.find_one(query, session=session)

    async def claim_one_before(
        self,
        query: dict[str, Any],
        fields: dict[str, Any],
        push: ReportPush | None,
        session: AsyncClientSession | None,
    ) -> tuple[Report, Report] | None:
        """Like ``claim_one``, returning the report before and after the change (for change listeners).

        A read, then an update conditioned on the version read, rather than one ``findAndModify``:
        SecantusDB serves ``findAndModify``'s write by scanning the whole collection (its write filter
        wraps the query in ``$and``, which no index serves: 235 ms a call at 10 000 reports, against
        about 1 ms for each of these two index-served commands). Every change bumps the version, so
        an update that matches changed exactly the report that was read; one that does not lost a race.
        """
        before = await self._reports.find_one(query, session=session)
        if before is None:
            return None
        if session is not None and session.in_transaction:
            after = await self.write_read(cast(Report, before), fields, push, session)
        else:
            unchanged = {"_id": before["_id"], "version": before.get("version", {"$exists": False})}
            after = await self._apply(cast(Report, before), unchanged, fields, push, session)
        return None if after is None else (cast(Report, before), after)

    async def _apply(
        self,
        before: Report,
        where: dict[str, Any],
        fields: dict[str, Any],
        push: ReportPush | None,
        session: AsyncClientSession | None,
    ) -> Report | None:
        """Update the report ``where`` says is still ``before``; the report after, or None if it is not."""
        update: dict[str, Any] = {"$set": fields, "$inc": {"version": 1}}
        if push:
            update["$push"] = push
        if (await self._reports.update_one(where, update, session=session)).matched_count == 0:
            return None
        after: dict[str, Any] = {**before, **fields, "version": before.get("version", 1) + 1}
        for key, value in (push or {}).items():
            after[key] = [*after.get(key, []), value]
        # the update applied in memory names its fields at run time: a cast, not a check
        return cast(Report, after)

    async def in_cells(self, category: str, cells: list[int], limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` reports of a category in these grid cells (index ``duplicates``).

        Only equality fields in the query: SecantusDB's planner scans the whole index for a
        2dsphere query (165 ms at 3 000 reports, measured) and for a date range after an
        ``$in``, so recency, status and exact distance are checked by the caller. MongoDB
        serves the sort by merging the per-cell index ranges.
        """
        cursor = self._reports.find({"category": category, "geo_cell": {"$in": cells}}, CANDIDATE_FIELDS)
        return await cursor.sort("created_at", DESCENDING).limit(limit).to_list()

    async def in_cells_since(
        self, category: str, cells: list[int], since: datetime, limit: int
    ) -> list[dict[str, Any]]:
        """The newest ``limit`` reports of a category in these cells filed since ``since``.

        One query per cell: an equality and a date range, which SecantusDB bounds by the index
        (``in_cells`` reads every entry of the cells: see ``api.duplicates.finder.HotCells``).
        """
        per_cell = await asyncio.gather(
            *(
                self._reports.find(
                    {"category": category, "geo_cell": cell, "created_at": {"$gte": since}}, CANDIDATE_FIELDS
                )
                .sort("created_at", DESCENDING)
                .limit(limit)
                .to_list()
                for cell in cells
            )
        )
        return sorted((r for found in per_cell for r in found), key=lambda r: r["created_at"], reverse=True)[:limit]

    async def public_in_cells(
        self,
        field: str,
        cells: list[int],
        newer_than: ObjectId,
        older_than: ObjectId | None,
        projection: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """Public reports in these cells (``field``: ``geo_cell`` or ``area_cell``) filed in a window of ids.

        One query per cell, equalities on index ``nearby_fine``/``nearby_area`` plus a range on its
        ``_id``, run concurrently: SecantusDB fetches every match of a query before applying a
        sort or a limit (and scans the index for a range after an ``$in``), so the caller keeps
        each query small with a time window instead (bench/nearby.py measures both).
        """
        window: dict[str, Any] = {"$gte": newer_than, **({"$lt": older_than} if older_than is not None else {})}

        async def one(cell: int) -> list[dict[str, Any]]:
            return await self._reports.find({"visibility": "public", field: cell, "_id": window}, projection).to_list()

        return [doc for docs in await asyncio.gather(*(one(cell) for cell in cells)) for doc in docs]

    async def queue(
        self, query: dict[str, Any], sort: list[tuple[str, int]], keep: Callable[[Report], bool], limit: int
    ) -> list[Report]:
        """Up to ``limit`` reports of an index-served queue query that ``keep`` accepts, in order."""
        page: list[Report] = []
        async for doc in self._reports.find(query).sort(sort).batch_size(max(limit, 100)):
            if keep(doc):
                page.append(doc)
                if len(page) >= limit:
                    break
        return page

    async def explain_queue(self, query: dict[str, Any], sort: list[tuple[str, int]]) -> dict[str, Any]:
        return await self._reports.find(query).sort(sort).explain()

    async def count_overdue(self, agency: str | None = None, open_statuses: tuple[str, ...] = ()) -> int:
        """Open reports flagged past their due date: city-wide a prefix of the ``queue_overdue``
        index; one agency's from its open reports in ``queue_agency_age`` (then the flag is read)."""
        if agency is None:
            return await self._reports.count_documents({"overdue": True})
        return await self._reports.count_documents(
            {"agency": agency, "status": {"$in": list(open_statuses)}, "overdue": True}
        )

    async def count_by_status(self, agency: str | None, statuses: tuple[str, ...]) -> dict[str, int]:
        """Reports per status, one count per status on an index prefix (``queue_agency_age`` or
        ``queue_city_age``): counted in the index, no document read."""
        scope = {"agency": agency} if agency is not None else {}
        return {status: await self._reports.count_documents({**scope, "status": status}) for status in statuses}

    async def first_filed(self) -> datetime | None:
        """When the oldest report was filed (index ``filed``)."""
        doc = await self._reports.find_one({}, {"created_at": 1}, sort=[("created_at", ASCENDING)])
        return None if doc is None else doc["created_at"]

    def for_statistics(self, filed_from: datetime, filed_before: datetime) -> AsyncCursor:
        """Reports filed in a window, with what a statistics replay reads (index ``filed``).

        Callers walk history window by window: short cursors, bounded server memory.
        """
        projection = {
            "status": 1,
            "status_history": 1,
            "created_at": 1,
            "agency": 1,
            "category": 1,
            "ward": 1,
            "rating": 1,
            "overdue_marks": 1,
            "escalations": 1,
            "appeal": 1,
        }
        return self._reports.find({"created_at": {"$gte": filed_from, "$lt": filed_before}}, projection).batch_size(
            1000
        )

    async def get(self, report_id: ObjectId) -> Report | None:
        return await self._reports.find_one({"_id": report_id})

    async def exists(self, report_id: ObjectId) -> bool:
        return await self._reports.find_one({"_id": report_id}, {"_id": 1}) is not None

    async def attachment_ids(self, report_id: ObjectId) -> set[str]:
        """The staff attachments a committed change of this report uses (empty: none, or no report)."""
        doc = await self._reports.find_one({"_id": report_id}, {"attachment_ids": 1})
        return set((doc or {}).get("attachment_ids", []))

    async def created_between(
        self,
        filters: list[dict[str, Any]],
        start: datetime,
        end: datetime,
        limit: int,
        projection: dict[str, Any],
        keep: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """The newest ``limit`` reports filed in [start, end) matching any of ``filters`` (and ``keep``).

        One query per filter, each equalities on the prefix of ``listing_status`` or
        ``listing_category`` plus the date range (SecantusDB scans a whole index for a range
        after an ``$in``, and a collection for a field outside the index), so the caller
        spells an ``$in`` out as separate filters and checks other fields with ``keep``.
        """
        found: dict[ObjectId, dict[str, Any]] = {}
        for equalities in filters:
            query = {**equalities, "created_at": {"$gte": start, "$lt": end}}
            kept = 0
            async for doc in self._reports.find(query, projection).sort("created_at", DESCENDING).batch_size(limit):
                if keep is None or keep(doc):
                    found[doc["_id"]] = doc
                    kept += 1
                    if kept >= limit:
                        break
        return sorted(found.values(), key=lambda doc: (doc["created_at"], doc["_id"]), reverse=True)[:limit]

    async def by_codes(self, codes: list[str], projection: dict[str, Any]) -> list[dict[str, Any]]:
        return await self._reports.find({"code": {"$in": codes}}, projection).to_list()

    async def list_for_resident(self, uid: str, before: ObjectId | None, limit: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"resident_uid": uid}
        if before is not None:
            query["_id"] = {"$lt": before}
        projection = {"code": 1, "status": 1, "description": 1, "ward": 1, "photos": {"$slice": 1}, "created_at": 1}
        cursor = self._reports.find(query, projection).sort("_id", DESCENDING).limit(limit)
        return [doc async for doc in cursor]
