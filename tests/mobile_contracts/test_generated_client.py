"""A client generated from the contract snapshot, as the app team would generate one, parses
the service's errors into typed problems: the ``code`` and each field error, not an opaque body."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mobile_contracts.spec import SNAPSHOT
from tests.factories import auth_headers, new_uid

pytestmark = pytest.mark.slow  # runs the generator (a few seconds)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    """The package openapi-python-client writes from ``mobile_contracts/openapi.json``."""
    out = tmp_path_factory.mktemp("client")
    bin_dir = str(Path(sys.executable).parent)  # its ruff post-hook lives next to the interpreter
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(SNAPSHOT),
            "--output-path",
            str(out / "phananh_client"),
            "--meta",
            "none",
        ],
        check=True,
        env=env,
        capture_output=True,
        timeout=300,
    )
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("phananh_client")
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == "phananh_client" or m.startswith("phananh_client.")]:
            del sys.modules[name]


def _client(generated, test_client, uid: str):
    """The generated client over the app in-process (TestClient is an httpx.Client)."""
    api_client = generated.AuthenticatedClient(base_url="http://testserver", token="unused")
    test_client.headers.update(auth_headers(uid))
    api_client.set_httpx_client(test_client)
    return api_client


def test_a_404_parses_into_a_typed_problem(generated, client):
    get_report = importlib.import_module("phananh_client.api.reports.get_report_v1_reports_report_id_get")
    problem_type = importlib.import_module("phananh_client.models.problem").Problem

    response = get_report.sync_detailed(
        client=_client(generated, client, new_uid()), report_id="000000000000000000000000"
    )

    assert response.status_code == 404
    assert isinstance(response.parsed, problem_type)
    assert response.parsed.code == "report_not_found"
    assert response.parsed.status == 404


def test_a_422_parses_with_its_field_errors(generated, client):
    rate = importlib.import_module("phananh_client.api.feedback.rate_v1_reports_report_id_rating_post")
    models = importlib.import_module("phananh_client.models")

    response = rate.sync_detailed(
        client=_client(generated, client, new_uid()),
        report_id="000000000000000000000000",
        body=models.RatingIn(stars=9),
    )

    assert response.status_code == 422
    assert isinstance(response.parsed, models.Problem)
    assert response.parsed.code == "validation_failed"
    assert [(e.field, e.code) for e in response.parsed.errors] == [("stars", "field.out_of_range")]
    assert isinstance(response.parsed.errors[0], models.FieldProblem)
