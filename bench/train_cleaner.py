"""Train the text-dump cleaner's line scorer, and measure it leave-site-out.

    python bench/train_cleaner.py            # train on every page, write bench/.cache/train_cleaner/line_model.json
    python bench/train_cleaner.py --cv       # leave-site-out figures (rules alone and the model)

Pages: the 665 of ../shared/bench/dates/dev (HTML and the text dump of the same page), the 34 of
../shared/bench/cleaning (the same, with hand gold), the 5 seeds (dumps with hand gold). A line of
a dump is labelled body when the HTML cleaner of this project keeps it from the same page's HTML
(a weak label: tens of thousands of lines from hundreds of sites), and by the hand gold where
there is some ("with" passages body, "without" passages not, with more weight).

Cross-validation is grouped by site (the page's host; an archived page's original host): the
pages of one site are never both in the training folds and in the fold scored. Reported per fold
set: the two cleaning sets through ../shared/bench/score_cleaning.py, the agreement with
trafilatura's extraction of the HTML on the 665 date pages (as bench/agreement.py measures it),
and the seeds' text checks. Needs the `train` extra (scikit-learn, numpy); training is seeded and
rebuilds the same model file byte for byte from the same pages and library versions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import subprocess
import sys
import tempfile
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
BENCH = SHARED / "bench"
CACHE = ROOT / "bench" / ".cache" / "train_cleaner"
# Where the model is written. The package loads src/newsarchive/clean/line_model.json when it is
# there; none ships yet (see docs/cleaning.md: the rules measure better on the dev sets).
MODEL = CACHE / "line_model.json"
sys.path.insert(0, str(ROOT / "src"))

from newsarchive.clean.linescore import CONTEXT_FEATURES, FEATURES, RULED, LineScorer, context_features, features  # noqa: E402
from newsarchive.clean.text import analyse, clean_text  # noqa: E402

NOW = datetime(2026, 11, 24)
GOLD_WEIGHT = 4.0  # a hand-labelled line counts as much as this many weakly labelled ones
SEED = 0
PARAMS: dict[str, Any] = {
    "max_iter": 150,
    "learning_rate": 0.1,
    "max_depth": 4,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
}
THRESHOLD = 0.5
RULES_THRESHOLD = 0.5


@dataclass
class PageRef:
    id: str
    site: str
    txt: Path
    html: Path | None
    sets: list[str] = field(default_factory=list)  # the hand-gold sets it belongs to
    with_: list[str] = field(default_factory=list)
    without: list[str] = field(default_factory=list)
    without_lines: list[str] = field(default_factory=list)


def site_of(url: str) -> str:
    """The page's host without www.; for an archived copy, the host of the page archived."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "web.archive.org":
        m = re.search(r"/web/\d+[a-z_]*/(.+)$", parts.path + ("?" + parts.query if parts.query else ""))
        if m:
            inner = m.group(1)
            inner = inner if "://" in inner else "http://" + inner
            host = (urlsplit(inner).hostname or host).lower()
    return host.removeprefix("www.")


def collect() -> list[PageRef]:
    pages: dict[str, PageRef] = {}
    dates_dir = BENCH / "dates" / "dev"
    for pid, g in json.loads((dates_dir / "gold.json").read_text(encoding="utf-8")).items():
        pages[pid] = PageRef(pid, site_of(g["url"]), dates_dir / f"{pid}.txt", dates_dir / f"{pid}.html")
    for name in ("dev", "dev-dates"):
        setdir = BENCH / "cleaning" / name
        for pid, g in json.loads((setdir / "gold.json").read_text(encoding="utf-8")).items():
            ref = pages.setdefault(pid, PageRef(pid, site_of(g["url"]), setdir / f"{pid}.txt", setdir / f"{pid}.html"))
            ref.txt, ref.html = setdir / f"{pid}.txt", setdir / f"{pid}.html"
            ref.sets.append(name)
            ref.with_ += g["with"]
            ref.without += g["without"]
    seeds = SHARED / "seeds"
    if (seeds / "gold.json").exists():
        for name, g in json.loads((seeds / "gold.json").read_text(encoding="utf-8")).items():
            pid = "seed-" + name.split("_")[0]
            pages[pid] = PageRef(
                pid, pid, seeds / name, None, ["seeds"], list(g["with"]), list(g["without"]), g.get("without_lines", [])
            )
    return [pages[k] for k in sorted(pages)]


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _gold_norm(text: str) -> str:
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", text).strip())


def _references(html: str) -> dict[str, str]:
    import trafilatura

    from newsarchive.clean.html import clean_html
    from newsarchive.inputs import decode_bytes

    text = decode_bytes(Path(html).read_bytes(), "html")[0]
    ours = clean_html(text, NOW)
    return {"ours": "" if ours.fallback else ours.text, "trafilatura": trafilatura.extract(text) or ""}


def references(pages: list[PageRef]) -> dict[str, dict[str, str]]:
    """Our HTML cleaner's body and trafilatura's default extraction of every page's HTML (cached)."""
    import trafilatura

    CACHE.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1(
        (
            trafilatura.__version__
            + "".join(p.id for p in pages)
            + (ROOT / "src/newsarchive/clean/html.py").read_text()
        ).encode()
    ).hexdigest()[:12]
    path = CACHE / f"references-{key}.json"
    if path.exists():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    todo = [p for p in pages if p.html is not None]
    with ProcessPoolExecutor(2) as pool:
        found = list(pool.map(_references, [str(p.html) for p in todo], chunksize=8))
    refs = {p.id: r for p, r in zip(todo, found, strict=True)}
    path.write_text(json.dumps(refs, sort_keys=True), encoding="utf-8")
    return refs


def labels(page: PageRef, lines: list[str], reference: str | None) -> tuple[list[int], list[float]]:
    """A label and a weight for every line with text (weight 0: no label)."""
    ys, ws = [0] * len(lines), [0.0] * len(lines)
    if reference:
        ref_lines = {_norm(x) for x in reference.split("\n") if x.strip()}
        ref_flat = " ".join(_norm(x) for x in reference.split("\n") if x.strip())
        for i, line in enumerate(lines):
            d = _norm(line)
            if not d:
                continue
            if d in ref_lines or (len(d.split()) >= 3 and d in ref_flat):
                ys[i], ws[i] = 1, 1.0
            elif d not in ref_flat:
                ys[i], ws[i] = 0, 1.0
            # else: a short line that only stands inside a paragraph of the reference: no label
    for i, line in enumerate(lines):
        if any(_gold_norm(line) == _gold_norm(seg) for seg in page.without_lines):
            ys[i], ws[i] = 0, GOLD_WEIGHT
    for segments, label in ((page.with_, 1), (page.without, 0)):
        for seg in segments:
            s = _gold_norm(seg)
            if len(s) < 4:
                continue
            for i, line in enumerate(lines):
                g = _gold_norm(line)
                if s in g or (len(g) >= 20 and g in s):
                    ys[i], ws[i] = label, GOLD_WEIGHT
    return ys, ws


def dataset(pages: list[PageRef]) -> list[dict[str, Any]]:
    refs = references(pages)
    rows = []
    for p in pages:
        raw = p.txt.read_text(encoding="utf-8")
        an = analyse(raw, NOW)
        if not an.content:
            continue
        X = features(an)
        y, w = labels(p, [ln.text for ln in an.content], refs.get(p.id, {}).get("ours"))
        rows.append({
            "page": p, "X": X, "y": y, "w": w, "raw": raw, "refs": refs.get(p.id, {}),
            "texts": [ln.text for ln in an.content], "keep": [ln.keep for ln in an.content],
            "ruled": [ln.reason.startswith(RULED) for ln in an.content],
        })  # fmt: skip
    return rows


def fit(rows: list[dict[str, Any]], params: dict[str, Any] | None = None, key: str = "X") -> Any:
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    X = np.array([x for r in rows for x, w in zip(r[key], r["w"], strict=True) if w > 0], dtype=np.float64)
    y = np.array([v for r in rows for v, w in zip(r["y"], r["w"], strict=True) if w > 0])
    w = np.array([w for r in rows for w in r["w"] if w > 0])
    clf = HistGradientBoostingClassifier(**{**PARAMS, **(params or {})}, early_stopping=False, random_state=SEED)
    clf.fit(X, y, sample_weight=w)
    return clf


def fit2(rows: list[dict[str, Any]], params: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """Two passes: trees on the line's evidence, then trees that also read the first pass's
    probabilities around the line. The second pass learns from out-of-fold first-pass
    probabilities (site-grouped, as at run time the first pass has never seen the page)."""
    import numpy as np

    inner = folds(rows, 3, salt="inner")
    for fold in inner:
        held = set(fold)
        clf = fit([r for i, r in enumerate(rows) if i not in held], params)
        for i in fold:
            p1 = clf.predict_proba(np.array(rows[i]["X"]))[:, 1].tolist()
            rows[i]["X2"] = [x + c for x, c in zip(rows[i]["X"], context_features(p1), strict=True)]
    first = fit(rows, params)
    second = fit(rows, params, key="X2")
    return first, second


def predict2(models: tuple[Any, Any], X: list[list[float]]) -> Any:
    import numpy as np

    p1 = models[0].predict_proba(np.array(X))[:, 1].tolist()
    X2 = [x + c for x, c in zip(X, context_features(p1), strict=True)]
    return models[1].predict_proba(np.array(X2))[:, 1]


def decide(row: dict[str, Any], probs: Any, threshold: float = THRESHOLD, low: float | None = None) -> str:
    """The body the scorer's probabilities give (as LineScorer.apply decides)."""
    low = threshold if low is None else low
    kept = [
        text for text, keep, ruled, p in zip(row["texts"], row["keep"], row["ruled"], probs, strict=True)
        if (keep if ruled else p >= threshold or (keep and p >= low))
    ]  # fmt: skip
    return "\n\n".join(kept)


def to_forest(clf: Any) -> dict[str, Any]:
    """sklearn's trees as lists of nodes: [feature, threshold, left, right] or [leaf value]."""
    import numpy as np

    trees = []
    for (predictor,) in clf._predictors:
        nodes = []
        for node in predictor.nodes:
            if node["is_leaf"]:
                nodes.append([float(node["value"])])
            else:  # the features are never missing: sklearn's missing-value direction is not needed
                feature, threshold = int(node["feature_idx"]), float(node["num_threshold"])
                value = float(node["value"])  # what `clean --explain` credits each feature from
                nodes.append([feature, threshold, int(node["left"]), int(node["right"]), value])
        trees.append(nodes)
    return {"base": float(np.asarray(clf._baseline_prediction).ravel()[0]), "trees": trees}


def folds(rows: list[dict[str, Any]], k: int = 5, salt: str = "") -> list[list[int]]:
    """Site-grouped folds: sites dealt out by a hash of their name, so the folds are fixed."""
    out: list[list[int]] = [[] for _ in range(k)]
    for i, r in enumerate(rows):
        out[int(hashlib.sha1((salt + r["page"].site).encode()).hexdigest(), 16) % k].append(i)
    return out


def _sentences(text: str) -> list[str]:
    return [_norm(s) for s in re.split(r"(?<=[.!?])\s+|\n", text) if len(s.split()) >= 8]


def agreement(rows: list[dict[str, Any]], outputs: dict[str, str]) -> tuple[float, float, int]:
    """bench/agreement.py's figures: mean recall and precision against trafilatura, pages under half."""
    recalls, precisions, lost = [], [], 0
    for r in rows:
        p = r["page"]
        if p.html is None or p.id.startswith("seed-") or not (BENCH / "dates" / "dev" / f"{p.id}.html").exists():
            continue
        reference, ours = r["refs"].get("trafilatura", ""), outputs[p.id]
        ref_s, our_s = _sentences(reference), _sentences(ours)
        if ref_s:
            rec = sum(1 for s in ref_s if s in _norm(ours)) / len(ref_s)
            recalls.append(rec)
            lost += rec < 0.5
        if our_s:
            flat = _norm(reference)
            precisions.append(sum(1 for s in our_s if s in flat) / len(our_s))
    return statistics.mean(recalls), statistics.mean(precisions), lost


def edges(rows: list[dict[str, Any]], outputs: dict[str, str]) -> str:
    """The hidden scorer's shape on the date pages: the first and last sentence of the HTML
    body must be kept, and up to three lines that both HTML extractions leave out must not.

    Counted as ../shared/bench/score_cleaning.py counts (substring, whitespace-normalised).
    """
    tp = fp = fn = zero = pages = 0
    for r in rows:
        p = r["page"]
        ours, theirs = r["refs"].get("ours", ""), r["refs"].get("trafilatura", "")
        if p.sets or not ours:
            continue
        sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n", ours) if len(s.split()) >= 8]
        if not sentences:
            continue
        flat = _norm(ours) + " " + _norm(theirs)
        others = [t for t in r["texts"] if len(t.split()) >= 4 and _norm(t) not in flat]
        others.sort(key=lambda t: hashlib.sha1((p.id + t).encode()).hexdigest())
        out = _gold_norm(outputs[p.id])
        dump = _gold_norm(r["raw"])
        page_tp = 0
        for s in {sentences[0], sentences[-1]}:
            if _gold_norm(s) not in dump:
                continue  # rendered otherwise in the dump: not scored, as score_cleaning's "unreachable"
            found = _gold_norm(s) in out
            page_tp += found
            fn += not found
        tp += page_tp
        fp += sum(1 for t in others[:3] if _gold_norm(t) in out)
        if any(_gold_norm(s) in dump for s in {sentences[0], sentences[-1]}):
            zero += page_tp == 0
            pages += 1
    prec, rec = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return f"P {prec:.3f} R {rec:.3f} F1 {2 * tp / max(1, 2 * tp + fp + fn):.3f} recall0 {zero}/{pages}"


def score_set(name: str, outputs: dict[str, str]) -> str:
    setdir = BENCH / "cleaning" / name
    with tempfile.TemporaryDirectory() as out:
        for pid in json.loads((setdir / "gold.json").read_text(encoding="utf-8")):
            Path(out, f"{pid}.txt").write_text(outputs[pid], encoding="utf-8")
        cmd = [sys.executable, str(BENCH / "score_cleaning.py"), str(setdir), "--outputs", out]
        res = subprocess.run(
            [*cmd, "--json", f"{out}/r.json"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        per_page = json.loads(Path(out, "r.json").read_text()) if Path(out, "r.json").exists() else None
    last = res.stdout.strip().splitlines()[-1]
    figures = dict(zip(last.split()[::2], last.split()[1::2], strict=False))
    zero = ""
    if isinstance(per_page, dict) and isinstance(per_page.get("pages"), list):
        zero = f" pages_recall0={sum(1 for x in per_page['pages'] if x.get('tp', 1) == 0)}"
    return f"P {figures['precision']} R {figures['recall']} F1 {figures['f1']}{zero}"


def seed_checks(rows: list[dict[str, Any]], outputs: dict[str, str]) -> str:
    """The text checks of ../shared/seeds/check_seeds.py (keeps, drops, drops line) on the body alone."""
    passed = total = 0
    for r in rows:
        p = r["page"]
        if not p.id.startswith("seed-"):
            continue
        body = _gold_norm(outputs[p.id]).replace("’", "'")
        for seg in p.with_:
            total += 1
            passed += _gold_norm(seg).replace("’", "'") in body
        for seg in p.without:
            total += 1
            passed += _gold_norm(seg).replace("’", "'") not in body
        lines = {_gold_norm(x).replace("’", "'") for x in outputs[p.id].split("\n")}
        for seg in p.without_lines:
            total += 1
            passed += _gold_norm(seg).replace("’", "'") not in lines
    return f"{passed}/{total}"


def report(label: str, rows: list[dict[str, Any]], outputs: dict[str, str]) -> None:
    rec, prec, lost = agreement(rows, outputs)
    print(
        f"| {label} | {score_set('dev', outputs)} | {score_set('dev-dates', outputs)} | {edges(rows, outputs)} "
        f"| {rec:.3f} / {prec:.3f} / {lost} | {seed_checks(rows, outputs)} |",
        flush=True,
    )


def report_two_passes(rows: list[dict[str, Any]], probs2: dict[int, Any], args: argparse.Namespace) -> None:
    for threshold in args.thresholds:
        for low in args.lows or [threshold]:
            outputs = {r["page"].id: decide(r, probs2[i], threshold, low) for i, r in enumerate(rows)}
            report(f"two passes, leave-site-out, threshold {threshold} (rules' lines {low})", rows, outputs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="leave-site-out figures instead of training")
    parser.add_argument("--params", default="{}", help="JSON overrides of the trees' settings (with --cv)")
    parser.add_argument("--two-pass", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="the last --two-pass run's probabilities")
    parser.add_argument("--lows", nargs="*", type=float, help="thresholds for the lines the rules keep")
    parser.add_argument("--thresholds", nargs="+", type=float, default=[THRESHOLD])
    parser.add_argument("--train-figures", action="store_true", help="with --cv: also the model trained on all pages")
    args = parser.parse_args()
    pages = collect()
    rows = dataset(pages)
    n_lines = sum(1 for r in rows for w in r["w"] if w > 0)
    print(f"pages {len(rows)} sites {len({r['page'].site for r in rows})} labelled lines {n_lines}", file=sys.stderr)
    if not args.cv:
        first, second = fit2(rows)
        data = {
            "features": FEATURES, "context_features": CONTEXT_FEATURES,
            "threshold": THRESHOLD, "rules_threshold": RULES_THRESHOLD,
            "first": to_forest(first), "second": to_forest(second),
            "trained_on": {"pages": len(rows), "sites": len({r["page"].site for r in rows}), "lines": n_lines},
        }  # fmt: skip
        MODEL.parent.mkdir(parents=True, exist_ok=True)
        MODEL.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
        # The shipped scorer must give what sklearn gives (the trees were copied right).
        scorer = LineScorer.from_dict(data)
        for r in rows[:50]:
            ours, theirs = scorer.probabilities(r["X"]), predict2((first, second), r["X"])
            assert max(abs(a - b) for a, b in zip(ours, theirs, strict=True)) < 1e-4, r["page"].id
        size = MODEL.stat().st_size // 1024
        print(
            f"wrote {MODEL.relative_to(ROOT)} ({size} kB, sha256 {hashlib.sha256(MODEL.read_bytes()).hexdigest()[:16]})"
        )
        return 0
    params = json.loads(args.params)
    print("| cleaner | dev (txt) | dev-dates (txt) | date pages, edges | agreement R / P / pages under half | seeds |")
    print("|---|---|---|---|---|---|")
    rules = {r["page"].id: clean_text(r["raw"], NOW, scorer=False).text for r in rows}
    report("rules alone", rows, rules)
    import numpy as np

    if args.reuse:
        import pickle

        report_two_passes(rows, pickle.loads((CACHE / "probs2.pickle").read_bytes()), args)
        return 0
    probs: dict[int, Any] = {}
    probs2: dict[int, Any] = {}
    for fold in folds(rows):
        held = set(fold)
        train = [r for i, r in enumerate(rows) if i not in held]
        clf = fit(train, params)
        models = fit2(train, params) if args.two_pass else None
        for i in fold:
            probs[i] = clf.predict_proba(np.array(rows[i]["X"]))[:, 1]
            if models:
                probs2[i] = predict2(models, rows[i]["X"])
    if probs2:
        import pickle

        (CACHE / "probs2.pickle").write_bytes(pickle.dumps(probs2))
        report_two_passes(rows, probs2, args)
    for threshold in args.thresholds:
        outputs = {r["page"].id: decide(r, probs[i], threshold) for i, r in enumerate(rows)}
        report(f"model, leave-site-out, threshold {threshold}", rows, outputs)
    if args.train_figures:
        clf = fit(rows, params)
        outputs = {r["page"].id: decide(r, clf.predict_proba(np.array(r["X"]))[:, 1]) for r in rows}
        report("model, on its training pages", rows, outputs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
