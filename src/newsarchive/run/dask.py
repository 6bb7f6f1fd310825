"""The cleaning on a Dask cluster, the archive kept by this process alone.

`--cluster tcp://host:8786` sends each task to a running scheduler; `--cluster local[:N]`
starts a LocalCluster of N worker processes here (a real scheduler and real workers talking
over TCP on localhost). Tasks carry the records' bytes by default, so the workers need no
access to the files; results come back as the pool's do (the compressed input, the analysed
index terms, the near-duplicate signature). Workers are warmed once by a plugin, and a cluster
whose workers run another newsarchive or cleaner version is refused.

Records travel in batches of BATCH, one Dask task each: what the scheduler and the comms cost is
per task (about 10 ms of this process's CPU a task on a LocalCluster, measured), and a scheduler
handles a few thousand tasks a second, fewer than a few hundred cores clean records. A record
that raises fails alone (the batch runs each on its own); a batch whose worker died on every try,
or that is late, is sent again one record a task, so only the record at fault fails.

Dask runs tasks in worker threads, where SIGALRM cannot interrupt them: the time limit is kept
here instead, from the moment a batch's worker says it started it (an event the client
subscribes to): a one-record batch past it is failed with the pool's reason and cancelled, and
its worker restarted.
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
            from newsarchive.workerinit import warm

            warm()

    return Warm()


BATCH = 8  # records a Dask task: the scheduler's and the comms' cost is per task, ~10 ms here


STARTED = "newsarchive-started"  # the topic a worker's batch announces its start on


def run_batch(job: Callable[[Any], Any], tasks: list[Any]) -> list[tuple[str, Any]]:
    """Run on a worker: each record on its own, so one that raises fails alone.

    The batch first says it started: its time limit runs from then, not from when it was
    handed over (a batch queued behind one that hangs, or behind a worker's restart, has not
    used any of its time).
    """
    with contextlib.suppress(Exception):  # not on a worker (called directly): no clock to start
        from distributed import get_worker

        worker = get_worker()
        worker.log_event(STARTED, worker.get_current_task())
    replies: list[tuple[str, Any]] = []
    for task in tasks:
        try:
            replies.append(("ok", job(task)))
        except Exception as exc:
            replies.append(("error", f"{type(exc).__name__}: {str(exc)[:200]}"))
    return replies


class Batch:
    """Records sent as one Dask task; split into one-record batches when it cannot answer for each."""

    def __init__(self, executor: DaskExecutor, handles: list[DaskHandle], future: Any) -> None:
        self.executor, self.handles = executor, handles
        self.future: Any = future  # let go once settled: the scheduler then forgets the result
        self.key = str(future.key)
        self.results: list[Any] | None = None

    def deadline(self) -> float | None:
        """When it is late: its time limit from its latest start on a worker (None: not started)."""
        started = self.executor.started.get(self.key)
        timeout = self.executor.timeout
        return None if started is None or timeout is None else started + timeout + GRACE

    def late(self) -> bool:
        deadline = self.deadline()
        return deadline is not None and time.monotonic() > deadline and not self.future.done()


class DaskHandle:
    def __init__(self, executor: DaskExecutor, task: Any) -> None:
        self.executor, self.task = executor, task
        self.batch: Batch | None = None  # None: waiting in the executor for its batch to fill
        self.index = 0

    def _sent(self) -> Batch:
        if self.batch is None:
            self.executor.flush()
        assert self.batch is not None
        return self.batch

    def ready(self) -> bool:
        batch = self._sent()
        return batch.results is not None or bool(batch.future.done()) or batch.late()

    def wait(self, seconds: float) -> None:
        from distributed import wait

        # A batch that hangs may hold the worker this one is queued behind: each wait looks at all.
        self.executor.settle_late()
        batch = self._sent()
        if batch.results is not None:
            return
        if (deadline := self.executor.next_deadline()) is not None:
            seconds = max(0.0, min(seconds, deadline - time.monotonic()))
        with contextlib.suppress(TimeoutError):
            wait([batch.future], timeout=seconds)

    def get(self) -> Any:
        while True:
            while not self.ready():
                self.wait(1.0)
            batch = self._sent()
            if batch.results is None:
                self.executor.settle(batch)  # may split it: this record then has a batch of its own
            if self.batch is batch and batch.results is not None:
                return batch.results[self.index]


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
        self.pending: list[DaskHandle] = []  # submitted, not yet sent: the next batch
        self.started: dict[str, float] = {}  # a batch's key -> when it last started on a worker (monotonic)
        self.in_flight: dict[str, Batch] = {}  # sent, not yet settled
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
                    dashboard_address=":0",  # a free port: two runs at once must not meet on 8787
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
        self.client.subscribe_topic(STARTED, self._on_started)
        self.client.register_plugin(_warm_plugin())
        # A few batches a worker: the writer stores in walk order, and a worker whose next batch is
        # not there yet waits while a slow batch holds the head (16 records a worker kept them ~30 %
        # idle on a LocalCluster).
        self.ahead = 4 * BATCH * max(1, self.workers())

    def _on_started(self, event: tuple[float, Any]) -> None:
        """In the client's event loop: a batch began on a worker (again, if its first worker died)."""
        self.started[str(event[1])] = time.monotonic()

    def workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))

    def submit(self, task: Any) -> DaskHandle:
        handle = DaskHandle(self, task)
        self.pending.append(handle)
        if len(self.pending) >= BATCH:
            self.flush()
        return handle

    def flush(self) -> None:
        if self.pending:
            self._send(self.pending)
            self.pending = []

    def _send(self, handles: list[DaskHandle]) -> None:
        future = self.client.submit(run_batch, self.job, [handle.task for handle in handles], pure=False)
        batch = Batch(self, handles, future)
        for index, handle in enumerate(handles):
            handle.batch, handle.index = batch, index
        self.in_flight[batch.key] = batch

    def settle_late(self) -> None:
        for batch in [batch for batch in self.in_flight.values() if batch.late()]:
            self.settle(batch)

    def next_deadline(self) -> float | None:
        deadlines = [d for batch in self.in_flight.values() if (d := batch.deadline()) is not None]
        return min(deadlines, default=None)

    def _split(self, batch: Batch) -> None:
        """Each record of the batch again, alone: the one at fault is then the only one failed."""
        for handle in batch.handles:
            self._send([handle])

    def settle(self, batch: Batch) -> None:
        """The batch's results, or its records sent again one by one (late, or its worker died)."""
        late = batch.late()
        self.started.pop(batch.key, None)
        self.in_flight.pop(batch.key, None)
        try:
            self._settle(batch, late)
        finally:
            batch.future = None

    def _settle(self, batch: Batch, late: bool) -> None:
        alone = len(batch.handles) == 1
        if late:
            self.give_up(batch.future)
            if alone:
                batch.results = [self.failed(batch.handles[0].task, too_slow(self.timeout))]
            else:
                self._split(batch)
            return
        from distributed.client import FutureCancelledError

        try:
            replies = batch.future.result()
        except Exception as exc:
            if isinstance(exc, FutureCancelledError) or type(exc).__name__ in ("CommClosedError", "CancelledError"):
                raise ClusterError(f"the Dask scheduler at {self.address} went away") from None
            if not alone:
                self._split(batch)
                return
            task = batch.handles[0].task
            if type(exc).__name__ == "KilledWorker":
                reason = "the cleaning process died on every worker that tried it (KilledWorker)"
            else:
                reason = f"cleaning failed on the cluster: {type(exc).__name__}: {str(exc)[:200]}"
            batch.results = [self.failed(task, reason)]
            return
        batch.results = [
            value if kind == "ok" else self.failed(handle.task, f"cleaning failed on the cluster: {value}")
            for handle, (kind, value) in zip(batch.handles, replies, strict=True)
        ]

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
        """Let go of the cluster; a LocalCluster slow to stop (a worker being restarted) is left to die
        with this process, whose children its workers are: the run's outcome is already kept."""
        with contextlib.suppress(Exception):
            self.client.close(timeout=5)
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close(timeout=5)

    def describe(self) -> str | None:
        count = self.workers()
        return f"{self.address} ({count} worker{'s' * (count != 1)})"
