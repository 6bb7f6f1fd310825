"""Does the text-dump cleaner keep what trafilatura keeps from the same page's HTML?

    python bench/agreement.py [--set ../shared/bench/dates/dev] [--lang fr] [-j 2] [-v]

There are no gold passages for most pages of the date set (665 pages, many languages and
layouts), but each page comes as HTML and as a text dump. Taking trafilatura's extraction of the
HTML as a rough reference, this measures, per page, the share of its sentences (8 words or
more) that our cleaner keeps from the dump (a recall proxy) and the share of ours that it has
(a precision proxy), and counts the pages where we lose most of the article: the failure that
matters most on layouts we have never seen.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _paragraphs(text: str) -> list[str]:
    """Sentences of 8 words or more: line breaks differ between the two renderings."""
    sentences = re.split(r"(?<=[.!?])\s+|\n", text)
    return [_norm(s) for s in sentences if len(s.split()) >= 8]


def one(args: tuple[str, str]) -> dict[str, object]:
    import trafilatura

    from newsarchive.clean.text import clean_text
    from newsarchive.inputs import decode_bytes

    html_path, txt_path = args
    raw = Path(html_path).read_bytes()
    reference = trafilatura.extract(decode_bytes(raw, "html")[0]) or ""
    ours = clean_text(Path(txt_path).read_text(encoding="utf-8"), datetime(2026, 11, 24)).text
    ref_paras, our_paras = _paragraphs(reference), _paragraphs(ours)
    ours_flat, ref_flat = _norm(ours), _norm(reference)
    recall = sum(1 for p in ref_paras if p in ours_flat) / len(ref_paras) if ref_paras else None
    precision = sum(1 for p in our_paras if p in ref_flat) / len(our_paras) if our_paras else None
    return {"id": Path(html_path).stem, "recall": recall, "precision": precision}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=str(ROOT.parent / "shared" / "bench" / "dates" / "dev"))
    parser.add_argument("--lang")
    parser.add_argument("-j", type=int, default=2)
    parser.add_argument("-v", action="store_true", help="list the pages where we keep under half")
    args = parser.parse_args()
    setdir = Path(args.set)
    gold = json.loads((setdir / "gold.json").read_text(encoding="utf-8"))
    ids = sorted(k for k, v in gold.items() if not args.lang or v.get("lang") == args.lang)
    jobs = [(str(setdir / f"{k}.html"), str(setdir / f"{k}.txt")) for k in ids]
    with ProcessPoolExecutor(args.j) as pool:
        rows = list(pool.map(one, jobs, chunksize=4))
    recalls = [r["recall"] for r in rows if r["recall"] is not None]
    precisions = [r["precision"] for r in rows if r["precision"] is not None]
    lost = [r for r in rows if r["recall"] is not None and r["recall"] < 0.5]  # type: ignore[operator]
    if args.v:
        for r in lost:
            print(f"{r['id']} recall {r['recall']:.2f} precision {r['precision']}")
    print(
        f"agreement pages={len(rows)} mean_recall={statistics.mean(recalls):.3f} "  # type: ignore[arg-type]
        f"mean_precision={statistics.mean(precisions):.3f} "  # type: ignore[arg-type]
        f"pages_keeping_under_half={len(lost)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
