"""GET /metrics: Prometheus text, per-route latency, classifier histograms, database gauges, access rules."""

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from tests.factories import auth_headers, file_report, new_uid, staff_headers
from tests.live_server import live_server

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

TOKEN = "metrics-secret-token-123"


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_need_the_token_off_loopback(make_client):
    client = make_client(metrics_token=SecretStr(TOKEN))  # TestClient's peer is "testclient", not loopback
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")


def test_metrics_without_a_token_setting_are_loopback_only(make_client, settings):
    assert make_client().get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 403
    with live_server(settings) as url:
        assert httpx.get(f"{url}/metrics").status_code == 200


def test_latency_by_route_template_classifier_histograms_and_overdue_gauge(make_client, sync_db):
    client = make_client(metrics_token=SecretStr(TOKEN), metrics_cache_s=0)
    report = file_report(client, "Ống nước vỡ tràn ra đường Nguyễn Trãi")
    client.get(f"/v1/reports/{report['id']}", headers=auth_headers(report["_author"]))
    client.get("/v1/reports/0123456789abcdef01234567", headers=auth_headers(new_uid()))
    sync_db.reports.update_one({"code": report["code"]}, {"$set": {"overdue": True}})
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    samples = _samples(text)

    def count(route: str, status: str, method: str = "GET") -> float:
        return samples.get(
            ("phananh_http_request_duration_seconds_count", (("method", method), ("route", route), ("status", status))),
            0,
        )

    assert count("/v1/reports", "201", "POST") == 1
    assert count("/v1/reports/{report_id}", "200") == 1 and count("/v1/reports/{report_id}", "404") == 1
    assert report["id"] not in text  # templates, never raw paths
    assert samples[("phananh_classifier_duration_seconds_count", ())] == 1
    assert samples[("phananh_classifier_confidence_count", ())] == 1
    assert samples[("phananh_reports_overdue", ())] == 1


def test_registered_gauges_are_read_at_scrape_time_and_cached(make_client):
    client = make_client(metrics_token=SecretStr(TOKEN), metrics_cache_s=3600)
    reads = []

    async def backlog() -> float:
        reads.append(1)
        return 42

    client.app.state.metrics.register_gauge("phananh_outbox_backlog", "Events not yet delivered", backlog)
    client.app.state.metrics._gauges.read_at = None  # noqa: SLF001 - forget the start-up cache
    for _ in range(3):
        text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
        assert _samples(text)[("phananh_outbox_backlog", ())] == 42
    assert len(reads) == 1


def test_a_failing_gauge_source_does_not_break_the_scrape(make_client):
    client = make_client(metrics_token=SecretStr(TOKEN), metrics_cache_s=0)

    async def broken() -> float:
        raise RuntimeError("outbox collection unreachable")

    client.app.state.metrics.register_gauge("phananh_outbox_lag_seconds", "Age of the oldest undelivered event", broken)
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "phananh_outbox_lag_seconds " not in response.text
    assert "phananh_reports_overdue" in response.text


def test_staff_queue_routes_are_labelled_by_template(make_client):
    client = make_client(metrics_token=SecretStr(TOKEN))
    client.get("/v1/triage/queue?status=received", headers=staff_headers("triage_officer"))
    client.get("/no/such/path")
    samples = _samples(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text)
    labels = {dict(key[1]).get("route") for key in samples if key[0] == "phananh_http_request_duration_seconds_count"}
    assert {"/v1/triage/queue", "unmatched"} <= labels
