"""The packages depend on each other in one direction only (issue 16: ``api`` and ``notifications``
used to import each other). Read from the source, so a new import that closes a circle fails here
rather than in a reviewer's head."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "core", "notifications", "classifiers", "mobile_contracts")


def imported_packages(package: str) -> set[str]:
    """Every project package that any module of ``package`` imports, at any depth of the file."""
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found |= {name.split(".")[0] for name in names} & set(PACKAGES)
    return found - {package}


@pytest.mark.parametrize(
    ("package", "allowed"),
    [
        ("core", set()),
        ("notifications", {"core"}),
        ("classifiers", set()),
    ],
)
def test_lower_layers_do_not_import_the_service(package, allowed):
    assert imported_packages(package) <= allowed


def test_no_two_packages_import_each_other():
    graph = {package: imported_packages(package) for package in PACKAGES}
    circles = {(a, b) for a in PACKAGES for b in graph[a] if a in graph[b]}
    assert not circles
