"""The change classifier on hand-made spec pairs: what would break an app already in the field."""

import copy

import pytest

from mobile_contracts.compare import compare


def spec(report_props=None, required=("id", "status"), params=None, body=None):
    """A small spec: GET /v1/reports/{id} answering a Report, POST /v1/reports taking a body."""
    report = {
        "type": "object",
        "required": list(required),
        "properties": report_props
        or {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": ["received", "resolved"]},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
    }
    return {
        "paths": {
            "/v1/reports/{id}": {
                "get": {
                    "parameters": params
                    if params is not None
                    else [{"in": "path", "name": "id", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Report"}}}},
                        "404": {"description": "not found"},
                    },
                }
            },
            "/v1/reports": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": body
                                or {
                                    "type": "object",
                                    "required": ["description"],
                                    "properties": {
                                        "description": {"type": "string"},
                                        "priority": {"type": "string", "enum": ["normal", "urgent"]},
                                        "lat": {"type": "number"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Report"}}}}
                    },
                }
            },
        },
        "components": {"schemas": {"Report": report}},
    }


def changed(edit):
    old = spec()
    new = copy.deepcopy(old)
    edit(new)
    return compare(old, new)


def only(changes):
    assert len(changes) == 1, changes
    return changes[0]


def test_identical_specs_have_no_changes():
    assert compare(spec(), spec()) == []


def test_removed_path_and_method_are_breaking_new_ones_compatible():
    removed = only(changed(lambda s: s["paths"].pop("/v1/reports")))
    assert removed.breaking and removed.where == "/v1/reports" and removed.what == "path removed"

    def post_becomes_put(s):
        s["paths"]["/v1/reports"]["put"] = s["paths"]["/v1/reports"].pop("post")

    assert {(c.where, c.what, c.breaking) for c in changed(post_becomes_put)} == {
        ("POST /v1/reports", "method removed", True),
        ("PUT /v1/reports", "new method", False),
    }
    added = only(changed(lambda s: s["paths"].update({"/v1/new": {"get": {"responses": {}}}})))
    assert not added.breaking and added.what == "new path"


def test_removed_response_field_is_breaking_and_named_by_location():
    change = only(changed(lambda s: s["components"]["schemas"]["Report"]["properties"].pop("note")))
    assert change.where == "schema Report .note" and change.what == "field removed"  # named by the shared schema


def test_new_response_field_is_compatible():
    change = only(changed(lambda s: s["components"]["schemas"]["Report"]["properties"].update(ward={"type": "string"})))
    assert not change.breaking and change.where == "schema Report .ward"


def test_response_field_that_may_now_be_missing_or_null_is_breaking():
    missing = only(changed(lambda s: s["components"]["schemas"]["Report"]["required"].remove("status")))
    assert missing.breaking and missing.what == "may now be missing"
    nullable = only(
        changed(
            lambda s: s["components"]["schemas"]["Report"]["properties"].update(
                id={"anyOf": [{"type": "string"}, {"type": "null"}]}
            )
        )
    )
    assert nullable.breaking and nullable.what == "may now be null"


def test_new_required_request_field_is_breaking_optional_is_not():
    def add(required):
        def edit(s):
            body = s["paths"]["/v1/reports"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            body["properties"]["ward"] = {"type": "string"}
            if required:
                body["required"].append("ward")

        return edit

    required = only(changed(add(True)))
    assert required.breaking and required.where == "POST /v1/reports request application/json .ward"  # inline body
    assert not only(changed(add(False))).breaking


def test_new_required_parameter_is_breaking():
    def edit(s):
        s["paths"]["/v1/reports/{id}"]["get"]["parameters"].append(
            {"in": "query", "name": "lang", "required": True, "schema": {"type": "string"}}
        )

    change = only(changed(edit))
    assert change.breaking and change.where == "GET /v1/reports/{id} query parameter lang"


@pytest.mark.parametrize(
    "old_type, new_type, breaking",
    [
        ("string", "integer", True),
        ("integer", "number", False),  # a request accepting more
        ("number", "integer", True),  # a request accepting less
    ],
)
def test_request_type_changes(old_type, new_type, breaking):
    def body(kind):
        return {"type": "object", "properties": {"lat": {"type": kind}}}

    old, new = spec(body=body(old_type)), spec(body=body(new_type))
    assert only(compare(old, new)).breaking is breaking


def test_changed_response_type_is_breaking():
    change = only(changed(lambda s: s["components"]["schemas"]["Report"]["properties"].update(id={"type": "integer"})))
    assert change.breaking and "changed type" in change.what


def test_enum_narrowing_in_a_request_is_breaking_widening_is_not():
    def enum(values):
        def edit(s):
            s["paths"]["/v1/reports"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"][
                "priority"
            ]["enum"] = values

        return edit

    narrowed = only(changed(enum(["normal"])))
    assert narrowed.breaking and "narrowing" in narrowed.what
    assert not only(changed(enum(["normal", "urgent", "low"]))).breaking


def test_new_enum_value_in_a_response_is_breaking_for_apps_in_the_field():
    change = only(
        changed(lambda s: s["components"]["schemas"]["Report"]["properties"]["status"]["enum"].append("closed"))
    )
    assert change.breaking and "old apps do not know" in change.what


def test_removed_error_response_is_compatible_removed_success_is_breaking():
    assert not only(changed(lambda s: s["paths"]["/v1/reports/{id}"]["get"]["responses"].pop("404"))).breaking
    assert only(changed(lambda s: s["paths"]["/v1/reports"]["post"]["responses"].pop("201"))).breaking


def test_documentation_only_changes_are_compatible():
    change = only(changed(lambda s: s["components"]["schemas"]["Report"].update(description="A report")))
    assert not change.breaking and change.where == "(document)"


def test_breaking_changes_need_their_location_in_the_changelog():
    from mobile_contracts.__main__ import unacknowledged

    changes = changed(lambda s: s["components"]["schemas"]["Report"]["properties"].pop("note"))
    assert unacknowledged(changes, "## Unreleased\nNothing breaking.") == changes
    assert unacknowledged(changes, "- `schema Report .note`: no released app reads it (reviewed by Hà)") == []
