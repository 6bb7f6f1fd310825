"""Jobs for the pool's tests: importable by the worker processes (spawned or forked)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path


def pid(task: str) -> tuple[str, int]:
    return task, os.getpid()


def slow(task: str) -> str:
    if task.startswith("slow"):
        for _ in range(600):
            time.sleep(0.05)  # a page that takes minutes, in small steps
    return task


def dies_once(task: str) -> str:
    """SIGKILL itself the first time it sees `task` (a marker file remembers), as the OOM killer would."""
    marker = Path(task)
    if marker.name.startswith("always") or not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return marker.name


def greedy(task: str) -> int:
    if task == "greedy":
        return len(bytearray(1 << 31))  # 2 GB: over the limit
    return 0


def raises(task: str) -> str:
    raise ValueError(f"no good: {task}")


def leaves_after(task: str) -> str:
    """Answers, then its process exits while idle (the next record meets a closed pipe)."""
    if task == "bye":
        import threading

        threading.Timer(0.05, os._exit, (0,)).start()
    return task


def dispatch(task: tuple[str, str]) -> object:
    """One job for a cluster shared by several tests: ("raises", "x") runs raises("x")."""
    name, argument = task
    return globals()[name](argument)


def warm_until(gate: str) -> Iterator[None]:
    """A worker server's warm-up: one quick stage after another until `gate` exists."""
    yield  # the first stage: workers may be forked from here on
    while not Path(gate).exists():
        time.sleep(0.01)
        yield
