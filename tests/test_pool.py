"""The worker pool, with real processes: slow records, dying workers, memory, the early worker."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import workjobs
from newsarchive.run.pool import Pool, RecordTimeout, time_limit

SPAWN = multiprocessing.get_context("spawn")


def failed(task: Any, reason: str) -> str:
    return f"failed: {reason}"


def run_all(pool: Pool, tasks: list[Any]) -> list[Any]:
    try:
        handles = [pool.submit(t) for t in tasks]
        return [h.get() for h in handles]
    finally:
        pool.close()


def test_a_record_over_the_time_limit_fails_and_the_rest_go_on() -> None:
    pool = Pool(workjobs.slow, 2, failed, SPAWN, timeout=0.5, grace=0.2)
    started = time.monotonic()
    assert run_all(pool, ["a", "slow page", "b", "c"]) == ["a", "failed: took longer than 0.5 s to clean", "b", "c"]
    assert time.monotonic() - started < 20  # the slow job alone would take 30 s


def test_a_dead_worker_s_record_is_tried_again_then_failed(tmp_path: Path) -> None:
    pool = Pool(workjobs.dies_once, 2, failed, SPAWN)
    tasks = [str(tmp_path / "once"), str(tmp_path / "always"), str(tmp_path / "fine")]
    (tmp_path / "fine").touch()
    assert run_all(pool, tasks) == ["once", "failed: the cleaning process died (signal 9, SIGKILL)", "fine"]


def test_memory_limit_and_exceptions_fail_one_record_each() -> None:
    pool = Pool(workjobs.greedy, 1, failed, SPAWN, memory_mb=1024)
    assert run_all(pool, ["small", "greedy", "small"]) == [0, "failed: needed more than 1024 MB of memory", 0]
    pool = Pool(workjobs.raises, 1, failed, SPAWN)
    assert run_all(pool, ["x"]) == ["failed: cleaning failed: ValueError: no good: x"]


GO = threading.Event()


class _HeldProcess(SPAWN.Process):  # type: ignore[name-defined,misc]
    def start(self) -> None:
        assert GO.wait(60)
        super().start()


class _HeldContext:
    """The spawn context, whose workers start only once GO is set (a worker server warming up)."""

    def Pipe(self, duplex: bool = True) -> Any:  # multiprocessing's names
        return SPAWN.Pipe(duplex)

    def Process(self, **kwargs: Any) -> Any:
        return _HeldProcess(**kwargs)


def test_an_early_worker_takes_text_dumps_while_the_workers_start() -> None:
    context = _HeldContext()
    pool = Pool(workjobs.pid, 1, failed, context, early_context=SPAWN, early_accepts=lambda t: t.endswith(".txt"))
    assert pool.early is not None
    early_pid = pool.early.process.pid
    first = [pool.submit(name) for name in ("1.txt", "2.txt", "3.html")]
    assert [h.get() for h in first[:2]] == [("1.txt", early_pid), ("2.txt", early_pid)]  # the pool is not up
    assert not first[2].ready()  # HTML waits for the pool
    GO.set()
    pool._starter.join(60)  # the workers run: from now on the early worker takes nothing
    later = [pool.submit(name) for name in ("4.txt", "5.txt")]
    results = [h.get() for h in [first[2], *later]]
    pool.close()
    assert {p for _, p in results} != {early_pid} and all(p != early_pid for _, p in results)
    assert [name for name, _ in results] == ["3.html", "4.txt", "5.txt"]


def test_time_limit_interrupts_the_main_thread() -> None:
    with pytest.raises(RecordTimeout), time_limit(0.2):
        while True:
            pass
    with time_limit(None):
        pass


def test_workers_end_with_the_process_that_started_them(tmp_path: Path) -> None:
    # The owner is killed with SIGKILL, as the OOM killer would: it stops nothing, and its
    # workers must notice by themselves (their "alive" pipe closes).
    script = tmp_path / "owner.py"
    script.write_text(
        "import multiprocessing, sys, time\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import workjobs\n"
        "from newsarchive.run.pool import Pool\n"
        "if __name__ == '__main__':\n"
        "    pool = Pool(workjobs.slow, 2, lambda t, r: r, multiprocessing.get_context('spawn'))\n"
        "    handles = [pool.submit('slow one'), pool.submit('slow two')]\n"
        "    pool.poll(0.1)\n"
        "    while len([w for w in pool.workers if w.handle is not None]) < 2:\n"
        "        pool.poll(0.1)\n"
        "    print(' '.join(str(w.process.pid) for w in pool.workers), flush=True)\n"
        "    time.sleep(600)\n",
        encoding="utf-8",
    )
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    pids = [int(p) for p in owner.stdout.readline().split()]
    assert len(pids) == 2
    owner.send_signal(signal.SIGKILL)
    owner.wait(10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids), "a worker outlived its owner by more than 5 s"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) is gone for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_a_worker_that_died_while_idle_hands_its_next_record_on() -> None:
    pool = Pool(workjobs.leaves_after, 1, failed, SPAWN)
    try:
        assert pool.submit("bye").get() == "bye"
        pool.workers[0].process.join(10)  # gone while waiting for its next record
        assert pool.workers[0].process.exitcode == 0
        assert pool.submit("next").get() == "next"  # sent to a closed pipe, then to a fresh worker
    finally:
        pool.close()


def test_a_worker_over_its_memory_limit_is_replaced_once() -> None:
    pool = Pool(workjobs.greedy, 1, failed, SPAWN, memory_mb=1024, tasks_per_worker=1)
    try:
        assert pool.submit("greedy").get() == "failed: needed more than 1024 MB of memory"
        assert len(pool.workers) == 1  # not one replacement for the memory and another for its quota
    finally:
        pool.close()


def test_files_named_as_no_article_need_not_wait_for_the_pool() -> None:
    from newsarchive.pipeline import Task
    from newsarchive.run.executor import early_accepts

    assert [early_accepts(Task(name, name)) for name in ("a.txt", "b.py", "gold.json", "c.JS", "d.html", "e")] == [
        True, True, True, True, False, False,
    ]  # fmt: skip
    assert not early_accepts(Task("a.txt", "a.txt", data=b"x"))  # a container's record: the pool's


def test_a_pool_closed_while_its_server_warms_up_does_not_leave_the_server_running() -> None:
    """The server would finish importing the cleaners first, holding our stdout and stderr open."""
    from multiprocessing import forkserver

    from newsarchive.run.executor import pool_context

    context = pool_context()
    if context.get_start_method() != "forkserver":
        pytest.skip("no forkserver here")
    pool = Pool(workjobs.pid, 2, failed, context)
    server = forkserver._forkserver  # type: ignore[attr-defined]
    for _ in range(2000):  # the starting thread brings the server up within moments
        if server._forkserver_pid is not None:
            break
        pool._starter.join(0.005)
    pid = server._forkserver_pid
    assert pid is not None and pool._starter.is_alive()  # warming: it takes seconds
    pool.close()
    with time_limit(30):  # without the kill it lives as long as this process: RecordTimeout
        ended = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # left for multiprocessing to reap
    assert ended is not None and ended.si_status == signal.SIGKILL  # now, not when its warm-up ends
