"""Refuse MongoDB operator syntax in request input, whatever the endpoint's model looks like.

The request models declare plain strings, numbers and literals, so ``{"status": {"$gt": ""}}``
already fails validation. This guard adds a second wall that does not depend on every future
model being written that way: a JSON body or query string carrying a key that MongoDB would
read as an operator (``$...``) or a path (``a.b``) is refused with 422 before the endpoint runs.
Installed once for the whole app (``FastAPI(dependencies=[...])``).
"""

from typing import Any

from fastapi import Request

from api.errors import AppError, Unprocessable


def _hostile(key: str) -> bool:
    return key.startswith("$") or "." in key or "[$" in key


def find_operator_key(value: Any, path: tuple[str, ...] = ()) -> str | None:
    """The dotted path of the first operator-like key anywhere in a parsed JSON value, or None."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        here = (*path, str(key))
        if isinstance(value, dict) and _hostile(str(key)):
            return ".".join(here)
        found = find_operator_key(item, here)
        if found:
            return found
    return None


def _refuse(field: str) -> AppError:
    return Unprocessable("validation_failed", errors=[{"field": field, "key": "field.operator_key", "params": {}}])


async def reject_operator_keys(request: Request) -> None:
    for key in request.query_params.keys():
        if _hostile(key):
            raise _refuse(key)
    if "json" not in request.headers.get("content-type", ""):
        return
    try:
        body = await request.json()  # cached by Starlette: the endpoint parses the same bytes
    except ValueError:  # invalid JSON or UTF-8
        return  # the endpoint's own validation answers
    found = find_operator_key(body)
    if found:
        raise _refuse(found)
