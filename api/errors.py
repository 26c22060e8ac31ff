"""One error type for every refusal the service makes, rendered as RFC 9457 problem+json.

Handlers here turn framework errors (validation, unknown route, wrong method), database
outages and unexpected bugs into the same body shape, translated through the catalogue,
so the mobile app parses one format and residents read their own language.
"""

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pymongo.errors import ConnectionFailure, ExecutionTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.i18n import has_message, negotiate_locale, translate

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
_PROBLEM_DOC = {
    "description": "Problem details (RFC 9457), translated",
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: _PROBLEM_DOC for code in (400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 429, 503)
}


class FieldProblem(BaseModel):
    field: str = Field(description="The bad field, dotted for nested ones (e.g. lat, photos.0)")
    code: str = Field(description="Stable message key of this field's error")
    message: str = Field(description="Translated message")


class Problem(BaseModel):
    """The body of every error (mobile_contracts/problem.schema.json says the same as JSON
    Schema). Declared in the OpenAPI so a generated client parses ``code`` and field errors
    instead of treating every 4xx as an unknown body."""

    type: str = Field(description="urn:phananh:problem:<code>")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable message key the app switches on, e.g. report_not_found")
    instance: str = Field(description="The request path")
    errors: list[FieldProblem] | None = Field(None, description="Only for validation_failed: one per bad field")


def problem_schemas() -> dict[str, Any]:
    """``Problem`` and ``FieldProblem`` as OpenAPI components (the error responses refer to them)."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    return {**schema.pop("$defs"), "Problem": schema}


def declare_problem_schemas(app: FastAPI) -> None:
    """Adds the problem components to the app's generated OpenAPI (FastAPI only registers
    models it sees as a route's JSON response, and errors are application/problem+json)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            generate().setdefault("components", {}).setdefault("schemas", {}).update(problem_schemas())
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


class AppError(Exception):
    """A refusal with an HTTP status and a catalogue key; ``params`` fill the message."""

    def __init__(
        self,
        status: int,
        key: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.params = params
        self.headers = headers or {}
        self.errors = errors or []


class ErrorKind(AppError):
    """An ``AppError`` whose class names its HTTP status, so a refusal reads as what it is
    (``Conflict("report_not_open")``) and the status of a kind is written once. ``key`` in
    the class statement is the catalogue message when a raise names none."""

    STATUS: ClassVar[int]
    KEY: ClassVar[str | None] = None

    def __init_subclass__(cls, *, status: int | None = None, key: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.STATUS = status
        if key is not None:
            cls.KEY = key

    def __init__(
        self,
        key: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
        **params: Any,
    ) -> None:
        if key is None and self.KEY is None:
            raise TypeError(f"{type(self).__name__} needs a message key")
        super().__init__(self.STATUS, key or self.KEY or "", headers=headers, errors=errors, **params)


class BadRequest(ErrorKind, status=400, key="bad_request"):
    """Malformed beyond what the schema checks: a paging cursor, an idempotency key."""


class Unauthenticated(ErrorKind, status=401, key="unauthenticated"):
    """No usable Firebase ID token; the key says why (expired, invalid)."""


class Forbidden(ErrorKind, status=403, key="forbidden"):
    """Signed in, but this role (or agency) may not do this."""


class NotFound(ErrorKind, status=404, key="not_found"):
    """Also what a caller gets for what they may not see, so ids reveal nothing."""


class Conflict(ErrorKind, status=409):
    """The request is fine but the report's state refuses it (not open, already rated, ...)."""


class Gone(ErrorKind, status=410):
    """Existed once, and no longer may be used (an expired signed link)."""


class PreconditionFailed(ErrorKind, status=412, key="precondition_failed"):
    """The If-Match names a version that is no longer the report's, or is unreadable."""


class PayloadTooLarge(ErrorKind, status=413, key="body_too_large"):
    pass


class Unprocessable(ErrorKind, status=422):
    """A rule checked after parsing refuses a value (unknown agency, empty note)."""


class PreconditionRequired(ErrorKind, status=428, key="precondition_required"):
    """A change that could lose someone else's update came without If-Match."""


class TooManyRequests(ErrorKind, status=429, key="too_many_requests"):
    pass


class ServiceUnavailable(ErrorKind, status=503):
    pass


class FieldError(Unprocessable):
    """A 422 naming one bad request field, for rules checked after parsing (e.g. inside Hanoi)."""

    def __init__(self, field: str, key: str, **params: Any) -> None:
        super().__init__("validation_failed", errors=[{"field": field, "key": key, "params": params}])


_PYDANTIC_KEYS = {
    "missing": "field.missing",
    "float_parsing": "field.not_number",
    "float_type": "field.not_number",
    "int_parsing": "field.not_number",
    "int_type": "field.not_number",
    "finite_number": "field.not_finite",
    "string_too_short": "field.too_short",
    "string_too_long": "field.too_long",
    "too_long": "field.too_long",
    "greater_than_equal": "field.out_of_range",
    "less_than_equal": "field.out_of_range",
    "greater_than": "field.out_of_range",
    "less_than": "field.out_of_range",
    "literal_error": "field.not_in_choices",
    "enum": "field.not_in_choices",
}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "body"


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        err_type = err.get("type", "")
        key = _PYDANTIC_KEYS.get(err_type) or (
            f"field.{err_type}" if has_message(f"field.{err_type}") else "field.invalid"
        )
        errors.append(
            {"field": _field_name(tuple(err.get("loc", ()))), "key": key, "params": dict(err.get("ctx") or {})}
        )
    return errors


def problem_response(
    request: Request,
    status: int,
    key: str,
    *,
    params: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    locale = negotiate_locale(request.headers.get("accept-language"))
    message = translate(key, locale, **(params or {}))
    body: dict[str, Any] = {
        "type": f"urn:phananh:problem:{key}",
        "title": message,
        "status": status,
        "detail": message,
        "code": key,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = [
            {"field": e["field"], "code": e["key"], "message": translate(e["key"], locale, **_safe(e.get("params")))}
            for e in errors
        ]
    all_headers = {"Content-Language": locale, **(headers or {})}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=all_headers)


def _safe(params: dict[str, Any] | None) -> dict[str, Any]:
    return {k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in (params or {}).items()}


_STATUS_KEYS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that make every error a translated problem+json."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem_response(request, exc.status, exc.key, params=exc.params, errors=exc.errors, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(request, 422, "validation_failed", errors=validation_errors(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        key = _STATUS_KEYS.get(exc.status_code, "bad_request" if exc.status_code < 500 else "internal_error")
        return problem_response(request, exc.status_code, key, headers=dict(exc.headers or {}))

    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc).__name__)
        return problem_response(request, 503, "database_unavailable", headers={"Retry-After": "5"})

    # Unreachable, or so slow that an operation ran out of its time limit: retry later, not a bug.
    app.add_exception_handler(ConnectionFailure, _database_down)
    app.add_exception_handler(ExecutionTimeout, _database_down)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "internal_error")
