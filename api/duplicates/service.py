"""Following ("me too") and merging: one problem, one report, everyone who cares informed.

A merge closes the duplicate with a pointer to the surviving report and moves its author
and followers onto the survivor's followers, in one transaction with the audit record,
so nobody who reported the problem stops hearing about it.
"""

from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient

from api.audit.repository import AuditRepository
from api.auth import Principal
from api.changes import ReportChange, ReportChanges
from api.db import run_in_transaction, utc_now
from api.duplicates.repository import FollowerRepository
from api.errors import AppError
from api.reports.repository import ReportRepository
from api.reports.service import ReportService
from api.triage.workflow import OPEN_STATUSES


class FollowService:
    def __init__(self, client: AsyncMongoClient, reports: ReportService, repo: ReportRepository,
                 followers: FollowerRepository, audit: AuditRepository, changes: ReportChanges) -> None:
        self._client = client
        self._changes = changes
        self._reports = reports
        self._repo = repo
        self._followers = followers
        self._audit = audit

    async def follow(self, principal: Principal, report_id: ObjectId) -> dict[str, Any]:
        """Any resident may follow an open report they were shown; they learn its code and status only."""
        report = await self._repo.get(report_id)
        if report is None:
            raise AppError(404, "report_not_found")
        if report["status"] not in OPEN_STATUSES:
            raise AppError(409, "report_not_open")
        if report["resident_uid"] != principal.uid:  # the author hears about it anyway
            await self._followers.add(report_id, [principal.uid], "follow", utc_now())
        return await self._state(report, following=True)

    async def unfollow(self, principal: Principal, report_id: ObjectId) -> dict[str, Any]:
        report = await self._repo.get(report_id)
        if report is None:
            raise AppError(404, "report_not_found")
        await self._followers.remove(report_id, principal.uid)
        return await self._state(report, following=False)

    async def _state(self, report: dict[str, Any], following: bool) -> dict[str, Any]:
        return {"report_id": str(report["_id"]), "code": report["code"], "status": report["status"],
                "following": following, "followers": await self._followers.count(report["_id"])}

    async def merge(self, principal: Principal, source_id: ObjectId, target_id: ObjectId, expected_version: int,
                    public_note: str | None) -> dict[str, Any]:
        if source_id == target_id:
            raise AppError(422, "merge_into_self")
        source = await self._reports.get_visible(principal, source_id)
        target = await self._reports.get_visible(principal, target_id)
        if source["version"] != expected_version:
            raise AppError(412, "precondition_failed")
        if source["status"] not in OPEN_STATUSES or target["status"] not in OPEN_STATUSES:
            raise AppError(409, "report_not_open")
        now = utc_now()
        pointer = {"id": str(target_id), "code": target["code"]}
        entry = {"status": "closed", "from": source["status"], "at": now, "by_uid": principal.uid,
                 "by_role": principal.role, "public_note": public_note, "internal_note": None, "merged_into": pointer}

        async def write(session: Any) -> dict[str, Any] | None:
            fields = {"status": "closed", "merged_into": pointer, "due_at": None, "overdue": False, "updated_at": now}
            updated = await self._repo.update_versioned(source_id, expected_version, fields,
                                                        {"status_history": entry}, session)
            if updated is None:
                return None
            moving = [source["resident_uid"], *await self._followers.uids(source_id, session)]
            await self._followers.add(target_id, [uid for uid in moving if uid != target["resident_uid"]], "merge",
                                      now, session)
            await self._audit.record(source_id, "merge", principal.uid, principal.role, now,
                                     {"from": source["status"], "to": "closed", "into": target_id}, session)
            await self._changes.publish(ReportChange("merge", source, updated, now, public_note), session)
            return updated

        updated = await run_in_transaction(self._client, write)
        if updated is None:
            raise AppError(412, "precondition_failed")
        return updated
