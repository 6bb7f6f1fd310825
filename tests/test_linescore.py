"""The learned line scorer: its features, its trees, and how it decides with the rules."""

from datetime import datetime

import pytest

from newsarchive.clean.linescore import (
    CONTEXT_FEATURES,
    FEATURES,
    REASONS,
    RULED,
    Forest,
    LineScorer,
    context_features,
    default_scorer,
    features,
)
from newsarchive.clean.text import analyse, clean_text

from pages import DUMP

NOW = datetime(2026, 11, 24)


def test_one_row_of_every_feature_per_line_with_the_rules_verdict_once() -> None:
    page = analyse(DUMP, NOW)
    rows = features(page)
    assert len(rows) == len(page.content)
    assert {len(row) for row in rows} == {len(FEATURES)}
    onehot = FEATURES.index(f"rule:{REASONS[0]}")
    for ln, row in zip(page.content, rows, strict=True):
        assert sum(row[onehot:]) == 1.0, ln.reason  # every reason of the rules has its feature
        assert row[FEATURES.index("prose")] == float(ln.prose)
        assert row[FEATURES.index("rule_keep")] == float(ln.keep)


def test_context_features_read_the_first_pass_around_each_line() -> None:
    probs = [0.1, 0.9, 0.8, 0.1, 0.0]
    rows = context_features(probs)
    assert [len(r) for r in rows] == [len(CONTEXT_FEATURES)] * 5
    p_prev, sandwiched = CONTEXT_FEATURES.index("p_prev"), CONTEXT_FEATURES.index("sandwiched_5")
    assert [r[p_prev] for r in rows] == [0.0, 0.1, 0.9, 0.8, 0.1]
    assert rows[3][sandwiched] == 0.0  # nothing after it reads as body
    assert rows[0][CONTEXT_FEATURES.index("lines_to_body")] == 1 / 50


# A tree with a leaf above full depth (left of the root) and a split below it (right).
UNEVEN = [[0, 0.5, 1, 2, 0.0], [-1.0], [1, 2.0, 3, 4, 0.5], [0.25], [2.0]]


def _walk(tree: list[list[float]], row: list[float]) -> float:
    entry = tree[0]
    while len(entry) > 1:
        entry = tree[int(entry[2]) if row[int(entry[0])] <= entry[1] else int(entry[3])]
    return entry[0]


def test_forest_padded_to_full_depth_gives_what_walking_the_trees_gives() -> None:
    pytest.importorskip("numpy")
    import math

    forest = Forest([UNEVEN, [[1, 0.0, 1, 2, 0.1], [0.5], [-0.5]]], base=0.2)
    rows = [[0.0, 0.0], [1.0, 1.0], [1.0, 3.0], [0.5, -1.0], [0.6, 2.0]]
    got = forest.probabilities(rows)
    for row, p in zip(rows, got, strict=True):
        total = 0.2 + _walk(UNEVEN, row) + _walk([[1, 0.0, 1, 2, 0.1], [0.5], [-0.5]], row)
        assert p == pytest.approx(1 / (1 + math.exp(-total)))
    moved = forest.contributions([1.0, 3.0])
    assert moved == pytest.approx({0: 0.5, 1: 1.5 - 0.6})


def _stump(feature: int, value: float) -> list[list[float]]:
    """One split: a line with the feature at 0 goes left (-value), else right (+value)."""
    return [[feature, 0.5, 1, 2, 0.0], [-value], [value]]


def test_the_scorer_decides_body_lines_and_leaves_the_metadata_to_the_rules() -> None:
    pytest.importorskip("numpy")
    n = len(FEATURES)
    model = {
        "features": FEATURES,
        "context_features": CONTEXT_FEATURES,
        "threshold": 0.5,
        "rules_threshold": 0.5,
        "first": {"base": 0.0, "trees": [_stump(FEATURES.index("prose"), 4.0)]},
        "second": {"base": 0.0, "trees": [_stump(n + CONTEXT_FEATURES.index("p"), 3.0)]},
    }
    scorer = LineScorer.from_dict(model)
    result = clean_text(DUMP, NOW, scorer=scorer, explain=True)
    content = [ln for ln in result.lines if ln.text]
    for ln in content:
        if ln.reason.startswith("model"):
            assert ln.keep == ln.prose, ln.reason
            assert "strongest: p +3.0" in ln.reason or "strongest: p -3.0" in ln.reason
        else:
            assert ln.reason.startswith(RULED)
    assert result.text == "\n\n".join(ln.text for ln in content if ln.keep)
    assert result.title == clean_text(DUMP, NOW, scorer=False).title


def test_a_model_trained_on_other_features_is_refused() -> None:
    with pytest.raises(ValueError, match="other features"):
        LineScorer.from_dict({"features": FEATURES[:-1], "context_features": CONTEXT_FEATURES})


def test_without_a_shipped_model_the_rules_decide() -> None:
    assert default_scorer() is None
    assert clean_text(DUMP, NOW).text == clean_text(DUMP, NOW, scorer=False).text
