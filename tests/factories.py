"""Builders of test inputs: tokens, images and report forms (factories, not hand-built dicts)."""

import io
import itertools
import random
from typing import Any

from PIL import Image

from api.auth import make_dev_token

PROJECT_ID = "phananh-test"
HOAN_KIEM_LAKE = (21.0285, 105.8542)
SON_TAY = (21.1386, 105.5056)
HO_CHI_MINH_CITY = (10.7769, 106.7009)
_uids = itertools.count(1)


def new_uid(prefix: str = "resident") -> str:
    return f"{prefix}-{next(_uids)}"


def dev_token(
    uid: str, claims: dict[str, Any] | None = None, lifetime_s: int = 3600, issued_at: float | None = None
) -> str:
    return make_dev_token(PROJECT_ID, uid, claims, lifetime_s=lifetime_s, issued_at=issued_at)


def auth_headers(uid: str, claims: dict[str, Any] | None = None, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {dev_token(uid, claims)}", **extra}


def image_bytes(
    fmt: str = "JPEG",
    size: tuple[int, int] = (640, 480),
    *,
    orientation: int | None = None,
    gps: bool = False,
    mode: str = "RGB",
    seed: int = 1,
    comment: bytes | None = None,
    xmp: bytes | None = None,
) -> bytes:
    """A small photo-like image; optionally with an EXIF orientation and GPS block, a JPEG
    comment and an XMP packet (places where phones and editors write owners' names)."""
    rng = random.Random(seed)
    image = Image.new(mode, size, tuple(rng.randrange(256) for _ in mode) if len(mode) > 1 else rng.randrange(256))
    # a marker in the top-left corner lets tests check the orientation was applied
    marker = Image.new(mode, (max(1, size[0] // 4), max(1, size[1] // 8)), (255,) * len(mode) if len(mode) > 1 else 255)
    image.paste(marker, (0, 0))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (21.0, 1.0, 42.0), 3: "E", 4: (105.0, 51.0, 15.0)}
        exif[0x010F] = "PhoneMaker"
        exif[0x013B] = "Nguyễn Văn A"
    out = io.BytesIO()
    kwargs: dict[str, Any] = {"exif": exif} if (orientation or gps) else {}
    kwargs |= {key: value for key, value in (("comment", comment), ("xmp", xmp)) if value is not None}
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def report_form(**overrides: Any) -> dict[str, str]:
    lat, lng = HOAN_KIEM_LAKE
    form = {
        "description": "Ổ gà rất to trước số 12 phố Hàng Bài, xe máy ngã liên tục.",
        "lat": str(lat),
        "lng": str(lng),
    }
    form.update({k: str(v) for k, v in overrides.items() if v is not None})
    for key, value in overrides.items():
        if value is None:
            form.pop(key, None)
    return form


def photo_files(
    *blobs: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"
) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("photos", (f"{i}-{name}", blob, content_type)) for i, blob in enumerate(blobs)]


def staff_headers(role: str, agency: str | None = None, uid: str | None = None, **extra: str) -> dict[str, str]:
    claims = {"role": role, **({"agency": agency} if agency else {})}
    return auth_headers(uid or new_uid(role), claims, **extra)


def file_report(client, description: str, uid: str | None = None, **form: Any) -> dict[str, Any]:
    """POST a text-only report as a resident; returns the 201 body (with ``_author`` added)."""
    author = uid or new_uid()
    response = client.post(
        "/v1/reports", data=report_form(description=description, **form), headers=auth_headers(author)
    )
    assert response.status_code == 201, response.text
    return {**response.json(), "_author": author}


def upload_attachments(client, report_id: str, headers: dict[str, str], count: int = 1, seed: int = 10) -> list[str]:
    """Staff upload ``count`` photos for a report (POST .../attachments); returns their ids."""
    files = [("files", (f"{i}-proof.jpg", image_bytes(seed=seed + i), "image/jpeg")) for i in range(count)]
    response = client.post(f"/v1/triage/reports/{report_id}/attachments", files=files, headers=headers)
    assert response.status_code == 201, response.text
    return [a["id"] for a in response.json()["attachments"]]


def move_status(client, report_id: str, status: str, headers: dict[str, str], **notes: Any):
    """A staff status change with the report's current ETag. Resolving attaches a freshly uploaded
    proof photo and rejecting gives a reason, unless the caller passes ``attachments`` / ``reason_code``."""
    if status == "resolved" and "attachments" not in notes:
        notes["attachments"] = upload_attachments(client, report_id, headers)
    if status == "rejected" and "reason_code" not in notes:
        notes["reason_code"] = "insufficient_information"
    etag = client.get(f"/v1/reports/{report_id}", headers=headers).headers["etag"]
    return client.post(
        f"/v1/triage/reports/{report_id}/status",
        json={"status": status, **notes},
        headers={**headers, "If-Match": etag},
    )


def resolve(client, report_id: str, agency: str) -> dict[str, str]:
    """Take a report through in_progress to resolved as its agency's staff; returns their headers."""
    staff = staff_headers("agency_staff", agency)
    assert move_status(client, report_id, "in_progress", staff).status_code == 200
    assert move_status(client, report_id, "resolved", staff, public_note="Đã xử lý xong").status_code == 200
    return staff


def fcm_token() -> str:
    """A registration-token-shaped string, unique per call."""
    return f"fcm_{next(_uids):06d}:APA91b{'x' * 40}"  # real ones are ~160 characters


def register_device(client, uid: str, token: str | None = None, **fields: Any) -> str:
    """Register a phone for ``uid``; returns its token."""
    token = token or fcm_token()
    body = {"token": token, "platform": "android", "locale": "vi", **fields}
    response = client.post("/v1/devices", json=body, headers=auth_headers(uid))
    assert response.status_code == 201, response.text
    return token


def drain_outbox(client) -> int:
    """Run the app's dispatcher until no event is claimable now; returns how many it handled."""
    return client.portal.call(client.app.state.worker.drain_outbox)


def run_job(client, name: str) -> int:
    """Run one of the worker's periodic jobs now (``public_photos``, ``area_digests``, ``digests_sent``, ...)."""
    return client.portal.call(client.app.state.worker.jobs[name])


def apply_statistics(client) -> int:
    """Apply every pending report change to the statistics, as the worker's applier does within a
    second (tests run no background worker); returns how many changes it applied."""
    return client.portal.call(client.app.state.worker.apply_statistics)


def issue_api_key(client, name: str = "Civic App Hà Nội") -> str:
    """An Open311 API key issued in the app's database (as `phananh apikey create` does)."""
    from api.open311.keys import ApiKeys
    from api.open311.repository import Open311Repository

    return client.portal.call(ApiKeys(Open311Repository(client.app.state.db)).create, name).key


def open311_form(api_key: str | None, **overrides: Any) -> dict[str, str]:
    """A GeoReport v2 POST body like the spec's example; ``None`` drops a field."""
    lat, lng = HOAN_KIEM_LAKE
    form = {
        "api_key": api_key,
        "service_code": "road_damage",
        "lat": str(lat),
        "long": str(lng),
        "description": "Ổ gà sâu giữa đường Hàng Bài, xe máy dễ ngã.",
        "first_name": "Lan",
        "last_name": "Nguyễn",
        "email": "lan.nguyen@example.vn",
        "phone": "0912345678",
    }
    form.update(overrides)
    return {k: str(v) for k, v in form.items() if v is not None}


class _Now(Exception):
    """A generated life reached the present: it stops there."""


def stored_report(
    rng: random.Random, created_at: Any, agency: str, category: str, ward: dict[str, str], number: int, now: Any
) -> dict[str, Any]:
    """A report as the services store it after a random life (intake, maybe reroute, work, resolution,
    rating, reopening, overdue flags) up to ``now``, written straight to the database by statistics
    tests and benches."""
    from datetime import timedelta

    from bson import ObjectId

    def at(hours: float) -> Any:
        return created_at + timedelta(hours=hours)

    due_ack, due_resolve = at(rng.choice([8, 24, 40])), at(rng.choice([40, 72, 120, 360]))
    history = [
        {"status": "received", "at": created_at, "by_role": "resident"},
        {"status": "assigned", "at": created_at, "by_role": "system"},
    ]
    report = {
        "_id": ObjectId(),
        "code": f"HN-BENCH-{number:07d}",
        "resident_uid": f"r-{rng.randrange(5000)}",
        "description": "Phản ánh thử",
        "ward": ward,
        "agency": agency,
        "category": category,
        "created_at": created_at,
        "updated_at": created_at,
        "due_acknowledge_at": due_ack,
        "due_resolve_at": due_resolve,
        "overdue": False,
        "version": 1,
        "status_history": history,
        "location": {"type": "Point", "coordinates": [105.85, 21.03]},
        "photos": [],
    }
    clock, status = 0.0, "assigned"

    def move(to: str, hours: float, **extra: Any) -> None:
        nonlocal clock, status
        if at(clock + hours) > now:
            raise _Now
        clock += hours
        history.append(
            {
                "status": to,
                "from": status,
                "at": at(clock),
                "by_role": "agency_staff",
                "due_acknowledge_at": due_ack,
                "due_resolve_at": due_resolve,
                **extra,
            }
        )
        status = to

    if rng.random() < 0.1:  # rerouted to another agency first (the deadlines restart)
        clock += rng.uniform(0.5, 30)
        history.append(
            {
                "status": "assigned",
                "from": "assigned",
                "at": at(clock),
                "by_role": "triage_officer",
                "agency": "citizen_center",
                "category": category,
                "from_agency": agency,
                "from_category": category,
            }
        )
        report["agency"] = "citizen_center"
    if rng.random() < 0.15 and at(clock + 9) <= now:
        report.setdefault("overdue_marks", []).append(at(clock + 9))
    fate = rng.random()
    try:
        if fate < 0.08:
            move("rejected", rng.uniform(0.2, 60))
        elif fate < 0.85:
            move("in_progress", rng.expovariate(1 / 10))
            if rng.random() < 0.9:
                move("resolved", rng.expovariate(1 / 60))
                report["resolved_at"] = at(clock)
                if rng.random() < 0.4 and at(clock + 5) <= now:
                    report["rating"] = {"stars": rng.randint(1, 5), "comment": None, "at": at(clock + 5)}
                if rng.random() < 0.05:
                    move("reopened", 20)
                    move("in_progress", 3)
    except _Now:
        pass
    report["status"] = status
    return report


def mapped_report(lat: float, lng: float, created_at: Any, code: str, **fields: Any) -> dict[str, Any]:
    """A report as intake stores it, with what the nearby map reads (grid cells, visibility), filed at
    ``created_at`` (its id too): for tests that need reports older than the test itself."""
    from bson import ObjectId

    from api.duplicates.finder import AREA_CELL_DEGREES, geo_cell

    return {
        "_id": ObjectId(ObjectId.from_datetime(created_at).binary[:4] + ObjectId().binary[4:]),
        "code": code,
        "resident_uid": new_uid(),
        "description": "Ổ gà giữa đường",
        "status": "assigned",
        "category": "road_damage",
        "location": {"type": "Point", "coordinates": [lng, lat]},
        "geo_cell": geo_cell(lat, lng),
        "area_cell": geo_cell(lat, lng, AREA_CELL_DEGREES),
        "visibility": "public",
        "photos": [],
        "notes": [],
        "ward": {"code": "00070", "name": "Hoàn Kiếm"},
        "status_history": [],
        "created_at": created_at,
        "updated_at": created_at,
        "version": 1,
        **fields,
    }


def dead_outbox_event(client) -> str:
    """A notification event in the state the dispatcher leaves after its last failed attempt; returns its id."""
    from datetime import UTC, datetime

    from notifications.outbox import OutboxRepository

    now = datetime.now(UTC)
    event = {
        "kind": "broadcast",
        "severity": "warning",
        "state": "dead",
        "claimable_at": None,
        "attempts": 8,
        "died_at": now,
        "last_error": "QUOTA_EXCEEDED",
    }
    return str(client.portal.call(OutboxRepository(client.app.state.db).enqueue, event, now, None))


def reject(client, report_id: str, agency: str, note: str = "Không thuộc thẩm quyền") -> dict[str, str]:
    """Reject a report as its agency's staff; returns their headers."""
    staff = staff_headers("agency_staff", agency)
    assert move_status(client, report_id, "rejected", staff, public_note=note).status_code == 200
    return staff


def appeal(client, report: dict[str, Any], uid: str | None = None, reason: str = "Kết quả không đúng thực tế"):
    """The author (or ``uid``) appeals ``report`` (a ``file_report`` answer)."""
    return client.post(
        f"/v1/reports/{report['id']}/appeal", json={"reason": reason}, headers=auth_headers(uid or report["_author"])
    )


def decide_appeal(
    client, report_id: str, headers: dict[str, str], outcome: str, note: str = "Đã xem xét lại", **extra: Any
):
    """A supervising body's decision on a pending appeal, with the report's current ETag."""
    etag = client.get(f"/v1/reports/{report_id}", headers=headers).headers.get("etag", '"v0"')
    return client.post(
        f"/v1/triage/reports/{report_id}/appeal/decision",
        json={"outcome": outcome, "note": note, **extra},
        headers={**headers, "If-Match": etag},
    )


def prod_overrides(**extra: Any) -> dict[str, Any]:
    """Settings overrides for a production-mode app: prod refuses to start without its own
    photo-link signing key (PHANANH_PHOTO_URL_KEY), so every prod app in a test has one."""
    from pydantic import SecretStr

    return {"env": "prod", "photo_url_key": SecretStr("test-signing-key-" + "k" * 32), **extra}
