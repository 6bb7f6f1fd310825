"""The Dask executor beside the built-in pool, and the writer's own ceiling.

    python bench/cluster.py [--files 2000] [--cluster local:2] [--ceiling 1000]

On bench/ingest.py's folder of N files (half HTML, half text dumps, from ../shared/bench):
`newsarchive ingest --workers 2` and `newsarchive ingest --cluster local:2` (bytes shipped, the
default; the LocalCluster's start counted in, as a user meets it) into fresh archives, then the
same cluster command on an empty folder (what starting the cluster alone costs). Then the
writer's ceiling: the results of `--ceiling` text dumps computed once in this process, then
stored by the Ingester as if a free executor handed them over (no cleaning left): the articles
a second one archive can take, whatever the cluster. The last line is:

    cluster files=N pool_fps=F cluster_fps=F ratio=R start_s=T writer_ceiling=A cpu_ms=C
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import BIN, ROOT, SOURCES, build, ingest, timed

from newsarchive.archive import Archive
from newsarchive.inputs import discover
from newsarchive.pipeline import Ingester, IngestOptions, Task, work
from newsarchive.run.executor import Done


class Precomputed:
    """An executor whose results are already there: what storing costs when cleaning is free."""

    def __init__(self, results: dict[str, Any]) -> None:
        self.results = results

    def submit(self, task: Task) -> Done:
        return Done(self.results[task.key])

    def close(self) -> None:
        return None

    def describe(self) -> str | None:
        return None


def writer_ceiling(folder: Path, count: int) -> tuple[float, float]:
    """(articles stored a second, ms of one core to clean one of them)."""
    files = [item for item in discover([folder]) if hasattr(item, "key")][:count]
    now = datetime.now()
    start = time.perf_counter()
    results = {item.key: work(Task(str(item.path), item.key), 20 << 20, None, now) for item in files}  # type: ignore[union-attr]
    cpu_ms = (time.perf_counter() - start) / len(files) * 1000
    with tempfile.TemporaryDirectory() as tmp, Archive(Path(tmp) / "a.db") as archive:
        start = time.perf_counter()
        Ingester(archive, IngestOptions(workers=2), executor=Precomputed(results)).run(iter(files), [str(folder)])
        seconds = time.perf_counter() - start
    return len(files) / seconds, cpu_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--cluster", default="local:2")
    parser.add_argument("--ceiling", type=int, default=1000)
    args = parser.parse_args()
    if not all(s.is_dir() for s in SOURCES):
        raise SystemExit("needs the benchmark pages in ../shared/bench")
    cache = ROOT / "bench" / ".cache"
    folder = cache / f"ingest-{args.files}-both-g1"
    build(folder, args.files, "both")
    run = cache / "cluster-run"
    run.mkdir(parents=True, exist_ok=True)
    pool_s, _ = ingest(folder, run / "pool.db", 2)
    for stale in run.glob("cluster.db*"):
        stale.unlink() if stale.is_file() else None
    cmd = [str(BIN / "newsarchive"), "ingest", str(folder), "--db", str(run / "cluster.db"), "--quiet"]
    cluster_s, _ = timed([*cmd, "--cluster", args.cluster])
    empty = Path(tempfile.mkdtemp(dir=run))
    start_s, _ = timed(
        [str(BIN / "newsarchive"), "ingest", str(empty), "--db", str(empty / "e.db"), "-q", "--cluster", args.cluster]
    )
    ceiling, cpu_ms = writer_ceiling(folder / "txt", args.ceiling)
    ratio = pool_s / cluster_s
    print("| run | files | seconds | files/s |\n|---|---|---|---|")
    print(f"| --workers 2 | {args.files} | {pool_s:.1f} | {args.files / pool_s:.1f} |")
    print(f"| --cluster {args.cluster} | {args.files} | {cluster_s:.1f} | {args.files / cluster_s:.1f} |")
    print(f"| --cluster {args.cluster}, empty folder (the start alone) | 0 | {start_s:.1f} | |")
    print(
        f"writer ceiling: {ceiling:.0f} articles/s (text dumps cleaned beforehand; "
        f"{cpu_ms:.1f} ms of one core to clean one)"
    )
    print(
        f"cluster files={args.files} pool_fps={args.files / pool_s:.1f} cluster_fps={args.files / cluster_s:.1f} "
        f"ratio={ratio:.2f} start_s={start_s:.1f} writer_ceiling={ceiling:.0f} cpu_ms={cpu_ms:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
