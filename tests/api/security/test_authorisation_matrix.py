"""Every route × every principal: the exact status, and nothing leaked (issue 8).

The routes come from the router itself, so a new endpoint fails ``test_every_route_has_a_row``
until it gets a row in ``authorisation_table.py`` (how to add one is documented there). One
app and one seeded world serve the whole module; every cell that changes a report works on a
report of its own, so cells do not depend on each other or on their order.
"""

import logging
import math
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import make_dev_token
from api.geo import public_location
from api.open311.keys import ApiKeys
from api.open311.repository import Open311Repository
from tests.api.security.authorisation_table import AGENCY, OTHER_AGENCY, PRINCIPALS, ROUTES
from tests.factories import (
    appeal,
    auth_headers,
    dead_outbox_event,
    dev_token,
    file_report,
    image_bytes,
    issue_api_key,
    open311_form,
    photo_files,
    register_device,
    reject,
    report_form,
    resolve,
    run_job,
    staff_headers,
)

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

EXACT = (21.028517, 105.854203)  # the author's GPS fix: off the public grid, so rounding shows
NEARBY = (21.02855, 105.85418)  # ~4 m away: where everyone else's reports in the matrix are filed
ADDRESS = "Nhà số 7, ngõ 12 phố Hàng Bài"  # the author's own words for where they live
REOPEN_REASON = f"Vẫn còn ổ gà trước {ADDRESS}"  # written to the agency, not to the public
POTHOLE = "Ổ gà rất to giữa đường Hàng Bài, xe máy ngã liên tục, đề nghị vá gấp."
AUTHOR_PHONE = "0912 000 111"  # in the seeded report's text: masked in every public view
PRIVATE = "Ổ gà trước cửa nhà tôi, xin giữ kín: chủ nhà số 9 hay đổ trộm phế thải"  # a private report's text
CONTACT = {"email": "lan.nguyen@example.vn", "phone": "0912345678"}  # given with an Open311 request
SEES_IDENTITY = ("author", "triage", "admin")  # the resident's uid: their own, and the triage desk's
SEES_EXACT_POSITION = ("author", "agency", "triage", "leadership", "admin")  # those who fix or oversee it
MAX_PUBLIC_OFFSET_M = 50
UNAUTHENTICATED = {
    "anonymous": "unauthenticated",
    "bad_token": "token_invalid",
    "expired_token": "token_expired",
    "api_key": "token_invalid",
}  # the app refreshes an expired token; the others sign in again


def route_keys(app) -> set[tuple[str, str]]:
    return {(method, route.path) for route in iter_route_contexts(app.routes) for method in route.methods or ()}


@dataclass(frozen=True)
class Caller:
    name: str
    headers: dict[str, str]
    api_key: str | None = None  # what the caller puts in Open311's api_key field


@dataclass(frozen=True)
class World:
    client: TestClient
    author: str
    report: dict[str, Any]
    callers: dict[str, Caller]
    escalated: dict[str, Any]  # handled by OTHER_AGENCY, overdue, escalated to AGENCY


def _callers(client: TestClient, author: str) -> dict[str, Caller]:
    key = issue_api_key(client)
    keys = ApiKeys(Open311Repository(client.app.state.db))
    revoked = client.portal.call(keys.create, "Revoked organisation")
    client.portal.call(keys.revoke, revoked.key_id)
    suffix = uuid.uuid4().hex[:8]
    wrong_project = make_dev_token("another-project", f"stranger-{suffix}")
    expired = dev_token(f"late-{suffix}", issued_at=time.time() - 7200, lifetime_s=3600)
    callers = [
        Caller("anonymous", {}),
        Caller("bad_token", {"Authorization": f"Bearer {wrong_project}"}, api_key="o311_" + "x" * 43),
        Caller("expired_token", {"Authorization": f"Bearer {expired}"}, api_key=revoked.key),
        Caller("author", auth_headers(author)),
        Caller("resident", auth_headers(f"neighbour-{suffix}")),
        Caller("agency", staff_headers("agency_staff", AGENCY)),
        Caller("other_agency", staff_headers("agency_staff", OTHER_AGENCY)),
        Caller("triage", staff_headers("triage_officer")),
        Caller("leadership", staff_headers("leadership")),
        Caller("admin", staff_headers("admin")),
        Caller("api_key", {"Authorization": f"Bearer {key}"}, api_key=key),
    ]
    assert tuple(c.name for c in callers) == PRINCIPALS
    return {c.name: c for c in callers}


@pytest.fixture(scope="module")
def world(module_settings):
    # Hundreds of requests from one address and one author: the abuse limits are tested elsewhere.
    settings = module_settings.model_copy(
        update={
            "auth_failure_limit": 10_000,
            "report_rate_limit": 10_000,
            "report_ip_rate_limit": 10_000,
            "open311_rate_limit": 10_000,
        }
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        author = f"author-{uuid.uuid4().hex[:10]}"
        lat, lng = EXACT
        response = client.post(
            "/v1/reports",
            data=report_form(
                description=f"{POTHOLE} Gọi {AUTHOR_PHONE}", lat=lat, lng=lng, address=ADDRESS, photos_public="true"
            ),
            files=photo_files(image_bytes()),
            headers=auth_headers(author),
        )
        assert response.status_code == 201, response.text
        report = response.json()
        file_report(client, PRIVATE, uid=author, lat=lat, lng=lng, address=ADDRESS, visibility="private")
        assert run_job(client, "public_photos") == 1  # the public copy of the seeded photo
        assert report["status"] == "assigned" and report["routing"]["agency"] == AGENCY
        callers = _callers(client, author)
        filed = client.post("/open311/v2/requests.json", data=open311_form(callers["api_key"].api_key, **CONTACT))
        assert filed.status_code == 201, filed.text
        dead_outbox_event(client)  # something for the admin's outbox listing to show
        reopened = file_report(client, POTHOLE, uid=author, lat=lat, lng=lng, address=ADDRESS)
        resolve(client, reopened["id"], AGENCY)
        assert (
            client.post(
                f"/v1/reports/{reopened['id']}/reopen", json={"reason": REOPEN_REASON}, headers=auth_headers(author)
            ).status_code
            == 200
        )
        # filed elsewhere: OTHER_AGENCY handles it and may see where it is, not the author's seeded fix
        escalated = file_report(client, POTHOLE, uid=author, lat=NEARBY[0], lng=NEARBY[1])
        hand_to_other_agency(client, escalated, callers["admin"].headers)
        client.portal.call(
            client.app.state.db.reports.update_one,
            {"code": escalated["code"]},
            {"$set": {"due_at": datetime(2026, 1, 5, tzinfo=UTC)}},
        )
        for job in ("overdue", "escalate"):
            assert client.portal.call(client.app.state.worker.jobs[job]) >= 1
        yield World(client, author, report, callers, escalated)


def hand_to_other_agency(client: TestClient, report: dict[str, Any], admin: dict[str, str]) -> None:
    etag = client.get(f"/v1/reports/{report['id']}", headers=admin).headers["etag"]
    moved = client.post(
        f"/v1/triage/reports/{report['id']}/assign",
        json={"agency": OTHER_AGENCY, "reason": "rác"},
        headers={**admin, "If-Match": etag},
    )
    assert moved.status_code == 200, moved.text


class Scene:
    """What one cell's request is built from (see the table module's docstring)."""

    def __init__(self, world: World, caller: Caller) -> None:
        self.world = world
        self.client = world.client
        self.caller = caller
        self.author = world.author
        self.report = world.report
        self.photo_id = world.report["photos"][0]["id"]

    def fresh_report(self) -> dict[str, Any]:
        lat, lng = EXACT
        report = file_report(self.client, POTHOLE, uid=self.author, lat=lat, lng=lng, address=ADDRESS)
        assert report["routing"]["agency"] == AGENCY
        return report

    def fresh_resolved_report(self) -> dict[str, Any]:
        report = self.fresh_report()
        resolve(self.client, report["id"], AGENCY)
        return report

    def fresh_rejected_report(self) -> dict[str, Any]:
        report = self.fresh_report()
        reject(self.client, report["id"], AGENCY)
        return report

    def fresh_appealed_report(self) -> dict[str, Any]:
        """Handled by OTHER_AGENCY, rejected there, appealed by the author to its supervisor AGENCY."""
        report = self.fresh_report()
        hand_to_other_agency(self.client, report, self.world.callers["admin"].headers)
        reject(self.client, report["id"], OTHER_AGENCY)
        assert appeal(self.client, report).json()["appeal"]["to"] == AGENCY
        return report

    def if_match(self, report: dict[str, Any]) -> dict[str, str]:
        current = self.client.get(f"/v1/reports/{report['id']}", headers=self.world.callers["admin"].headers)
        return {"If-Match": current.headers["etag"]}

    def fresh_device(self) -> str:
        return register_device(self.client, self.author)

    def dead_event_id(self) -> str:
        return dead_outbox_event(self.client)

    def fresh_subscription(self) -> str:
        """A new area of the author's, after removing their others (they may keep five)."""
        author = self.world.callers["author"].headers
        for area in self.client.get("/v1/subscriptions", headers=author).json()["items"]:
            assert self.client.delete(f"/v1/subscriptions/{area['id']}", headers=author).status_code == 204
        response = self.client.post(
            "/v1/subscriptions", json={"lat": EXACT[0], "lng": EXACT[1], "radius_m": 200}, headers=author
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    @staticmethod
    def nearby_form() -> dict[str, str]:
        lat, lng = NEARBY
        return report_form(description=POTHOLE, lat=lat, lng=lng)

    # ---- what a successful answer must show (rows' ``check``) ----

    def assert_offers_duplicates(self, body: dict[str, Any]) -> None:
        assert body["possible_duplicates"], "the author's reports nearby should be offered (and checked for leaks)"

    def assert_lists_own_reports_only(self, body: dict[str, Any]) -> None:
        listed = [item["code"] for item in body["items"]]
        if self.caller.name == "author":
            assert listed
        else:
            assert self.report["code"] not in listed

    def assert_report_view(self, body: dict[str, Any]) -> None:
        """Identity for the triage desk only; the exact position as the leak check spells it."""
        if self.caller.name == "author":
            assert "resident_uid" not in body
        else:
            assert body["resident_uid"] == (self.author if self.caller.name in SEES_IDENTITY else None)
        assert (body["location"]["lat"], body["location"]["lng"], body["address"]) == (*EXACT, ADDRESS)

    def assert_queue_scoped(self, body: dict[str, Any]) -> None:
        agencies = {item["agency"] for item in body["items"]}
        if self.caller.name == "agency":
            assert agencies == {AGENCY}
        elif self.caller.name == "other_agency":
            assert agencies <= {OTHER_AGENCY}

    def assert_escalations_scoped(self, body: dict[str, Any]) -> None:
        """The supervising body sees what was escalated to it; the handler's staff do not get it as escalated."""
        listed = {item["code"] for item in body["items"]}
        if self.caller.name in ("agency", "triage", "leadership", "admin"):
            assert self.world.escalated["code"] in listed
        else:
            assert self.world.escalated["code"] not in listed

    def assert_public_positions(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            assert (item["lat"], item["long"]) == public_location(item["lat"], item["long"]), item  # a grid centre
        [seeded] = [item for item in items if item["service_request_id"] == self.report["code"]]
        assert (seeded["lat"], seeded["long"]) == public_location(*EXACT)
        assert 0 < metres(EXACT, (seeded["lat"], seeded["long"])) < MAX_PUBLIC_OFFSET_M

    def assert_nearby_cards(self, body: dict[str, Any]) -> None:
        """The seeded report is shown (so the leak search looked at it), on the public grid; the private one is not."""
        [seeded] = [card for card in body["items"] if card["code"] == self.report["code"]]
        assert (seeded["position"]["lat"], seeded["position"]["lng"]) == public_location(*EXACT)
        assert seeded["thumbnail_url"] == f"/v1/public-photos/{self.photo_id}/thumbnail"
        assert "***" in seeded["description"]

    # ---- what no answer may contain ----

    def secrets(self) -> list[str]:
        hidden = [CONTACT["email"], CONTACT["phone"]]  # stored with the Open311 request, shown to nobody
        if self.caller.name not in SEES_IDENTITY:
            hidden.append(self.author)
        if self.caller.name not in SEES_EXACT_POSITION:  # nor the author's phone, nor their private report
            hidden += [repr(EXACT[0]), repr(EXACT[1]), ADDRESS, AUTHOR_PHONE, PRIVATE]
        return hidden

    def assert_nothing_leaked(self, content: bytes) -> None:
        text = content.decode("utf-8", "replace")
        leaked = [secret for secret in self.secrets() if secret in text]
        assert not leaked, f"{self.caller.name} was shown {leaked}"


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    north = (a[0] - b[0]) * 111_320
    east = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(north, east)


def test_every_route_has_a_row_and_every_row_a_route(settings):
    routes = route_keys(create_app(settings))
    missing = sorted(routes - set(ROUTES))
    stale = sorted(set(ROUTES) - routes)
    assert not missing, f"routes without a row in authorisation_table.py: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"
    incomplete = [key for key, row in ROUTES.items() if set(row.expect) != set(PRINCIPALS)]
    assert not incomplete, f"rows without a status for every principal: {incomplete}"


CELLS = [(method, path, principal) for (method, path) in ROUTES for principal in PRINCIPALS]


@pytest.mark.parametrize(("method", "path", "principal"), CELLS, ids=[f"{m} {p} {who}" for m, p, who in CELLS])
def test_cell(world, caplog, method, path, principal):
    row = ROUTES[(method, path)]
    scene = Scene(world, world.callers[principal])
    call = row.call(scene)
    with caplog.at_level(logging.INFO, logger="phananh.access"):
        response = world.client.request(
            method,
            call.path,
            headers={**scene.caller.headers, **call.headers},
            json=call.json,
            data=call.data,
            files=call.files,
        )
    reached = [record.route for record in caplog.records if record.name == "phananh.access"][-1]
    if reached == "unmatched":  # FastAPI's own docs pages do not label the route they serve
        reached = call.path
    assert reached == path, f"{call.path} reached {reached}, not the row's route"
    expected = row.expect[principal]
    assert response.status_code == expected, f"{method} {call.path} as {principal}: {response.text[:400]}"
    if path.startswith("/v1/") and expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert expected != 401 or response.json()["code"] == UNAUTHENTICATED[principal]
    scene.assert_nothing_leaked(response.content)
    if row.check is not None and response.status_code < 300:
        row.check(scene, response)
