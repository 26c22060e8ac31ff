"""The MongoDB client of one app instance, and the index set-up every repository declares.

The client is built in the app lifespan (never at import). Each feature's repository
exposes ``ensure_indexes``; the app runs them all at start-up so that every query the
service makes has its index before the first request (SecantusDB and busy production
clusters alike punish collection scans).
"""

import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import pymongo
from pymongo import AsyncMongoClient, InsertOne, ReturnDocument, WriteConcern
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ClientBulkWriteException, DuplicateKeyError, PyMongoError, ServerSelectionTimeoutError

log = logging.getLogger(__name__)

IndexSetup = Callable[[AsyncDatabase], Awaitable[None]]
T = TypeVar("T")
TRANSACTION_TIME_LIMIT_S = 8.0
KILL_TIME_LIMIT_S = 2.0  # ending a timed-out transaction: not worth holding a failed request longer
DUPLICATE_KEY = 11000  # the server's error code for a unique index refusing a write
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # before every stored time: "$gte EPOCH" reads a date field's index in full


def make_client(uri: str, *, server_selection_timeout_ms: int = 5000) -> AsyncMongoClient:
    """A client that fails fast when the database is down, so requests answer 503 quickly."""
    return AsyncMongoClient(
        uri,
        serverSelectionTimeoutMS=server_selection_timeout_ms,
        connectTimeoutMS=3000,
        tz_aware=True,
        appname="phananh",
    )


async def ensure_indexes(db: AsyncDatabase, setups: list[IndexSetup]) -> None:
    for setup in setups:
        await setup(db)
    log.info("indexes ensured on %s", db.name)


async def run_in_transaction(client: AsyncMongoClient, callback: Callable[..., Awaitable[T]]) -> T:
    """Run ``callback(session)`` in one multi-document transaction, retried on transient errors.

    Majority write concern: on a real replica set an acknowledged report survives the loss
    of the primary. The retries stop after ``TRANSACTION_TIME_LIMIT_S`` (PyMongo's own limit is
    120 s): a database that keeps failing makes the request answer 503 quickly, not hang.
    (15 s was tried, for a database saturated by a storm: then a commit failing with
    ShutdownInProgress ended in a server-selection timeout during the photo clean-up after it,
    leaving the photos to the orphan sweep; not understood yet, so 8 s stays.)

    Not causally consistent: a transaction reads the primary, whose every new snapshot is later
    than the attempt before it, so ``afterClusterTime`` would add nothing. It is what a retried
    attempt would send as the read concern of its first command, and SecantusDB refuses a read
    concern on ``bulkWrite`` (``TransactionWrites``), which may be that first command.

    A transaction that runs out of time is ended on the server as well (``end_left_open``).
    """
    async with client.start_session(causal_consistency=False) as session:
        try:
            with pymongo.timeout(TRANSACTION_TIME_LIMIT_S):
                return await session.with_transaction(callback, write_concern=WriteConcern(w="majority"))
        except PyMongoError as failed:
            if failed.timeout and not isinstance(failed, ServerSelectionTimeoutError):
                await end_left_open(client, session)
            raise


async def end_left_open(client: AsyncMongoClient, session: AsyncClientSession) -> None:
    """End the server's side of a transaction whose time limit ran out.

    PyMongo does not send ``abortTransaction`` once the limit has passed (it would exceed it),
    so the server keeps the transaction open, holding every document it wrote, until its
    lifetime limit (60 s on MongoDB). A plain write to one of them waits that long on MongoDB
    and, on SecantusDB, until a later command reaps it past that limit or a retryable write on
    the same pooled session ends it: measured, a plain update of such a document was still
    waiting after 90 s. ``killSessions`` aborts it now; the session stays usable (MongoDB's
    manual: "future operations may use the killed session"). Best effort, within
    ``KILL_TIME_LIMIT_S``: the lifetime limit is the backstop.
    """
    try:
        with pymongo.timeout(KILL_TIME_LIMIT_S):
            await client.admin.command("killSessions", [session.session_id])
    except PyMongoError as failed:
        log.warning("could not end a timed-out transaction's session: %s", failed)


class TransactionWrites:
    """A transaction's session, and the new documents it sends to the server in one command.

    A report change inserts several documents into several collections (the report or its
    audit record, its push event, its change record, an idempotency key). Sent one command
    each, SecantusDB spent most of the transaction on the commands around the inserts: four
    inserts in a transaction cost 10.2 ms of its CPU as four commands and 6.6 ms as one
    client-level ``bulkWrite`` (20 concurrent writers, 600 transactions). That command needs
    MongoDB 8.0 or later; SecantusDB speaks it.

    Reads and conditional updates still go through ``session`` at once: their answers decide
    what is written. ``flush`` must be called before the transaction commits.
    """

    def __init__(self, session: AsyncClientSession) -> None:
        self.session = session
        self._inserts: list[InsertOne[Any]] = []

    def insert(self, collection: AsyncCollection, document: Any) -> None:
        self._inserts.append(InsertOne(document, namespace=collection.full_name))

    async def flush(self) -> None:
        """Send the inserts added so far, in order. A unique index's refusal is a
        ``DuplicateKeyError`` as from ``insert_one``; a failure of the whole command is raised
        as itself, so a transient one keeps the label that makes the transaction retry."""
        inserts, self._inserts = self._inserts, []
        if not inserts:
            return
        try:
            await self.session.client.bulk_write(inserts, session=self.session)
        except ClientBulkWriteException as exc:
            if isinstance(exc.error, PyMongoError):
                raise exc.error from exc
            # the raw errors: ``write_errors`` is annotated as exceptions but holds the server's documents
            refused = next((e for e in exc.details.get("writeErrors", []) if e.get("code") == DUPLICATE_KEY), None)
            if refused is not None:
                raise DuplicateKeyError(refused.get("errmsg", "duplicate key"), DUPLICATE_KEY, refused) from exc
            raise


IN_CHUNK = 50
# A multi-document write holds its collection's write lock on SecantusDB for the whole statement,
# and an intake inserting into the same collection (its change record, its push event) waits for
# it: 10 records a statement cost the same per record as 50 (1.2-1.6 ms) and hold the lock for
# ~12-16 ms instead of ~60-75.
WRITE_CHUNK = 10


def chunked(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """Slices for ``$in`` queries: SecantusDB's ``$in`` cost grows with the square of its length
    (measured: 500 keys 0.26 s, 10 x 50 keys 0.05 s), and MongoDB is indifferent. Writes use
    ``WRITE_CHUNK``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def utc_now() -> datetime:
    """Now, truncated to BSON's millisecond precision so what we answer equals what we store."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


async def increment(
    collection: AsyncCollection, doc_id: str, field: str, amount: int = 1, on_insert: dict[str, Any] | None = None
) -> int:
    """Atomically add to a counter document, creating it on first use; returns the new value.

    Two first-time upserts can race: MongoDB may answer DuplicateKeyError and SecantusDB may
    return no document. Either way the document exists now, so one more try succeeds.
    """
    update: dict[str, Any] = {"$inc": {field: amount}}
    if on_insert:
        update["$setOnInsert"] = on_insert
    for _ in range(3):
        try:
            doc = await collection.find_one_and_update(
                {"_id": doc_id}, update, upsert=True, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError:
            continue
        if doc is not None:
            return int(doc[field])
    raise RuntimeError(f"counter {doc_id} could not be incremented")
