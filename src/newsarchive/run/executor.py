"""Where the cleaning runs: this process, newsarchive's own worker pool, or a Dask cluster.

Every executor takes tasks (`submit`) and hands back handles with `ready()`, `wait(seconds)`
and `get()`; the writer stores results in walk order and keeps a bounded window of tasks in
flight. The cleaning is a pure function of its task (`pipeline.work`), so any of them gives
the same archive.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from newsarchive.run.pool import Pool

# A worker is replaced after this many records: forked from the warmed server it starts at once,
# and memory that parsing big pages left behind (lxml trees, caches) goes back to the system.
TASKS_PER_WORKER = 50


class Waitable(Protocol):
    def ready(self) -> bool: ...

    def get(self) -> Any: ...


class Executor(Protocol):
    ahead: int  # tasks the writer keeps in flight: enough that no worker waits for the next

    def submit(self, task: Any) -> Any: ...

    def close(self) -> None: ...

    def describe(self) -> str | None: ...


class Done:
    """A result computed in this process, with the interface of a pool's handle."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def ready(self) -> bool:
        return True

    def wait(self, seconds: float) -> None:
        return None

    def get(self) -> Any:
        return self.value


class LocalExecutor:
    """One process (`workers == 1`: the cleaning runs here, between two writes) or the pool.

    The pool starts with the first task that needs cleaning (a re-run needs none). Its worker
    server forks the first workers as soon as langdetect's profiles are loaded and warms the
    rest of the cleaners between two forks (newsarchive.workerinit), so the first article is
    stored about when one process would have stored it, and no cleaner's data is ever loaded in
    this process.
    """

    def __init__(
        self,
        job: Callable[[Any], Any],
        workers: int,
        failed: Callable[[Any, str], Any],
        timeout: float | None,
        memory_mb: int | None,
        before_inline: Callable[[], None] | None = None,
    ) -> None:
        self.job, self.workers, self.failed = job, workers, failed
        self.timeout, self.memory_mb = timeout, memory_mb
        self.before_inline = before_inline
        self.pool: Pool | None = None
        self.ahead = 16 * workers

    def submit(self, task: Any) -> Any:
        if self.workers == 1:
            if self.before_inline is not None:
                self.before_inline()  # the write lock is free while this process cleans
            return Done(self.job(task))
        if self.pool is None:
            from newsarchive.workerinit import stages

            self.pool = Pool(
                self.job,
                self.workers,
                self.failed,
                timeout=self.timeout,
                tasks_per_worker=TASKS_PER_WORKER,
                memory_mb=self.memory_mb,
                warm=stages,
            )
        return self.pool.submit(task)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()

    def describe(self) -> str | None:
        return None


@lru_cache(maxsize=1)
def malloc_trim() -> Any:
    """glibc's malloc_trim, or None where there is none.

    Looked up among the symbols this process already has (the C library is loaded), not with
    ctypes.util.find_library: that runs `ldconfig -p` in a child process, and a worker forking
    itself once after each restart counted its whole memory a second time while the child ran
    (a peak of 392 MB instead of about 340 on a 5,000-page ingest).
    """
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def trim_heap() -> None:
    """Hand the memory the C allocator holds free back to the system (where glibc can)."""
    if (trim := malloc_trim()) is not None:
        trim(0)
