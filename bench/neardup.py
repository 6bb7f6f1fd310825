"""Pair precision and recall of the near-duplicate finder on the project's wire-copy set.

    python bench/neardup.py [--shingles 2 3 4 5] [--thresholds 0.3 0.4 0.5 0.6 0.7]

The set is tests/wirecopies.py: six agency stories as five outlets reprint each (a new
headline, a rewritten first sentence, a paragraph dropped or added, a local intro, another
ending, an "avec AFP" line), and for each a distinct story on the same topic. A pair is
predicted a near-copy when the two signatures share an LSH band and agree on at least the
threshold; clusters are what the archive keeps (the union of those pairs). The last line gives
the figures at the shipped settings:

    neardup pairs=N precision=P recall=R cluster_precision=P cluster_recall=R

`neardup_share(files)` (bench/ingest.py prints it) is what the upkeep costs an ingest: on one
core, in this process, the signature and the archive's band lookup and cluster update of each
file, against everything else an ingest does with it (read, clean, date, detect, store).
"""

from __future__ import annotations

import argparse
import sys
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from newsarchive import neardup  # noqa: E402
from wirecopies import articles  # noqa: E402


def figures(threshold: float) -> tuple[float, float, float, float, int]:
    items = articles()
    sigs = [neardup.signature(text) for _, _, text in items]
    keys = [set(neardup.bands(s)) if s else set() for s in sigs]
    truth, predicted = set(), set()
    for i, j in combinations(range(len(items)), 2):
        if items[i][0] == items[j][0]:
            truth.add((i, j))
        a, b = sigs[i], sigs[j]
        if a and b and keys[i] & keys[j] and neardup.similarity(a, b) >= threshold:
            predicted.add((i, j))
    parent = list(range(len(items)))

    def root(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for i, j in sorted(predicted):
        parent[max(root(i), root(j))] = min(root(i), root(j))
    clustered = {(i, j) for i, j in combinations(range(len(items)), 2) if root(i) == root(j)}

    def pr(found: set[tuple[int, int]]) -> tuple[float, float]:
        hits = len(found & truth)
        return (hits / len(found) if found else 1.0), hits / len(truth)

    p, r = pr(predicted)
    cp, cr = pr(clustered)
    return p, r, cp, cr, len(truth)


def neardup_share(files: list[Path]) -> float:
    """The near-duplicate upkeep's share of the per-file ingest time, measured on these files."""
    import tempfile
    import time

    from newsarchive.archive import Archive
    from newsarchive.inputs import read_input
    from newsarchive.model import CLEANER_VERSION, Rejected
    from newsarchive.pipeline import content_hash, process

    rest = upkeep = 0.0
    with tempfile.TemporaryDirectory() as tmp, Archive(Path(tmp) / "a.db") as archive:
        archive.begin()
        for n, path in enumerate(files):
            start = time.perf_counter()
            try:
                article = process(read_input(path), str(path))
            except Rejected:
                continue
            cleaned = time.perf_counter()
            sig = neardup.signature(article.text)
            signed = time.perf_counter()
            article_id = archive.save_article(
                article, content_hash(article.text) + str(n), str(n), b"", CLEANER_VERSION, near=None
            )
            stored = time.perf_counter()
            archive._join_cluster(article_id, sig)  # what save_article does with a signature
            joined = time.perf_counter()
            rest += (cleaned - start) + (stored - signed)
            upkeep += (signed - cleaned) + (joined - stored)
        archive.commit()
    return upkeep / (rest + upkeep)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shingles", type=int, nargs="+", default=[2, 3, 4, 5])
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
    args = parser.parse_args()
    shipped = neardup.SHINGLE, neardup.THRESHOLD
    print("| shingle | threshold | pair precision | pair recall | cluster precision | cluster recall |")
    print("|---|---|---|---|---|---|")
    for size in args.shingles:
        neardup.SHINGLE = size
        for threshold in args.thresholds:
            p, r, cp, cr, _ = figures(threshold)
            mark = " (shipped)" if (size, threshold) == shipped else ""
            print(f"| {size}{mark} | {threshold} | {p:.3f} | {r:.3f} | {cp:.3f} | {cr:.3f} |")
    neardup.SHINGLE = shipped[0]
    p, r, cp, cr, n = figures(shipped[1])
    print(f"neardup pairs={n} precision={p:.3f} recall={r:.3f} cluster_precision={cp:.3f} cluster_recall={cr:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
