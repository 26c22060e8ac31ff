"""``python -m mobile_contracts check|update``: guard the contract the mobile app was built against.

check: regenerate the versioned API from the code, compare it with ``openapi.json`` and
    print every difference, classified; validate every JSON Schema against its examples.
    Exit 1 on any difference (the snapshot must be updated in the same change), on a
    breaking difference that CHANGELOG.md does not name, or on a bad schema/example.
update: rewrite ``openapi.json``; refuses (exit 1) while a breaking difference is not named
    in CHANGELOG.md, so accepting a break is always a visible, reviewed line.
"""

import argparse
import sys

from mobile_contracts.compare import Change, compare
from mobile_contracts.examples import check_examples
from mobile_contracts.spec import HERE, SNAPSHOT, dump, generate, load

CHANGELOG = HERE / "CHANGELOG.md"


def unacknowledged(changes: list[Change], changelog: str) -> list[Change]:
    """Breaking changes whose location (the text before the colon) CHANGELOG.md does not contain."""
    return [c for c in changes if c.breaking and c.where not in changelog]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mobile_contracts", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("check", "update"))
    args = parser.parse_args(argv)

    current = generate()
    snapshot = load() if SNAPSHOT.exists() else {"paths": {}}
    changes = compare(snapshot, current)
    changelog = CHANGELOG.read_text(encoding="utf-8") if CHANGELOG.exists() else ""
    missing = unacknowledged(changes, changelog)
    for change in changes:
        print(f"{change}{'' if change not in missing else '  <- not in CHANGELOG.md'}")
    if missing:
        print(
            f"{len(missing)} breaking change(s): add a new version prefix instead, or name each location above "
            f"in {CHANGELOG.relative_to(HERE.parent)} for reviewers.",
            file=sys.stderr,
        )

    if args.command == "update":
        if missing:
            return 1
        dump(current)
        print(f"{SNAPSHOT.relative_to(HERE.parent)} written ({len(current['paths'])} paths)")
        return 0

    problems = check_examples()
    for problem in problems:
        print(f"schema example: {problem}", file=sys.stderr)
    if changes and not missing:
        print(
            "the API differs from mobile_contracts/openapi.json: run `python -m mobile_contracts update` "
            "and commit the snapshot with the change",
            file=sys.stderr,
        )
    if not changes and not problems:
        print(f"contract unchanged ({len(current['paths'])} paths); schemas and examples valid")
    return 1 if changes or problems else 0


if __name__ == "__main__":
    sys.exit(main())
