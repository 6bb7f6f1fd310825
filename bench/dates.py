"""Publication dates on ../shared/bench/dates: our finder on the HTML and on the text dumps.

    python bench/dates.py [--set ../shared/bench/dates/dev] [--lang fr] [-j 2]

Runs `newsarchive.pipeline.process` on every page, writes the dates as JSON Lines and scores
them with ../shared/bench/score_dates.py (the same scorer runs on pages we never see).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "bench"
sys.path.insert(0, str(ROOT / "src"))


def one(args: tuple[str, str]) -> dict[str, str | None]:
    from newsarchive.inputs import read_input
    from newsarchive.model import Rejected
    from newsarchive.pipeline import process

    path, page_id = args
    try:
        article = process(read_input(Path(path)), path, datetime(2026, 11, 24))
        published = article.published[:10] if article.published else None
    except Rejected:
        published = None
    return {"id": page_id, "date": published}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=str(SHARED / "dates" / "dev"))
    parser.add_argument("--lang", default=None)
    parser.add_argument("-j", type=int, default=2)
    args = parser.parse_args()
    setdir = Path(args.set)
    gold = json.loads((setdir / "gold.json").read_text(encoding="utf-8"))
    if args.lang:
        gold = {k: v for k, v in gold.items() if v.get("lang") == args.lang}
    for kind in ("html", "txt"):
        jobs = [(str(setdir / f"{page_id}.{kind}"), page_id) for page_id in sorted(gold)]
        with ProcessPoolExecutor(args.j) as pool:
            results = list(pool.map(one, jobs, chunksize=8))
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as fh:
            fh.writelines(json.dumps(r) + "\n" for r in results)
        command = [sys.executable, str(SHARED / "score_dates.py"), str(setdir), "--results", fh.name]
        if args.lang:
            command += ["--lang", args.lang]
        score = subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip().splitlines()
        print(f"{kind:4} {score[-1] if score else 'no score'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
