"""The one report write path: a change leaves exactly its audit record and one change record;
a lost race leaves nothing at all."""

import asyncio

import pytest
from bson import ObjectId
from pymongo.errors import DuplicateKeyError, OperationFailure

from api.audit.repository import AuditRepository
from api.auth import Principal
from api.errors import AppError
from api.reports.repository import ReportRepository
from api.reports.writer import Audited, IntakeGroups, NewReport, ReportEdit, ReportWriter
from core.db import utc_now
from tests.factories import file_report

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"
OFFICER = Principal(uid="officer-1", role="triage_officer")


def writer_of(client) -> ReportWriter:
    state = client.app.state
    return ReportWriter(state.client, ReportRepository(state.db), AuditRepository(state.db), state.report_changes)


def priority_edit(priority: str) -> ReportEdit:
    return ReportEdit(
        "priority", {"priority": priority, "updated_at": utc_now()}, audit=Audited("priority", {"to": priority})
    )


def test_a_change_writes_its_audit_record_and_exactly_one_change_record(client, sync_db):
    report = sync_db.reports.find_one({"_id": ObjectId(file_report(client, POTHOLE)["id"])})
    changes_before = sync_db.report_changes.count_documents({"report_id": report["_id"]})

    updated = client.portal.call(
        lambda: writer_of(client).update(
            report, priority_edit("urgent"), actor=OFFICER, at=utc_now(), expected_version=report["version"]
        )
    )

    assert updated["version"] == report["version"] + 1 and updated["priority"] == "urgent"
    assert sync_db.report_changes.count_documents({"report_id": report["_id"]}) == changes_before + 1
    assert sync_db.report_changes.count_documents({"report_id": report["_id"], "kind": "priority"}) == 1
    audit = sync_db.audit_log.find_one({"report_id": report["_id"], "action": "priority"})
    assert audit["actor_uid"] == OFFICER.uid and audit["actor_role"] == OFFICER.role and audit["to"] == "urgent"


def test_a_lost_race_raises_and_leaves_no_trace(client, sync_db):
    report = sync_db.reports.find_one({"_id": ObjectId(file_report(client, POTHOLE)["id"])})
    writer = writer_of(client)
    client.portal.call(
        lambda: writer.update(
            report, priority_edit("urgent"), actor=OFFICER, at=utc_now(), expected_version=report["version"]
        )
    )
    counts = (sync_db.report_changes.count_documents({}), sync_db.audit_log.count_documents({}))

    with pytest.raises(AppError) as refused:  # the same stale version again: someone else's write won
        client.portal.call(
            lambda: writer.update(
                report, priority_edit("normal"), actor=OFFICER, at=utc_now(), expected_version=report["version"]
            )
        )

    assert (refused.value.status, refused.value.key) == (412, "precondition_failed")
    assert (sync_db.report_changes.count_documents({}), sync_db.audit_log.count_documents({})) == counts
    assert sync_db.reports.find_one({"_id": report["_id"]})["priority"] == "urgent"


def test_of_concurrent_changes_at_one_version_exactly_one_wins(client, sync_db):
    """Eight officers holding the same ETag at once: one change lands, seven are 412 and leave no trace."""
    report = sync_db.reports.find_one({"_id": ObjectId(file_report(client, POTHOLE)["id"])})
    writer = writer_of(client)
    changes_before = sync_db.report_changes.count_documents({})

    async def attempt(priority: str) -> str:
        try:
            await writer.update(
                report, priority_edit(priority), actor=OFFICER, at=utc_now(), expected_version=report["version"]
            )
        except AppError as refused:
            return str(refused.status)
        return priority

    async def race() -> list[str]:
        return await asyncio.gather(*(attempt(f"p{i}") for i in range(8)))

    outcomes = client.portal.call(race)
    winners = [outcome for outcome in outcomes if outcome != "412"]
    assert len(winners) == 1, outcomes
    stored = sync_db.reports.find_one({"_id": report["_id"]})
    assert stored["version"] == report["version"] + 1 and stored["priority"] == winners[0]
    assert sync_db.report_changes.count_documents({}) == changes_before + 1
    assert sync_db.audit_log.count_documents({"report_id": report["_id"], "action": "priority"}) == 1


def test_an_edit_without_a_kind_publishes_nothing(client, sync_db):
    """Internal notes: staff-only, so no push and no statistic hears of them; the version still moves."""
    report = sync_db.reports.find_one({"_id": ObjectId(file_report(client, POTHOLE)["id"])})
    changes_before = sync_db.report_changes.count_documents({})
    note = {"at": utc_now(), "by_uid": OFFICER.uid, "by_role": OFFICER.role, "text": "x", "visibility": "internal"}

    updated = client.portal.call(
        lambda: writer_of(client).update(
            report,
            ReportEdit(None, {"updated_at": note["at"]}, {"notes": note}),
            actor=OFFICER,
            at=note["at"],
            expected_version=None,
        )
    )

    assert updated["version"] == report["version"] + 1
    assert sync_db.report_changes.count_documents({}) == changes_before


def new_reports(client, sync_db, count: int) -> list[NewReport]:
    """Copies of a filed report under new ids and codes: what intake hands the writer."""
    filed = sync_db.reports.find_one({"_id": ObjectId(file_report(client, POTHOLE)["id"])})
    reports = [{**filed, "_id": ObjectId(), "code": f"{filed['code']}-{n}"} for n in range(count)]
    return [NewReport(report, utc_now()) for report in reports]


def create_concurrently(client, groups: IntakeGroups, news: list[NewReport]) -> list[BaseException | None]:
    async def all_at_once() -> list[BaseException | None]:
        return list(await asyncio.gather(*(groups.create(new) for new in news), return_exceptions=True))

    return client.portal.call(all_at_once)


def stored(sync_db, news: list[NewReport]) -> tuple[int, int]:
    """(reports, their change records) in the database of these new reports."""
    ids = [new.report["_id"] for new in news]
    return (
        sync_db.reports.count_documents({"_id": {"$in": ids}}),
        sync_db.report_changes.count_documents({"report_id": {"$in": ids}, "kind": "received"}),
    )


def test_concurrent_new_reports_share_transactions_and_each_is_written_once(client, sync_db):
    news = new_reports(client, sync_db, 7)
    groups = IntakeGroups(writer_of(client), max_group=4)

    assert create_concurrently(client, groups, news) == [None] * 7

    assert stored(sync_db, news) == (7, 7)
    assert sum(groups.group_sizes) == 7 and max(groups.group_sizes) > 1 and max(groups.group_sizes) <= 4


def test_a_refused_report_fails_alone_and_its_group_is_written(client, sync_db):
    """A code already taken (as a replayed idempotency key would be): only that report is refused."""
    news = new_reports(client, sync_db, 5)
    taken = sync_db.reports.find_one({}, sort=[("_id", 1)])["code"]
    refused = NewReport({**news[2].report, "code": taken}, news[2].at)
    news[2] = refused
    groups = IntakeGroups(writer_of(client), max_group=8)

    answers = create_concurrently(client, groups, news)

    assert [type(a) for a in answers] == [type(None)] * 2 + [DuplicateKeyError] + [type(None)] * 2
    assert stored(sync_db, news) == (4, 4)
    assert stored(sync_db, [refused]) == (0, 0)  # nothing of it was half-written
    assert groups.group_sizes[0] == 5  # they were one group before the refusal split it


def test_a_database_failure_fails_the_whole_group_and_writes_nothing(client, sync_db, arm_commit_failure):
    news = new_reports(client, sync_db, 3)
    groups = IntakeGroups(writer_of(client), max_group=8)
    arm_commit_failure()

    answers = create_concurrently(client, groups, news)

    assert all(isinstance(a, OperationFailure) for a in answers), answers
    assert stored(sync_db, news) == (0, 0)
