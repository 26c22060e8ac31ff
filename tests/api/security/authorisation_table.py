"""The authorisation matrix as data: every route of the app × every principal → the exact status.

``test_authorisation_matrix.py`` enumerates the app's routes from the router and runs every
cell below against one seeded app; a route without a row fails, and so does a row whose route
is gone. Each cell is the status that caller must get: the success status (the row's request
is valid, so success is really possible), or the exact refusal (401 unauthenticated, 403 role,
404 a report the caller may not see, and the Open311 spec's 400/403 for a missing/wrong key).

Adding a route (e.g. the stats endpoints):
  1. Add a ``Row`` under the key ``(METHOD, path template)``, spelled exactly as FastAPI declares
     it (the failing test prints the missing keys). One row per method.
  2. ``expect``: ``everyone(status)`` for public routes; ``signed_in(default, **cells)`` for
     Bearer-token routes, where the token-less columns (anonymous, bad and expired tokens, an
     Open311 key presented as a Bearer token) are 401 and ``default`` is the status of the seven
     signed-in principals unless a keyword names one: ``signed_in(403, leadership=200, admin=200)``.
  3. ``call``: ``lambda s: Call(path, json=..., data=..., headers=...)`` building the request from
     the scene ``s``: ``s.report`` (the seeded report: filed by ``s.author``, routed to
     construction_dept, one photo ``s.photo_id``), ``s.fresh_report()`` /
     ``s.fresh_resolved_report()``, ``s.fresh_rejected_report()``, ``s.fresh_appealed_report()``
     (handled by OTHER_AGENCY, rejected, appealed to AGENCY, its supervisor) (a new report of the
     same author for this cell only: use them for anything that changes a report), ``s.if_match(report)``,
     ``s.fresh_device()``,
     ``s.dead_event_id()``, ``s.fresh_subscription()`` (an area of the author's), ``s.caller.api_key`` (Open311),
     ``s.nearby_form()`` (a report form a
     few metres from the seeded one). A plain GET is ``get("/v1/reports/{s.report[id]}")`` (the
     path is ``str.format``-ed with the scene).
  4. Optionally ``check=lambda s, response: ...`` for assertions on a successful answer.
Every answer is also searched for what the caller must not learn (the author's uid, Open311
contact details, the exact position and address text): nothing to add for that.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.factories import fcm_token, image_bytes, open311_form

AGENCY = "construction_dept"  # where the seeded pothole report is routed
OTHER_AGENCY = "urenco"
THIRD_AGENCY = "traffic_ops"  # reroutes go here, so neither staff column gains reports from them
PRINCIPALS = (
    "anonymous",
    "bad_token",
    "expired_token",
    "author",
    "resident",
    "agency",
    "other_agency",
    "triage",
    "leadership",
    "admin",
    "api_key",
)
WITHOUT_TOKEN = ("anonymous", "bad_token", "expired_token", "api_key")
SIGNED_IN = tuple(p for p in PRINCIPALS if p not in WITHOUT_TOKEN)


@dataclass(frozen=True)
class Call:
    path: str
    json: Any = None
    data: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None  # multipart parts


@dataclass(frozen=True)
class Row:
    expect: dict[str, int]
    call: Callable[[Any], Call]
    check: Callable[[Any, Any], None] | None = None


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PRINCIPALS, status)


def signed_in(default: int, **cells: int) -> dict[str, int]:
    unknown = set(cells) - set(SIGNED_IN)
    assert not unknown, f"not signed-in principals: {unknown}"
    return {**dict.fromkeys(WITHOUT_TOKEN, 401), **dict.fromkeys(SIGNED_IN, default), **cells}


def get(path: str) -> Callable[[Any], Call]:
    return lambda s: Call(path.format(s=s))


VISIBLE_REPORT = signed_in(200, resident=404, other_agency=404)  # author, its agency, city-wide roles
WORKING_STAFF = signed_in(403, agency=200, other_agency=404, triage=200, admin=200)  # leadership reads only
RESIDENTS_ONLY = signed_in(403, author=200, resident=200)
AUTHOR_ONLY = signed_in(404, author=200)
REASON = "Kiểm tra thực địa"


def triage_action(suffix: str, body: dict[str, Any]) -> Row:
    """A staff action on a fresh report of this cell, with its current ETag."""

    def call(s) -> Call:
        report = s.fresh_report()
        return Call(f"/v1/triage/reports/{report['id']}/{suffix}", json=body, headers=s.if_match(report))

    return Row(WORKING_STAFF, call)


def merge(s) -> Call:
    source, target = s.fresh_report(), s.fresh_report()
    return Call(
        f"/v1/triage/reports/{source['id']}/merge",
        json={"into": target["id"], "public_note": "Trùng"},
        headers=s.if_match(source),
    )


def appeal_decision(report: dict[str, Any], s) -> Call:
    return Call(
        f"/v1/triage/reports/{report['id']}/appeal/decision",
        json={"outcome": "upheld", "note": "Giữ nguyên"},
        headers=s.if_match(report),
    )


def on_fresh_report(suffix: str, body: dict[str, Any] | None = None, resolved: bool = False) -> Callable[[Any], Call]:
    def call(s) -> Call:
        report = s.fresh_resolved_report() if resolved else s.fresh_report()
        return Call(f"/v1/reports/{report['id']}/{suffix}", json=body)

    return call


def _docs(path: str) -> dict[tuple[str, str], Row]:
    return {(method, path): Row(everyone(200), get(path)) for method in ("GET", "HEAD")}


OPEN311 = "/open311/v2"
BROADCAST = {
    "wards": "all",
    "title": {"vi": "Cảnh báo mưa lớn"},
    "body": {"vi": "Hạn chế ra đường tối nay."},
    "severity": "warning",
}

ROUTES: dict[tuple[str, str], Row] = {
    **_docs("/openapi.json"),
    **_docs("/docs"),
    **_docs("/docs/oauth2-redirect"),
    **_docs("/redoc"),
    ("GET", "/healthz"): Row(everyone(200), get("/healthz")),
    ("GET", "/readyz"): Row(everyone(200), get("/readyz")),
    # Not a Firebase-token route: loopback or PHANANH_METRICS_TOKEN only (the test client is not loopback).
    ("GET", "/metrics"): Row(everyone(403), get("/metrics")),
    ("POST", "/v1/reports"): Row(
        signed_in(201),
        lambda s: Call("/v1/reports", data=s.nearby_form()),
        check=lambda s, r: s.assert_offers_duplicates(r.json()),
    ),
    ("GET", "/v1/reports/mine"): Row(
        signed_in(200), get("/v1/reports/mine?limit=100"), check=lambda s, r: s.assert_lists_own_reports_only(r.json())
    ),
    ("GET", "/v1/reports/{report_id}"): Row(
        VISIBLE_REPORT, get("/v1/reports/{s.report[id]}"), check=lambda s, r: s.assert_report_view(r.json())
    ),
    ("GET", "/v1/photos/{photo_id}"): Row(VISIBLE_REPORT, get("/v1/photos/{s.photo_id}")),
    ("GET", "/v1/photos/{photo_id}/thumbnail"): Row(VISIBLE_REPORT, get("/v1/photos/{s.photo_id}/thumbnail")),
    ("GET", "/v1/categories"): Row(signed_in(200), get("/v1/categories")),
    # issue 18: the public views (the seeded report is public with its photo shared; a private one lies beside it)
    ("GET", "/v1/reports/nearby"): Row(
        RESIDENTS_ONLY,
        get("/v1/reports/nearby?lat=21.0285&lng=105.8542&radius_m=500"),
        check=lambda s, r: s.assert_nearby_cards(r.json()),
    ),
    ("GET", "/v1/public-photos/{photo_id}"): Row(signed_in(200), get("/v1/public-photos/{s.photo_id}")),
    ("GET", "/v1/public-photos/{photo_id}/thumbnail"): Row(
        signed_in(200), get("/v1/public-photos/{s.photo_id}/thumbnail")
    ),
    ("POST", "/v1/triage/reports/{report_id}/public-view"): triage_action(
        "public-view", {"part": "replies", "reason": REASON}
    ),
    ("POST", "/v1/subscriptions"): Row(
        signed_in(403, author=201, resident=201), lambda s: Call("/v1/subscriptions", json={"ward": "00070"})
    ),
    ("GET", "/v1/subscriptions"): Row(RESIDENTS_ONLY, get("/v1/subscriptions")),
    ("DELETE", "/v1/subscriptions/{subscription_id}"): Row(
        signed_in(403, author=204, resident=404), lambda s: Call(f"/v1/subscriptions/{s.fresh_subscription()}")
    ),
    ("POST", "/v1/devices"): Row(
        signed_in(201), lambda s: Call("/v1/devices", json={"token": fcm_token(), "platform": "android"})
    ),
    ("DELETE", "/v1/devices/{token}"): Row(
        signed_in(404, author=204),  # the author's phone: only they remove it
        lambda s: Call(f"/v1/devices/{s.fresh_device()}"),
    ),
    ("GET", "/v1/triage/queue"): Row(
        signed_in(200, author=403, resident=403),
        get("/v1/triage/queue?limit=100"),
        check=lambda s, r: s.assert_queue_scoped(r.json()),
    ),
    # city-wide roles: every overdue report; agency staff: what was escalated or appealed to their body
    ("GET", "/v1/triage/escalations"): Row(
        signed_in(200, author=403, resident=403),
        get("/v1/triage/escalations"),
        check=lambda s, r: s.assert_escalations_scoped(r.json()),
    ),
    # the supervising body (AGENCY over OTHER_AGENCY) and the triage desk decide; the handler does not
    ("POST", "/v1/triage/reports/{report_id}/appeal/decision"): Row(
        signed_in(403, agency=200, triage=200, admin=200), lambda s: appeal_decision(s.fresh_appealed_report(), s)
    ),
    ("GET", "/v1/triage/counts"): Row(signed_in(200, author=403, resident=403), get("/v1/triage/counts")),
    ("GET", "/v1/triage/reports/{report_id}/duplicates"): Row(
        signed_in(200, author=403, resident=403, other_agency=404), get("/v1/triage/reports/{s.report[id]}/duplicates")
    ),
    ("POST", "/v1/triage/reports/{report_id}/status"): triage_action("status", {"status": "in_progress"}),
    ("POST", "/v1/triage/reports/{report_id}/assign"): triage_action(
        "assign", {"agency": THIRD_AGENCY, "reason": REASON}
    ),
    ("POST", "/v1/triage/reports/{report_id}/category"): triage_action(
        "category", {"category": "traffic_signal_sign", "reason": REASON}
    ),
    ("POST", "/v1/triage/reports/{report_id}/priority"): triage_action(
        "priority", {"priority": "urgent", "reason": REASON}
    ),
    ("POST", "/v1/triage/reports/{report_id}/notes"): triage_action("notes", {"text": "Đã tiếp nhận", "public": True}),
    ("POST", "/v1/triage/reports/{report_id}/merge"): Row(WORKING_STAFF, merge),
    # proof of resolution and reply aids (issue 20): uploading changes no report, so the seeded one serves
    ("POST", "/v1/triage/reports/{report_id}/attachments"): Row(
        {**WORKING_STAFF, "agency": 201, "triage": 201, "admin": 201},
        lambda s: Call(
            f"/v1/triage/reports/{s.report['id']}/attachments",
            files=[("files", ("after.jpg", image_bytes(size=(64, 48)), "image/jpeg"))],
        ),
    ),
    ("GET", "/v1/triage/templates"): Row(
        signed_in(200, author=403, resident=403, other_agency=404),
        get("/v1/triage/templates?status=resolved&report_id={s.report[id]}"),
    ),
    ("GET", "/v1/triage/rejection-reasons"): Row(
        signed_in(200, author=403, resident=403), get("/v1/triage/rejection-reasons")
    ),
    ("POST", "/v1/reports/{report_id}/follow"): Row(RESIDENTS_ONLY, on_fresh_report("follow")),
    ("DELETE", "/v1/reports/{report_id}/follow"): Row(RESIDENTS_ONLY, on_fresh_report("follow")),
    ("POST", "/v1/reports/{report_id}/rating"): Row(AUTHOR_ONLY, on_fresh_report("rating", {"stars": 4}, True)),
    ("POST", "/v1/reports/{report_id}/reopen"): Row(
        AUTHOR_ONLY, on_fresh_report("reopen", {"reason": "Vẫn còn"}, True)
    ),
    ("POST", "/v1/reports/{report_id}/appeal"): Row(
        signed_in(404, author=201),
        lambda s: Call(f"/v1/reports/{s.fresh_rejected_report()['id']}/appeal", json={"reason": "Thuộc thẩm quyền"}),
    ),
    ("POST", "/v1/broadcasts"): Row(
        signed_in(403, leadership=201, admin=201), lambda s: Call("/v1/broadcasts", json=BROADCAST)
    ),
    ("GET", "/v1/broadcasts"): Row(signed_in(200), get("/v1/broadcasts")),
    # statistics: city-wide roles any agency; agency staff their own (forced); residents none
    ("GET", "/v1/stats/overview"): Row(signed_in(200, author=403, resident=403), get("/v1/stats/overview")),
    ("GET", "/v1/stats/breakdown"): Row(signed_in(200, author=403, resident=403), get("/v1/stats/breakdown?by=ward")),
    ("GET", "/v1/stats/trend"): Row(signed_in(200, author=403, resident=403), get("/v1/stats/trend?interval=week")),
    ("GET", "/v1/stats/ranking"): Row(signed_in(403, triage=200, leadership=200, admin=200), get("/v1/stats/ranking")),
    ("GET", "/v1/public/stats"): Row(everyone(200), get("/v1/public/stats")),
    ("GET", "/dashboard"): Row(everyone(200), get("/dashboard")),  # the page only; its data needs a token
    ("GET", "/dashboard/static/{name}"): Row(everyone(200), get("/dashboard/static/dashboard.js")),
    # the staff console and what the staff pages share: code, sign-in configuration, public ward outlines
    ("GET", "/console"): Row(everyone(200), get("/console")),
    ("GET", "/console/static/{name}"): Row(everyone(200), get("/console/static/console.js")),
    ("GET", "/web/static/{name}"): Row(everyone(200), get("/web/static/session.js")),
    ("GET", "/web/config.json"): Row(everyone(200), get("/web/config.json")),
    ("GET", "/web/wards.json"): Row(everyone(200), get("/web/wards.json")),
    ("GET", "/v1/admin/outbox"): Row(signed_in(403, admin=200), get("/v1/admin/outbox")),
    ("POST", "/v1/admin/outbox/{event_id}/redrive"): Row(
        signed_in(403, admin=200), lambda s: Call(f"/v1/admin/outbox/{s.dead_event_id()}/redrive")
    ),
    # Open311 GeoReport v2: reading is public (positions on the ~50 m grid); filing needs an api_key.
    ("GET", OPEN311 + "/discovery.{fmt}"): Row(everyone(200), get(OPEN311 + "/discovery.json")),
    ("GET", OPEN311 + "/services.{fmt}"): Row(everyone(200), get(OPEN311 + "/services.xml")),
    ("GET", OPEN311 + "/services/{service_code}.{fmt}"): Row(
        everyone(200), get(OPEN311 + "/services/road_damage.json")
    ),
    ("GET", OPEN311 + "/requests.{fmt}"): Row(
        everyone(200), get(OPEN311 + "/requests.json"), check=lambda s, r: s.assert_public_positions(r.json())
    ),
    ("POST", OPEN311 + "/requests.{fmt}"): Row(  # no key: 400; unknown or revoked key: 403 (the spec's codes)
        {**everyone(400), "bad_token": 403, "expired_token": 403, "api_key": 201},
        lambda s: Call(OPEN311 + "/requests.json", data=open311_form(s.caller.api_key)),
    ),
    ("GET", OPEN311 + "/requests/{service_request_id}.{fmt}"): Row(
        everyone(200),
        get(OPEN311 + "/requests/{s.report[code]}.json"),
        check=lambda s, r: s.assert_public_positions(r.json()),
    ),
    ("GET", OPEN311 + "/tokens/{token}.{fmt}"): Row(everyone(200), get(OPEN311 + "/tokens/{s.report[id]}.json")),
    ("GET", OPEN311 + "/media/{photo_id}.jpg"): Row(everyone(200), get(OPEN311 + "/media/{s.photo_id}.jpg")),
    **{
        (method, OPEN311 + "/{anything:path}"): Row(everyone(404), get(OPEN311 + "/no/such/thing.json"))
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
    },
}
