"""What of a report the public may see: one set of rules for every public view.

Public views are those shown to anyone but the author and the staff who handle the report:
the nearby map, Open311, duplicate offers, area digests. A report is in them only if its
author left it public (the default; reports filed before visibility existed count as
public); its texts are masked, and each text or photo staff hid is left out at once, since
every view reads these fields from the report itself rather than from a copy.
"""

from collections.abc import Mapping
from typing import Any, Literal

from api.public.masking import mask

HiddenPart = Literal["description", "replies", "photo"]
PUBLIC_VARIANTS = {"display": "public", "thumbnail": "public_thumbnail"}  # the redacted copies in the photo store


def is_public(report: Mapping[str, Any]) -> bool:
    return report.get("visibility", "public") == "public"


def hidden(report: Mapping[str, Any]) -> Mapping[str, Any]:
    return report.get("public_hidden") or {}


def public_text(report: Mapping[str, Any], part: Literal["description", "replies"], text: str | None) -> str | None:
    """The text as the public sees it: masked, or None when staff hid that part."""
    return None if hidden(report).get(part) else mask(text)


def public_photo_ids(report: Mapping[str, Any]) -> list[str]:
    """Photos the author let others see (public report, box ticked), minus those staff hid."""
    if not is_public(report) or not report.get("photos_public"):
        return []
    hidden_photos = set(hidden(report).get("photos") or ())
    return [p["id"] for p in report.get("photos") or () if p["id"] not in hidden_photos]
