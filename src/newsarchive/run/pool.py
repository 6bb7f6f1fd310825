"""The processes that clean records: owned by this process from start to end.

`multiprocessing.Pool` was the first executor, and its failure modes were the run's: a worker
killed mid-task (the OOM killer's SIGKILL) lost the task and the run waited for it forever, and
`Pool.terminate` could deadlock on a queue lock the dead worker held, so SIGTERM hung too. Here
each worker has its own pipe and this process watches each one's pipe and process sentinel
together, so it always knows which record a worker holds and notices at once when it dies:

- a record that takes longer than `timeout` seconds is failed with that reason and its worker
  killed and replaced;
- a worker that dies (any signal, any exit) has its record tried once more in a fresh worker,
  then failed with the way it died; a worker that runs out of its memory limit fails its record
  with that reason;
- stopping kills every worker at once (SIGKILL: they hold nothing that needs a clean exit), so
  Ctrl-C and SIGTERM end a run within moments, whatever the workers are doing;
- a worker whose owner dies without stopping it (kill -9) sees its "alive" pipe close and exits.

Workers of the main context (forkserver: forked from a server that imported the cleaners once)
start in a thread, since the server takes seconds to warm up; meanwhile an optional early
worker (spawned afresh, lighter) takes the records `early_accepts` allows. The job and the
reasons are the caller's: this module knows nothing of articles.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection, wait
from typing import Any

RETRIES = 1  # a record whose worker died is tried this many more times, in a fresh worker
GRACE = 5.0  # seconds past the time limit before a worker that does not answer is killed


def too_slow(timeout: float | None) -> str:
    return f"took longer than {timeout:g} s to clean"


def too_big(memory_mb: int | None) -> str:
    return f"needed more than {memory_mb} MB of memory"


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT blocked in this thread, and so in the processes it starts (they inherit the mask)."""
    try:
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    except (AttributeError, ValueError):  # no POSIX signal masks here
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


class RecordTimeout(BaseException):
    """Raised inside a record's cleaning when its time is up (a BaseException: the cleaners catch Exception)."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Interrupt the block after `seconds` (SIGALRM; the main thread only, else no limit).

    Python code is interrupted at once; a long call into C (lxml parsing a huge tree) returns
    first. Where records run in worker processes, the pool kills a worker that is still silent
    GRACE seconds later.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise RecordTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Handle:
    """One submitted record: ready once its worker answered, or once it was failed."""

    def __init__(self, pool: Pool, task: Any) -> None:
        self.pool = pool
        self.task = task
        self.attempts = 0
        self.done = False
        self.value: Any = None

    def ready(self) -> bool:
        if not self.done:
            self.pool.poll(0)
        return self.done

    def wait(self, seconds: float) -> None:
        if not self.done:
            self.pool.poll(seconds)

    def get(self) -> Any:
        while not self.done:
            self.pool.poll(0.5)
        return self.value

    def finish(self, value: Any) -> None:
        self.value, self.done = value, True


def _serve(conn: Connection, alive: Connection, job: Callable[[Any], Any], memory_bytes: int | None) -> None:
    """A worker's life: records in, results out, until the pipe closes or the owner dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the process group: the owner handles it

    def watch() -> None:
        with suppress(EOFError, OSError):
            alive.recv()  # nothing is ever sent: this returns when the owner is gone
        os._exit(1)

    threading.Thread(target=watch, name="newsarchive-owner-watch", daemon=True).start()
    if memory_bytes:
        import resource

        with suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            reply = ("ok", job(task))
        except MemoryError:
            reply = ("memory", None)
        except Exception as exc:
            reply = ("error", f"{type(exc).__name__}: {str(exc)[:200]}")
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("memory", None))


class _Worker:
    def __init__(self, context: Any, job: Callable[[Any], Any], alive: Connection, memory_bytes: int | None) -> None:
        ours, theirs = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(theirs, alive, job, memory_bytes), name="newsarchive-worker", daemon=True
        )
        self.process.start()
        theirs.close()
        self.conn: Connection = ours
        self.handle: Handle | None = None
        self.since = 0.0
        self.served = 0

    def give(self, handle: Handle) -> None:
        handle.attempts += 1
        self.handle, self.since = handle, time.monotonic()
        self.conn.send(handle.task)

    def kill(self) -> None:
        with suppress(Exception):
            self.process.kill()
        with suppress(Exception):
            self.process.join(2)
        with suppress(Exception):
            self.conn.close()

    def how_it_died(self) -> str:
        code = self.process.exitcode
        if code is not None and code < 0:
            with suppress(ValueError):
                return f"signal {-code}, {signal.Signals(-code).name}"
            return f"signal {-code}"
        return f"exit status {code}"


class Pool:
    """`size` workers of `context` running `job` on submitted records.

    `failed(task, reason)` makes the result of a record that could not be cleaned (the reason
    says why: too slow, out of memory, its worker died, the job raised).
    """

    def __init__(
        self,
        job: Callable[[Any], Any],
        size: int,
        failed: Callable[[Any, str], Any],
        context: Any,
        timeout: float | None = None,
        tasks_per_worker: int | None = None,
        memory_mb: int | None = None,
        early_context: Any = None,
        early_accepts: Callable[[Any], bool] | None = None,
        grace: float = GRACE,
    ) -> None:
        self.job, self.size, self.failed, self.context = job, size, failed, context
        self.timeout, self.tasks_per_worker, self.grace = timeout, tasks_per_worker, grace
        self.memory_mb = memory_mb
        self.memory_bytes = memory_mb * 1024 * 1024 if memory_mb else None
        self.queue: deque[Handle] = deque()
        self.workers: list[_Worker] = []
        self._started: list[_Worker] = []  # handed over by the starting thread
        self._lock = threading.Lock()
        self._closing = False
        self._start_error: BaseException | None = None
        self._alive_reader, self._alive_writer = context.Pipe(duplex=False)
        self._early_writer: Connection | None = None
        self.early: _Worker | None = None
        self.early_accepts = early_accepts
        if early_context is not None and early_accepts is not None:
            early_reader, self._early_writer = early_context.Pipe(duplex=False)
            try:
                with _sigint_blocked():  # as for the main workers, below
                    self.early = _Worker(early_context, job, early_reader, self.memory_bytes)
            except OSError:  # no process to spare: the records wait for the pool
                self.early = None
        self._starter = threading.Thread(target=self._start_all, name="newsarchive-pool", daemon=True)
        self._starter.start()

    # ------------------------------------------------------------ starting
    def _start_all(self) -> None:
        with _sigint_blocked():
            self._start_workers()

    def _start_workers(self) -> None:
        # Blocked in this thread, SIGINT stays blocked in what it starts: the worker server
        # (which imports the cleaners for seconds) and the workers forked from it. Ctrl-C reaches
        # the whole process group, and only the owner must handle it; a KeyboardInterrupt in the
        # server's warm-up printed a traceback.
        try:
            for _ in range(self.size):
                worker = _Worker(self.context, self.job, self._alive_reader, self.memory_bytes)
                with self._lock:
                    if self._closing:
                        worker.kill()
                        return
                    self._started.append(worker)
        except BaseException as exc:  # raised again by the next poll
            self._start_error = exc

    def ready(self) -> bool:
        """True once the main workers run (the early worker then takes nothing more)."""
        return not self._starter.is_alive()

    def _adopt(self) -> None:
        with self._lock:
            self.workers.extend(self._started)
            self._started.clear()
        if self._start_error is not None and not self.workers:
            raise self._start_error

    # ------------------------------------------------------------ submitting
    def submit(self, task: Any) -> Handle:
        handle = Handle(self, task)
        self.queue.append(handle)
        self.poll(0)
        return handle

    def _give(self, worker: _Worker, handle: Handle) -> None:
        try:
            worker.give(handle)
        except OSError:  # it died between two records (its pipe is closed): another one takes it
            handle.attempts -= 1
            worker.handle = None
            self.queue.appendleft(handle)
            self._replace(worker)

    def _dispatch(self) -> None:
        idle = [w for w in self.workers if w.handle is None]
        while idle and self.queue:
            self._give(idle.pop(), self.queue.popleft())
        early = self.early
        if early is None:
            return
        if self.ready() and self.workers:
            if early.handle is None:  # the pool runs: the early worker leaves
                early.kill()
                self.early = None
            return
        if early.handle is None and self.early_accepts is not None:
            for handle in self.queue:
                if self.early_accepts(handle.task):
                    self.queue.remove(handle)
                    self._give(early, handle)
                    break

    # ------------------------------------------------------------ the loop
    def poll(self, seconds: float) -> None:
        """Hand out records, take in answers, fail what is too slow or whose worker died."""
        self._adopt()
        self._dispatch()
        busy = [w for w in self._all() if w.handle is not None]
        if not busy:
            if seconds:
                self._starter.join(seconds)  # nothing to wait for but the workers' start
                self._adopt()
                self._dispatch()
            return
        wait_for = seconds
        if self.timeout is not None:
            now = time.monotonic()
            wait_for = max(0.0, min(seconds, min(w.since + self.timeout + self.grace - now for w in busy)))
        ready = set(wait([x for w in busy for x in (w.conn, w.process.sentinel)], wait_for))
        for worker in busy:
            handle = worker.handle
            assert handle is not None
            if worker.conn in ready:
                try:
                    kind, value = worker.conn.recv()
                except (EOFError, OSError):
                    self._died(worker)
                    continue
                worker.handle = None
                worker.served += 1
                if kind == "ok":
                    handle.finish(value)
                elif kind == "memory":
                    handle.finish(self.failed(handle.task, too_big(self.memory_mb)))
                else:
                    handle.finish(self.failed(handle.task, f"cleaning failed: {value}"))
                if kind == "memory" or (self.tasks_per_worker and worker.served >= self.tasks_per_worker):
                    self._replace(worker)  # once: its memory (what big pages left behind) goes back
            elif worker.process.sentinel in ready:
                self._died(worker)
            elif self.timeout is not None and time.monotonic() - worker.since >= self.timeout + self.grace:
                handle.finish(self.failed(handle.task, too_slow(self.timeout)))
                worker.handle = None
                self._replace(worker)
        self._dispatch()

    def _all(self) -> list[_Worker]:
        return self.workers + ([self.early] if self.early is not None else [])

    def _died(self, worker: _Worker) -> None:
        handle = worker.handle
        worker.handle = None
        with suppress(Exception):
            worker.process.join(1)
        how = worker.how_it_died()
        self._replace(worker)
        if handle is None:
            return
        if handle.attempts <= RETRIES:
            self.queue.appendleft(handle)  # once more, in a fresh worker
        else:
            handle.finish(self.failed(handle.task, f"the cleaning process died ({how})"))

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        if worker is self.early:
            self.early = None
            return
        if worker in self.workers:
            self.workers.remove(worker)
        if not self._closing:
            self.workers.append(_Worker(self.context, self.job, self._alive_reader, self.memory_bytes))

    # ------------------------------------------------------------ stopping
    def _stop_server(self) -> None:
        """A worker server still warming up when the run ends is not waited for.

        It would finish importing the cleaners (seconds) before it noticed that its owner had
        gone, holding this process's stdout and stderr open all the while: a pipe reading a small
        ingest (`| tee`, a script's subprocess) waited 3 s for it after the run's end. The next
        pool (in the same process) starts a new one.
        """
        if self.context.get_start_method() != "forkserver":
            return
        from multiprocessing import forkserver

        pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
        if pid:
            with suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        """Kill every worker now: nothing they hold needs a clean exit (results not taken are lost)."""
        with self._lock:
            self._closing = True
            started, self._started = self._started, []
        for worker in [*self._all(), *started]:
            worker.kill()
        self.workers, self.early = [], None
        if self._starter.is_alive():
            self._stop_server()
        with suppress(Exception):
            self._alive_writer.close()
        if self._early_writer is not None:
            with suppress(Exception):
                self._early_writer.close()
