"""Where the cleaning runs: this process, newsarchive's own worker pool, or a Dask cluster.

Every executor takes tasks (`submit`) and hands back handles with `ready()`, `wait(seconds)`
and `get()`; the writer stores results in walk order and keeps a bounded window of tasks in
flight. The cleaning is a pure function of its task (`pipeline.work`), so any of them gives
the same archive.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import sys
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from newsarchive.inputs import kind_from_name, named_not_article
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


def pool_context() -> Any:
    """Workers forked from a clean server process that has imported the cleaners once.

    A plain fork would copy this process's threads' locks (the search index runs threads),
    and a child can hang on one; spawn would import trafilatura again in every worker.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    preload = ["newsarchive.pipeline", "newsarchive.workerinit"]
    if "newsarchive.cli" in sys.modules:  # each new worker runs the main script again: the CLI
        preload.append("newsarchive.cli")
    context.set_forkserver_preload(preload)
    return context


def early_context() -> Any:
    """The early worker, spawned afresh: it loads only what the text cleaner and langdetect need
    (100 MB, where the worker server's warm-up builds 200), and takes text dumps only."""
    return multiprocessing.get_context("spawn")


def early_accepts(task: Any) -> bool:
    """Text dumps, and files whose name already says they are no article (a folder's .json or .py):
    nothing of the HTML cleaner is loaded for them, and they need not wait for the pool."""
    return task.data is None and (kind_from_name(task.path) == "txt" or named_not_article(task.path))


class LocalExecutor:
    """One process (`workers == 1`: the cleaning runs here, between two writes) or the pool.

    The pool starts with the first task that needs cleaning (a re-run needs none), in a thread:
    its worker server takes seconds to import and warm the cleaners (htmldate's date parser
    alone 1.4 s). Text dumps that come meanwhile go to an early worker, a process started
    afresh that leaves once the pool is ready: the first article is stored within a second, and
    no cleaner's data stays in this process. HTML waits for the pool: an early worker cleaning
    it loads what the worker server loads (180 MB), and two such processes at once took the
    run's peak from 390 to 485 MB.
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
            self.pool = Pool(
                self.job,
                self.workers,
                self.failed,
                pool_context(),
                timeout=self.timeout,
                tasks_per_worker=TASKS_PER_WORKER,
                memory_mb=self.memory_mb,
                early_context=early_context(),
                early_accepts=early_accepts,
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
