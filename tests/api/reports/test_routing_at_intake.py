"""Intake classifies the text with the shipped model and routes the report (issue 3)."""

from tests.factories import auth_headers, new_uid, report_form


def submit(client, description, **form):
    response = client.post(
        "/v1/reports", data=report_form(description=description, **form), headers=auth_headers(new_uid())
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_city_category_goes_to_its_agency(client, sync_db):
    body = submit(client, "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục")
    assert body["routing"]["agency"] == "construction_dept"
    assert body["routing"]["agency_name"] == "Sở Xây dựng Hà Nội"
    assert "classification" not in body  # model internals are for staff, not residents
    assert sync_db.reports.find_one({"code": body["code"]})["routing"]["reason"] == "classifier"


def test_ward_category_goes_to_the_wards_peoples_committee(client):
    body = submit(client, "karaoke hát ầm ĩ đến 2h sáng không ai ngủ được")
    assert body["routing"]["agency"] == "ward:00070"
    assert body["routing"]["agency_name"] == "UBND phường Hoàn Kiếm"


def test_unsure_model_sends_the_report_to_triage_with_suggestions(make_client, sync_db):
    client = make_client(classifier_threshold=1.0)  # no confidence reaches 1: the model is always unsure
    body = submit(client, "Cống bị tắc")
    assert body["status"] == "received"
    assert body["routing"]["agency"] == "citizen_center" and body["routing"]["category"] is None
    stored = sync_db.reports.find_one({"code": body["code"]})
    assert stored["routing"]["reason"] == "low_confidence"
    assert stored["routing"]["suggestions"][0]["category"] == "flooding_drainage"


def test_resident_pick_is_followed_when_the_model_is_unsure_but_agrees_it_is_plausible(make_client, sync_db):
    client = make_client(classifier_threshold=1.0)  # no confidence reaches 1: the model is always unsure
    body = submit(client, "Cống bị tắc", category="flooding_drainage")
    assert body["routing"]["agency"] == "drainage_co"
    assert sync_db.reports.find_one({"code": body["code"]})["routing"]["reason"] == "resident_pick"
