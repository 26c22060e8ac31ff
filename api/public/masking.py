"""Masking of contact and identity details in text shown to the public.

Residents write their phone number, e-mail, ID card number or a neighbour's licence plate
into descriptions ("gọi tôi 0912 345 678", "xe 29A-123.45 đỗ chắn cổng"), and staff quote
them in replies. The stored text keeps them (staff need them); every public rendering (the
nearby map, Open311, duplicate excerpts shown to other residents) goes through ``mask``.

The patterns are anchored on digit boundaries so that report codes (HN-2026-000123), house
numbers (số 12, 12/34), dates (29/11/2026, 2026-11-29), times (19:30, 7h30) and sums of
money (1.200.000 đồng) stay readable: a false positive hides useful words, a false
negative exposes a person, so the rules lean towards masking only where a format is
specific (a leading 0 or +84 for phones, the plate's letter series, exactly 9 or 12 digits).
"""

import re

MASK = "***"
_SEP = r"[ .\-]?"  # one optional separator between digit groups: space, dot or dash
_NOT_BEFORE = r"(?<![\w.+\-/])"  # not glued to a word, a decimal point or another number
_NOT_AFTER = r"(?![\w/]|[.\-]\d)"

_PATTERNS = [
    # e-mail addresses
    r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+",
    # mobile: 0 or +84/84 then 9 digits starting 3/5/7/8/9, grouped 3-3-3 or 4-3-3 (0912 345 678, +84 912.345.678)
    _NOT_BEFORE + r"(?:\+84|84|0)" + _SEP + r"[35789]\d{2}" + _SEP + r"\d{3}" + _SEP + r"\d{3}" + _NOT_AFTER,
    _NOT_BEFORE + r"(?:\+84|84|0)" + _SEP + r"[35789]\d" + _SEP + r"\d{3}" + _SEP + r"\d{4}" + _NOT_AFTER,
    # landline: (0)2x area code + 8 digits (024 3825 1234, (028) 3829 1234, +84 24 38251234)
    _NOT_BEFORE
    + r"(?:\(0?2\d{1,2}\)|(?:\+84|0)"
    + _SEP
    + r"2\d{1,2})"
    + _SEP
    + r"\d{3,4}"
    + _SEP
    + r"\d{4}"
    + _NOT_AFTER,
    # hotlines 1900 / 1800 + 4 or 6 digits (1900 1234, 1800.599.920)
    _NOT_BEFORE
    + r"1[89]00"
    + _SEP
    + r"(?:\d{4}|\d{3}"
    + _SEP
    + r"\d{3}|\d{2}"
    + _SEP
    + r"\d{2}"
    + _SEP
    + r"\d{2})"
    + _NOT_AFTER,
    # licence plates: province 11-99, series (A, LD, B1, X1), 4 or 5 digits (29A-123.45, 30E 12345, 29-B1 123.45)
    _NOT_BEFORE + r"[1-9]\d" + r"[ \-]?" + r"[A-Z]{1,2}\d?" + r"[ \-.]?" + r"(?:\d{3}\.?\d{2}|\d{4})" + _NOT_AFTER,
    # CMND (9 digits) / CCCD (12 digits, also written 3-3-6 or 4-4-4), not a sum of money
    _NOT_BEFORE
    + r"(?:\d{12}|\d{9}|\d{3} \d{3} \d{6}|\d{4} \d{4} \d{4})"
    + r"(?![\w/]|[.\-]\d|\s*(?:đ\b|đồng|vnd|VND|VNĐ))",
]
_PATTERN = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))


def mask(text: str | None) -> str | None:
    """The text with every phone number, e-mail, ID number and licence plate replaced by ``***``."""
    return None if text is None else _PATTERN.sub(MASK, text)
