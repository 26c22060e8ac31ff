"""POST /v1/triage/reports/{id}/status: versioned, scoped, audited, and what each role then sees."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.factories import auth_headers, new_uid, report_form, staff_headers, upload_attachments

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"  # routed to construction_dept


@pytest.fixture
def report(client):
    author = new_uid()
    body = client.post("/v1/reports", data=report_form(description=POTHOLE), headers=auth_headers(author)).json()
    assert body["status"] == "assigned" and body["routing"]["agency"] == "construction_dept"
    return {"id": body["id"], "author": author}


def move(client, report_id, status, headers, etag=None, **notes):
    if etag is not None:
        headers = {**headers, "If-Match": etag}
    return client.post(f"/v1/triage/reports/{report_id}/status", json={"status": status, **notes}, headers=headers)


def current_etag(client, report_id, headers):
    return client.get(f"/v1/reports/{report_id}", headers=headers).headers["etag"]


def test_agency_staff_take_up_and_resolve_their_report(client, report, sync_db):
    staff = staff_headers("agency_staff", "construction_dept")
    etag = current_etag(client, report["id"], staff)
    started = move(client, report["id"], "in_progress", staff, etag, internal_note="Giao tổ 3")
    assert started.status_code == 200, started.text
    assert started.headers["etag"] != etag and started.json()["status"] == "in_progress"
    proof = upload_attachments(client, report["id"], staff)  # a pothole: resolving needs a photo
    resolved = move(
        client, report["id"], "resolved", staff, started.headers["etag"], public_note="Đã vá xong", attachments=proof
    )
    assert resolved.status_code == 200
    history = sync_db.reports.find_one()["status_history"]
    assert [e["status"] for e in history] == ["received", "assigned", "in_progress", "resolved"]
    assert [(a["from"], a["to"]) for a in sync_db.audit_log.find().sort("at", 1)] == [
        ("assigned", "in_progress"),
        ("in_progress", "resolved"),
    ]


def test_if_match_is_required_and_must_be_current(client, report):
    staff = staff_headers("agency_staff", "construction_dept")
    assert move(client, report["id"], "in_progress", staff).status_code == 428
    assert move(client, report["id"], "in_progress", staff, '"v99"').status_code == 412
    assert move(client, report["id"], "in_progress", staff, "garbage").status_code == 412


def test_two_staff_racing_on_one_report_never_lose_an_update(client, report, sync_db):
    staff = [staff_headers("agency_staff", "construction_dept") for _ in range(2)]
    etag = current_etag(client, report["id"], staff[0])
    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda h: move(client, report["id"], "in_progress", h, etag), staff))
    assert sorted(r.status_code for r in responses) == [200, 412]
    stored = sync_db.reports.find_one()
    assert stored["version"] == 2 and len(stored["status_history"]) == 3  # exactly one change applied
    assert sync_db.audit_log.count_documents({}) == 1


def test_illegal_transition_and_missing_public_note(client, report):
    staff = staff_headers("agency_staff", "construction_dept")
    etag = current_etag(client, report["id"], staff)
    illegal = move(client, report["id"], "closed", staff, etag)
    assert illegal.status_code == 409 and illegal.json()["code"] == "transition_illegal"
    started = move(client, report["id"], "in_progress", staff, etag)
    no_note = move(client, report["id"], "resolved", staff, started.headers["etag"], public_note="  ")
    assert no_note.status_code == 422 and no_note.json()["code"] == "public_note_required"


@pytest.mark.parametrize(
    "headers, status",
    [
        (lambda: staff_headers("agency_staff", "urenco"), 404),  # another agency: the report does not exist for them
        (lambda: staff_headers("leadership"), 403),
        (lambda: auth_headers(new_uid()), 403),
        (lambda: {}, 401),
    ],
)
def test_who_may_not_act(client, report, headers, status):
    assert move(client, report["id"], "in_progress", headers(), '"v2"').status_code == status


def test_each_role_sees_what_it_may(client, report):
    staff = staff_headers("agency_staff", "construction_dept", uid="staff-7")
    etag = current_etag(client, report["id"], staff)
    move(client, report["id"], "in_progress", staff, etag, internal_note="Nội bộ: chờ vật tư", public_note="Đang xử lý")
    agency_view = client.get(f"/v1/reports/{report['id']}", headers=staff).json()
    assert agency_view["resident_uid"] is None
    assert all(e["by_uid"] is None for e in agency_view["status_history"] if e["by_role"] == "resident")
    assert agency_view["classification"]["category"] == "road_damage"
    triage_view = client.get(f"/v1/reports/{report['id']}", headers=staff_headers("triage_officer")).json()
    assert triage_view["resident_uid"] == report["author"]
    resident_view = client.get(f"/v1/reports/{report['id']}", headers=auth_headers(report["author"])).json()
    assert "resident_uid" not in resident_view and "classification" not in resident_view
    assert "Nội bộ" not in str(resident_view) and "staff-7" not in str(resident_view)
    assert resident_view["status_history"][-1]["note"] == "Đang xử lý"
    assert client.get(f"/v1/reports/{report['id']}", headers=staff_headers("agency_staff", "urenco")).status_code == 404


def test_priority_and_due_dates_are_set_when_routed(client, sync_db):
    body = client.post(
        "/v1/reports",
        data=report_form(description="Dây điện đứt rơi xuống đường, rất nguy hiểm"),
        headers=auth_headers(new_uid()),
    ).json()
    stored = sync_db.reports.find_one({"code": body["code"]})
    assert stored["agency"] == "evn_hanoi" and stored["priority"] == "urgent"
    sla = client.app.state.sla
    assert stored["due_acknowledge_at"] == sla.due(stored["created_at"], "power_grid", "urgent", "acknowledge")
    assert stored["due_resolve_at"] == sla.due(stored["created_at"], "power_grid", "urgent", "resolve")
    staff_view = client.get(f"/v1/reports/{body['id']}", headers=staff_headers("agency_staff", "evn_hanoi")).json()
    assert staff_view["priority"] == "urgent" and staff_view["overdue"] is False


def test_a_status_change_writes_the_report_without_find_and_modify(client, report, command_log):
    """The versioned write is a read and an update, not ``findAndModify``: SecantusDB serves
    ``findAndModify``'s write by scanning the whole collection, so each staff action would cost in
    proportion to every report ever filed. The report is read whole once (at the ETag's version),
    then only its version inside the transaction, which writes it by ``_id`` (the writer's tests
    race eight changes at one version: one wins)."""
    staff = staff_headers("agency_staff", "construction_dept")
    etag = current_etag(client, report["id"], staff)
    with command_log.recording() as commands:
        assert move(client, report["id"], "in_progress", staff, etag).status_code == 200
    assert "findAndModify" not in {name for name, _ in commands}
    assert [name for name, target in commands if target == "reports"] == ["find", "find", "update"]
