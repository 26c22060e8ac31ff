"""Property: whatever staff and residents do, the live rollups equal a from-scratch recomputation.

Random workloads (intake, status moves, reassignments, recategorisations, merges, reopenings,
ratings, overdue flags, escalations, appeals and their decisions) go through the real API on SecantusDB; every action
may be refused
(the workflow decides), and the invariant must hold either way.
"""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.db import utc_now
from tests.api.stats.recompute import recomputed_rollups, stored_rollups
from tests.factories import (
    appeal,
    apply_statistics,
    auth_headers,
    decide_appeal,
    file_report,
    move_status,
    staff_headers,
)

TEXTS = [
    "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục",
    "Rác sinh hoạt chất đống ven đường không ai thu gom",
    "Đèn đường hỏng cả tuần nay, buổi tối rất tối",
    "Quán karaoke hát rất to đến 2 giờ sáng, cả khu phố không ngủ được",
]  # noise: resolves without proof
REASONS = [
    {"reason_code": "not_in_remit", "redirect": "court"},
    {"reason_code": "duplicate"},
    {"reason_code": "private_dispute"},
]
TRIAGE = staff_headers("triage_officer", uid="triage-property")
ACTIONS = [
    "create",
    "advance",
    "advance",
    "advance",
    "advance",
    "reject",
    "close",
    "reassign",
    "recategorise",
    "merge",
    "reopen",
    "rate",
    "overdue",
    "escalate",
    "appeal",
    "decide",
]
# after the random steps, one report through a full life, so every counter is exercised
FULL_LIFE = [
    ("create", 0, 0),
    ("overdue", 0, 0),
    ("advance", 0, 0),
    ("advance", 0, 0),
    ("advance", 0, 0),
    ("rate", 0, 4),
    ("reopen", 0, 0),
    ("advance", 0, 0),
    ("reassign", 0, 0),
    ("create", 0, 0),
    ("overdue", 0, 0),
    ("escalate", 0, 0),
    ("reject", 0, 0),
    ("appeal", 0, 0),
    ("decide", 0, 1),
]
NEXT = {"received": "assigned", "assigned": "in_progress", "reopened": "in_progress", "in_progress": "resolved"}


def etag(client, report_id):
    return client.get(f"/v1/reports/{report_id}", headers=TRIAGE).headers["etag"]


def act(client, sync_db, reports, action, pick, other):
    if action == "create" or not reports:
        reports.append(file_report(client, TEXTS[pick % len(TEXTS)]))
        return
    report = reports[-1 - pick % len(reports)]  # mostly the latest: deep histories
    rid = report["id"]
    if action in ("advance", "reject", "close"):
        current = client.get(f"/v1/reports/{rid}", headers=TRIAGE).json()["status"]
        status = (
            NEXT.get(current, current) if action == "advance" else {"reject": "rejected", "close": "closed"}[action]
        )
        # proof or not (refused where the category needs it), and a reason for rejections
        outcome = {"attachments": []} if other % 2 else {}
        outcome = {**outcome, **REASONS[other % 3]} if status == "rejected" else outcome
        move_status(client, rid, status, TRIAGE, public_note="Ghi chú công khai", **outcome)
    elif action == "reassign":
        agency = ["urenco", "construction_dept", "lighting_co"][other % 3]
        client.post(
            f"/v1/triage/reports/{rid}/assign",
            json={"agency": agency, "reason": "điều phối"},
            headers={**TRIAGE, "If-Match": etag(client, rid)},
        )
    elif action == "recategorise":
        category = ["road_damage", "waste_sanitation", "street_lighting"][other % 3]
        client.post(
            f"/v1/triage/reports/{rid}/category",
            json={"category": category, "reason": "phân loại lại"},
            headers={**TRIAGE, "If-Match": etag(client, rid)},
        )
    elif action == "merge":
        target = reports[other % len(reports)]["id"]
        client.post(
            f"/v1/triage/reports/{rid}/merge", json={"into": target}, headers={**TRIAGE, "If-Match": etag(client, rid)}
        )
    elif action == "reopen":
        client.post(
            f"/v1/reports/{rid}/reopen", json={"reason": "Chưa xử lý xong"}, headers=auth_headers(report["_author"])
        )
    elif action == "rate":
        client.post(f"/v1/reports/{rid}/rating", json={"stars": 1 + other % 5}, headers=auth_headers(report["_author"]))
    elif action == "overdue":
        stored = sync_db.reports.find_one({"code": report["code"]}, {"due_at": 1})
        if stored.get("due_at") is not None:
            sync_db.reports.update_one(
                {"code": report["code"]}, {"$set": {"due_at": stored["due_at"] - timedelta(days=60)}}
            )
        client.portal.call(client.app.state.worker.jobs["overdue"])
        client.portal.call(client.app.state.worker.jobs["escalate"])
    elif action == "escalate":  # the supervising body's time ran out too
        sync_db.reports.update_one(
            {"code": report["code"], "escalate_at": {"$ne": None}},
            {"$set": {"escalate_at": utc_now() - timedelta(minutes=1)}},
        )
        client.portal.call(client.app.state.worker.jobs["escalate"])
    elif action == "appeal":
        appeal(client, report)
    elif action == "decide":
        outcome, agency = ["upheld", "overturned"][other % 2], ["urenco", None, "lighting_co"][other % 3]
        decide_appeal(client, rid, TRIAGE, outcome, **({"agency": agency} if agency else {}))


@pytest.mark.slow  # property test, ~40 s
def test_rollups_always_equal_a_recomputation(client, sync_db):
    @hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 2), st.integers(0, 50)), min_size=1, max_size=15)
    )
    def workload(steps):
        reports: list[dict] = []  # each example works on its own reports; the database keeps them all
        for action, pick, other in [*steps, *FULL_LIFE]:
            act(client, sync_db, reports, action, pick, other)
        apply_statistics(client)
        assert stored_rollups(sync_db) == recomputed_rollups(sync_db)

    workload()
    # the workloads reached the interesting states, so the equality above was not vacuous
    totals = [doc["c"] for doc in sync_db.stats_rollups.find({"dim": "total"})]
    reached = {field for counters in totals for field, value in counters.items() if value}
    print(sorted(reached))
    assert {
        "received",
        "acknowledged",
        "resolved",
        "rerouted",
        "backlog",
        "overdue",
        "rating_count",
        "escalated",
        "appealed",
        "appeal_overturned",
        "resolved_with_proof",
        "rejected_for",
    } <= reached
