"""Structured JSON logs, one object per line, every line of a request carrying its request id.

The request id lives in a contextvar set by ``RequestContext`` (middleware.py), so any log
call made while serving the request (service, repository, pymongo) is tagged with it, and
``current_request_id()`` lets code that queues work (the notification outbox) store it with
the event so the worker's pushes log the request that caused them.

Redaction runs on every record before it is formatted: bearer tokens and JWTs, FCM
registration tokens (any long token-like run), e-mail addresses and phone numbers are
masked, wherever they appear (our messages, library debug output, exception text).
"""

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_request_id: ContextVar[str | None] = ContextVar("phananh_request_id", default=None)

_PATTERNS = (
    (re.compile(r"(?i)\bbearer\s+[^\s\"',]+"), "Bearer [token]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*"), "[token]"),
    (re.compile(r"[A-Za-z0-9_:-]{40,}"), "[token]"),  # FCM tokens, keys; ObjectIds and uuids are shorter
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<![\w+])(?:\+|00)\d{2,3}(?:[\s.-]?\d){7,11}(?!\d)"), "[phone]"),
    (re.compile(r"(?<![\w.])0\d(?:[\s.-]?\d){7,9}(?!\d)"), "[phone]"),  # Vietnamese national format
)
CONTEXT_FIELDS = ("route", "method", "status", "duration_ms", "client_ip")


def current_request_id() -> str | None:
    """The id of the request being served in this task, or None outside a request."""
    return _request_id.get()


def bind_request_id(request_id: str | None):  # noqa: ANN201 - a contextvars Token
    """Make ``request_id`` current (e.g. a worker replaying an outbox event); returns the reset token."""
    return _request_id.set(request_id)


def reset_request_id(token) -> None:  # noqa: ANN001
    _request_id.reset(token)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets and personal data in the message and exception text of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None  # the (redacted) text above is what gets printed
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for name in CONTEXT_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the service; uvicorn applies it in every worker process."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "filters": ["redact"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactingFilter}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            **{name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
            # one INFO line per HTTP call would be one per push; the dispatcher logs each event itself
            "httpx": {"level": "WARNING"},
        },
    }
