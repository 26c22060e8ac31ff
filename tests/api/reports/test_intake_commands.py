"""What one report costs the database: every command of one intake, listed by command monitoring.

The list is the budget: a new command per report is a deliberate choice, made here.
"""

from tests.factories import auth_headers, image_bytes, new_uid, photo_files, report_form

ONE_INTAKE = [
    ("find", "idempotency_keys"),  # a retried request is answered from its first answer
    ("update", "rate_limits"),  # per resident and per client address, one conditional upsert each
    ("find", "reports"),  # possible duplicates nearby (grid-cell index)
    # the transaction: documents of this report only, nothing another report also writes, sent
    # in one command (core.db.TransactionWrites)
    ("bulkWrite", "reports+outbox+report_changes+idempotency_keys"),
    ("commitTransaction", ""),
]


def test_one_text_intake_sends_exactly_these_commands(command_log, make_client):
    client = make_client()
    uid = new_uid()
    assert client.post("/v1/reports", data=report_form(), headers=auth_headers(uid)).status_code == 201  # warm
    with command_log.recording() as commands:
        response = client.post(
            "/v1/reports", data=report_form(), headers=auth_headers(uid, **{"Idempotency-Key": "k1"})
        )
    assert response.status_code == 201
    assert [c for c in commands if c[0] not in ("getMore",)] == ONE_INTAKE


def test_a_reports_photos_are_written_by_its_transaction(command_log, make_client, sync_db):
    """No command of their own before or after it: they exist exactly when the report does."""
    client = make_client()
    uid = new_uid()
    assert client.post("/v1/reports", data=report_form(), headers=auth_headers(uid)).status_code == 201  # warm
    with command_log.recording() as commands:
        response = client.post(
            "/v1/reports",
            data=report_form(),
            files=photo_files(image_bytes(), image_bytes(seed=2)),
            headers=auth_headers(uid, **{"Idempotency-Key": "k1"}),
        )
    assert response.status_code == 201
    transaction = ("bulkWrite", "reports+outbox+report_changes+photos.chunks+photos.files+idempotency_keys")
    assert [c for c in commands if c[0] not in ("getMore",)] == [*ONE_INTAKE[:3], transaction, ONE_INTAKE[-1]]
    files = sync_db["photos.files"].find({"metadata.report_id": response.json()["id"]})
    assert sorted(f["metadata"]["committed"] for f in files) == [True] * 4
    assert all(client.get(p["url"], headers=auth_headers(uid)).status_code == 200 for p in response.json()["photos"])


def test_a_bad_token_is_looked_up_only_after_this_address_failed(command_log, make_client):
    client = make_client()
    bad = {"Authorization": "Bearer forged.token"}
    with command_log.recording() as first:
        assert client.get("/v1/reports/mine", headers=bad).status_code == 401
    with command_log.recording() as second:
        assert client.get("/v1/reports/mine", headers=bad).status_code == 401
    assert first == [("update", "rate_limits")]  # counted, not checked before
    assert second == [("find", "rate_limits"), ("update", "rate_limits")]  # now checked first
