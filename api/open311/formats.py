"""JSON and XML bodies of Open311 GeoReport v2, and its error format.

Open311 clients expect the spec's own error body (a list of ``{code, description}``, in the
format they asked for) rather than the problem+json every ``/v1`` endpoint answers, so the
routes of this feature use ``Open311Route``: it turns every refusal raised underneath
(ours, the intake's, FastAPI's validation) into that body with the right HTTP status.
"""

import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import AppError, validation_errors
from core.i18n import negotiate_locale, translate

log = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
# the XML element of one item of each list, named as in the spec's examples
_ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


class Open311Error(Exception):
    """A refusal in the spec's error format; ``key`` names the catalogue message."""

    def __init__(self, status: int, key: str, **params: Any) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.params = params


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _append(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list):
        for item in value:
            _append(element, _ITEM_NAMES.get(name, "item"), item)
    else:
        element.text = _text(value)


def to_xml(root: str, body: dict[str, Any] | list[Any]) -> bytes:
    """A UTF-8 XML document with its declaration: ``root`` holds a list's items or a document's fields."""
    element = ET.Element(root)
    if isinstance(body, list):
        for item in body:
            _append(element, _ITEM_NAMES[root], item)
    else:
        for key, value in body.items():
            _append(element, key, value)
    return ET.tostring(element, encoding="UTF-8", xml_declaration=True)


def _respond(
    fmt: str, root: str, plain: dict[str, Any] | list[Any], status: int, headers: dict[str, str] | None
) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, plain), status_code=status, media_type=XML_TYPE, headers=headers)
    return Response(
        json.dumps(plain, ensure_ascii=False).encode(), status_code=status, media_type=JSON_TYPE, headers=headers
    )


def render(
    fmt: str, root: str, body: BaseModel | Sequence[BaseModel], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """The document in the requested format (``root`` is the XML root element)."""
    plain = body.model_dump(mode="json") if isinstance(body, BaseModel) else [b.model_dump(mode="json") for b in body]
    return _respond(fmt, root, plain, status, headers)


def requested_format(request: Request) -> str:
    """XML when the path asked for it, JSON otherwise (also for a format we do not speak)."""
    return "xml" if request.path_params.get("fmt") == "xml" or request.url.path.endswith(".xml") else "json"


def error_response(
    request: Request, status: int, messages: list[str], headers: dict[str, str] | None = None
) -> Response:
    errors = [{"code": status, "description": message} for message in messages]
    return _respond(requested_format(request), "errors", errors, status, headers)


def _messages(request: Request, key: str, params: dict[str, Any], field_errors: list[dict[str, Any]]) -> list[str]:
    """One description per problem, in the caller's language; field problems name the field."""
    locale = negotiate_locale(request.headers.get("accept-language"))
    if not field_errors:
        return [translate(key, locale, **params)]
    return [
        f"{_FIELD_NAMES.get(e['field'], e['field'])}: {translate(e['key'], locale, **_scalars(e.get('params')))}"
        for e in field_errors
    ]


_FIELD_NAMES = {"fmt": "format", "lng": "long", "address": "address_string", "category": "service_code"}


def _scalars(params: dict[str, Any] | None) -> dict[str, Any]:
    return {k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in (params or {}).items()}


class Open311Route(APIRoute):
    """A route whose every refusal is an Open311 error body; never problem+json, never a bare 500."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Open311Error as exc:
                return error_response(request, exc.status, _messages(request, exc.key, exc.params, []))
            except AppError as exc:
                status = 400 if exc.status == 422 else exc.status  # the spec knows 400 for bad input
                return error_response(request, status, _messages(request, exc.key, exc.params, exc.errors), exc.headers)
            except RequestValidationError as exc:
                return error_response(request, 400, _messages(request, "validation_failed", {}, validation_errors(exc)))
            except StarletteHTTPException as exc:  # e.g. an unparseable form body
                return error_response(request, exc.status_code, _messages(request, "bad_request", {}, []))
            except ConnectionFailure:
                return error_response(
                    request, 503, _messages(request, "database_unavailable", {}, []), {"Retry-After": "5"}
                )
            except Exception:
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                return error_response(request, 500, _messages(request, "internal_error", {}, []))

        return guarded
