"""Escalation up the supervision chain: once per missed deadline, in working time, to the right body."""

import asyncio
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from api.triage.supervision import SupervisionChain
from api.worker import standard_jobs
from classifiers.routing.taxonomy import Taxonomy
from core.db import make_client
from core.settings import ROUTING_DATA
from tests.factories import file_report, move_status, staff_headers

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"
HANDLER, SUPERVISOR, TOP = "urenco", "construction_dept", "city_leadership"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=HANOI)


def run(client, job: str, now: datetime) -> int:
    return client.portal.call(client.app.state.worker.jobs[job], now)


def late_report(client, sync_db, due: datetime) -> dict:
    """A report handled by URENCO whose acknowledge deadline is ``due``."""
    report = file_report(client, POTHOLE)
    sync_db.reports.update_one(
        {"code": report["code"]}, {"$set": {"agency": HANDLER, "due_at": due, "due_acknowledge_at": due}}
    )
    return report


def escalate(client, now: datetime) -> int:
    run(client, "overdue", now)
    return run(client, "escalate", now)


def test_the_hanoi_chain_reaches_the_city_from_every_agency():
    chain = SupervisionChain.load(ROUTING_DATA / "supervision.json", Taxonomy.load(ROUTING_DATA / "taxonomy.json"))
    assert chain.supervisor_of("ward:00070") == "citizen_center"
    assert [chain.supervisor_of(b) for b in ("urenco", "construction_dept", "traffic_police", TOP)] == [
        SUPERVISOR,
        TOP,
        "police",
        None,
    ]


def test_a_chain_that_loops_is_refused_at_start_up(tmp_path):
    raw = json.loads((ROUTING_DATA / "supervision.json").read_text(encoding="utf-8"))
    raw["supervisors"]["construction_dept"] = "urenco"
    (tmp_path / "loop.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="never reaches"):
        SupervisionChain.load(tmp_path / "loop.json", Taxonomy.load(ROUTING_DATA / "taxonomy.json"))


def test_twice_overdue_escalates_twice_in_working_time_across_a_weekend_and_holidays(client, sync_db):
    report = late_report(client, sync_db, at(2028, 4, 28, 16, 0))  # a Friday; Mon 1 and Tue 2 May are holidays
    assert escalate(client, at(2028, 4, 28, 16, 30)) == 1
    stored = sync_db.reports.find_one({"code": report["code"]})
    assert (stored["escalation_level"], stored["escalated_to"]) == (1, SUPERVISOR)
    # the supervising body has 16 working hours: Fri 0.5 h, Wed 9 h, Thu 6.5 h (not the weekend, not 1-2 May)
    assert stored["escalate_at"] == at(2028, 5, 4, 14, 30)
    assert escalate(client, at(2028, 5, 4, 14, 29)) == 0
    assert escalate(client, at(2028, 5, 4, 14, 31)) == 1
    stored = sync_db.reports.find_one({"code": report["code"]})
    assert [(e["level"], e["to"], e["stage"]) for e in stored["escalations"]] == [
        (1, SUPERVISOR, "acknowledge"),
        (2, TOP, "acknowledge"),
    ]
    assert stored["escalate_at"] is None and escalate(client, at(2029, 1, 1)) == 0  # the top: nobody further up
    audit = list(sync_db.audit_log.find({"report_id": stored["_id"], "action": "escalate"}).sort("at", 1))
    assert [(a["level"], a["to"], a["actor_role"]) for a in audit] == [(1, SUPERVISOR, "system"), (2, TOP, "system")]


def test_taking_the_report_up_stops_the_clock_until_the_next_deadline_is_missed(client, sync_db):
    report = late_report(client, sync_db, at(2026, 1, 5, 9, 0))
    assert escalate(client, at(2026, 1, 5, 10, 0)) == 1
    assert move_status(client, report["id"], "in_progress", staff_headers("agency_staff", HANDLER)).status_code == 200
    assert escalate(client, at(2026, 1, 20)) == 0  # acknowledged: no longer overdue, its clock stopped
    sync_db.reports.update_one({"code": report["code"]}, {"$set": {"due_at": at(2026, 1, 21, 9, 0)}})
    assert escalate(client, at(2026, 1, 21, 10, 0)) == 1  # the resolve deadline missed: one more level
    stored = sync_db.reports.find_one({"code": report["code"]})
    assert [(e["level"], e["stage"]) for e in stored["escalations"]] == [(1, "acknowledge"), (2, "resolve")]


def test_two_workers_escalate_each_report_exactly_once(client, settings, sync_db):
    reports = [late_report(client, sync_db, at(2026, 1, 5, 9, 0)) for _ in range(4)]
    now = at(2026, 1, 5, 10, 0)
    run(client, "overdue", now)

    async def two_workers() -> list[int]:
        clients = [make_client(settings.mongodb_uri) for _ in range(2)]
        try:
            workers = [standard_jobs(c, c[settings.database_name], settings) for c in clients]
            return list(await asyncio.gather(*(w["escalate"](now) for w in workers)))
        finally:
            for c in clients:
                await c.close()

    assert sum(asyncio.run(two_workers())) == 4
    for report in reports:
        assert len(sync_db.reports.find_one({"code": report["code"]})["escalations"]) == 1
    assert sync_db.audit_log.count_documents({"action": "escalate"}) == 4


def test_the_supervising_body_sees_and_works_on_escalated_reports_only(client, sync_db):
    report = late_report(client, sync_db, at(2026, 1, 5, 9, 0))
    supervisor, stranger = staff_headers("agency_staff", SUPERVISOR), staff_headers("agency_staff", "lighting_co")
    assert client.get(f"/v1/reports/{report['id']}", headers=supervisor).status_code == 404  # not escalated yet
    escalate(client, at(2026, 1, 5, 10, 0))
    listed = client.get("/v1/triage/escalations", headers=supervisor).json()["items"]
    assert [(i["code"], i["escalation_level"], i["escalated_to"]) for i in listed] == [(report["code"], 1, SUPERVISOR)]
    assert client.get("/v1/triage/escalations", headers=staff_headers("agency_staff", HANDLER)).json()["items"] == []
    seen = client.get(f"/v1/reports/{report['id']}", headers=supervisor)
    assert seen.status_code == 200 and seen.json()["resident_uid"] is None and report["_author"] not in seen.text
    assert seen.json()["escalations"][0]["to"] == SUPERVISOR
    assert client.get(f"/v1/reports/{report['id']}", headers=stranger).status_code == 404

    def act(suffix: str, body: dict, headers: dict):
        etag = client.get(f"/v1/reports/{report['id']}", headers=supervisor).headers["etag"]
        return client.post(
            f"/v1/triage/reports/{report['id']}/{suffix}", json=body, headers={**headers, "If-Match": etag}
        )

    assert act("status", {"status": "in_progress"}, supervisor).status_code == 403  # the handler's workflow
    assert act("priority", {"priority": "urgent", "reason": "Đoạn đường đông xe"}, supervisor).status_code == 200
    assert act("notes", {"text": "Đề nghị URENCO xử lý trong ngày"}, supervisor).status_code == 200
    assert act("notes", {"text": "x"}, stranger).status_code == 404
    moved = act("assign", {"agency": "drainage_co", "reason": "Thuộc hệ thống thoát nước"}, supervisor)
    assert moved.status_code == 200 and moved.json()["agency"] == "drainage_co"
    audit = sync_db.audit_log.find_one(
        {"report_id": sync_db.reports.find_one({"code": report["code"]})["_id"], "action": "reassign"}
    )
    assert audit["from"] == HANDLER and audit["actor_role"] == "agency_staff"


def test_escalation_queries_are_served_by_indexes(client, sync_db):
    for query in ({"overdue": True, "escalate_at": {"$lte": datetime.now(HANOI)}}, {"supervisors": SUPERVISOR}):
        plan = str(sync_db.reports.find(query).explain()["queryPlanner"]["winningPlan"])
        assert "IXSCAN" in plan and "COLLSCAN" not in plan
