"""The auto-routing threshold rule: every dev group must reach the target on its own."""

import json
from pathlib import Path

import numpy as np
import pytest

from classifiers.calibration import (
    TARGET_PRECISION,
    calibrate_on_dev,
    calibrated_probabilities,
    fit_temperature,
    pick_threshold,
    pick_threshold_for_groups,
)
from classifiers.ensemble import read_dev

# six dev rows, most confident first; the pooled dev reaches 75% correct with all of them
CONFIDENCES = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
CORRECT = np.array([1.0, 1.0, 0.0, 1.0, 1.0, 1.0])
EVERYTHING = np.arange(6)


def test_pooled_dev_alone_routes_everything() -> None:
    # top-k accuracy 1, 1, 2/3, 3/4, 4/5, 5/6: the lowest confidence already meets 75%
    assert pick_threshold_for_groups(CONFIDENCES, CORRECT, [EVERYTHING], 0.75) == pytest.approx(0.4)


def test_a_harder_part_raises_the_threshold_until_it_meets_the_target() -> None:
    hard_part = np.array([1, 2, 4])  # 0.8 right, 0.7 wrong, 0.5 right: 1, 1/2, 2/3 above each cut
    assert pick_threshold(CONFIDENCES[hard_part], CORRECT[hard_part], 0.75) == pytest.approx(0.8)
    assert pick_threshold_for_groups(CONFIDENCES, CORRECT, [EVERYTHING, hard_part], 0.75) == pytest.approx(0.8)


def test_the_smallest_common_threshold_can_lie_below_a_groups_own_cut() -> None:
    correct = np.array([0.0, 1.0, 1.0, 1.0, 1.0, 0.0])  # pooled: 0, 1/2, 2/3, 3/4, 4/5, 4/6
    part = np.array([2, 5])  # 0.7 right, 0.4 wrong: any cut above 0.4 keeps only the right one
    assert pick_threshold(CONFIDENCES, correct, 0.75) == pytest.approx(0.5)
    assert pick_threshold(CONFIDENCES[part], correct[part], 0.75) == pytest.approx(0.7)
    # at 0.7 the pooled dev is at 2/3: the max of the two cuts would miss; 0.5 satisfies both
    assert pick_threshold_for_groups(CONFIDENCES, correct, [EVERYTHING, part], 0.75) == pytest.approx(0.5)


def test_unreachable_target_routes_almost_nothing() -> None:
    wrong = np.zeros(6)
    assert pick_threshold_for_groups(CONFIDENCES, wrong, [EVERYTHING], 0.95) == pytest.approx(0.9)


def test_one_group_is_the_pooled_rule() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        confidences = np.round(rng.uniform(0.2, 1.0, 300), 2)  # rounded: ties must be all in or all out
        correct = (rng.uniform(size=300) < confidences + 0.1).astype(float)
        assert pick_threshold_for_groups(confidences, correct, [np.arange(300)]) == pick_threshold(confidences, correct)


def test_read_dev_names_groups_by_their_files(tmp_path: Path) -> None:
    files = []
    for name, count in (("d1.jsonl", 2), ("s1.jsonl", 3), ("s2.jsonl", 1)):
        files.append(tmp_path / name)
        files[-1].write_text(
            "".join(json.dumps({"text": f"{name} {i}", "category": "other"}) + "\n" for i in range(count))
        )
    rows, groups = read_dev([str(f) for f in files], [[str(files[1]), str(files[2])]])
    assert len(rows) == 6
    assert list(groups) == ["d1.jsonl + s1.jsonl + s2.jsonl", "s1.jsonl + s2.jsonl"]
    assert groups["s1.jsonl + s2.jsonl"].tolist() == [2, 3, 4, 5]
    with pytest.raises(SystemExit):
        read_dev([str(files[0])], [[str(files[1])]])


def test_calibrate_on_dev_fits_temperature_then_the_group_threshold_on_calibrated_confidences():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, 400)
    logits = rng.normal(0, 1, (400, 4))
    logits[np.arange(400), labels] += rng.uniform(0, 4, 400)  # right more often when more confident
    groups = {"all": np.arange(400), "hard": np.arange(100)}
    fitted = calibrate_on_dev(logits, labels, groups)
    assert fitted.temperature == pytest.approx(fit_temperature(logits, labels))
    np.testing.assert_allclose(fitted.probabilities, calibrated_probabilities(logits, fitted.temperature))
    correct = (fitted.probabilities.argmax(1) == labels).astype(float)
    expected = pick_threshold_for_groups(fitted.probabilities.max(1), correct, list(groups.values()), TARGET_PRECISION)
    assert fitted.threshold == expected
    assert fitted.fields() == {
        "temperature": fitted.temperature,
        "threshold": expected,
        "target_precision": 0.95,
        "fitted_on": "all",
        "threshold_groups": ["all", "hard"],
    }
