"""Following ("me too") and merging: one problem, one report, everyone who cares informed.

A merge closes the duplicate with a pointer to the surviving report and moves its author
and followers onto the survivor's followers, in one transaction with the audit record,
so nobody who reported the problem stops hearing about it.
"""

from typing import Any

from bson import ObjectId

from api.auth import Principal
from api.domain import OPEN_STATUSES
from api.duplicates.finder import DuplicateFinder
from api.duplicates.repository import FollowerRepository
from api.errors import Conflict, Unprocessable
from api.reports.access import ReportNotFound, can_see, load_handled, load_visible
from api.reports.repository import ReportRepository
from api.reports.writer import Audited, ReportEdit, ReportWriter, require_version
from core.db import TransactionWrites, utc_now
from core.documents import Report, ReportPointer, StatusEntry


class FollowService:
    def __init__(self, repo: ReportRepository, writer: ReportWriter, followers: FollowerRepository) -> None:
        self._repo = repo
        self._writer = writer
        self._followers = followers

    async def follow(self, principal: Principal, report_id: ObjectId) -> dict[str, Any]:
        """Any resident may follow an open public report they were shown; they learn its code and status only."""
        report = await self._repo.get(report_id)
        if report is None or (report.get("visibility") == "private" and report["resident_uid"] != principal.uid):
            raise ReportNotFound()
        if report["status"] not in OPEN_STATUSES:
            raise Conflict("report_not_open")
        if report["resident_uid"] != principal.uid:  # the author hears about it anyway
            await self._followers.add(report_id, [principal.uid], "follow", utc_now())
        return await self._state(report, following=True)

    async def unfollow(self, principal: Principal, report_id: ObjectId) -> dict[str, Any]:
        report = await self._repo.get(report_id)
        if report is None:
            raise ReportNotFound()
        await self._followers.remove(report_id, principal.uid)
        return await self._state(report, following=False)

    async def _state(self, report: Report, following: bool) -> dict[str, Any]:
        return {
            "report_id": str(report["_id"]),
            "code": report["code"],
            "status": report["status"],
            "following": following,
            "followers": await self._followers.count(report["_id"]),
        }

    async def merge(
        self,
        principal: Principal,
        source_id: ObjectId,
        target_id: ObjectId,
        expected_version: int,
        public_note: str | None,
    ) -> Report:
        if source_id == target_id:
            raise Unprocessable("merge_into_self")
        source = await load_handled(self._repo, principal, source_id)
        target = await load_visible(self._repo, principal, target_id)
        require_version(source, expected_version)
        if source["status"] not in OPEN_STATUSES or target["status"] not in OPEN_STATUSES:
            raise Conflict("report_not_open")
        now = utc_now()
        pointer: ReportPointer = {"id": str(target_id), "code": target["code"]}
        entry: StatusEntry = {
            "status": "closed",
            "from": source["status"],
            "at": now,
            "by_uid": principal.uid,
            "by_role": principal.role,
            "public_note": public_note,
            "internal_note": None,
            "merged_into": pointer,
        }
        fields = {"status": "closed", "merged_into": pointer, "due_at": None, "overdue": False, "updated_at": now}

        async def move_followers(_: Report, writes: TransactionWrites) -> None:
            moving = [source["resident_uid"], *await self._followers.uids(source_id, writes.session)]
            await self._followers.add(
                target_id, [uid for uid in moving if uid != target["resident_uid"]], "merge", now, writes.session
            )

        edit = ReportEdit(
            "merge",
            fields,
            {"status_history": entry},
            public_note=public_note,
            also=move_followers,
            audit=Audited("merge", {"from": source["status"], "to": "closed", "into": target_id}),
        )
        return await self._writer.update(source, edit, actor=principal, at=now, expected_version=expected_version)


async def duplicates_of(finder: DuplicateFinder, principal: Principal, report: Report) -> list[dict[str, Any]]:
    """Open reports a filed one may repeat (what the triage screen offers to merge into): the
    intake rules, without the report itself and without what this caller may not see."""
    lng, lat = report["location"]["coordinates"]

    def keep(candidate: dict[str, Any]) -> bool:
        return candidate["_id"] != report["_id"] and can_see(principal, candidate)

    return await finder.possible_duplicates(report.get("category"), lng, lat, report["description"], utc_now(), keep)
