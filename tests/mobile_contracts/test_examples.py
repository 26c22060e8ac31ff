"""JSON Schemas of the contract against their examples, and the app's real errors against the problem schema."""

import json

from jsonschema import Draft202012Validator

from mobile_contracts.examples import check_examples
from mobile_contracts.spec import HERE
from tests.factories import auth_headers, new_uid

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["kind"],
    "properties": {"kind": {"enum": ["status_changed"]}},
}


def write(path, body):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body), encoding="utf-8")


def test_every_committed_schema_and_example_is_valid():
    assert check_examples() == []


def test_examples_are_found_by_name_in_any_folder(tmp_path):
    write(tmp_path / "push" / "status.schema.json", SCHEMA)
    write(tmp_path / "push" / "examples" / "status.json", {"kind": "status_changed"})
    write(tmp_path / "push" / "examples" / "status.resolved.json", {"kind": "resolved"})
    write(tmp_path / "push" / "examples" / "status_extra.json", {"kind": "status_changed"})
    problems = check_examples(tmp_path)
    assert problems == [
        "push/examples/status.resolved.json: kind: 'resolved' is not one of ['status_changed']",
        "push/examples/status_extra.json: example of no schema (name it examples/X.json for X.schema.json)",
    ]


def test_a_schema_without_example_or_an_invalid_schema_is_a_problem(tmp_path):
    write(tmp_path / "reply.schema.json", SCHEMA)
    write(tmp_path / "broken.schema.json", {"type": 12})
    write(tmp_path / "examples" / "broken.json", {})
    problems = check_examples(tmp_path)
    assert problems[0].startswith("broken.schema.json: not a valid JSON Schema")
    assert problems[1] == "reply.schema.json: no example (expected examples/reply.json)"


def test_the_apps_errors_match_the_problem_schema(client):
    validator = Draft202012Validator(json.loads((HERE / "problem.schema.json").read_text(encoding="utf-8")))
    responses = [
        client.get("/v1/reports/mine"),  # 401
        client.get("/v1/reports/000000000000000000000000", headers=auth_headers(new_uid())),  # 404
        client.post("/v1/reports", data={"lat": "91"}, headers=auth_headers(new_uid())),  # 422 with errors
    ]
    assert [r.status_code for r in responses] == [401, 404, 422]
    for response in responses:
        assert response.headers["content-type"] == "application/problem+json"
        assert list(validator.iter_errors(response.json())) == []
