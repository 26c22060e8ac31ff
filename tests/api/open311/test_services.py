"""Open311 discovery and services, driven as the spec's examples do, in JSON and XML."""

import pytest
from defusedxml.ElementTree import fromstring

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

BASE = "/open311/v2"


def xml(response):
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return fromstring(response.content)


def test_discovery_names_the_endpoint_and_both_formats(client):
    body = client.get(f"{BASE}/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]

    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]
    assert root.findtext("key_service")


def test_services_one_per_category_localised_metadata_where_attributes_exist(client):
    services = client.get(f"{BASE}/services.json").json()
    assert len(services) == 18
    by_code = {s["service_code"]: s for s in services}
    assert by_code["road_damage"]["service_name"] == "Hư hỏng đường, vỉa hè, cầu"
    assert by_code["road_damage"]["metadata"] is True and by_code["noise"]["metadata"] is False
    assert by_code["waste_sanitation"]["type"] == "realtime"

    english = client.get(f"{BASE}/services.json", headers={"Accept-Language": "en"}).json()
    assert {s["service_code"]: s for s in english}["road_damage"]["service_name"] == "Road, pavement and bridge damage"

    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and len(root.findall("service")) == 18
    first = root.find("service")
    assert [child.tag for child in first] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert first.findtext("metadata") in ("true", "false")


def test_service_definition_lists_attributes_in_both_formats(client):
    definition = client.get(f"{BASE}/services/road_damage.json", headers={"Accept-Language": "en"}).json()
    attribute = definition["attributes"][0]
    assert definition["service_code"] == "road_damage"
    assert attribute["code"] == "hazard_size" and attribute["datatype"] == "singlevaluelist"
    assert [v["key"] for v in attribute["values"]] == ["small", "medium", "large"]

    root = xml(client.get(f"{BASE}/services/road_damage.xml"))
    assert root.tag == "service_definition"
    assert [v.findtext("key") for v in root.findall("attributes/attribute/values/value")] == [
        "small",
        "medium",
        "large",
    ]
    assert client.get(f"{BASE}/services/noise.json").json() == {"service_code": "noise", "attributes": []}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_the_specs_404(client, fmt):
    response = client.get(f"{BASE}/services/potholes_on_mars.{fmt}", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    if fmt == "json":
        assert response.json() == [{"code": 404, "description": "No service with service_code 'potholes_on_mars'."}]
    else:
        error = xml(response).find("error")
        assert error.findtext("code") == "404" and "potholes_on_mars" in error.findtext("description")


@pytest.mark.parametrize(
    "path, status",
    [
        ("services.html", 400),  # a format we do not speak
        ("services", 404),  # no format suffix
        ("nothing_here.json", 404),
        ("services.json?jurisdiction_id=saigon.gov.vn", 404),
    ],
)
def test_bad_paths_get_the_specs_errors_not_problem_json(client, path, status):
    response = client.get(f"{BASE}/{path}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    [error] = response.json()
    assert error["code"] == status and error["description"]


def test_jurisdiction_id_of_this_server_is_accepted(client):
    assert client.get(f"{BASE}/services.json?jurisdiction_id=hanoi.gov.vn").status_code == 200
