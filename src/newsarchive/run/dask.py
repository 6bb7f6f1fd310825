"""The cleaning on a Dask cluster, the archive kept by this process alone.

`--cluster tcp://host:8786` sends each task to a running scheduler; `--cluster local[:N]`
starts a LocalCluster of N worker processes here (a real scheduler and real workers talking
over TCP on localhost). Tasks carry the records' bytes by default, so the workers need no
access to the files; results come back as the pool's do (the compressed input, the analysed
index terms, the near-duplicate signature). Workers are warmed once by a plugin, and a cluster
whose workers run another newsarchive or cleaner version is refused.

Dask runs tasks in worker threads, where SIGALRM cannot interrupt them: the time limit is kept
here instead, from the moment a task is handed over (the window of tasks in flight is a few per
worker, so it is at most a few records late): a task past it is failed with the pool's reason
and cancelled, and its worker restarted.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from newsarchive import __version__
from newsarchive.model import CLEANER_VERSION
from newsarchive.run.pool import GRACE, too_slow

INSTALL_HINT = "pip install 'newsarchive[dask]'"
CONNECT_TIMEOUT = 10  # seconds to reach a scheduler


class ClusterError(Exception):
    """The cluster cannot be used or was lost; the message is one sentence for the user."""

    hint: str | None = None

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def versions() -> tuple[str, str]:
    """Run on each worker: what it would clean with."""
    from newsarchive import __version__ as installed
    from newsarchive.model import CLEANER_VERSION as cleaner

    return installed, cleaner


def check_versions(found: dict[str, Any], address: str) -> None:
    mine = (__version__, CLEANER_VERSION)
    for worker, theirs in sorted(found.items()):
        if tuple(theirs) != mine:
            raise ClusterError(
                f"the worker {worker} of {address} runs newsarchive {theirs[0]} (cleaner {theirs[1]}), and this "
                f"one is newsarchive {mine[0]} (cleaner {mine[1]}): install the same version on both."
            )


def _warm_plugin() -> Any:
    from distributed.diagnostics.plugin import WorkerPlugin

    class Warm(WorkerPlugin):  # type: ignore[misc]
        """Imports and primes the cleaners once a worker, as the pool's worker server does."""

        name = "newsarchive-warm"

        def setup(self, worker: Any) -> None:
            import newsarchive.workerinit  # noqa: F401

    return Warm()


class DaskHandle:
    def __init__(self, executor: DaskExecutor, future: Any, task: Any) -> None:
        self.executor, self.future, self.task = executor, future, task
        self.deadline = None if executor.timeout is None else time.monotonic() + executor.timeout + GRACE

    def late(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline and not self.future.done()

    def ready(self) -> bool:
        return bool(self.future.done()) or self.late()

    def wait(self, seconds: float) -> None:
        from distributed import wait

        if self.deadline is not None:
            seconds = max(0.0, min(seconds, self.deadline - time.monotonic()))
        with contextlib.suppress(TimeoutError):
            wait([self.future], timeout=seconds)

    def get(self) -> Any:
        while not self.ready():
            self.wait(1.0)
        if self.late():
            self.executor.give_up(self.future)
            return self.executor.failed(self.task, too_slow(self.executor.timeout))
        return self.executor.result(self.future, self.task)


class DaskExecutor:
    def __init__(
        self, address: str, job: Callable[[Any], Any], failed: Callable[[Any, str], Any], timeout: float | None
    ) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ClusterError(
                "--cluster needs Dask's distributed scheduler, which is not installed.", INSTALL_HINT
            ) from None
        self.job, self.failed, self.timeout = job, failed, timeout
        self.cluster: Any = None
        self.client: Any = None
        try:
            if address == "local" or address.startswith("local:"):
                count = address.partition(":")[2]
                if count and not count.isdigit():
                    raise ClusterError(f"--cluster {address}: give local, or local:N with N a number of workers.")
                self.cluster = LocalCluster(
                    n_workers=int(count) if count else None,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self.client = Client(self.cluster)
            else:
                self.client = Client(address, timeout=CONNECT_TIMEOUT)
        except ClusterError:
            raise
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}.") from None
        self.address = str(self.client.scheduler.address) if address.startswith("local") else address
        check_versions(self.client.run(versions), self.address)
        self.client.register_plugin(_warm_plugin())

    def workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))

    def submit(self, task: Any) -> DaskHandle:
        return DaskHandle(self, self.client.submit(self.job, task, pure=False), task)

    def result(self, future: Any, task: Any) -> Any:
        from distributed.client import FutureCancelledError

        try:
            return future.result()
        except FutureCancelledError:
            raise ClusterError(f"the Dask scheduler at {self.address} went away") from None
        except Exception as exc:
            if type(exc).__name__ == "KilledWorker":
                return self.failed(task, "the cleaning process died on every worker that tried it (KilledWorker)")
            if type(exc).__name__ in ("CommClosedError", "CancelledError"):
                raise ClusterError(f"the Dask scheduler at {self.address} went away") from None
            return self.failed(task, f"cleaning failed on the cluster: {type(exc).__name__}: {str(exc)[:200]}")

    def give_up(self, future: Any) -> None:
        """A task past its time: cancelled, and the worker still running it restarted."""
        try:
            who = self.client.who_has([future]).get(future.key) or ()
            processing = self.client.processing()
            busy = [worker for worker, keys in processing.items() if future.key in keys]
            self.client.cancel([future], force=True)
            if busy or who:
                self.client.restart_workers(list(busy or who), timeout=30, raise_for_error=False)
        except Exception:  # the record is failed whatever happens to its worker
            pass

    def close(self) -> None:
        try:
            self.client.close(timeout=5)
        finally:
            if self.cluster is not None:
                self.cluster.close(timeout=5)

    def describe(self) -> str | None:
        return f"{self.address} ({self.workers()} workers)"
