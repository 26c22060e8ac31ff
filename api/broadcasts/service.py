"""Broadcast rules: known wards only; stored and queued for push in one transaction."""

from typing import Any, Literal

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import AsyncMongoClient

from api.auth import Principal
from api.broadcasts.repository import Broadcast, BroadcastRepository
from api.broadcasts.schemas import BroadcastIn, BroadcastOut, BroadcastPage
from api.errors import BadRequest, Unprocessable
from classifiers.routing.wards import WardIndex
from core.db import run_in_transaction, utc_now
from notifications.documents import BroadcastText
from notifications.outbox import OutboxRepository


def _view(doc: Broadcast) -> BroadcastOut:
    return BroadcastOut(
        id=str(doc["_id"]),
        wards=doc["wards"],
        title=doc["title"],
        body=doc["body"],
        severity=doc["severity"],
        created_at=doc["created_at"],
    )


class BroadcastService:
    def __init__(
        self, client: AsyncMongoClient, repo: BroadcastRepository, outbox: OutboxRepository, wards: WardIndex
    ) -> None:
        self._client = client
        self._repo = repo
        self._outbox = outbox
        self._wards = wards

    async def send(self, principal: Principal, request: BroadcastIn) -> BroadcastOut:
        wards: list[str] | Literal["all"] = request.wards
        if wards != "all":
            wards = list(dict.fromkeys(request.wards))  # once each, in the order given
            unknown = next((code for code in wards if self._wards.by_code(code) is None), None)
            if unknown is not None:
                raise Unprocessable("broadcast_ward_unknown", ward=unknown[:20])
        now = utc_now()
        title = BroadcastText(vi=request.title.vi, en=request.title.en)
        body = BroadcastText(vi=request.body.vi, en=request.body.en)
        broadcast_id = ObjectId()
        doc: Broadcast = {
            "_id": broadcast_id,
            "wards": wards,
            "title": title,
            "body": body,
            "severity": request.severity,
            "created_at": now,
            "created_by_uid": principal.uid,
            "created_by_role": principal.role,
        }

        async def write(session: Any) -> None:
            await self._repo.insert(doc, session)
            await self._outbox.enqueue(
                {
                    "kind": "broadcast",
                    "broadcast_id": broadcast_id,
                    "wards": wards,
                    "title": title,
                    "body": body,
                    "severity": request.severity,
                },
                now,
                session,
            )

        await run_in_transaction(self._client, write)
        return _view(doc)

    async def list(self, cursor: str | None, limit: int) -> BroadcastPage:
        try:
            before = ObjectId(cursor) if cursor else None
        except (InvalidId, TypeError) as exc:
            raise BadRequest("cursor_invalid") from exc
        docs = await self._repo.newest(before, limit + 1)
        page = docs[:limit]
        return BroadcastPage(
            items=[_view(d) for d in page], next_cursor=str(page[-1]["_id"]) if len(docs) > limit else None
        )
