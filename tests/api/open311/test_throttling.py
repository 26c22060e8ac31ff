"""Public Open311 reads are throttled per reader, also behind the city's reverse proxy."""

from fastapi.testclient import TestClient

from api.app import create_app

BASE = "/open311/v2"
PROXY = ("10.0.0.5", 50000)  # the socket peer every request arrives from


def test_two_readers_behind_a_trusted_proxy_get_separate_buckets(settings):
    app = create_app(settings.model_copy(update={"open311_rate_limit": 2, "trusted_proxies": ["10.0.0.0/8"]}))
    with TestClient(app, client=PROXY) as http:

        def read(reader: str) -> int:
            return http.get(f"{BASE}/requests.json", headers={"X-Forwarded-For": reader}).status_code

        assert [read("198.51.100.7"), read("198.51.100.7")] == [200, 200]
        assert [read("203.0.113.9"), read("203.0.113.9")] == [200, 200]  # not the first reader's bucket
        assert read("198.51.100.7") == 429  # and each bucket still has its limit


def test_an_untrusted_peer_cannot_pick_its_bucket_by_header(settings):
    app = create_app(settings.model_copy(update={"open311_rate_limit": 2}))
    with TestClient(app, client=PROXY) as http:
        statuses = [
            http.get(f"{BASE}/requests.json", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
            for i in range(3)
        ]
    assert statuses == [200, 200, 429]
