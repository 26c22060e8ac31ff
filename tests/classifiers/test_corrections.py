"""The corrections measurement: refit the n-gram head with and without corrections, score a held-back slice."""

import json
from pathlib import Path

import pytest

from classifiers.corrections import main
from classifiers.dataset import read_jsonl
from classifiers.loader import DEFAULT_MODEL_DIR

pytestmark = pytest.mark.slow  # the module's tests take over 3 s together: outside the fast subset

DATA = Path(__file__).resolve().parents[2] / "classifiers" / "data"


def write(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_every_second_correction_is_held_back_and_scored_per_category(tmp_path: Path, capsys) -> None:
    train = write(tmp_path / "train.jsonl", read_jsonl(DATA / "train.jsonl")[::10])
    dev = write(tmp_path / "dev.jsonl", read_jsonl(DATA / "shifted" / "dev_d1.jsonl")[::5])
    corrections = read_jsonl(DATA / "voices" / "t1_regional_stories.jsonl")[::9]
    main(
        [
            "--model",
            str(DEFAULT_MODEL_DIR),
            "--data",
            train,
            "--dev",
            dev,
            "--corrections",
            write(tmp_path / "corrections.jsonl", corrections),
        ]
    )
    result = json.loads(capsys.readouterr().out)
    assert (result["corrections"], result["holdout"]) == (len(corrections[::2]), len(corrections[1::2]))
    corrected, held_back = {r["category"] for r in corrections[::2]}, {r["category"] for r in corrections[1::2]}
    assert corrected & held_back <= set(result["per_category"]) <= corrected
    for figures in result["per_category"].values():
        assert 0.0 <= figures["f1_before"] <= 1.0 and 0.0 <= figures["f1_after"] <= 1.0
    assert 0.0 <= result["macro_f1_before"] <= 1.0 and 0.0 <= result["macro_f1_after"] <= 1.0
