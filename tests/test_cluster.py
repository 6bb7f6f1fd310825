"""The cleaning on a Dask cluster (a real LocalCluster: scheduler and worker processes over TCP)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newsarchive.archive import Archive
from newsarchive.cli import cli
from newsarchive.run.dask import ClusterError, check_versions

from conftest import SAMPLES, write

distributed = pytest.importorskip("distributed")


def run_cli(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def archive_view(db: Path) -> tuple[list[dict[str, Any]], list[tuple[str, str, str]]]:
    rows = [json.loads(line) for line in run_cli("export", "--db", str(db)).stdout.splitlines()]
    for row in rows:
        for volatile in ("ingested_at", "updated_at"):
            row.pop(volatile)
    problems = json.loads(run_cli("problems", "--db", str(db), "--json").stdout)
    return rows, sorted((Path(p["path"]).name, p["outcome"], p["reason"]) for p in problems)


def test_a_cluster_ingest_gives_the_pool_s_archive(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for path in SAMPLES.rglob("*"):
        if path.is_file():
            write(folder / path.relative_to(SAMPLES), path.read_bytes())
    write(folder / "empty.txt", b"")
    write(folder / "doc.pdf", b"%PDF-1.4 not an article")
    write(folder / "short.html", "<html><body><p>Bonjour.</p></body></html>")
    pool_db, cluster_db = tmp_path / "pool.db", tmp_path / "cluster.db"
    assert run_cli("ingest", str(folder), "--db", str(pool_db), "--workers", "2", "-q").exit_code == 0
    done = run_cli("ingest", str(folder), "--db", str(cluster_db), "--cluster", "local:2", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["cluster"].endswith("(2 workers)")
    assert archive_view(cluster_db) == archive_view(pool_db)
    paths = CliRunner().invoke(
        cli, ["ingest", str(folder), "--db", str(tmp_path / "paths.db"), "--cluster", "local:2", "--cluster-reads",
              "paths"], env={"TTY_COMPATIBLE": "1", "COLUMNS": "200"}, catch_exceptions=False,
    )  # fmt: skip
    assert paths.exit_code == 0 and archive_view(tmp_path / "paths.db") == archive_view(pool_db)
    # a terminal's progress line and the summary name the cluster
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", paths.stderr)
    where = r"the Dask cluster tcp://127\.0\.0\.1:[0-9]+ \(2 workers\)"
    assert re.search(rf"ingest [0-9]+ files [0-9.]+ files/s .* on {where}", shown)
    assert re.search(rf"^\r?cleaned on {where}$", shown, re.M)


@pytest.fixture(scope="module")
def executor() -> Iterator[Any]:
    import workjobs
    from newsarchive.run.dask import DaskExecutor

    running = DaskExecutor("local:2", workjobs.dispatch, lambda task, reason: ("failed", reason), timeout=1)
    try:
        yield running
    finally:
        running.close()


def test_a_task_that_raises_fails_with_its_reason_and_the_rest_go_on(executor: Any) -> None:
    from newsarchive.run.dask import BATCH

    names = [f"r{n}" for n in range(2 * BATCH + 3)]  # two whole batches and a partial one
    handles = [executor.submit(("raises" if n % 5 == 1 else "pid", name)) for n, name in enumerate(names)]
    results = [h.get() for h in handles]
    for n, (name, result) in enumerate(zip(names, results, strict=True)):
        if n % 5 == 1:
            assert result == ("failed", f"cleaning failed on the cluster: ValueError: no good: {name}")
        else:
            assert result[0] == name
    assert len({h.batch.key for h in handles}) == 3  # each batch one Dask task


def test_a_worker_killed_mid_task_has_its_task_run_again(executor: Any, tmp_path: Path) -> None:
    marker = tmp_path / "dies-once"
    assert executor.submit(("dies_once", str(marker))).get() == "dies-once"  # the nanny restarted the worker


def test_a_task_that_hangs_fails_after_the_time_limit(executor: Any) -> None:
    assert executor.submit(("slow", "slow")).get() == ("failed", "took longer than 1 s to clean")
    assert executor.submit(("pid", "after")).get()[0] == "after"  # the stuck worker was restarted


def test_records_that_hang_in_a_batch_fail_alone(executor: Any) -> None:
    """Sent again one a task, the two that hang hold both workers: those queued behind them wait,
    and must not be failed for the time they waited."""
    from newsarchive.run.dask import BATCH

    names = [f"slow{n}" if n in (3, 4) else f"quick{n}" for n in range(BATCH)]
    handles = [executor.submit(("slow", name)) for name in names]
    results = [h.get() for h in handles]
    too_slow = ("failed", "took longer than 1 s to clean")
    assert results == [too_slow if name.startswith("slow") else name for name in names]


def test_workers_of_another_version_are_refused_in_one_sentence() -> None:
    with pytest.raises(ClusterError) as refused:
        check_versions({"tcp://10.0.0.2:4000": ("0.1.0", "0.1.9")}, "tcp://10.0.0.1:8786")
    assert str(refused.value).startswith(
        "the worker tcp://10.0.0.2:4000 of tcp://10.0.0.1:8786 runs newsarchive 0.1.0 (cleaner 0.1.9), and this one is"
    )


def test_without_dask_the_cluster_option_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    write(tmp_path / "in" / "a.txt", "Un titre\n\nUn texte.\n")
    done = run_cli("ingest", str(tmp_path / "in"), "--db", str(tmp_path / "a.db"), "--cluster", "local:2")
    assert done.exit_code == 1
    assert done.stderr == (
        "Error: --cluster needs Dask's distributed scheduler, which is not installed.\n"
        "pip install 'newsarchive[dask]'\n"
    )
    with Archive(tmp_path / "a.db") as archive:
        assert [r["status"] for r in archive.runs()] == ["failed"]  # not left 'running'


def test_reclean_on_a_cluster_gives_what_reclean_here_gives(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "a.db"
    assert run_cli("ingest", str(SAMPLES), "--db", str(db), "--workers", "1", "-q").exit_code == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE articles SET cleaner_version = '0.0.1', title = 'vieux titre'")  # an old cleaner's
    here = tmp_path / "here.db"
    with sqlite3.connect(db) as source, sqlite3.connect(here) as copy:
        source.backup(copy)  # with what the WAL holds
    local = json.loads(run_cli("reclean", "--db", str(here), "--json").stdout)
    done = run_cli("reclean", "--db", str(db), "--cluster", "local:2", "--json")
    assert done.exit_code == 0, done.output
    remote = json.loads(done.stdout)
    assert remote == local and remote["changed"] == remote["articles"] == 7
    assert archive_view(db)[0] == archive_view(here)[0]


def test_the_scheduler_gone_stops_the_run_as_interrupted_and_a_rerun_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal
    import sqlite3
    import subprocess

    from newsarchive.archive import Archive

    folder = tmp_path / "in"
    for n in range(30):
        write(folder / f"{n:02d}.txt", f"Dépêche {n}\n\n" + f"Le conseil {n} a voté le budget numéro {n * 7}. " * 12)
    address_file = tmp_path / "scheduler.json"
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(address_file)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "dask", "worker", "--scheduler-file", str(address_file), "--nthreads", "1",
         "--no-dashboard", "--death-timeout", "20"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with distributed.Client(scheduler_file=str(address_file), timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
            address = client.scheduler.address
        save = Archive.save_article

        def save_then_lose_the_scheduler(self: Archive, *args: Any, **kwargs: Any) -> Any:
            saved = save(self, *args, **kwargs)
            if scheduler.poll() is None:
                scheduler.send_signal(signal.SIGKILL)  # its machine went down
                scheduler.wait()
            return saved

        monkeypatch.setattr(Archive, "save_article", save_then_lose_the_scheduler)
        db = tmp_path / "a.db"
        lost = run_cli("ingest", str(folder), "--db", str(db), "--cluster", address, "-q")
        assert lost.exit_code == 1
        said = re.fullmatch(
            f"Error: the Dask scheduler at {address} went away: ([0-9]+) articles of this run were stored and "
            r"\1 files settled before; run the same command again, once the scheduler is back, to finish.\n",
            lost.stderr,
        )
        assert said, lost.stderr
        with sqlite3.connect(db) as conn:
            stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            status = conn.execute("SELECT status FROM runs").fetchall()
        assert 1 <= stored < 30 and int(said.group(1)) == stored and status == [("interrupted",)]
    finally:
        for process in (worker, scheduler):
            process.kill()
            process.wait()
    monkeypatch.undo()
    again = run_cli("ingest", str(folder), "--db", str(db), "--workers", "1", "--json")
    assert again.exit_code == 0, again.output
    counts = json.loads(again.stdout)["counts"]
    assert counts["new"] == 30 - stored and counts["unchanged"] == stored
