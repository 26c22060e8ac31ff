"""Every query of area subscriptions and their digests, and the indexes that serve them.

``area_subscriptions``: one document per area, at most ``MAX_PER_RESIDENT`` per resident,
kept by a unique slot number (inserting into the first free slot is race-free, unlike
counting first). A circle stores the ~1.1 km area cells it touches, so a resolved report
finds its circle subscribers by one equality on its own ``area_cell``.

``subscription_digests``: per resident, the resolved reports not pushed yet and when the
next digest may go (``next_at``); ``pending`` marks those with something to send.
"""

from datetime import datetime
from typing import Any, NotRequired, TypedDict

from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

SUBSCRIPTIONS = "area_subscriptions"
DIGESTS = "subscription_digests"
MAX_PER_RESIDENT = 5
DIGEST_ITEMS = 20  # the newest this many reports are named in one digest


class Area(TypedDict):
    """What a resident subscribes to: a ward, or a circle (with the area cells it touches)."""

    resident_uid: str
    created_at: datetime
    ward: NotRequired[str]
    lat: NotRequired[float]
    lng: NotRequired[float]
    radius_m: NotRequired[float]
    cells: NotRequired[list[int]]


class Subscription(Area):
    """A document of ``area_subscriptions``."""

    _id: ObjectId
    slot: int


class DigestEntry(TypedDict):
    report_id: ObjectId
    code: str
    at: datetime


class Digest(TypedDict):
    """A document of ``subscription_digests`` (``_id``: the resident's uid)."""

    _id: str
    pending: bool
    next_at: datetime
    items: list[DigestEntry]


class SubscriptionRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self._subscriptions = db[SUBSCRIPTIONS]
        self._digests = db[DIGESTS]

    @staticmethod
    async def ensure_indexes(db: AsyncDatabase) -> None:
        subscriptions = db[SUBSCRIPTIONS]
        await subscriptions.create_index([("resident_uid", ASCENDING), ("slot", ASCENDING)], unique=True)
        await subscriptions.create_index([("ward", ASCENDING)], sparse=True)
        await subscriptions.create_index([("cells", ASCENDING)], sparse=True)
        await db[DIGESTS].create_index([("pending", ASCENDING), ("next_at", ASCENDING)], name="due")

    async def insert(self, area: Area) -> Subscription | None:
        """Into the resident's first free slot; None when all are taken."""
        for slot in range(MAX_PER_RESIDENT):
            try:
                doc: Subscription = {"_id": ObjectId(), **area, "slot": slot}
                await self._subscriptions.insert_one(doc)
                return doc
            except DuplicateKeyError:
                continue
        return None

    async def of_resident(self, uid: str) -> list[Subscription]:
        return await self._subscriptions.find({"resident_uid": uid}).sort("slot", ASCENDING).to_list()

    async def delete(self, uid: str, subscription_id: ObjectId) -> bool:
        result = await self._subscriptions.delete_one({"_id": subscription_id, "resident_uid": uid})
        return result.deleted_count == 1

    async def in_ward(self, ward: str) -> list[dict[str, Any]]:
        return await self._subscriptions.find({"ward": ward}, {"resident_uid": 1}).to_list()

    async def circles_over(self, area_cell: int) -> list[dict[str, Any]]:
        return await self._subscriptions.find(
            {"cells": area_cell}, {"resident_uid": 1, "lat": 1, "lng": 1, "radius_m": 1}
        ).to_list()

    async def add_to_digest(self, uid: str, item: DigestEntry, at: datetime, session: AsyncClientSession) -> None:
        """A resident's first digest may go at once; later ones wait for ``next_at`` (set when one is sent)."""
        await self._digests.update_one(
            {"_id": uid},
            {
                "$set": {"pending": True},
                "$push": {"items": {"$each": [item], "$slice": -DIGEST_ITEMS}},
                "$setOnInsert": {"next_at": at},
            },
            upsert=True,
            session=session,
        )

    async def take_due(self, now: datetime, next_at: datetime, session: AsyncClientSession) -> Digest | None:
        """Empty one digest that may be sent now and hold the next one back until ``next_at``."""
        return await self._digests.find_one_and_update(
            {"pending": True, "next_at": {"$lte": now}},
            {"$set": {"pending": False, "items": [], "next_at": next_at}},
            return_document=ReturnDocument.BEFORE,
            session=session,
        )
