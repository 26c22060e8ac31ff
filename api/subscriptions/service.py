"""Area subscriptions: who wants to hear of resolved public reports where, and their digests.

After commit, the change log's ``subscriptions`` consumer sees each public report that became
``resolved`` (``subscription_payload``); the applier adds it to the digest of every resident
subscribed to its ward or to a circle holding it, marking the change applied in the same
transaction (exactly once). The digest job then empties each due digest and queues one
``digest`` outbox event per resident in one transaction: the dispatcher pushes it to each of
their devices, so a device gets at most one digest per ``PHANANH_SUBSCRIPTION_DIGEST_S``.
"""

from datetime import timedelta
from typing import Any, Final

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import AsyncMongoClient

from api.auth import Principal
from api.changelog.documents import ChangeRecord, ResolvedInArea
from api.duplicates.finder import AREA_CELL_DEGREES, cells_within, distance_m
from api.errors import Conflict, FieldError, NotFound
from api.public.rules import is_public
from api.subscriptions.repository import MAX_PER_RESIDENT, Area, DigestEntry, Subscription, SubscriptionRepository
from api.subscriptions.schemas import SubscriptionIn, SubscriptionList, SubscriptionOut
from classifiers.routing.wards import WardIndex
from core.changes import ReportChange
from core.db import run_in_transaction, utc_now
from notifications.documents import DigestItem
from notifications.outbox import OutboxRepository

CONSUMER: Final = "subscriptions"


def subscription_payload(change: ReportChange) -> ResolvedInArea | None:
    """What the subscriptions consumer needs of a change: only a public report becoming resolved."""
    after, before = change.after, change.before
    if (
        change.kind != "status"
        or after["status"] != "resolved"
        or (before is not None and before["status"] == "resolved")
    ):
        return None
    if not is_public(after):
        return None
    lng, lat = after["location"]["coordinates"]
    return {
        "code": after["code"],
        "author": after["resident_uid"],
        "ward": (after.get("ward") or {}).get("code"),
        "area_cell": after.get("area_cell"),
        "lat": lat,
        "lng": lng,
    }


def _out(doc: Subscription, wards: WardIndex) -> SubscriptionOut:
    ward = wards.by_code(doc["ward"]) if doc.get("ward") else None
    return SubscriptionOut(
        id=str(doc["_id"]),
        ward=doc.get("ward"),
        ward_name=ward.name if ward else None,
        lat=doc.get("lat"),
        lng=doc.get("lng"),
        radius_m=doc.get("radius_m"),
        created_at=doc["created_at"],
    )


class SubscriptionService:
    def __init__(self, repo: SubscriptionRepository, wards: WardIndex) -> None:
        self._repo = repo
        self._wards = wards

    async def subscribe(self, principal: Principal, area: SubscriptionIn) -> SubscriptionOut:
        doc: Area = {"resident_uid": principal.uid, "created_at": utc_now()}
        if area.ward is not None:
            if self._wards.by_code(area.ward) is None:
                raise FieldError("ward", "field.unknown_ward")
            doc["ward"] = area.ward
        else:
            lat, lng, radius_m = area.circle()
            if self._wards.locate(lat, lng) is None:
                raise FieldError("lat", "field.outside_hanoi")
            doc |= {
                "lat": lat,
                "lng": lng,
                "radius_m": radius_m,
                "cells": cells_within(lat, lng, radius_m, AREA_CELL_DEGREES),
            }
        stored = await self._repo.insert(doc)
        if stored is None:
            raise Conflict("subscriptions_full", limit=MAX_PER_RESIDENT)
        return _out(stored, self._wards)

    async def list(self, principal: Principal) -> SubscriptionList:
        return SubscriptionList(items=[_out(doc, self._wards) for doc in await self._repo.of_resident(principal.uid)])

    async def unsubscribe(self, principal: Principal, subscription_id: str) -> None:
        try:
            found = await self._repo.delete(principal.uid, ObjectId(subscription_id))
        except (InvalidId, TypeError):
            found = False
        if not found:
            raise NotFound("subscription_not_found")


class DigestJobs:
    """The worker's side: resolved reports into digests, due digests into the outbox."""

    def __init__(
        self, client: AsyncMongoClient, repo: SubscriptionRepository, outbox: OutboxRepository, digest_s: float
    ) -> None:
        self._client = client
        self._repo = repo
        self._outbox = outbox
        self._digest = timedelta(seconds=digest_s)

    async def subscribers(self, change: ResolvedInArea) -> set[str]:
        """Residents whose ward or circle holds the report (its author hears of it anyway)."""
        ward, area_cell = change.get("ward"), change.get("area_cell")
        uids = {doc["resident_uid"] for doc in await self._repo.in_ward(ward)} if ward else set()
        if area_cell is not None:
            uids |= {
                doc["resident_uid"]
                for doc in await self._repo.circles_over(area_cell)
                if distance_m(doc["lat"], doc["lng"], change["lat"], change["lng"]) <= doc["radius_m"]
            }
        return uids - {change["author"]}

    async def add(self, records: list[ChangeRecord], session: Any) -> None:
        """Inside the applier's transaction (with the marks that these records are applied)."""
        for record in records:
            change = record[CONSUMER]
            if change is None:  # the log makes a record pending for us only with our part: never
                continue
            item: DigestEntry = {"report_id": record["report_id"], "code": change["code"], "at": record["at"]}
            for uid in sorted(await self.subscribers(change)):
                await self._repo.add_to_digest(uid, item, record["at"], session)

    async def send_due(self) -> int:
        """Queue every digest that may go now, each in one transaction with its outbox event."""
        sent = 0
        while await run_in_transaction(self._client, self._send_one):
            sent += 1
        return sent

    async def _send_one(self, session: Any) -> bool:
        now = utc_now()
        digest = await self._repo.take_due(now, now + self._digest, session)
        if digest is None:
            return False
        reports: list[DigestItem] = [{"report_id": item["report_id"], "code": item["code"]} for item in digest["items"]]
        await self._outbox.enqueue({"kind": "digest", "resident_uid": digest["_id"], "reports": reports}, now, session)
        return True
