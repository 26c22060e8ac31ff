"""The mobile contract's OpenAPI document: the versioned (``/v<N>/``) paths of the app, nothing else.

Generated from ``create_app()`` without starting it (``app.openapi()`` needs no database),
keeping only the components those paths reach, so a change to Open311 or health schemas
never shows up as a change of the mobile contract.
"""

import json
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SNAPSHOT = HERE / "openapi.json"
VERSIONED = re.compile(r"^/v\d+/")
_REF = "#/components/schemas/"


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].removeprefix(_REF)} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


def versioned_only(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec cut down to versioned paths and the schemas they reach (transitively)."""
    paths = {path: item for path, item in spec.get("paths", {}).items() if VERSIONED.match(path)}
    schemas = spec.get("components", {}).get("schemas", {})
    reached: set[str] = set()
    pending = _refs(paths)
    while pending:
        name = pending.pop()
        if name in reached or name not in schemas:
            continue
        reached.add(name)
        pending |= _refs(schemas[name])
    out = {key: value for key, value in spec.items() if key not in ("paths", "components")}
    out["paths"] = paths
    if reached:
        out["components"] = {"schemas": {name: schemas[name] for name in sorted(reached)}}
    return out


def generate() -> dict[str, Any]:
    """The current contract, from the app as the code defines it now."""
    from api.app import create_app  # noqa: PLC0415 - the app (and torch) only when generating
    from core.settings import Settings  # noqa: PLC0415

    return versioned_only(create_app(Settings(mongodb_uri=None, env="dev")).openapi())


def load(path: Path = SNAPSHOT) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def dump(spec: dict[str, Any], path: Path = SNAPSHOT) -> None:
    path.write_text(json.dumps(spec, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
