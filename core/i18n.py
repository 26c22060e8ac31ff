"""The message catalogue: every user-facing string, in Vietnamese (default) and English.

Residents read these on their phones, so Vietnamese is the default and English is served
only when the client asks for it with ``Accept-Language``.
"""

import json
from functools import cache
from pathlib import Path

DEFAULT_LOCALE = "vi"
LOCALES = ("vi", "en")


@cache
def _catalogue() -> dict[str, dict[str, str]]:
    return json.loads((Path(__file__).with_name("messages.json")).read_text(encoding="utf-8"))


def negotiate_locale(accept_language: str | None) -> str:
    """Pick vi or en from an Accept-Language header, honouring q-values; vi when unsure."""
    if not accept_language:
        return DEFAULT_LOCALE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().lower().split("-")[0]
        if language in LOCALES and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LOCALE


def translate(key: str, locale: str, **params: object) -> str:
    """The catalogue text for ``key`` in ``locale``, with ``{name}`` placeholders filled."""
    entry = _catalogue().get(key) or _catalogue()["bad_request"]
    text = entry.get(locale) or entry[DEFAULT_LOCALE]
    try:
        return text.format(**params)
    except (KeyError, IndexError):
        return text


def has_message(key: str) -> bool:
    return key in _catalogue()
