"""Open311 API keys: issued to an organisation, shown once, stored only as a SHA-256 hash.

A key is 256 random bits, so a plain (unsalted, fast) hash is enough: there is nothing to
brute-force, and lookup by hash stays one indexed equality query. Revoking stamps
``revoked_at``; a revoked key is refused like an unknown one.
"""

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from api.open311.formats import Open311Error
from api.open311.repository import Open311Repository
from core.db import utc_now

KEY_PREFIX = "o311_"


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    name: str
    key: str  # the secret: printed once, never stored


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    def __init__(self, repo: Open311Repository) -> None:
        self._repo = repo

    async def create(self, name: str) -> IssuedKey:
        name = name.strip()
        if not name:
            raise ValueError("the organisation name must not be empty")
        issued = IssuedKey(key_id=secrets.token_hex(6), name=name, key=KEY_PREFIX + secrets.token_urlsafe(32))
        await self._repo.insert_key(
            {
                "_id": issued.key_id,
                "name": name,
                "key_sha256": key_hash(issued.key),
                "created_at": utc_now(),
                "revoked_at": None,
            }
        )
        return issued

    async def revoke(self, key_id: str) -> bool:
        return await self._repo.revoke_key(key_id, utc_now())

    async def list(self) -> list[dict[str, Any]]:
        return await self._repo.list_keys()

    async def authenticate(self, key: str | None) -> dict[str, Any]:
        """The active key record, or the spec's refusals: 400 without a key, 403 for a wrong one."""
        if not key or not key.strip():
            raise Open311Error(400, "open311.api_key_missing")
        record = await self._repo.active_key(key_hash(key.strip())) if len(key) <= 200 else None
        if record is None:
            raise Open311Error(403, "open311.api_key_invalid")
        return record
