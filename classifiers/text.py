"""Text normalisation applied identically at training and inference time.

Residents write "ko đc", "mat nuoc", mixed case and decomposed Unicode (iOS keyboards
emit NFD). Every model sees the output of :func:`normalize`, so the same report typed
two ways reaches the model as (nearly) the same string, and the small corpus does not
have to teach each model every chat abbreviation.
"""

import re
import unicodedata

# Chat abbreviations -> full word. Only whole tokens are replaced, so "10k" or "2h" stay.
ABBREVIATIONS: dict[str, str] = {
    "ko": "không",
    "k": "không",
    "kg": "không",
    "hok": "không",
    "hong": "không",
    "khg": "không",
    "đc": "được",
    "dc": "được",
    "dk": "được",
    "đk": "được",
    "ng": "người",
    "mn": "mọi người",
    "mng": "mọi người",
    "j": "gì",
    "r": "rồi",
    "vs": "với",
    "cx": "cũng",
    "cg": "cũng",
    "ck": "chồng",
    "vk": "vợ",
    "bn": "bao nhiêu",
    "ntn": "như thế nào",
    "trc": "trước",
    "nhg": "nhưng",
    "ns": "nói",
    "bh": "bây giờ",
    "h": "giờ",
    "đt": "điện thoại",
    "sđt": "số điện thoại",
    "tp": "thành phố",
    "hn": "hà nội",
    "đg": "đường",
    "dg": "đường",
    "qá": "quá",
    "wá": "quá",
    "qa": "quá",
    "nc": "nước",
    "bt": "bình thường",
    "mk": "mình",
    "kp": "không phải",
}

_TOKEN = re.compile(r"\w+", re.UNICODE)
_SPACES = re.compile(r"\s+")


def strip_diacritics(text: str) -> str:
    """'Đường ngập' -> 'Duong ngap': what a resident without a Vietnamese keyboard types."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def expand_abbreviations(text: str) -> str:
    return _TOKEN.sub(lambda m: ABBREVIATIONS.get(m.group(0), m.group(0)), text)


def normalize(text: str) -> str:
    """NFC, lowercase, abbreviations expanded, whitespace collapsed."""
    text = unicodedata.normalize("NFC", text).lower()
    return _SPACES.sub(" ", expand_abbreviations(text)).strip()
