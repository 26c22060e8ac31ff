"""Residents read their own reports (paginated) and nobody else's."""

import pytest

from tests.factories import auth_headers, image_bytes, new_uid, photo_files, report_form

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset


def create(client, uid, n=1, **form):
    return [
        client.post(
            "/v1/reports", data=report_form(description=f"Phản ánh số {i}", **form), headers=auth_headers(uid)
        ).json()
        for i in range(n)
    ]


def test_mine_pages_newest_first_with_a_cursor(client):
    uid = new_uid()
    created = create(client, uid, 5)
    create(client, new_uid(), 2)  # someone else's reports never show up
    first = client.get("/v1/reports/mine?limit=2", headers=auth_headers(uid)).json()
    second = client.get(f"/v1/reports/mine?limit=2&cursor={first['next_cursor']}", headers=auth_headers(uid)).json()
    third = client.get(f"/v1/reports/mine?limit=2&cursor={second['next_cursor']}", headers=auth_headers(uid)).json()
    seen = [r["code"] for page in (first, second, third) for r in page["items"]]
    assert seen == [r["code"] for r in reversed(created)]
    assert third["next_cursor"] is None


def test_mine_lists_a_thumbnail_for_reports_with_photos(client):
    uid = new_uid()
    client.post("/v1/reports", data=report_form(), files=photo_files(image_bytes()), headers=auth_headers(uid))
    item = client.get("/v1/reports/mine", headers=auth_headers(uid)).json()["items"][0]
    assert item["thumbnail_url"].endswith("/thumbnail")
    assert client.get(item["thumbnail_url"], headers=auth_headers(uid)).status_code == 200


def test_mine_query_uses_an_index(client, sync_db):
    create(client, new_uid(), 1)
    plan = sync_db.reports.find({"resident_uid": "x"}).sort("_id", -1).explain()["queryPlanner"]["winningPlan"]
    assert "IXSCAN" in str(plan) and "COLLSCAN" not in str(plan)


def test_bad_cursor_and_limit_are_client_errors(client):
    headers = auth_headers(new_uid())
    assert client.get("/v1/reports/mine?cursor=zzz", headers=headers).status_code == 400
    assert client.get("/v1/reports/mine?limit=0", headers=headers).status_code == 422
    assert client.get("/v1/reports/mine?limit=101", headers=headers).status_code == 422


def test_author_reads_their_report(client):
    uid = new_uid()
    report = create(client, uid)[0]
    response = client.get(f"/v1/reports/{report['id']}", headers=auth_headers(uid))
    assert report.pop("possible_duplicates") == []  # only the intake response carries them
    assert response.status_code == 200 and response.json() == {**report, "possible_duplicates": None}


def test_someone_elses_report_and_photos_are_404(client):
    uid = new_uid()
    report = client.post(
        "/v1/reports", data=report_form(), files=photo_files(image_bytes()), headers=auth_headers(uid)
    ).json()
    stranger = auth_headers(new_uid())
    for path in (f"/v1/reports/{report['id']}", report["photos"][0]["url"], report["photos"][0]["thumbnail_url"]):
        response = client.get(path, headers=stranger)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


def test_unknown_and_malformed_ids_are_404(client):
    headers = auth_headers(new_uid())
    assert client.get("/v1/reports/0123456789abcdef01234567", headers=headers).status_code == 404
    assert client.get("/v1/reports/not-an-id", headers=headers).status_code == 404
    assert client.get("/v1/photos/../../etc", headers=headers).status_code == 404


def test_categories_in_vietnamese_and_english(client):
    vi = client.get("/v1/categories", headers=auth_headers(new_uid())).json()
    en = client.get("/v1/categories", headers=auth_headers(new_uid(), **{"Accept-Language": "en"})).json()
    assert len(vi) == 18 and [c["code"] for c in vi] == [c["code"] for c in en]
    road = next(c for c in vi if c["code"] == "road_damage")
    assert road["name"] == "Hư hỏng đường, vỉa hè, cầu" and road["agency"]["code"] == "construction_dept"
    assert next(c for c in en if c["code"] == "noise")["name"] == "Noise"
    assert next(c for c in vi if c["code"] == "noise")["routing"] == "ward"


def test_every_v1_endpoint_needs_a_token(client):
    """Except the explicitly public ones under /v1/public/ (city transparency), which answer without one."""
    paths = client.app.openapi()["paths"]
    operations = [
        (method, path)
        for path, item in paths.items()
        if path.startswith("/v1") and not path.startswith("/v1/public/")
        for method in item
    ]
    assert [p for p in paths if p.startswith("/v1/public/")] == ["/v1/public/stats"]
    assert client.get("/v1/public/stats").status_code == 200
    assert len(operations) >= 6
    some_id = "0123456789abcdef01234567"
    for method, path in operations:
        concrete = path.replace("{report_id}", some_id).replace("{photo_id}", some_id)
        assert client.request(method.upper(), concrete).status_code == 401, (method, path)
