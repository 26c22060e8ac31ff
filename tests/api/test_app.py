"""Probes, the problem+json shape of framework errors, and what start-up leaves behind."""

import gc

import pytest

from tests.factories import auth_headers, new_uid


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


@pytest.mark.slow  # waits out the database timeout, ~7 s
def test_readyz_is_red_when_the_database_is_unreachable(make_client, settings):
    from api.embedded import free_port

    client = make_client(mongodb_uri=f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable" and response.headers["retry-after"]


def test_unknown_route_and_wrong_method_are_problem_json(client):
    missing = client.get("/v1/nothing-here", headers={"Accept-Language": "en"})
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "Not found."
    wrong = client.delete("/v1/categories", headers=auth_headers(new_uid()))
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
    assert "Phương thức" in wrong.json()["detail"]


def test_streaming_body_without_length_is_cut_at_the_cap(make_client):
    client = make_client(max_body_bytes=100_000)
    boundary = "b0undary"

    def chunks():
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\n'.encode()
        for _ in range(50):
            yield b"x" * 10_000

    response = client.post(
        "/v1/reports",
        content=chunks(),
        headers={**auth_headers(new_uid()), "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_start_up_objects_are_frozen_out_of_later_collections(make_client):
    """A full collection of a running API walks only what came after start-up, not the model."""
    before = gc.get_freeze_count()
    make_client()  # the test settings leave the collector alone
    assert gc.get_freeze_count() == before
    try:
        make_client(gc_freeze_after_start=True)
        assert gc.get_freeze_count() > before + 10_000
    finally:
        gc.unfreeze()
