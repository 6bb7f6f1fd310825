"""The worker pool, with real processes: slow records, dying workers, memory, the worker server."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest

import workjobs
from newsarchive.run.pool import Pool, RecordTimeout, time_limit

SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture(params=["server", "spawn"])
def context(request: pytest.FixtureRequest) -> Any:
    """Workers forked by our worker server (the default), or spawned (where there is no fork)."""
    return None if request.param == "server" else SPAWN


def failed(task: Any, reason: str) -> str:
    return f"failed: {reason}"


def run_all(pool: Pool, tasks: list[Any]) -> list[Any]:
    try:
        handles = [pool.submit(t) for t in tasks]
        return [h.get() for h in handles]
    finally:
        pool.close()


def test_a_record_over_the_time_limit_fails_and_the_rest_go_on(context: Any) -> None:
    pool = Pool(workjobs.slow, 2, failed, context, timeout=0.5, grace=0.2)
    started = time.monotonic()
    assert run_all(pool, ["a", "slow page", "b", "c"]) == ["a", "failed: took longer than 0.5 s to clean", "b", "c"]
    assert time.monotonic() - started < 20  # the slow job alone would take 30 s


def test_a_dead_worker_s_record_is_tried_again_then_failed(tmp_path: Path, context: Any) -> None:
    pool = Pool(workjobs.dies_once, 2, failed, context)
    tasks = [str(tmp_path / "once"), str(tmp_path / "always"), str(tmp_path / "fine")]
    (tmp_path / "fine").touch()
    assert run_all(pool, tasks) == ["once", "failed: the cleaning process died (signal 9, SIGKILL)", "fine"]


def test_memory_limit_and_exceptions_fail_one_record_each(context: Any) -> None:
    pool = Pool(workjobs.greedy, 1, failed, context, memory_mb=1024)
    assert run_all(pool, ["small", "greedy", "small"]) == [0, "failed: needed more than 1024 MB of memory", 0]
    pool = Pool(workjobs.raises, 1, failed, context)
    assert run_all(pool, ["x"]) == ["failed: cleaning failed: ValueError: no good: x"]


def test_one_worker_serves_while_the_server_warms_up_then_warm_ones_take_over(tmp_path: Path) -> None:
    gate = tmp_path / "warm"
    pool = Pool(workjobs.pid, 2, failed, warm=partial(workjobs.warm_until, str(gate)))
    try:
        first = [pool.submit(f"{n}") for n in range(3)]
        cold = {pid for _, pid in (h.get() for h in first)}  # served before the warm-up ends
        assert len(cold) == 1 and [w.cold for w in pool.workers] == [True]
        gate.touch()  # the warm-up's last stage ends
        for _ in range(2000):
            if len(pool.workers) == 2 and not any(w.cold for w in pool.workers):
                break
            pool.poll(0.01)
        assert pool.server is not None and pool.server.warm
        assert len(pool.workers) == 2 and not any(w.cold for w in pool.workers)
        later = {pid for _, pid in (h.get() for h in [pool.submit(f"{n}") for n in range(3, 9)])}
        assert later.isdisjoint(cold)  # the cold worker was replaced
    finally:
        pool.close()


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
        "    pool = Pool(workjobs.slow, 2, lambda t, r: r)\n"
        "    handles = [pool.submit('slow one'), pool.submit('slow two')]\n"
        "    pool.poll(0.1)\n"
        "    while len([w for w in pool.workers if w.handle is not None]) < 2:\n"
        "        pool.poll(0.1)\n"
        "    print(pool.server.process.pid, ' '.join(str(w.pid) for w in pool.workers), flush=True)\n"
        "    time.sleep(600)\n",
        encoding="utf-8",
    )
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    pids = [int(p) for p in owner.stdout.readline().split()]
    assert len(pids) == 3  # the server and its two workers
    owner.send_signal(signal.SIGKILL)
    owner.wait(10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids), "a worker or the server outlived its owner by more than 5 s"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) is gone for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_a_worker_that_died_while_idle_hands_its_next_record_on(context: Any) -> None:
    pool = Pool(workjobs.leaves_after, 1, failed, context)
    try:
        assert pool.submit("bye").get() == "bye"
        gone = pool.workers[0].pid
        with time_limit(10):
            while _alive(gone):  # gone while waiting for its next record
                pool.workers[0].conn.poll(0.01)
        assert pool.submit("next").get() == "next"  # sent to a closed pipe, then to a fresh worker
        assert pool.workers[0].pid != gone
    finally:
        pool.close()


def test_a_worker_over_its_memory_limit_is_replaced_once(context: Any) -> None:
    pool = Pool(workjobs.greedy, 1, failed, context, memory_mb=1024, tasks_per_worker=1)
    try:
        assert pool.submit("greedy").get() == "failed: needed more than 1024 MB of memory"
        pool.poll(0.2)  # the server's answer to the one request for a worker
        # not one replacement for the memory and another for its quota
        assert len(pool.workers) + (pool.server.asked if pool.server else 0) == 1
    finally:
        pool.close()


def test_a_pool_closed_while_its_server_warms_up_does_not_leave_the_server_running(tmp_path: Path) -> None:
    """The server would go on warming the cleaners first, holding our stdout and stderr open."""
    pool = Pool(workjobs.pid, 2, failed, warm=partial(workjobs.warm_until, str(tmp_path / "never")))
    assert pool.submit("one").get()[0] == "one"  # served by a worker forked while the server warms
    assert pool.server is not None and not pool.server.warm
    process = pool.server.process
    pool.close()
    assert process.exitcode == -signal.SIGKILL  # now, not when its warm-up ends


def test_a_worker_server_that_dies_is_started_again_and_every_record_is_served() -> None:
    pool = Pool(workjobs.pid, 2, failed)
    try:
        assert pool.submit("before").get()[0] == "before"
        assert pool.server is not None
        first = pool.server.process
        os.kill(first.pid, signal.SIGKILL)  # the OOM killer's choice, say
        first.join(10)
        results = [h.get() for h in [pool.submit(f"after {n}") for n in range(6)]]
        assert [name for name, _ in results] == [f"after {n}" for n in range(6)]
        assert pool.server.process is not first and pool.server.process.is_alive() and pool.restarts == 1
    finally:
        pool.close()
