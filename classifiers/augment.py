"""Training-time noise so the models see the ways residents really type.

The corpus is small (about 4k reports), and the held-out set is written by other people:
stripping diacritics, re-abbreviating words and injecting keyboard typos (all seeded)
makes the model rely on robust cues rather than on the authors' spelling habits.
The augmenter works on raw text; :func:`classifiers.text.normalize` runs after it, so
abbreviations introduced here are partly expanded again, exactly as at inference time.
"""

import random
import re

from classifiers.text import strip_diacritics

# Full word -> the short forms residents use for it (reverse of text.ABBREVIATIONS, plus
# forms that normalisation does not expand, so the model still sees some raw ones).
SHORT_FORMS: dict[str, tuple[str, ...]] = {
    "không": ("ko", "k", "hok", "khong", "kh"),
    "được": ("đc", "dc", "dk"),
    "người": ("ng", "ngừoi"),
    "mọi người": ("mn", "mng"),
    "gì": ("j", "gi"),
    "rồi": ("r", "roi"),
    "với": ("vs", "voi"),
    "cũng": ("cx", "cg"),
    "trước": ("trc",),
    "đường": ("đg", "dg"),
    "quá": ("qá", "wá", "qa"),
    "nước": ("nc",),
    "thành phố": ("tp",),
    "hà nội": ("hn",),
    "phường": ("p.", "f"),
    "điện thoại": ("đt",),
}
_SHORT_FORM_PATTERN = re.compile(r"\b(" + "|".join(map(re.escape, SHORT_FORMS)) + r")\b", re.IGNORECASE)
_KEYBOARD_NEIGHBOURS = dict(zip("qwertyuiopasdfghjklzxcvbnm", "wqrtyuioplsdfghjkalxcvbnmb", strict=True))


class Augmenter:
    """Seeded random corruptions; one instance per training run keeps runs reproducible."""

    def __init__(
        self,
        seed: int,
        p_strip: float = 0.3,
        p_abbreviate: float = 0.3,
        p_typo: float = 0.3,
        typo_rate: float = 0.04,
        word_dropout: float = 0.0,
    ) -> None:
        self.rng = random.Random(seed)
        self.p_strip, self.p_abbreviate, self.p_typo, self.typo_rate = p_strip, p_abbreviate, p_typo, typo_rate
        self.word_dropout = word_dropout

    def strip(self, text: str) -> str:
        return strip_diacritics(text)

    def abbreviate(self, text: str) -> str:
        return _SHORT_FORM_PATTERN.sub(
            lambda m: self.rng.choice(SHORT_FORMS[m.group(0).lower()]) if self.rng.random() < 0.6 else m.group(0),
            text,
        )

    def typo(self, text: str) -> str:
        """Drop, double, swap or mistype about ``typo_rate`` of the letters."""
        chars = list(text)
        out: list[str] = []
        i = 0
        while i < len(chars):
            c = chars[i]
            if not c.isalpha() or self.rng.random() >= self.typo_rate:
                out.append(c)
            else:
                kind = self.rng.randrange(4)
                if kind == 1:
                    out.append(c + c)
                elif kind == 2 and i + 1 < len(chars):
                    out.extend((chars[i + 1], c))
                    i += 1
                elif kind == 3:
                    out.append(_KEYBOARD_NEIGHBOURS.get(c.lower(), c))
                # kind 0: the letter is dropped
            i += 1
        return "".join(out)

    def drop_words(self, text: str) -> str:
        """Remove each word with probability ``word_dropout``: no single keyword can carry a label."""
        words = text.split()
        kept = [w for w in words if self.rng.random() >= self.word_dropout]
        return " ".join(kept or words)

    def __call__(self, text: str) -> str:
        if self.word_dropout:
            text = self.drop_words(text)
        if self.rng.random() < self.p_abbreviate:
            text = self.abbreviate(text)
        if self.rng.random() < self.p_strip:
            text = self.strip(text)
        if self.rng.random() < self.p_typo:
            text = self.typo(text)
        return text
