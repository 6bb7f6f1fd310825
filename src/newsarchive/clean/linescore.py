"""The learned line scorer: is this line of a text dump part of the article?

The rule pass (`clean_text.analyse`) describes every line and gives a first answer; the scorer
reads that evidence (the line's own shape, its neighbours', where it stands relative to the
prose of the page and to the headline, how much of its vocabulary the rest of the page shares,
the rules' verdict) and gives each line a probability of being body text. The model is a small
forest of boosted trees trained by `bench/train_cleaner.py` on the 665 pages of the date set
(labels from the HTML of the same pages) and the hand gold of the cleaning sets; it ships as
`newsarchive/clean/line_model.json` and runs on the standard library alone.

Features are language-independent: counts, shares and positions, plus the stop words of the
page's language and the rules' lexicons, which are the per-language part.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from newsarchive.clean import rules
from newsarchive.clean import text as ct

if TYPE_CHECKING:
    from newsarchive.clean.text import Page

# The rules' verdicts, by the start of their reason: one feature each.
REASONS = (
    "publication date",
    "headline",
    "after a related-articles heading",
    "author box",
    "standfirst",
    "before the article",
    "after the article",
    "web interface",
    "date line",
    "byline",
    "hashtags",
    "prose",
    "no words",
    "photo caption",
    "a name alone",
    "truncated teaser",
    "link under",
    "one of many short lines",
    "short line inside",
)
# Lines the rules decide alone: metadata the cleaner reads itself (never body text).
RULED = ("publication date", "headline", "date line", "byline", "hashtags", "no words", "a name alone")

# Notices written in sentences that are not the article: consent, data protection, legal, the
# newsletter pitch. Stems, matched on folded text; the languages of the date set.
_NOTICE = re.compile(r"\b" + rules.alternation("NOTICE") + r"\b")

_DIGIT = re.compile(r"\d")
_SEPARATORS = re.compile(r"[|•·»›/>]")


def _reason_index(reason: str) -> int:
    for k, start in enumerate(REASONS):
        if reason.startswith(start):
            return k
    return -1


def _window_share(flags: list[float], prefix: list[float], i: int, radius: int) -> float:
    lo, hi = max(0, i - radius), min(len(flags), i + radius + 1)
    return (prefix[hi] - prefix[lo] - flags[i]) / max(1, hi - lo - 1)


def _prefix(values: list[float]) -> list[float]:
    out = [0.0]
    for v in values:
        out.append(out[-1] + v)
    return out


FEATURES: list[str] = [
    "log_words",
    "log_chars",
    "sentence_end",
    "stop_share",
    "capitalised_share",
    "digit_share",
    "commas_per_word",
    "separators",
    "prose",
    "furniture",
    "boundary",
    "caption",
    "call_to_action",
    "reader_address",
    "notice_words",
    "ellipsis_end",
    "glued",
    "url",
    "repeated",
    "lower_start",
    "list_item",
    "position",
    "in_main_run",
    "before_main_run",
    "after_main_run",
    "lines_to_title",
    "after_related",
    "under_related",
    "in_long_run",
    "weight",
    "prose_share_2",
    "prose_share_5",
    "prose_share_15",
    "prev_prose",
    "next_prose",
    "prev_log_words",
    "next_log_words",
    "block_log_words",
    "block_share",
    "block_is_largest",
    "block_lines",
    "teaser_pattern",
    "shared_vocabulary",
    "title_vocabulary",
    "page_prose_share",
    "page_log_lines",
    "stop_list",
    "rule_keep",
    *(f"rule:{r}" for r in REASONS),
]


def features(page: Page) -> list[list[float]]:
    """One row of FEATURES per line with text, in order."""
    content, stops = page.content, page.stops
    n = len(content)
    if not n:
        return []
    prose = [1.0 if ln.prose else 0.0 for ln in content]
    words = [float(ln.nwords) for ln in content]
    prose_prefix = _prefix(prose)
    # Blocks: prose lines with at most one other line between two of them.
    block_of = [-1] * n
    blocks: list[list[int]] = []
    for i in range(n):
        if not prose[i]:
            continue
        if blocks and i - blocks[-1][-1] <= 2:
            blocks[-1].append(i)
        else:
            blocks.append([i])
    block_words = [sum(words[j] for j in b) for b in blocks]
    for k, b in enumerate(blocks):
        for j in range(b[0], b[-1] + 1):
            block_of[j] = k
    total_prose = sum(block_words) or 1.0
    largest = max(range(len(blocks)), key=lambda k: block_words[k], default=-1)
    # Vocabulary: in how many lines each content word stands (articles repeat their subject).
    vocab: list[set[str]] = []
    seen: dict[str, int] = {}
    for ln in content:
        own = {w for w in map(ct._fold_word, ln.words) if len(w) > 2 and w not in stops}
        vocab.append(own)
        for w in own:
            seen[w] = seen.get(w, 0) + 1
    title_words: set[str] = set()
    if page.title_line is not None:
        title_words = vocab[page.title_line]
    under = ct._under_related_heading(content, page.boundaries)
    long_run = ct._long_runs(content)
    title_line = page.title_line
    rows: list[list[float]] = []
    reason_count = len(REASONS)
    page_prose_share = sum(prose) / n
    page_log_lines = math.log1p(n)
    has_stops = 1.0 if stops else 0.0
    for i, ln in enumerate(content):
        text, folded, nw = ln.text, ln.folded, ln.nwords
        sample = ln.words[:40]
        stop_share = sum(1 for w in sample if ct._is_stop(w, stops)) / len(sample) if sample and stops else 0.0
        caps = sum(1 for w in ln.words if w[:1].isupper()) / nw if nw else 0.0
        own = vocab[i]
        shared = sum(1 for w in own if seen[w] > 1) / len(own) if own else 0.0
        in_title = len(own & title_words) / len(own) if own and title_words and i != title_line else 0.0
        k = block_of[i]
        teaser = 0.0
        if prose[i] and i > 0 and not prose[i - 1] and content[i - 1].nwords <= 20:
            # title, blurb, title, blurb: a prose line led by a short line, as the one before it
            prev = next((j for j in range(i - 1, max(-1, i - 6), -1) if prose[j]), None)
            if prev is not None and prev > 0 and not prose[prev - 1] and content[prev - 1].nwords <= 20:
                teaser = 1.0
        row = [
            math.log1p(nw),
            math.log1p(len(text)),
            1.0 if ct._SENTENCE_END.search(text) else 0.0,
            stop_share,
            caps,
            len(_DIGIT.findall(text)) / len(text),
            text.count(",") / (nw or 1),
            float(min(len(_SEPARATORS.findall(text)), 5)),
            prose[i],
            1.0 if ct._is_furniture(ln) else 0.0,
            1.0 if i in page.boundaries else 0.0,
            1.0 if ct._CAPTION.search(folded) else 0.0,
            1.0 if ct._CTA.search(folded) else 0.0,
            1.0 if ct._READER.search(folded) else 0.0,
            float(min(len(_NOTICE.findall(folded)), 5)),
            1.0 if ct._ELLIPSIS_END.search(text) else 0.0,
            float(min(ct._glued(text), 3)),
            1.0 if ct._URL.search(text) else 0.0,
            float(min(page.counts.get(ln.key, 1) - 1, 3)),
            1.0 if text[:1].islower() else 0.0,
            1.0 if ct._LIST_ITEM.search(text) else 0.0,
            i / n,
            1.0 if page.first <= i <= page.last else 0.0,
            float(min(max(page.first - i, 0), 50)) / 50,
            float(min(max(i - page.last, 0), 50)) / 50 if page.last >= 0 else 1.0,
            (max(-30, min(30, i - title_line)) / 30) if title_line is not None else 0.0,
            1.0 if i >= page.related_at else 0.0,
            1.0 if under[i] else 0.0,
            1.0 if long_run[i] else 0.0,
            max(-100.0, min(page.weights[i], 80.0)) / 80 if page.weights else 0.0,
            _window_share(prose, prose_prefix, i, 2),
            _window_share(prose, prose_prefix, i, 5),
            _window_share(prose, prose_prefix, i, 15),
            prose[i - 1] if i > 0 else 0.0,
            prose[i + 1] if i + 1 < n else 0.0,
            math.log1p(words[i - 1]) if i > 0 else 0.0,
            math.log1p(words[i + 1]) if i + 1 < n else 0.0,
            math.log1p(block_words[k]) if k >= 0 else 0.0,
            block_words[k] / total_prose if k >= 0 else 0.0,
            1.0 if k >= 0 and k == largest else 0.0,
            math.log1p(len(blocks[k])) if k >= 0 else 0.0,
            teaser,
            shared,
            in_title,
            page_prose_share,
            page_log_lines,
            has_stops,
            1.0 if ln.keep else 0.0,
        ]
        onehot = [0.0] * reason_count
        r = _reason_index(ln.reason)
        if r >= 0:
            onehot[r] = 1.0
        row.extend(onehot)
        rows.append(row)
    return rows


CONTEXT_FEATURES: list[str] = [
    "p",
    "p_prev",
    "p_next",
    "p_mean_1",
    "p_mean_3",
    "p_mean_8",
    "p_mean_20",
    "p_max_before_5",
    "p_max_after_5",
    "sandwiched_5",
    "p_page_max",
    "p_rank",
    "body_mass_before",
    "lines_to_body",
]


def context_features(probs: list[float]) -> list[list[float]]:
    """The first pass's probabilities around each line: an article is a run, not scattered lines."""
    n = len(probs)
    prefix = _prefix(probs)
    page_max = max(probs) if probs else 0.0
    body = [i for i, p in enumerate(probs) if p >= 0.5]
    mass = _prefix([p if p >= 0.5 else 0.0 for p in probs])
    total_mass = mass[-1] or 1.0
    order = sorted(range(n), key=lambda i: probs[i])
    rank = [0.0] * n
    for r, i in enumerate(order):
        rank[i] = r / max(1, n - 1)
    rows = []
    nearest = [0] * n
    if body:
        k = 0
        for i in range(n):
            while k + 1 < len(body) and abs(body[k + 1] - i) <= abs(body[k] - i):
                k += 1
            nearest[i] = min(abs(body[k] - i), 50)
    for i, p in enumerate(probs):
        row = [p, probs[i - 1] if i > 0 else 0.0, probs[i + 1] if i + 1 < n else 0.0]
        for radius in (1, 3, 8, 20):
            lo, hi = max(0, i - radius), min(n, i + radius + 1)
            row.append((prefix[hi] - prefix[lo] - p) / max(1, hi - lo - 1))
        before = max(probs[max(0, i - 5) : i], default=0.0)
        after = max(probs[i + 1 : i + 6], default=0.0)
        row += [before, after, min(before, after), page_max, rank[i], mass[i] / total_mass]
        row.append(nearest[i] / 50 if body else 1.0)
        rows.append(row)
    return rows


class Forest:
    """Boosted trees evaluated for all lines of a page at once (numpy), padded to full depth.

    In the model file a tree is a list of nodes, [feature, threshold, left, right, value] (left
    when the value is at most the threshold; `value`, the node's own estimate, serves to explain)
    or [leaf value]; here every tree becomes arrays of a complete tree of the forest's depth, so
    one step down is one gather for every line and tree.
    """

    def __init__(self, trees: list[list[list[float]]], base: float) -> None:
        import numpy as np

        self.nodes, self.base = trees, base
        self.depth = depth = max(_depth(tree, 0) for tree in trees)
        inner, leaves = 2**depth - 1, 2**depth
        self.feature = np.zeros((len(trees), inner), dtype=np.intp)
        self.threshold = np.full((len(trees), inner), np.inf)
        self.leaf = np.zeros((len(trees), leaves))
        for t, tree in enumerate(trees):
            self._fill(t, tree, 0, 0, 0)
        self.trees = np.arange(len(trees))

    def _fill(self, t: int, tree: list[list[float]], node: int, slot: int, level: int) -> None:
        entry = tree[node]
        if level == self.depth:
            self.leaf[t, slot - (2**self.depth - 1)] = entry[0]
            return
        if len(entry) == 1:  # a leaf above full depth: always go left down to the leaves
            self._fill(t, tree, node, 2 * slot + 1, level + 1)
            return
        self.feature[t, slot], self.threshold[t, slot] = int(entry[0]), entry[1]
        self._fill(t, tree, int(entry[2]), 2 * slot + 1, level + 1)
        self._fill(t, tree, int(entry[3]), 2 * slot + 2, level + 1)

    def probabilities(self, rows: list[list[float]]) -> list[float]:
        import numpy as np

        x = np.asarray(rows, dtype=np.float64)
        slot = np.zeros((len(rows), len(self.trees)), dtype=np.intp)
        lines = np.arange(len(rows))[:, None]
        for _ in range(self.depth):
            values = x[lines, self.feature[self.trees, slot]]
            slot = 2 * slot + 1 + (values > self.threshold[self.trees, slot])
        total = self.base + self.leaf[self.trees, slot - (2**self.depth - 1)].sum(axis=1)
        result: list[float] = (1.0 / (1.0 + np.exp(-total))).tolist()
        return result

    def contributions(self, row: list[float]) -> dict[int, float]:
        """How much each feature moved this line's score, summed along its path in every tree."""
        moved: dict[int, float] = {}
        for tree in self.nodes:
            entry = tree[0]
            while len(entry) > 1:
                child = tree[int(entry[2]) if row[int(entry[0])] <= entry[1] else int(entry[3])]
                feature = int(entry[0])
                moved[feature] = moved.get(feature, 0.0) + child[-1] - entry[4]
                entry = child
        return moved


def _depth(tree: list[list[float]], node: int) -> int:
    entry = tree[node]
    if len(entry) == 1:
        return 0
    return 1 + max(_depth(tree, int(entry[2])), _depth(tree, int(entry[3])))


@dataclass
class LineScorer:
    """Two passes of boosted trees: the line's evidence, then that and the first pass around it."""

    first: Forest
    second: Forest
    threshold: float  # a line is body when its probability reaches this
    rules_threshold: float  # ... or this, when the rules keep it too

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LineScorer:
        if data["features"] != FEATURES or data["context_features"] != CONTEXT_FEATURES:
            raise ValueError("the line model was trained on other features: run bench/train_cleaner.py")
        return cls(
            Forest(data["first"]["trees"], float(data["first"]["base"])),
            Forest(data["second"]["trees"], float(data["second"]["base"])),
            float(data["threshold"]),
            float(data["rules_threshold"]),
        )

    def probabilities(self, rows: list[list[float]]) -> list[float]:
        return self._passes(rows)[1]

    def _passes(self, rows: list[list[float]]) -> tuple[list[list[float]], list[float]]:
        """The second pass's rows (the line's features and the first pass around it), and its answer."""
        if not rows:
            return [], []
        context = context_features(self.first.probabilities(rows))
        second = [a + b for a, b in zip(rows, context, strict=True)]
        return second, self.second.probabilities(second)

    def apply(self, page: Page, explain: bool = False) -> None:
        """Decide body or not for every line the rules do not rule alone, and say why.

        With `explain`, the reason also names the features that moved the line's score most.
        """
        rows2, probs = self._passes(features(page))
        for ln, p, row in zip(page.content, probs, rows2, strict=True):
            if ln.reason.startswith(RULED):
                continue
            keep = p >= self.threshold or (ln.keep and p >= self.rules_threshold)
            rules = f"rules: {'kept' if ln.keep else 'dropped'}, {ln.reason}"
            ln.keep = keep
            evidence = f"; {self.strongest(row)}" if explain else ""
            ln.reason = f"model {p:.2f}, {'body' if keep else 'not body'} ({rules}{evidence})"

    def strongest(self, row: list[float], count: int = 3) -> str:
        names = FEATURES + CONTEXT_FEATURES
        moved = sorted(self.second.contributions(row).items(), key=lambda kv: -abs(kv[1]))[:count]
        return "strongest: " + ", ".join(f"{names[f]} {v:+.1f}" for f, v in moved)


@lru_cache(maxsize=1)
def default_scorer() -> LineScorer | None:
    """The shipped model, or None when the package has none (the rules alone then decide)."""
    try:
        raw = resources.files("newsarchive.clean").joinpath("line_model.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return LineScorer.from_dict(json.loads(raw))
