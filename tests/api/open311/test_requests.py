"""Open311 service requests: POST through the app's intake, GET one and many, in JSON and XML."""

import math
from datetime import datetime

import pytest
from defusedxml.ElementTree import fromstring

from api.auth import principal_from_claims
from tests.factories import HOAN_KIEM_LAKE, issue_api_key, open311_form

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

BASE = "/open311/v2"
EN = {"Accept-Language": "en"}
POTHOLE = "Ổ gà lớn giữa đường Hàng Bài, nhiều xe máy bị ngã."


def post(client, form, fmt="json", **headers):
    return client.post(f"{BASE}/requests.{fmt}", data=form, headers={**EN, **headers})


def filed(client, key, **overrides):
    response = post(client, open311_form(key, **overrides))
    assert response.status_code == 201, response.text
    return response.json()[0]


def metres_apart(a, b):
    dlat = (a[0] - b[0]) * 111_320
    dlng = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dlat, dlng)


def test_a_request_goes_through_the_apps_own_intake(client, sync_db):
    key = issue_api_key(client)
    created = filed(
        client,
        key,
        description=POTHOLE,
        **{"attribute[hazard_size]": "large"},
        media_url="https://example.org/photos/1.jpg",
        address_string="12 Hàng Bài",
    )
    assert created["service_request_id"].startswith("HN-")
    assert created["service_notice"].startswith("Received")

    report = sync_db.reports.find_one({"code": created["service_request_id"]})
    assert str(report["_id"]) == created["token"]
    assert report["category_hint"] == "road_damage"  # the requester's pick...
    assert report["classification"]["model_version"]  # ...and the classifier's own view
    assert report["routing"]["agency"] == report["agency"]
    assert report["resident_uid"].startswith("open311:")
    assert report["status_history"][0]["by_role"] == "open311"
    assert report["address"] == "12 Hàng Bài"
    record = sync_db.open311_requests.find_one({"_id": report["_id"]})
    assert record["contact"]["email"] == "lan.nguyen@example.vn"
    assert record["attributes"] == {"hazard_size": "large"}
    assert record["media_url"] == "https://example.org/photos/1.jpg"


def test_one_request_in_both_formats_never_shows_who_sent_it(client):
    key = issue_api_key(client)
    created = filed(client, key, media_url="https://example.org/photos/2.jpg")
    code = created["service_request_id"]

    [request] = client.get(f"{BASE}/requests/{code}.json", headers=EN).json()
    assert request["service_request_id"] == code
    assert request["status"] == "open"
    assert request["service_code"] == "road_damage"
    assert request["service_name"] == "Road, pavement and bridge damage"
    assert request["requested_datetime"].endswith("+07:00")
    assert datetime.fromisoformat(request["expected_datetime"]) > datetime.fromisoformat(request["requested_datetime"])
    assert request["agency_responsible"]
    assert request["media_url"] == "https://example.org/photos/2.jpg"
    assert request["address"] == "Hoàn Kiếm"  # the ward, not an address text
    exact = HOAN_KIEM_LAKE
    assert (request["lat"], request["long"]) != exact
    assert metres_apart((request["lat"], request["long"]), exact) < 45

    response = client.get(f"{BASE}/requests/{code}.xml")
    root = fromstring(response.content)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == code
    assert root.find("request/status").text == "open"
    for body in (response.text, client.get(f"{BASE}/requests.json").text):
        for private in ("Lan", "Nguyễn", "lan.nguyen@example.vn", "0912345678", "open311:"):
            assert private not in body


def test_post_in_xml_answers_the_specs_document(client):
    key = issue_api_key(client)
    response = post(client, open311_form(key), fmt="xml")
    assert response.status_code == 201
    root = fromstring(response.content)
    assert root.tag == "service_requests"
    assert [child.tag for child in root.find("request")] == [
        "service_request_id",
        "token",
        "service_notice",
        "account_id",
    ]
    token = root.findtext("request/token")
    [answer] = client.get(f"{BASE}/tokens/{token}.json").json()
    assert answer == {"service_request_id": root.findtext("request/service_request_id"), "token": token}


@pytest.mark.parametrize(
    "overrides, status, says",
    [
        ({"api_key": None}, 400, "api_key is required"),
        ({"api_key": "o311_not-a-key"}, 403, "Invalid or revoked api_key"),
        ({"service_code": None}, 400, "service_code is required"),
        ({"service_code": "potholes_on_mars"}, 400, "No service with service_code 'potholes_on_mars'"),
        ({"lat": None, "long": None, "address_string": "12 Hàng Bài"}, 400, "lat and long are required"),
        ({"lat": "abc"}, 400, "lat: "),
        ({"lat": "10.7769", "long": "106.7009"}, 400, "lat: "),  # Ho Chi Minh City is not Hanoi
        ({"description": None}, 400, "description is required"),
        ({"attribute[hazard_size]": "enormous"}, 400, "Invalid value for attribute 'hazard_size'"),
        ({"attribute[colour]": "red"}, 400, "no attribute 'colour'"),
        ({"media_url": "file:///etc/passwd"}, 400, "media_url must be an http(s) URL"),
        ({"email": "x" * 300}, 400, "email is longer than 254"),
        ({"jurisdiction_id": "saigon.gov.vn"}, 404, "does not serve jurisdiction_id"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_refusals_are_the_specs_errors_and_write_nothing(client, sync_db, overrides, status, says, fmt):
    key = issue_api_key(client)
    form = open311_form(**{"api_key": key, **overrides})
    response = post(client, form, fmt=fmt)
    assert response.status_code == status, response.text
    if fmt == "json":
        [error] = response.json()
        assert error["code"] == status and says in error["description"], error
    else:
        error = fromstring(response.content).find("error")
        assert error.findtext("code") == str(status) and says in error.findtext("description")
    assert sync_db.reports.count_documents({}) == 0
    assert sync_db.open311_requests.count_documents({}) == 0


def test_a_revoked_key_is_refused(client):
    from api.open311.keys import ApiKeys
    from api.open311.repository import Open311Repository

    keys = ApiKeys(Open311Repository(client.app.state.db))
    issued = client.portal.call(keys.create, "Old partner")
    assert client.portal.call(keys.revoke, issued.key_id) is True
    response = post(client, open311_form(issued.key))
    assert response.status_code == 403


def test_each_key_is_rate_limited(make_client):
    client = make_client(open311_rate_limit=2)
    key = issue_api_key(client)
    assert [post(client, open311_form(key)).status_code for _ in range(3)] == [201, 201, 429]
    response = post(client, open311_form(key), fmt="xml")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert fromstring(response.content).findtext("error/code") == "429"


def test_the_organisation_never_holds_a_staff_role():
    from api.open311.service import organisation_principal

    principal = organisation_principal({"_id": "abc", "name": "Civic"})
    assert principal.role == "open311" and not principal.is_staff
    # nor can a Firebase token claim the role
    assert principal_from_claims({"uid": "u1", "role": "open311"}).role == "resident"


def test_a_file_part_or_a_broken_body_is_a_400_not_a_500(client):
    key = issue_api_key(client)
    with_file = client.post(
        f"{BASE}/requests.json", data=open311_form(key), files={"media": ("a.jpg", b"x", "image/jpeg")}
    )
    assert with_file.status_code == 400 and with_file.json()[0]["code"] == 400
    garbage = client.post(
        f"{BASE}/requests.xml",
        content=b"--x\r\nnot multipart",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert garbage.status_code == 400 and fromstring(garbage.content).findtext("error/code") == "400"
