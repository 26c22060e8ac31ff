"""Property-based tests of the whole /v1 API with schemathesis, over real HTTP.

Every versioned operation gets generated requests (valid tokens: a resident's and an
admin's, so both the resident and the staff paths run) and two checks: no 5xx, and every
response matches the OpenAPI document the mobile contract is made of. Bounded (a few
examples per operation, derandomised so CI is repeatable, no shrinking) to stay well
under three minutes on two cores.
"""

import threading
import time

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.app import create_app
from api.embedded import free_port
from tests.factories import HOAN_KIEM_LAKE, auth_headers, new_uid, report_form, staff_headers

EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def live_app(settings):
    """The app served by uvicorn on a loopback port, with its lifespan, for the test."""
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.1)
    yield app, f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(30)


def seed_reports(base_url: str, session: requests.Session, headers: dict[str, str]) -> list[str]:
    """A few real reports, so generated requests also reach the success paths (not only 404s)."""
    ids = []
    for text in ("Ổ gà lớn trước số 12 Hàng Bài", "Rác thải đổ trộm ven hồ, bốc mùi", "Đèn đường hỏng cả dãy phố"):
        response = session.post(
            f"{base_url}/v1/reports", data=report_form(description=text), headers=headers, timeout=60
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def ground(case, report_id: str) -> None:
    """Point a generated case at a real report, inside Hanoi, with the ETag of a fresh report."""
    if case.path_parameters and "report_id" in case.path_parameters:
        case.path_parameters["report_id"] = report_id
    if isinstance(case.body, dict) and "lat" in case.body:
        case.body.update(lat=HOAN_KIEM_LAKE[0], lng=HOAN_KIEM_LAKE[1])
        case.body.pop("photos", None)
    if case.headers and "If-Match" in case.headers:
        case.headers["If-Match"] = '"v1"'


def exercise(operation, base_url, session, headers, report_ids) -> None:
    """Generated requests against one operation; raises on the first failed check."""

    @given(case=operation.as_strategy(), report_id=st.sampled_from(report_ids), grounded=st.booleans())
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case, report_id, grounded):
        if grounded:
            ground(case, report_id)
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=60)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    run()


@pytest.mark.slow  # every operation over HTTP, ~30 s
def test_every_v1_operation_answers_within_its_contract(live_app):
    app, base_url = live_app
    schema = schemathesis.openapi.from_dict(app.openapi()).include(path_regex=r"^/v\d+/")
    session = requests.Session()
    identities = {"resident": auth_headers(new_uid()), "admin": staff_headers("admin")}
    report_ids = seed_reports(base_url, session, identities["resident"])
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for who, headers in identities.items():
            try:
                exercise(operation, base_url, session, headers, report_ids)
            except (Exception, BaseExceptionGroup) as exc:  # collect every failure (schemathesis raises groups)
                failures.append(f"{operation.label} as {who}: {type(exc).__name__}: {str(exc)[:1500]}")
    assert len(operations) >= 19
    assert not failures, "\n\n".join(failures)
