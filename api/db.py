"""The MongoDB client of one app instance, and the index set-up every repository declares.

The client is built in the app lifespan (never at import). Each feature's repository
exposes ``ensure_indexes``; the app runs them all at start-up so that every query the
service makes has its index before the first request (SecantusDB and busy production
clusters alike punish collection scans).
"""

import logging
from collections.abc import Awaitable, Callable

from pymongo import AsyncMongoClient, WriteConcern
from pymongo.asynchronous.database import AsyncDatabase

log = logging.getLogger(__name__)

IndexSetup = Callable[[AsyncDatabase], Awaitable[None]]


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


async def run_in_transaction(client: AsyncMongoClient, callback: Callable[..., Awaitable[object]]) -> object:
    """Run ``callback(session)`` in one multi-document transaction, retried on transient errors.

    Majority write concern: on a real replica set an acknowledged report survives the loss
    of the primary.
    """
    async with client.start_session() as session:
        return await session.with_transaction(callback, write_concern=WriteConcern(w="majority"))
