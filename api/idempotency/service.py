"""Fingerprints and replay rules for ``Idempotency-Key`` (IETF draft-ietf-httpapi-idempotency-key-header)."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from api.errors import BadRequest, Conflict
from api.idempotency.repository import IdempotencyRepository

MAX_KEY_LENGTH = 200


def validate_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not (1 <= len(key) <= MAX_KEY_LENGTH) or not key.isprintable():
        raise BadRequest("idempotency_key_invalid")
    return key


def fingerprint(fields: dict[str, Any], blobs: list[bytes]) -> str:
    """A digest of what the request asked for: same key + different body is a client bug."""
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str).encode())
    for blob in blobs:
        digest.update(hashlib.sha256(blob).digest())
    return digest.hexdigest()


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]


async def find_replay(
    repo: IdempotencyRepository, owner: str, key: str | None, request_fingerprint: str
) -> Replay | None:
    """The stored response for a retried request, or None when the key is new; 409 on misuse."""
    if key is None:
        return None
    record = await repo.find(owner, key)
    if record is None:
        return None
    if record["fingerprint"] != request_fingerprint:
        raise Conflict("idempotency_conflict")
    return Replay(status=record["status"], body=record["body"])
