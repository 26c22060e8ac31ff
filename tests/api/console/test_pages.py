"""The console page, the shared page files and data: served offline under a strict policy."""

import pytest

from api.web.pages import auth_endpoints
from tests.factories import file_report, prod_overrides, staff_headers

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục"


def test_the_console_is_served_offline_and_may_talk_only_to_itself_and_the_auth_endpoints(client, settings):
    page = client.get("/console")
    policy = page.headers["content-security-policy"]
    assert page.status_code == 200 and "script-src 'self';" in policy
    assert f"connect-src 'self' http://{settings.auth_emulator_host};" in policy  # dev: the emulator
    assert "http" not in page.text.replace('name="viewport"', "")
    for asset in (
        "console.js",
        "queue.js",
        "map.js",
        "detail.js",
        "actions.js",
        "outcomes.js",
        "attachments.js",
        "texts.js",
        "console.css",
    ):
        response = client.get(f"/console/static/{asset}")
        assert response.status_code == 200 and "innerHTML" not in response.text, asset
    for name in ("..%2Fapi%2Fapp.py", "missing.js", ".hidden.js"):
        assert client.get(f"/console/static/{name}").status_code == 404
        assert client.get(f"/web/static/{name}").status_code == 404


def test_config_names_the_emulator_in_dev(client, settings):
    config = client.get("/web/config.json").json()
    identity, secure_token = auth_endpoints(settings)
    assert identity.startswith(f"http://{settings.auth_emulator_host}/")
    assert config["sign_in_url"] == f"{identity}/accounts:signInWithPassword?key=dev-api-key"
    assert config["refresh_url"] == f"{secure_token}/token?key=dev-api-key"
    assert config["dev_tokens"] is False  # TestClient's peer is not loopback: no tokens from the URL
    assert {
        "from": "assigned",
        "to": "in_progress",
        "roles": ["agency_staff", "triage_officer", "admin"],
        "public_note_required": False,
    } in config["workflow"]
    assert "ward" not in {agency["code"] for agency in config["agencies"]}
    assert "road_damage" in config["proof_categories"]  # proof.json: the status form asks for a photo
    assert "noise" not in config["proof_categories"]


def test_config_names_firebase_and_the_tile_server_in_prod(make_client, settings):
    prod = settings.model_copy(
        update=prod_overrides(firebase_web_api_key="AIza-test", map_tile_url="https://tiles.example.vn/{z}/{x}/{y}.png")
    )
    response = make_client(prod).get("/web/config.json")
    google_identity, google_token = auth_endpoints(prod)
    assert response.json()["sign_in_url"] == f"{google_identity}/accounts:signInWithPassword?key=AIza-test"
    assert response.json()["tile_url"] == "https://tiles.example.vn/{z}/{x}/{y}.png"
    policy = response.headers["content-security-policy"]
    for origin in (google_identity, google_token):
        assert origin.rsplit("/", 1)[0] in policy
    assert "img-src 'self' data: blob: https://tiles.example.vn;" in policy


def test_the_ward_outlines_are_the_126_wards_as_svg_paths(client):
    outlines = client.get("/web/wards.json").json()
    assert len(outlines["wards"]) == 126 and outlines["zoom"] == 12
    assert all(ward["path"].startswith("M") and ward["path"].endswith("Z") for ward in outlines["wards"])
    for ward in outlines["wards"]:
        x, y = ward["centre"]
        assert 0 <= x <= outlines["width"] and 0 <= y <= outlines["height"]


def test_counts_per_status_follow_the_caller_scope(client):
    file_report(client, POTHOLE)  # construction_dept
    file_report(client, "Rác sinh hoạt chất đống ven đường không ai thu gom")  # urenco
    city = client.get("/v1/triage/counts", headers=staff_headers("triage_officer")).json()
    assert city == {
        "agency": None,
        "statuses": {"received": 0, "assigned": 2, "in_progress": 0, "reopened": 0},
        "overdue": 0,
    }
    own = client.get("/v1/triage/counts", headers=staff_headers("agency_staff", "construction_dept")).json()
    assert own["agency"] == "construction_dept" and own["statuses"]["assigned"] == 1
    other = client.get("/v1/triage/counts?agency=urenco", headers=staff_headers("agency_staff", "construction_dept"))
    assert other.status_code == 403


def test_possible_duplicates_of_a_filed_report_leave_out_itself_and_what_the_caller_may_not_see(client):
    first = file_report(client, POTHOLE)
    second = file_report(client, POTHOLE + " nguy hiểm")
    officer = staff_headers("triage_officer")
    found = client.get(f"/v1/triage/reports/{first['id']}/duplicates", headers=officer).json()
    assert [d["code"] for d in found] == [second["code"]] and found[0]["similarity"] > 0.5
    urenco = staff_headers("agency_staff", "urenco")
    assert client.get(f"/v1/triage/reports/{first['id']}/duplicates", headers=urenco).status_code == 404
