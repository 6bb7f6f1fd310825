"""Cleaning quality and speed on ../shared/bench/cleaning, for text dumps and HTML.

    python bench/cleaning.py [--sets dev dev-dates] [--no-baseline]

For each set and input it writes our cleaned body of every page to a temporary folder and
scores it with ../shared/bench/score_cleaning.py (the scorer that also runs on pages we never
see); as the peer, trafilatura's `extract()` with default options on the same HTML. It also
times the text-dump cleaner alone on one core. The rules are hand-written and general: no
parameter is fitted to these pages, so there is no leave-one-page-out figure to give.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"
sys.path.insert(0, str(ROOT / "src"))

from newsarchive.clean.text import clean_text  # noqa: E402
from newsarchive.inputs import read_input  # noqa: E402
from newsarchive.model import Rejected  # noqa: E402
from newsarchive.pipeline import process  # noqa: E402

NOW = datetime(2026, 11, 24)


def ours(path: Path) -> str:
    try:
        return process(read_input(path), str(path), NOW).text
    except Rejected:
        return ""


def trafilatura_default(path: Path) -> str:
    import trafilatura

    return trafilatura.extract(path.read_bytes()) or ""


def score(setdir: Path, kind: str, clean: object) -> str:
    ids = sorted(p.stem for p in setdir.glob(f"*.{kind}"))
    with tempfile.TemporaryDirectory() as out:
        for page_id in ids:
            text = clean(setdir / f"{page_id}.{kind}")  # type: ignore[operator]
            Path(out, f"{page_id}.txt").write_text(text, encoding="utf-8")
        result = subprocess.run(
            [sys.executable, str(BENCH / "score_cleaning.py"), str(setdir), "--outputs", out],
            capture_output=True,
            text=True,
            check=False,
        )
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else f"no score: {result.stderr.strip()[:200]}"


def speed(paths: list[Path], rounds: int = 3) -> float:
    """Pages per second of the text-dump cleaner alone, one core, best of `rounds`."""
    texts = [p.read_text(encoding="utf-8") for p in paths]
    clean_text(texts[0], NOW)  # load the stop lists once
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            clean_text(text, NOW)
        best = max(best, len(texts) / (time.perf_counter() - start))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["dev", "dev-dates"])
    parser.add_argument("--no-baseline", action="store_true", help="skip trafilatura's own figures")
    args = parser.parse_args()
    setdirs = [BENCH / "cleaning" / name for name in args.sets]
    print("| set | input | cleaner | precision | recall | F1 |")
    print("|---|---|---|---|---|---|")
    for setdir in setdirs:
        runs = [("txt", "newsarchive", ours), ("html", "newsarchive", ours)]
        if not args.no_baseline:
            runs.append(("html", "trafilatura default", trafilatura_default))
        for kind, name, fn in runs:
            parts = score(setdir, kind, fn).split()
            figures = dict(zip(parts[::2], parts[1::2], strict=False))
            print(
                f"| {setdir.name} | {kind} | {name} | {figures.get('precision', '?')} "
                f"| {figures.get('recall', '?')} | {figures.get('f1', '?')} |"
            )
    print("\ntext-dump cleaning speed, one core (best of 3):")
    groups = {
        "cleaning sets": [p for d in setdirs for p in sorted(d.glob("*.txt"))],
        "date set": sorted((BENCH / "dates" / "dev").glob("*.txt")),
        "seeds": sorted((BENCH.parent / "seeds").glob("*.txt")),
    }
    for name, paths in groups.items():
        if paths:
            chars = sum(p.stat().st_size for p in paths) // len(paths)
            print(f"  {name}: {len(paths)} pages, {chars} bytes on average: {speed(paths):.0f} pages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
