"""GET /v1/triage/queue: scoped, filtered, ordered by deadline, paged, and always index-served."""

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from api.reports.repository import ReportRepository
from api.triage.queue import QueueFilters, QueueHorizons, build_query
from tests.factories import SON_TAY, auth_headers, move_status, new_uid, report_form, staff_headers

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

TEXTS = {
    "pothole": "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục",
    "pothole2": "Mặt đường bị sụt lún, nhiều ổ gà sâu",
    "garbage": "Rác thải sinh hoạt không được thu gom 3 ngày nay, chất đống đầu ngõ",
    "karaoke": "karaoke hát ầm ĩ đến 2h sáng",
}


def file_report(client, text, **form):
    response = client.post("/v1/reports", data=report_form(description=text, **form), headers=auth_headers(new_uid()))
    assert response.status_code == 201
    return response.json()


def queue(client, headers, **params):
    return client.get("/v1/triage/queue", params=params, headers=headers)


def test_agency_staff_see_only_their_agency(client):
    created = {name: file_report(client, text) for name, text in TEXTS.items()}
    staff = staff_headers("agency_staff", "construction_dept")
    codes = [item["code"] for item in queue(client, staff).json()["items"]]
    assert sorted(codes) == sorted([created["pothole"]["code"], created["pothole2"]["code"]])
    assert queue(client, staff, agency="urenco").status_code == 403
    ward_staff = staff_headers("agency_staff", "ward:00070")
    assert [i["code"] for i in queue(client, ward_staff).json()["items"]] == [created["karaoke"]["code"]]


def test_roles_without_a_queue_are_refused(client):
    assert queue(client, auth_headers(new_uid())).status_code == 403
    assert queue(client, {}).status_code == 401


def test_triage_queue_carries_the_models_suggestions(make_client):
    client = make_client(classifier_threshold=1.0)  # no confidence reaches 1: the model is always unsure
    file_report(client, TEXTS["garbage"])
    items = queue(client, staff_headers("triage_officer"), agency="citizen_center").json()["items"]
    assert len(items) == 1 and items[0]["suggestions"][0]["category"] == "waste_sanitation"


def test_filters(client):
    pothole = file_report(client, TEXTS["pothole"])
    far_pothole = file_report(client, TEXTS["pothole2"], lat=SON_TAY[0], lng=SON_TAY[1])
    file_report(client, TEXTS["garbage"])
    officer = staff_headers("triage_officer")

    def codes(**params):
        response = queue(client, officer, **params)
        assert response.status_code == 200, response.text
        return sorted(item["code"] for item in response.json()["items"])

    assert codes(category="road_damage") == sorted([pothole["code"], far_pothole["code"]])
    assert codes(category="road_damage", ward="09574") == [far_pothole["code"]]
    assert codes(q=pothole["code"]) == [pothole["code"]]
    assert codes(q="thu gom") == codes(category="waste_sanitation")
    assert codes(status="in_progress") == []
    assert codes(overdue="true") == []
    assert codes(created_to="2000-01-01") == [] and len(codes(created_from="2000-01-01")) == 3


def test_deadline_order_and_pages_without_gaps_or_repeats(client):
    for i in range(7):
        file_report(client, f"{TEXTS['pothole']} số {i}")
    staff = staff_headers("agency_staff", "construction_dept")
    seen, cursor = [], None
    while True:
        page = queue(client, staff, limit=3, **({"cursor": cursor} if cursor else {})).json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 and len({i["id"] for i in seen}) == 7
    assert [i["due_at"] for i in seen] == sorted(i["due_at"] for i in seen)


def test_bad_parameters_are_client_errors(client):
    officer = staff_headers("triage_officer")
    assert queue(client, officer, status="done").status_code == 422
    assert queue(client, officer, cursor="not-a-cursor").status_code == 400
    assert queue(client, officer, ward="Hoàn Kiếm").status_code == 422


@pytest.mark.parametrize(
    "filters",
    [
        QueueFilters(),
        QueueFilters(agency="construction_dept"),
        QueueFilters(agency="construction_dept", status="assigned", category="road_damage"),
        QueueFilters(ward="00070", overdue=True),
        QueueFilters(overdue=True, category="road_damage"),
        QueueFilters(agency="urenco", q="rác", sort="age"),
        QueueFilters(status="in_progress", sort="age"),
    ],
)
def test_every_queue_query_uses_an_index(client, filters):
    file_report(client, TEXTS["pothole"])
    plan = build_query(filters, None)
    repo = ReportRepository(client.app.state.db)
    explained = client.portal.call(repo.explain_queue, plan.query, plan.sort)
    winning = str(explained["queryPlanner"]["winningPlan"])
    assert "IXSCAN" in winning and "COLLSCAN" not in winning, winning


def test_a_deadline_queue_is_read_within_its_horizon_and_stays_exact(client, command_log):
    """After a full read, a queue's first page is read within a deadline bound (one query). A report
    due earlier than everything still comes first; when moves leave the bound short of a page, the
    queue is read in full again (two queries). Each page is the queue's true first page."""
    ids = [file_report(client, f"{TEXTS['pothole']} số {i}")["id"] for i in range(8)]
    soon = datetime.now(UTC) + timedelta(days=1)
    for hours, report_id in enumerate(ids):  # deadlines an hour apart, in filing order
        set_due(client, report_id, soon + timedelta(hours=hours))
    staff = staff_headers("agency_staff", "construction_dept")

    def first_page() -> tuple[list[str], int]:
        with command_log.recording() as commands:
            response = queue(client, staff, status="assigned", limit=3)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]], commands.count(("find", "reports"))

    assert first_page() == (ids[:3], 1)  # full read: 4 asked for (page + 1), due +0..+3 h: bound +6 h
    assert first_page() == (ids[:3], 1)  # within the bound: 6 reports, a full page
    urgent = file_report(client, f"{TEXTS['pothole']} khẩn cấp")["id"]
    set_due(client, urgent, soon - timedelta(hours=1))
    assert first_page() == ([urgent, *ids[:2]], 1)
    for report_id in [urgent, *ids[:3]]:
        assert move_status(client, report_id, "in_progress", staff).status_code == 200
    assert first_page() == (ids[3:6], 2)  # 3 left within the last bound: read in full


def set_due(client, report_id: str, due_at: datetime) -> None:
    """Give a report a chosen deadline (the SLA gives a whole batch of test reports nearly one)."""
    reports = client.app.state.db["reports"]
    client.portal.call(reports.update_one, {"_id": ObjectId(report_id)}, {"$set": {"due_at": due_at}})


def test_a_horizon_is_the_last_page_end_plus_its_span_and_forgotten_for_a_short_queue():
    horizons, now, due = QueueHorizons(), datetime.now(UTC), datetime(2026, 12, 1, 8, tzinfo=UTC)
    page = [{"due_at": due + timedelta(hours=h)} for h in (0, 1, 3)]
    horizons.record("q", now, page, wanted=3)
    assert horizons.bound("q", now) == due + timedelta(hours=6)
    assert horizons.bound("q", now + timedelta(minutes=11)) is None  # too old to trust
    horizons.record("q", now, [{"due_at": due}] * 3, wanted=3)
    assert horizons.bound("q", now) == due + timedelta(minutes=1)  # all due at once: a minute of room
    horizons.record("q", now, page[:2], wanted=3)
    assert horizons.bound("q", now) is None
