"""A transaction's new documents go to the server in one command, and fail as single inserts do;
one that runs out of time leaves nothing locked behind it."""

import asyncio
from collections.abc import Iterator

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient, MongoClient
from pymongo.errors import DuplicateKeyError, PyMongoError

import core.db
from api.observability.commands import CommandLog
from core.db import TransactionWrites, run_in_transaction


@pytest.fixture
def fail_next_bulk_write(mongo_server) -> Iterator[None]:
    """The next bulkWrite fails as a write conflict does: labelled transient, the whole transaction retried."""
    with MongoClient(mongo_server.uri) as admin:
        admin.admin.command(
            "configureFailPoint",
            "failCommand",
            mode={"times": 1},
            data={"failCommands": ["bulkWrite"], "errorCode": 112, "errorLabels": ["TransientTransactionError"]},
        )
        yield
        admin.admin.command("configureFailPoint", "failCommand", mode="off")


def write_in_transaction(settings, documents: dict[str, list[dict]]) -> int:
    """Insert ``documents`` (collection -> documents) through one ``TransactionWrites``; returns the attempts."""
    attempts = 0

    async def go() -> None:
        client: AsyncMongoClient = AsyncMongoClient(settings.mongodb_uri)
        db = client[settings.database_name]

        async def write(session) -> None:
            nonlocal attempts
            attempts += 1
            writes = TransactionWrites(session)
            for name, docs in documents.items():
                for doc in docs:
                    writes.insert(db[name], dict(doc))
            await writes.flush()
            await writes.flush()  # nothing left: sends nothing

        try:
            await run_in_transaction(client, write)
        finally:
            await client.close()

    asyncio.run(go())
    return attempts


def test_inserts_into_several_collections_are_one_command(settings, sync_db, command_log: CommandLog) -> None:
    documents = {"reports": [{"code": "A"}], "outbox": [{"n": 1}, {"n": 2}], "audit_log": [{"action": "x"}]}
    with command_log.recording() as commands:
        write_in_transaction(settings, documents)
    sent = [c for c in commands if c[0] != "endSessions"]  # the client closing
    assert sent == [("bulkWrite", "reports+outbox+audit_log"), ("commitTransaction", "")]
    assert [d["code"] for d in sync_db.reports.find()] == ["A"]
    assert sorted(d["n"] for d in sync_db.outbox.find()) == [1, 2]
    assert sync_db.audit_log.count_documents({}) == 1


def test_a_unique_index_refusal_is_a_duplicate_key_error_and_nothing_is_written(settings, sync_db) -> None:
    sync_db.idempotency_keys.create_index("key", unique=True)
    sync_db.idempotency_keys.insert_one({"key": "k1"})
    with pytest.raises(DuplicateKeyError):
        write_in_transaction(settings, {"reports": [{"_id": ObjectId()}], "idempotency_keys": [{"key": "k1"}]})
    assert sync_db.reports.count_documents({}) == 0
    assert sync_db.idempotency_keys.count_documents({}) == 1


def test_a_transient_failure_retries_the_transaction(settings, sync_db, fail_next_bulk_write) -> None:
    attempts = write_in_transaction(settings, {"reports": [{"code": "B"}], "outbox": [{"n": 1}]})
    assert attempts == 2
    assert [d["code"] for d in sync_db.reports.find()] == ["B"]
    assert sync_db.outbox.count_documents({}) == 1


def test_a_transaction_that_runs_out_of_time_leaves_no_document_locked(settings, sync_db, monkeypatch) -> None:
    """Past its time limit PyMongo sends no abortTransaction: unless ended, the server keeps the
    transaction, and a plain write to a document it wrote waits (on SecantusDB: indefinitely).
    The client stays open meanwhile: closing it would end its sessions, and the transaction with them."""
    monkeypatch.setattr(core.db, "TRANSACTION_TIME_LIMIT_S", 0.5)
    sync_db.reports.insert_one({"_id": 1, "status": "new"})
    plain = MongoClient(settings.mongodb_uri, socketTimeoutMS=5000, retryWrites=False)[settings.database_name]

    async def too_slow_then_a_plain_write() -> tuple[PyMongoError, int]:
        client: AsyncMongoClient = AsyncMongoClient(settings.mongodb_uri)
        reports = client[settings.database_name].reports

        async def write(session) -> None:
            await reports.update_one({"_id": 1}, {"$set": {"status": "in_progress"}}, session=session)
            await asyncio.sleep(0.7)
            await reports.find_one({"_id": 1}, session=session)

        try:
            with pytest.raises(PyMongoError) as failed:
                await run_in_transaction(client, write)
            written = plain.reports.update_one({"_id": 1}, {"$set": {"status": "resolved"}})
            return failed.value, written.modified_count
        finally:
            await client.close()

    try:
        failure, modified = asyncio.run(too_slow_then_a_plain_write())
    finally:
        plain.client.close()
    assert failure.timeout and modified == 1
    assert sync_db.reports.find_one({"_id": 1})["status"] == "resolved"
