"""Every JSON Schema of the contract is checked against its example files.

Convention (also in README.md here): a schema ``DIR/X.schema.json`` is exemplified by
``DIR/examples/X.json`` and ``DIR/examples/X.<variant>.json``. Each schema needs at least one
example, every example must be valid, and an example file belonging to no schema is an
error too (a typo would otherwise go unchecked).
"""

import json
from pathlib import Path

from mobile_contracts.spec import HERE

SUFFIX = ".schema.json"


def examples_of(schema_path: Path) -> list[Path]:
    stem = schema_path.name.removesuffix(SUFFIX)
    folder = schema_path.parent / "examples"
    return sorted(p for p in folder.glob("*.json") if p.name == f"{stem}.json" or p.name.startswith(f"{stem}."))


def check_examples(root: Path = HERE) -> list[str]:
    """Problems found (empty when every schema and example is sound)."""
    from jsonschema.exceptions import SchemaError  # noqa: PLC0415 - a test/CI dependency
    from jsonschema.validators import validator_for  # noqa: PLC0415

    problems: list[str] = []
    claimed: set[Path] = set()
    for schema_path in sorted(root.rglob(f"*{SUFFIX}")):
        name = schema_path.relative_to(root)
        try:
            schema = json.loads(schema_path.read_text(encoding="utf-8"))
            validator_class = validator_for(schema)
            validator_class.check_schema(schema)
        except (ValueError, SchemaError) as exc:
            problems.append(f"{name}: not a valid JSON Schema: {str(exc).splitlines()[0]}")
            continue
        validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
        examples = examples_of(schema_path)
        if not examples:
            problems.append(f"{name}: no example (expected examples/{schema_path.name.removesuffix(SUFFIX)}.json)")
        for example_path in examples:
            claimed.add(example_path)
            try:
                example = json.loads(example_path.read_text(encoding="utf-8"))
            except ValueError as exc:
                problems.append(f"{example_path.relative_to(root)}: not JSON: {exc}")
                continue
            for error in validator.iter_errors(example):
                location = "/".join(map(str, error.absolute_path)) or "(root)"
                problems.append(f"{example_path.relative_to(root)}: {location}: {error.message}")
    for orphan in sorted(set(root.rglob("examples/*.json")) - claimed):
        problems.append(f"{orphan.relative_to(root)}: example of no schema (name it examples/X.json for X{SUFFIX})")
    return problems
