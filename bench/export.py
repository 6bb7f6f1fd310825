"""Export time and peak memory at sizes an ingest takes too long to build.

    python bench/export.py [--articles 100000] [--formats jsonl parquet csv json]

Builds (once, cached in bench/.cache/) an archive of N distinct French articles made here
(bench/rerun.py's generated dumps, stored through the archive's own API with their raw input,
as an ingest stores them, without the cleaning), then runs `newsarchive export` into a file for
each format in a child process and reads its peak resident memory (ru_maxrss). The last line is:

    export articles=N jsonl_s=T jsonl_mb=M parquet_s=T parquet_mb=M ...
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rerun import dump

from newsarchive.archive import Archive
from newsarchive.model import CLEANER_VERSION, Article

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GENERATOR = 1


def build(db: Path, articles: int) -> None:
    done = db.with_suffix(".complete")
    if done.exists():
        return
    for stale in db.parent.glob(db.name + "*"):
        if stale.is_file():
            stale.unlink()
    rng = random.Random(articles)
    with Archive(db) as archive:
        archive.begin()
        for n in range(articles):
            raw = dump(n, rng)
            lines = raw.split("\n")
            article = Article(
                path=f"/bench/{n:07d}.txt", text="\n\n".join(lines[5:-2]), title=lines[2], author="la rédaction",
                published=f"{2015 + n % 11}-{1 + n % 12:02d}-{1 + n % 28:02d}", date_source="byline", lang="fr",
                tags=["local", f"dossier-{n % 50}"], kind="txt", encoding="utf-8",
            )  # fmt: skip
            archive.save_article(article, f"c{n}", f"s{n}", raw.encode(), CLEANER_VERSION)
            if n % 5000 == 4999:
                archive.commit()
                archive.begin()
        archive.commit()
    done.write_text("", encoding="utf-8")


def export(db: Path, fmt: str, out: Path) -> tuple[float, float]:
    """Seconds and peak MB of one export, measured from a fresh parent (ru_maxrss of its only child)."""
    out.unlink(missing_ok=True)
    cmd = [str(BIN / "newsarchive"), "export", "--db", str(db), "--format", fmt, "-o", str(out)]
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run([sys.executable, "-c", probe, *cmd], check=True, capture_output=True, text=True)
    seconds, peak_kb = done.stdout.split()
    return float(seconds), int(peak_kb) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--formats", nargs="+", default=["parquet", "jsonl", "csv", "json"])
    args = parser.parse_args()
    cache = ROOT / "bench" / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    db = cache / f"export-{args.articles}-g{GENERATOR}.db"
    start = time.perf_counter()
    build(db, args.articles)
    print(f"archive of {args.articles:,} articles ready in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    figures = []
    for fmt in args.formats:
        out = cache / f"export.{fmt}"
        seconds, mb = export(db, fmt, out)
        size = out.stat().st_size / 1e6
        print(f"  {fmt}: {seconds:.1f} s, peak {mb:.0f} MB, {size:.0f} MB written", file=sys.stderr)
        figures.append(f"{fmt}_s={seconds:.1f} {fmt}_mb={mb:.0f}")
        out.unlink()
    print(f"export articles={args.articles} " + " ".join(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
