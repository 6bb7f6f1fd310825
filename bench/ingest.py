"""Ingest speed end to end, against trafilatura's own command line on the same HTML files.

    python bench/ingest.py [--files 10000] [--shape html|txt|both]
    python bench/ingest.py --cluster local:2 [--files 2000] [--kill-worker-after 25]

Builds (once, cached in bench/.cache/) a folder of N raw articles: the pages of
../shared/bench/dates/dev and ../shared/bench/cleaning/dev, as HTML and as text dumps, repeated
with a small variation (a sentence naming the copy, added to the page's longest paragraph) so
every file is a distinct article; with --shape both, half of each. Then, in the same run:
`newsarchive ingest --workers 1` and `--workers 2` into fresh archives, the re-run over the
unchanged folder, and trafilatura's CLI on the same HTML files, with `--json --with-metadata`
(text and metadata, as we store) and without (plain text). Prints files per second for each,
the ratios, and the peak memory of each run (the proportional set size of the whole process
tree, sampled every 250 ms), and when each ingest's archive first showed an article to a reader.
The last line is:

    ingest files=N html_ratio_json=R html_ratio_text=R txt_fps=F scaling=S rerun_s=T peak_mb=M neardup_share=P
        seeds_ratio=R small_worst_ratio=R

(one line) where neardup_share is the near-duplicate upkeep's share of the per-file ingest time,
measured in this process on 300 of the files (bench/neardup.py's neardup_share), and the last two
compare small runs as a new user makes them, the default --workers against --workers 1 (best of
3, output piped): the seeds, data/samples, 200 short dumps (the seeds varied) and a re-run over
those 200 files touched (same bytes, new modification time); small_worst_ratio is the largest
default/single ratio of the four. `--small` runs only those.

With --cluster ADDRESS (local:N starts a LocalCluster here), on the folder of N files of both
shapes: `newsarchive ingest --workers 2` and `newsarchive ingest --cluster ADDRESS` (bytes
shipped, the default; a LocalCluster's start counted in, as a user meets it) into fresh archives,
then the same cluster command on an empty folder (what starting the cluster alone costs). Then
the writer's ceiling: the results of `--ceiling` text dumps computed once in this process, then
stored by the Ingester as if a free executor handed them over: the articles a second one archive
can take, whatever the cluster. With --kill-worker-after S, one more cluster ingest whose worker
process is SIGKILLed S seconds in; it must end normally with one outcome a file and export what
the pool's archive exports. The last line is then:

    cluster files=N pool_fps=F cluster_fps=F ratio=R start_s=T writer_ceiling=A cpu_ms=C [killed_ok=0|1]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "bench"
SOURCES = (SHARED / "dates" / "dev", SHARED / "cleaning" / "dev")
GENERATOR = 1
BIN = Path(sys.executable).parent


def pages(suffix: str) -> list[Path]:
    found: list[Path] = []
    for source in SOURCES:
        found.extend(sorted(source.glob(f"*{suffix}")))
    return found


def vary_html(html: str, n: int) -> str:
    """A sentence naming the copy, inside the page's longest paragraph (so the article differs)."""
    paragraphs = list(re.finditer(r"<p[ >].*?</p>", html, re.S | re.I))
    if not paragraphs:
        return html.replace("</body>", f"<p>Copie numéro {n} de cette page.</p></body>", 1)
    longest = max(paragraphs, key=lambda m: len(m.group(0)))
    end = longest.end() - 4
    return f"{html[:end]} Copie numéro {n}.{html[end:]}"


def vary_text(text: str, n: int) -> str:
    lines = text.split("\n")
    longest = max(range(len(lines)), key=lambda i: len(lines[i]))
    lines[longest] += f" Copie numéro {n}."
    return "\n".join(lines)


def build(folder: Path, files: int, shape: str) -> dict[str, int]:
    """The folder of raw articles, cached; returns how many files of each shape it holds."""
    wanted = {"html": files if shape == "html" else files // 2 if shape == "both" else 0}
    wanted["txt"] = files - wanted["html"]
    done = folder / ".complete"
    if done.exists():
        return wanted
    if folder.exists():
        shutil.rmtree(folder)
    for kind, count in wanted.items():
        if not count:
            continue
        sources = pages(f".{kind}")
        vary = vary_html if kind == "html" else vary_text
        for n in range(count):
            source = sources[n % len(sources)]
            text = source.read_text(encoding="utf-8", errors="replace")
            target = folder / kind / f"{n // 1000:03d}" / f"{n:06d}-{source.stem}.{kind}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(vary(text, n // len(sources)), encoding="utf-8")
    done.write_text("ok")
    return wanted


def tree_rss(pid: int) -> int:
    """Memory of a process and all its descendants, from /proc: the proportional set size.

    Workers forked from one server share the pages of the modules it imported; summing their
    resident sizes would count those pages once per worker, PSS counts each page once.
    """
    total = 0
    for current in process_tree(pid):
        try:
            with open(f"/proc/{current}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
        except OSError:  # gone meanwhile
            continue
    return total


def process_tree(pid: int) -> Iterator[int]:
    """A process and all its descendants, from /proc (those gone meanwhile are passed over)."""
    todo = [pid]
    while todo:
        current = todo.pop()
        yield current
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue


FIRST: dict[str, float] = {}  # command -> seconds until its archive showed a first article


def first_article(db: Path) -> bool:
    """Does the archive show a committed article yet (read as another program would)?"""
    if not db.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05)
        try:
            return conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def timed(cmd: list[str], db: Path | None = None, sample_memory: bool = True) -> tuple[float, int]:
    """Seconds and peak tree memory (bytes) of a command; with `db`, when its first article showed.

    Memory is sampled every MEMORY_EVERY seconds: reading every process's smaps_rollup walks its
    page tables, and at 50 times a second that took a tenth of a core from the command measured
    (a LocalCluster's run took 98 s sampled so, 63-67 s not). The archive is looked at every 20
    ms until its first article shows. `sample_memory=False` when only the time counts.
    """
    start = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0]
    key = " ".join(cmd)

    def sample() -> None:
        last = 0.0
        while process.poll() is None:
            now = time.perf_counter()
            if sample_memory and now - last >= MEMORY_EVERY:
                peak[0], last = max(peak[0], tree_rss(process.pid)), now
            if db is not None and key not in FIRST and first_article(db):
                FIRST[key] = time.perf_counter() - start
            if not sample_memory and (db is None or key in FIRST):
                return
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if process.returncode not in (0, 1):  # 1: some files failed, which is a normal outcome
        raise SystemExit(f"{' '.join(cmd)} failed ({process.returncode}):\n{err[-2000:]}")
    return seconds, peak[0]


MEMORY_EVERY = 0.25


def remove_archive(db: Path) -> None:
    """An archive, its journal files and its search index folder, gone: the next ingest starts afresh."""
    for stale in db.parent.glob(db.name + "*"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()


def ingest(folder: Path, db: Path, workers: int, sample_memory: bool = True) -> tuple[float, int]:
    remove_archive(db)
    cmd = [str(BIN / "newsarchive"), "ingest", str(folder), "--db", str(db), "--quiet", "--workers", str(workers)]
    return timed(cmd, db, sample_memory)


class Precomputed:
    """An executor whose results are already there: what storing costs when cleaning is free."""

    def __init__(self, results: dict[str, Any]) -> None:
        self.results = results
        self.ahead = 32

    def submit(self, task: Any) -> Any:
        from newsarchive.run.executor import Done

        return Done(self.results[task.key])

    def close(self) -> None:
        return None

    def describe(self) -> str | None:
        return None


def writer_ceiling(folder: Path, count: int) -> tuple[float, float]:
    """(articles stored a second, ms of one core to clean one of them)."""
    from newsarchive.archive import Archive
    from newsarchive.inputs import InputFile, discover
    from newsarchive.pipeline import Ingester, IngestOptions, Task, work

    files = [item for item in discover([folder]) if isinstance(item, InputFile)][:count]
    now = datetime.now()
    start = time.perf_counter()
    results = {item.key: work(Task(str(item.path), item.key), 20 << 20, None, now) for item in files}
    cpu_ms = (time.perf_counter() - start) / len(files) * 1000
    with tempfile.TemporaryDirectory() as tmp, Archive(Path(tmp) / "a.db") as archive:
        start = time.perf_counter()
        Ingester(archive, IngestOptions(workers=2), executor=Precomputed(results)).run(iter(files), [str(folder)])
        seconds = time.perf_counter() - start
    return len(files) / seconds, cpu_ms


def exported(db: Path) -> list[dict[str, Any]]:
    """The archive's export, less the times of the run itself."""
    out = subprocess.run([str(BIN / "newsarchive"), "export", "--db", str(db)], capture_output=True, check=True)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    for row in rows:
        row.pop("ingested_at")
        row.pop("updated_at")
    return rows


def cleaning_processes(pid: int) -> list[int]:
    """The worker processes a LocalCluster's nannies spawned under `pid`."""
    found = []
    for current in process_tree(pid):
        try:
            with open(f"/proc/{current}/cmdline", "rb") as fh:
                if b"spawn_main" in fh.read() and current != pid:
                    found.append(current)
        except OSError:  # gone meanwhile
            continue
    return found


def killed_run(folder: Path, db: Path, cluster: str, after: float, files: int, expected: list[dict[str, Any]]) -> bool:
    """A cluster ingest whose worker is SIGKILLed `after` s in: does it end as an uninterrupted one?"""
    cmd = [str(BIN / "newsarchive"), "ingest", str(folder), "--db", str(db), "--cluster", cluster, "--json"]
    start = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        process.wait(timeout=after)
        print(f"the run ended before {after} s: nothing was killed")
        return False
    except subprocess.TimeoutExpired:
        pass
    victims = cleaning_processes(process.pid)
    if not victims:
        print("no worker process found to kill")
        process.kill()
        return False
    os.kill(victims[0], signal.SIGKILL)
    print(f"killed worker process {victims[0]} at {time.perf_counter() - start:.1f} s")
    out, err = process.communicate()
    print(f"the run ended with exit status {process.returncode} after {time.perf_counter() - start:.1f} s")
    if process.returncode != 0:
        print(err.decode()[-2000:])
        return False
    counts = json.loads(out)["counts"]
    with sqlite3.connect(db) as conn:
        outcomes, paths = conn.execute("SELECT count(*), count(DISTINCT path) FROM files").fetchone()
    same = exported(db) == expected
    print(f"outcomes: {counts} ({sum(counts.values())}); files rows {outcomes}, distinct {paths}; export equal: {same}")
    return sum(counts.values()) == files == outcomes == paths and same


def cluster_bench(args: argparse.Namespace, cache: Path) -> int:
    folder = cache / f"ingest-{args.files}-both-g{GENERATOR}"
    build(folder, args.files, "both")
    run = cache / "cluster-run"
    run.mkdir(parents=True, exist_ok=True)
    pool_s, _ = ingest(folder, run / "pool.db", 2, sample_memory=False)
    for stale in run.glob("cluster*.db*"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    cmd = [str(BIN / "newsarchive"), "ingest", str(folder), "--db", str(run / "cluster.db"), "--quiet"]
    cluster_s, _ = timed([*cmd, "--cluster", args.cluster], sample_memory=False)
    empty = Path(tempfile.mkdtemp(dir=run))
    start_s, _ = timed(
        [str(BIN / "newsarchive"), "ingest", str(empty), "--db", str(empty / "e.db"), "-q", "--cluster", args.cluster],
        sample_memory=False,
    )
    shutil.rmtree(empty)
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
    killed = ""
    if args.kill_worker_after:
        expected = exported(run / "pool.db")
        ok = killed_run(folder, run / "cluster-killed.db", args.cluster, args.kill_worker_after, args.files, expected)
        killed = f" killed_ok={int(ok)}"
    print(
        f"cluster files={args.files} pool_fps={args.files / pool_s:.1f} cluster_fps={args.files / cluster_s:.1f} "
        f"ratio={ratio:.2f} start_s={start_s:.1f} writer_ceiling={ceiling:.0f} cpu_ms={cpu_ms:.1f}{killed}"
    )
    return 0


SEEDS = ROOT.parent / "shared" / "seeds"


def small_folders(cache: Path) -> dict[str, Path]:
    """The small runs a new user starts with: the seeds, data/samples, 200 short dumps."""
    dumps = cache / "small-200-dumps"
    if not (dumps / ".complete").exists():
        shutil.rmtree(dumps, ignore_errors=True)
        dumps.mkdir(parents=True)
        seeds = sorted(SEEDS.glob("*.txt"))
        for n in range(200):
            text = seeds[n % len(seeds)].read_text(encoding="utf-8")
            (dumps / f"{n:03d}.txt").write_text(vary_text(text, n), encoding="utf-8")
        (dumps / ".complete").write_text("ok")
    return {"seeds": SEEDS, "data/samples": ROOT / "data" / "samples", "200 short dumps": dumps}


def small_run(folder: Path, db: Path, workers: int | None, fresh: bool = True) -> float:
    """Seconds of one ingest as a user runs it (output piped, as a script or `| tee` reads it)."""
    if fresh:
        remove_archive(db)
    cmd = [str(BIN / "newsarchive"), "ingest", str(folder), "--db", str(db)]
    cmd += ["--workers", str(workers)] if workers else []
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=False)
    return time.perf_counter() - start


def small_pairs(cache: Path, rounds: int = 3) -> tuple[list[tuple[str, float, float]], float]:
    """Default workers against --workers 1 on small folders (best of `rounds`), and the seeds' ratio.

    The re-run touches every file of the 200 dumps (new modification time, same bytes) before
    each run: every file is read and found unchanged by its hash.
    """
    work = cache / "small-run"
    work.mkdir(parents=True, exist_ok=True)
    pairs: list[tuple[str, float, float]] = []
    folders = small_folders(cache)
    for label, folder in folders.items():
        best = {w: min(small_run(folder, work / "small.db", w) for _ in range(rounds)) for w in (None, 1)}
        pairs.append((label, best[None], best[1]))
    dumps = folders["200 short dumps"]
    touched: dict[int | None, float] = {}
    for w in (None, 1):
        small_run(dumps, work / f"touched-{w}.db", 1)
        times = []
        for _ in range(rounds):
            for file in dumps.glob("*.txt"):
                file.touch()
            times.append(small_run(dumps, work / f"touched-{w}.db", w, fresh=False))
        touched[w] = min(times)
    pairs.append(("re-run over 200 touched files", touched[None], touched[1]))
    return pairs, pairs[0][1] / pairs[0][2]


def print_pairs(pairs: list[tuple[str, float, float]]) -> None:
    print(f"| small run | default workers ({os.cpu_count()} cores) s | --workers 1 s | ratio |\n|---|---|---|---|")
    for label, default, single in pairs:
        print(f"| {label} | {default:.2f} | {single:.2f} | {default / single:.2f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=None, help="10,000 (2,000 with --cluster)")
    parser.add_argument("--shape", choices=("html", "txt", "both"), default="both")
    parser.add_argument("--cluster", metavar="ADDRESS", help="compare the pool with this Dask cluster (local:2)")
    parser.add_argument("--ceiling", type=int, default=1000, help="text dumps for the writer's ceiling")
    parser.add_argument("--kill-worker-after", type=float, metavar="S", help="with --cluster: the fault run")
    parser.add_argument("--small", action="store_true", help="only the small runs: default workers against one")
    args = parser.parse_args()
    if not all(s.is_dir() for s in SOURCES):
        raise SystemExit(f"needs the benchmark pages in {SHARED}")
    cache = ROOT / "bench" / ".cache"
    if args.cluster:
        args.files = args.files or 2000
        return cluster_bench(args, cache)
    if args.small:
        pairs, seeds_ratio = small_pairs(cache)
        print_pairs(pairs)
        print(f"small seeds_ratio={seeds_ratio:.2f} worst_ratio={max(d / o for _, d, o in pairs):.2f}")
        return 0
    args.files = args.files or 10_000
    folder = cache / f"ingest-{args.files}-{args.shape}-g{GENERATOR}"
    counts = build(folder, args.files, args.shape)
    work = cache / "ingest-run"
    work.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, int, float, int, float | None]] = []  # what, files, seconds, peak bytes, first
    seconds: dict[str, float] = {}
    peak = 0
    for kind, count in counts.items():
        if not count:
            continue
        for workers in (1, 2):
            s, rss = ingest(folder / kind, work / f"{kind}-{workers}.db", workers)
            seconds[f"{kind}{workers}"] = s
            peak = max(peak, rss)
            first = next((v for k, v in FIRST.items() if f"{kind}-{workers}.db" in k), None)
            rows.append((f"newsarchive ingest --workers {workers}, {kind}", count, s, rss, first))
    # the re-run: everything in one archive, then the same command again
    every = work / "all.db"
    s, rss = ingest(folder, every, 2)
    peak = max(peak, rss)
    rerun, rss = timed([str(BIN / "newsarchive"), "ingest", str(folder), "--db", str(every), "--quiet"])
    peak = max(peak, rss)
    rows.append(("re-run over the unchanged folder", sum(counts.values()), rerun, rss, None))
    if counts["html"]:
        trafilatura = str(BIN / "trafilatura")
        for label, extra in (
            ("trafilatura --json --with-metadata", ["--json", "--with-metadata"]),
            ("trafilatura", []),
        ):
            out = work / "trafilatura-out"
            shutil.rmtree(out, ignore_errors=True)
            cmd = [
                trafilatura,
                "--input-dir",
                str(folder / "html"),
                "--output-dir",
                str(out),
                "--parallel",
                "2",
                *extra,
            ]
            s, rss = timed(cmd)
            seconds[label] = s
            rows.append((f"{label} --parallel 2, html", counts["html"], s, rss, None))
    pairs, seeds_ratio = small_pairs(cache)
    print("| run | files | seconds | files/s | peak MB | first article after |\n|---|---|---|---|---|---|")
    for what, n, s, rss, first in rows:
        after = f"{first:.1f} s" if first is not None else ""
        print(f"| {what} | {n} | {s:.1f} | {n / s:.1f} | {rss / 1e6:.0f} | {after} |")
    html_json = html_text = txt_fps = 0.0
    if counts["html"]:
        html_json = seconds["trafilatura --json --with-metadata"] / seconds["html2"]
        html_text = seconds["trafilatura"] / seconds["html2"]
        print(
            f"html, 2 workers against trafilatura --json --with-metadata: {html_json:.2f}; plain text: {html_text:.2f}"
        )
    if counts["txt"]:
        txt_fps = counts["txt"] / seconds["txt2"]
    one = sum(v for k, v in seconds.items() if k.endswith("1") and k[:-1] in counts)
    two = sum(v for k, v in seconds.items() if k.endswith("2") and k[:-1] in counts)
    scaling = one / two
    sys.path.insert(0, str(ROOT / "bench"))
    from neardup import neardup_share

    sample = sorted(p for p in folder.rglob("*") if p.is_file())[:: max(1, args.files // 300)][:300]
    share = neardup_share(sample)
    print(f"near-duplicate upkeep: {share:.1%} of the per-file ingest time ({len(sample)} files, one core)")
    print_pairs(pairs)
    worst = max(d / o for _, d, o in pairs)
    print(
        f"ingest files={args.files} html_ratio_json={html_json:.2f} html_ratio_text={html_text:.2f} "
        f"txt_fps={txt_fps:.0f} scaling={scaling:.2f} rerun_s={rerun:.2f} peak_mb={peak / 1e6:.0f} "
        f"neardup_share={share:.3f} seeds_ratio={seeds_ratio:.2f} small_worst_ratio={worst:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
