"""What changed between two versions of the contract, and whether it can break a phone.

Apps in the field keep the contract they were built with for months, so the question for
every difference is: would an old app still work? Breaking:
- a removed path or method, or a removed success response;
- a removed response field, or one that may now be missing or null where it was required;
- a new required request field or parameter (or an optional one made required);
- a changed type: a request that no longer accepts what it did, a response that may now
  hold a type it did not;
- enum narrowing in a request (a value old apps send is refused), and new enum values in a
  response (old apps meet a value they cannot show).
Everything else (new paths, new optional fields, new response fields, widened requests,
documentation) is compatible.
"""

import re
from dataclasses import dataclass
from typing import Any, Literal

Direction = Literal["request", "response"]
_FIELD_PATH = re.compile(r" \.[^ ]*$")  # the " .a.b[]" tail naming a field inside a body
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@dataclass(frozen=True, order=True)
class Change:
    breaking: bool
    where: str  # e.g. "schema RoutingOut .agency", "GET /v1/reports query parameter limit"; named in CHANGELOG.md
    what: str

    def __str__(self) -> str:
        return f"{'BREAKING' if self.breaking else 'compatible'}: {self.where}: {self.what}"


class _Diff:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []
        self._seen: set[tuple[str, str, str]] = set()

    def add(self, breaking: bool, where: str, what: str) -> None:
        self.changes.append(Change(breaking, where, what))

    # --- schemas -------------------------------------------------------------------------
    @staticmethod
    def _resolve(spec: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
        schema = schema or {}
        for _ in range(32):  # a chain of refs, never a cycle
            ref = schema.get("$ref")
            if not isinstance(ref, str):
                break
            schema = spec.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
        return schema

    def _types(self, spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
        schema = self._resolve(spec, schema)
        members = schema.get("anyOf") or schema.get("oneOf")
        if members:
            return set().union(*(self._types(spec, m) for m in members))
        declared = schema.get("type")
        if isinstance(declared, list):
            return set(declared)
        if declared:
            return {declared}
        if "properties" in schema:
            return {"object"}
        return set()  # any

    def _non_null(self, spec: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
        schema = self._resolve(spec, schema)
        members = schema.get("anyOf") or schema.get("oneOf")
        if not members:
            return [schema]
        return [self._resolve(spec, m) for m in members if self._types(spec, m) != {"null"}]

    def schema(self, old: dict[str, Any] | None, new: dict[str, Any] | None, where: str, direction: Direction) -> None:
        old_ref, new_ref = (old or {}).get("$ref"), (new or {}).get("$ref")
        if old_ref and new_ref:  # a shared (or recursive) schema is compared once per direction...
            if (old_ref, new_ref, direction) in self._seen:
                return
            self._seen.add((old_ref, new_ref, direction))
            if old_ref == new_ref:  # ...and its changes are named by the schema, whichever path met it first
                where = f"schema {new_ref.rsplit('/', 1)[-1]}"
        old_types, new_types = self._types(self.old, old or {}), self._types(self.new, new or {})
        self._compare_types(old_types, new_types, where, direction)
        old_members, new_members = self._non_null(self.old, old or {}), self._non_null(self.new, new or {})
        if len(old_members) != len(new_members):
            if old_types == new_types:
                self.add(False, where, "union members changed")
            return
        for old_member, new_member in zip(old_members, new_members, strict=True):
            self._compare_enum(old_member.get("enum"), new_member.get("enum"), where, direction)
            self._compare_object(old_member, new_member, where, direction)
            if "items" in old_member and "items" in new_member:
                self.schema(old_member["items"], new_member["items"], f"{where}[]", direction)

    def _compare_types(self, old: set[str], new: set[str], where: str, direction: Direction) -> None:
        if old == new or not old or (not new and direction == "request"):
            if old != new:
                self.add(False, where, f"type {sorted(old)} -> any")
            return
        if not new:  # a response that may now be anything
            self.add(True, where, f"type {sorted(old)} -> any")
            return
        # a request may widen (accept more); a response may narrow (promise more); "integer" fits in "number"
        old_n = {"number" if t == "integer" else t for t in old} if direction == "request" else old
        new_n = {"number" if t == "integer" else t for t in new} if direction == "response" else new
        widened_ok = old_n <= new_n if direction == "request" else new_n <= old_n
        if widened_ok:
            self.add(False, where, f"type {sorted(old)} -> {sorted(new)}")
        elif "null" in new and "null" not in old and direction == "response":
            self.add(True, where, "may now be null")
        else:
            self.add(True, where, f"changed type {sorted(old)} -> {sorted(new)}")

    def _compare_enum(self, old: list[Any] | None, new: list[Any] | None, where: str, direction: Direction) -> None:
        if old is None and new is None:
            return
        old_values, new_values = set(map(repr, old or [])), set(map(repr, new or []))
        if old is not None and new is None:
            self.add(direction == "response", where, "enum removed (any value now)")
        elif old is None:
            self.add(direction == "request", where, f"now restricted to {sorted(new_values)}")
        elif old_values - new_values and direction == "request":
            self.add(True, where, f"enum narrowing: {sorted(old_values - new_values)} no longer accepted")
        elif new_values - old_values and direction == "response":
            self.add(True, where, f"new enum values {sorted(new_values - old_values)} old apps do not know")
        elif old_values != new_values:
            self.add(False, where, f"enum {sorted(old_values)} -> {sorted(new_values)}")

    def _compare_object(self, old: dict[str, Any], new: dict[str, Any], where: str, direction: Direction) -> None:
        old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
        old_required, new_required = set(old.get("required") or []), set(new.get("required") or [])
        for name in sorted(set(old_props) | set(new_props)):
            field = f"{where}.{name}" if _FIELD_PATH.search(where) else f"{where} .{name}"
            if name not in new_props:
                self.add(direction == "response", field, "field removed")
            elif name not in old_props:
                required = name in new_required
                self.add(
                    direction == "request" and required,
                    field,
                    "new required field" if required else "new optional field",
                )
            else:
                if direction == "response" and name in old_required and name not in new_required:
                    self.add(True, field, "may now be missing")
                if direction == "request" and name in new_required and name not in old_required:
                    self.add(True, field, "now required")
                self.schema(old_props[name], new_props[name], field, direction)

    # --- operations ------------------------------------------------------------------------
    def operation(self, old: dict[str, Any], new: dict[str, Any], where: str) -> None:
        old_params = {(p.get("in"), p.get("name")): p for p in map(self._param, old.get("parameters", []))}
        new_params = {(p.get("in"), p.get("name")): p for p in map(self._param, new.get("parameters", []))}
        for key in sorted(set(old_params) | set(new_params), key=str):
            place = f"{where} {key[0]} parameter {key[1]}"
            if key not in new_params:
                self.add(False, place, "parameter removed (old apps' value ignored)")
            elif key not in old_params:
                required = bool(new_params[key].get("required"))
                self.add(required, place, "new required parameter" if required else "new optional parameter")
            else:
                if new_params[key].get("required") and not old_params[key].get("required"):
                    self.add(True, place, "now required")
                self.schema(old_params[key].get("schema"), new_params[key].get("schema"), place, "request")
        self._body(old.get("requestBody"), new.get("requestBody"), f"{where} request")
        self._responses(old.get("responses", {}), new.get("responses", {}), f"{where} response")

    def _param(self, param: dict[str, Any]) -> dict[str, Any]:
        return param if "$ref" not in param else self._resolve(self.old, param)

    def _body(self, old: dict[str, Any] | None, new: dict[str, Any] | None, where: str) -> None:
        if old is None:
            if new is not None:
                self.add(bool(new.get("required")), where, "request body added")
            return
        if new is None:
            self.add(False, where, "request body removed")
            return
        if new.get("required") and not old.get("required"):
            self.add(True, where, "request body now required")
        for media, content in old.get("content", {}).items():
            if media not in new.get("content", {}):
                self.add(True, f"{where} {media}", "media type no longer accepted")
            else:
                self.schema(content.get("schema"), new["content"][media].get("schema"), f"{where} {media}", "request")

    def _responses(self, old: dict[str, Any], new: dict[str, Any], where: str) -> None:
        for status in sorted(set(old) | set(new)):
            place = f"{where} {status}"
            if status not in new:
                self.add(status.startswith("2"), place, "response removed")
            elif status not in old:
                self.add(status.startswith("2"), place, "new response status")
            else:
                for media, content in old[status].get("content", {}).items():
                    new_content = new[status].get("content", {})
                    if media not in new_content:
                        self.add(status.startswith("2"), f"{place} {media}", "media type removed")
                    elif content.get("schema") is not None or new_content[media].get("schema") is not None:
                        self.schema(content.get("schema"), new_content[media].get("schema"), place, "response")


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every difference that matters to a client, classified; sorted, breaking ones first."""
    diff = _Diff(old, new)
    old_paths, new_paths = old.get("paths", {}), new.get("paths", {})
    for path in sorted(set(old_paths) | set(new_paths)):
        if path not in new_paths:
            diff.add(True, path, "path removed")
            continue
        if path not in old_paths:
            diff.add(False, path, "new path")
            continue
        for method in METHODS:
            old_op, new_op = old_paths[path].get(method), new_paths[path].get(method)
            where = f"{method.upper()} {path}"
            if old_op is None and new_op is None:
                continue
            if new_op is None:
                diff.add(True, where, "method removed")
            elif old_op is None:
                diff.add(False, where, "new method")
            else:
                diff.operation(old_op, new_op, where)
    if old != new and not diff.changes:
        diff.add(False, "(document)", "descriptions, examples or metadata changed")
    return sorted(set(diff.changes), key=lambda c: (not c.breaking, c.where, c.what))
