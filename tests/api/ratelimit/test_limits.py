"""Abuse limits: per resident, per client address, photo bytes, failed tokens; shared through MongoDB."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.ratelimit.client_ip import resolve_client_ip
from api.ratelimit.repository import Charge, RateLimitRepository
from core.db import make_client as mongo_client
from tests.factories import auth_headers, image_bytes, new_uid, photo_files, report_form
from tests.live_server import live_server

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset


def _assert_429(response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "too_many_requests"
    assert int(response.headers["retry-after"]) > 0


def test_one_address_is_limited_whatever_accounts_it_uses(make_client):
    client = make_client(report_ip_rate_limit=2)
    statuses = [
        client.post("/v1/reports", data=report_form(), headers=auth_headers(new_uid())).status_code for _ in range(2)
    ]
    assert statuses == [201, 201]
    _assert_429(client.post("/v1/reports", data=report_form(), headers=auth_headers(new_uid())))


def test_limits_hold_across_api_processes(make_client):
    """Two app instances (two processes in production) share one counter in the database."""
    first, second = make_client(report_rate_limit=2), make_client(report_rate_limit=2)
    headers = auth_headers(new_uid())
    assert first.post("/v1/reports", data=report_form(), headers=headers).status_code == 201
    assert second.post("/v1/reports", data=report_form(), headers=headers).status_code == 201
    _assert_429(first.post("/v1/reports", data=report_form(), headers=headers))


def test_photo_bytes_per_resident_are_limited(make_client, sync_db):
    photo = image_bytes(size=(800, 600))
    client = make_client(photo_bytes_rate_limit=int(len(photo) * 2.5))
    headers = auth_headers(new_uid())
    assert (
        client.post("/v1/reports", data=report_form(), files=photo_files(photo, photo), headers=headers).status_code
        == 201
    )
    _assert_429(client.post("/v1/reports", data=report_form(), files=photo_files(photo), headers=headers))
    assert client.post("/v1/reports", data=report_form(), headers=headers).status_code == 201  # text still goes
    assert sync_db["reports"].count_documents({}) == 2
    assert sync_db["photos.files"].count_documents({}) == 4  # the refused photo was never stored


def test_failed_tokens_block_the_address_before_verifying(make_client):
    client = make_client(auth_failure_limit=3)
    good = auth_headers(new_uid())
    for _ in range(3):
        assert client.get("/v1/reports/mine", headers={"Authorization": "Bearer forged.token"}).status_code == 401
    # Over the limit: refused before the token is even looked at, valid or not.
    _assert_429(client.get("/v1/reports/mine", headers=good))
    _assert_429(client.get("/v1/reports/mine", headers={"Authorization": "Bearer forged.token"}))


def test_expired_tokens_do_not_count_as_attacks(make_client):
    from tests.factories import dev_token

    client = make_client(auth_failure_limit=2)
    expired = {"Authorization": f"Bearer {dev_token(new_uid(), issued_at=1_000_000, lifetime_s=60)}"}
    for _ in range(4):
        assert client.get("/v1/reports/mine", headers=expired).json()["code"] == "token_expired"
    assert client.get("/v1/reports/mine", headers=auth_headers(new_uid())).status_code == 200


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.7", "198.51.100.1", (), "203.0.113.7"),  # no trusted proxy: the header is ignored
        ("10.0.0.2", "198.51.100.1", ("10.0.0.0/8",), "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.9", ("10.0.0.0/8",), "198.51.100.1"),  # spoofed left part ignored
        ("203.0.113.7", "198.51.100.1", ("10.0.0.0/8",), "203.0.113.7"),  # peer not a proxy: header not believed
        ("10.0.0.2", "not-an-ip", ("10.0.0.0/8",), "10.0.0.2"),
        ("10.0.0.2", None, ("10.0.0.0/8",), "10.0.0.2"),
        ("::1", "2001:db8::5", ("::1",), "2001:db8::5"),
    ],
)
def test_client_address_resolution(peer, forwarded, trusted, expected):
    assert resolve_client_ip(peer, forwarded, trusted) == expected


def test_forwarded_for_counts_only_behind_a_trusted_proxy(settings):
    """Over real HTTP (the peer is 127.0.0.1): X-Forwarded-For splits the buckets only when trusted."""

    def third_report_status(url: str) -> int:
        with httpx.Client(base_url=url, timeout=30) as http:
            statuses = [
                http.post(
                    "/v1/reports",
                    data=report_form(),
                    headers=auth_headers(new_uid(), **{"X-Forwarded-For": f"198.51.100.{i}"}),
                ).status_code
                for i in range(3)
            ]
        return statuses[-1]

    limited = {"report_ip_rate_limit": 2}
    with live_server(settings.model_copy(update=limited)) as url:
        assert third_report_status(url) == 429  # the header is ignored: one address
    with live_server(
        settings.model_copy(
            update={**limited, "database_name": settings.database_name + "b", "trusted_proxies": ["127.0.0.1"]}
        )
    ) as url:
        assert third_report_status(url) == 201  # behind a trusted proxy: three residents' addresses


def _charge_concurrently(settings, batches: list[list[Charge]], together: bool = False) -> list[list[bool]]:
    """Each batch through its own ``charge_within`` call, all at once, on one client; or, ``together``,
    all in one ``charge_together`` call (what the per-process group commit sends)."""

    async def run() -> list[list[bool]]:
        client = mongo_client(settings.mongodb_uri)
        try:
            repo = RateLimitRepository(client[settings.database_name])
            if together:
                return await repo.charge_together(batches)
            return list(await asyncio.gather(*(repo.charge_within(batch) for batch in batches)))
        finally:
            await client.close()

    return asyncio.run(run())


def test_several_limits_are_charged_in_one_command_and_only_within_their_room(settings, sync_db, command_log):
    expires = datetime.now(UTC) + timedelta(minutes=5)
    report, photos = Charge("report:u1", 1, 2, expires), Charge("photo:u1", 600, 1000, expires)
    with command_log.recording() as commands:
        assert _charge_concurrently(settings, [[report, photos]]) == [[True, True]]
    assert [name for name, target in commands if target == "rate_limits"] == ["update"]
    # the photo bucket has 400 left: the second photo is refused and not counted, the report is counted
    assert _charge_concurrently(settings, [[report, photos]]) == [[True, False]]
    assert _charge_concurrently(settings, [[report]]) == [[False]]
    counts = {doc["_id"]: doc["count"] for doc in sync_db["rate_limits"].find()}
    assert counts == {"report:u1": 2, "photo:u1": 600}
    # more than a whole window's limit at once is refused without creating the bucket
    assert _charge_concurrently(settings, [[Charge("photo:u2", 5000, 1000, expires)]]) == [[False]]
    assert sync_db["rate_limits"].count_documents({"_id": "photo:u2"}) == 0


def test_racing_first_charges_of_a_new_bucket_allow_exactly_the_limit(settings, sync_db):
    expires = datetime.now(UTC) + timedelta(minutes=5)
    results = _charge_concurrently(settings, [[Charge("report:new", 1, 5, expires)] for _ in range(12)])
    assert sorted(flag for [flag] in results) == [False] * 7 + [True] * 5
    assert sync_db["rate_limits"].find_one({"_id": "report:new"})["count"] == 5


def test_requests_charged_together_share_one_command(settings, sync_db, command_log):
    """Eight reports from one address and their residents' own buckets: one command, each bucket
    counted right."""
    expires = datetime.now(UTC) + timedelta(minutes=5)
    requests = [
        [Charge(f"report:t{i}", 1, 20, expires), Charge("report_ip:10.0.0.7", 1, 200, expires)] for i in range(8)
    ]
    with command_log.recording() as commands:
        assert _charge_concurrently(settings, requests, together=True) == [[True, True]] * 8
    assert [name for name, target in commands if target == "rate_limits"] == ["update"]
    assert sync_db["rate_limits"].find_one({"_id": "report_ip:10.0.0.7"})["count"] == 8
    assert sync_db["rate_limits"].count_documents({"_id": {"$regex": "^report:t"}, "count": 1}) == 8


def test_a_sum_without_room_is_charged_one_by_one_up_to_the_limit(settings, sync_db):
    expires = datetime.now(UTC) + timedelta(minutes=5)
    ip = Charge("report_ip:10.0.0.8", 1, 5, expires)
    assert _charge_concurrently(settings, [[ip]] * 3, together=True) == [[True]] * 3
    # 2 left: of four more, the first two fit and the others are refused (and not counted)
    results = _charge_concurrently(settings, [[Charge(f"report:s{i}", 1, 20, expires), ip] for i in range(4)], True)
    assert results == [[True, True], [True, True], [True, False], [True, False]]
    assert sync_db["rate_limits"].find_one({"_id": "report_ip:10.0.0.8"})["count"] == 5
