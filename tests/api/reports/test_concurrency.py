"""Concurrent requests against one served app: a burst is not an outage.

Before the statistics left the report transaction, concurrent intakes conflicted on the day's
counters and some answered 503; each request here must succeed the first time.
"""

import asyncio

import httpx
import pytest

from tests.api.stats.recompute import recomputed_rollups, stored_rollups
from tests.factories import apply_statistics, auth_headers, new_uid, report_form, staff_headers
from tests.live_server import live_server

FLOOD = "Nước ngập sâu quá đầu gối trên phố Nguyễn Trãi, xe máy chết máy hàng loạt"


async def burst(base: str, requests) -> list[httpx.Response]:  # noqa: ANN001
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=64)) as http:
        return list(await asyncio.gather(*(request(http) for request in requests)))


@pytest.mark.slow  # a served app under a burst
def test_thirty_concurrent_intakes_all_succeed_and_are_counted_once(client, settings, sync_db):
    def intake(n: int):
        form = report_form(description=f"{FLOOD} ({n})", lat=21.0031 + n * 1e-6, lng=105.8201)
        return lambda http: http.post("/v1/reports", data=form, headers=auth_headers(new_uid()))

    with live_server(settings) as base:
        answers = asyncio.run(burst(base, [intake(n) for n in range(30)]))
    assert [a.status_code for a in answers] == [201] * 30, [a.text for a in answers if a.status_code != 201]
    assert sync_db.reports.count_documents({}) == 30
    assert apply_statistics(client) == 30
    totals = sum(doc["c"]["received"] for doc in sync_db.stats_rollups.find({"dim": "total"}))
    assert totals == 30 and stored_rollups(sync_db) == recomputed_rollups(sync_db)


def test_ten_concurrent_staff_changes_on_ten_reports_all_succeed(client, settings, sync_db):
    triage = staff_headers("triage_officer")
    ids = [
        client.post(
            "/v1/reports", data=report_form(description=f"{FLOOD} {n}"), headers=auth_headers(new_uid())
        ).json()["id"]
        for n in range(10)
    ]
    etags = {i: client.get(f"/v1/reports/{i}", headers=triage).headers["etag"] for i in ids}

    def move(report_id: str):
        return lambda http: http.post(
            f"/v1/triage/reports/{report_id}/status",
            json={"status": "in_progress", "public_note": "Đang xử lý"},
            headers={**triage, "If-Match": etags[report_id]},
        )

    with live_server(settings) as base:
        answers = asyncio.run(burst(base, [move(i) for i in ids]))
    assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers if a.status_code != 200]
    assert sync_db.reports.count_documents({"status": "in_progress"}) == 10
    apply_statistics(client)
    assert stored_rollups(sync_db) == recomputed_rollups(sync_db)
