"""The processes that clean records: owned by this process from start to end.

`multiprocessing.Pool` was the first executor, and its failure modes were the run's: a worker
killed mid-task (the OOM killer's SIGKILL) lost the task and the run waited for it forever, and
`Pool.terminate` could deadlock on a queue lock the dead worker held, so SIGTERM hung too. Here
each worker has its own pipe and this process watches each one's pipe, so it always knows
which record a worker holds and notices at once when it dies (its pipe closes):

- a record that takes longer than `timeout` seconds is failed with that reason and its worker
  killed and replaced;
- a worker that dies (any signal, any exit) has its record tried once more in a fresh worker,
  then failed with the way it died; a worker that runs out of its memory limit fails its record
  with that reason;
- stopping kills every worker and the server at once (SIGKILL: they hold nothing that needs a
  clean exit), so Ctrl-C and SIGTERM end a run within moments, whatever the workers are doing;
- a worker or server whose owner dies without stopping it (kill -9) sees its "alive" pipe close
  and exits.

The workers are forked by a server process of our own, which warms the cleaners in stages and
serves a request for a worker between two of them (`_server_main`). The job and the reasons are
the caller's: this module knows nothing of articles.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection, wait
from typing import Any

RETRIES = 1  # a record whose worker died is tried this many more times, in a fresh worker
GRACE = 5.0  # seconds past the time limit before a worker that does not answer is killed
# A worker forked before its server was warm is replaced after this many records: the next one
# shares what the server has loaded since, instead of loading it again on its own.
COLD_TASKS = 10


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


class _Serving:
    """What the pool knows of any worker: its pipe, the record it holds, since when, how many so far."""

    def __init__(self, pid: int, conn: Connection, cold: bool) -> None:
        self.pid, self.conn, self.cold = pid, conn, cold
        self.handle: Handle | None = None
        self.since = 0.0
        self.served = 0

    def give(self, handle: Handle) -> None:
        handle.attempts += 1
        self.handle, self.since = handle, time.monotonic()
        self.conn.send(handle.task)


class _Worker(_Serving):
    """A worker started by a multiprocessing context (spawn: where this system cannot fork)."""

    def __init__(self, context: Any, job: Callable[[Any], Any], alive: Connection, memory_bytes: int | None) -> None:
        ours, theirs = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(theirs, alive, job, memory_bytes), name="newsarchive-worker", daemon=True
        )
        self.process.start()
        theirs.close()
        super().__init__(self.process.pid, ours, cold=False)

    def waitables(self) -> list[Any]:
        return [self.conn, self.process.sentinel]

    def ended(self, ready: set[Any]) -> bool:
        return self.process.sentinel in ready

    def kill(self) -> None:
        with suppress(Exception):
            self.process.kill()
        with suppress(Exception):
            self.process.join(2)
        with suppress(Exception):
            self.conn.close()

    def how_it_died(self) -> str:
        with suppress(Exception):
            self.process.join(1)
        return _how(self.process.exitcode)


def _how(code: int | None) -> str:
    """A process's end as multiprocessing gives it (a negative code is the signal that killed it)."""
    if code is not None and code < 0:
        with suppress(ValueError):
            return f"signal {-code}, {signal.Signals(-code).name}"
        return f"signal {-code}"
    return f"exit status {code}"


# ---------------------------------------------------------------- the worker server
#
# multiprocessing's forkserver, used before, forks no worker until its whole preload has run:
# 2 s on a normal day to warm the cleaners, 1.35 of them htmldate's date parser compiling the
# regular expressions of 205 locales, which 12 of 683 benchmark HTML pages ever reach. The server below forks
# a worker as soon as its first stage (the modules, langdetect's profiles) is done, and runs
# the other stages between two requests. A worker forked before the last stage (cold) loads
# what it lacks by itself if a page needs it, and is replaced once the server is warm, so such
# copies live seconds, and every later worker shares the server's pages.


def _server_main(
    conn: Connection,
    fds: socket.socket,
    alive: Connection,
    job: Callable[[Any], Any],
    memory_bytes: int | None,
    warm: Callable[[], Iterator[None]] | None,
) -> None:
    """The server's life: warm in stages, fork a worker on request, reap one on request.

    A worker is reaped only when the owner asks (after it saw the worker's pipe close or
    killed it): until then it stays a zombie, and its process id cannot be given to another
    process that the owner's kill would reach.
    """
    import gc

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the process group: the owner handles it
    stages = warm() if warm is not None else iter(())
    warming = next(stages, _END) is not _END  # the first stage: what every worker needs at once
    while True:
        try:
            ready = wait([conn, alive], 0 if warming else None)
        except OSError:
            os._exit(0)
        if alive in ready:  # nothing is ever sent: readable means the owner has gone
            os._exit(0)
        if conn in ready:
            try:
                request, pid = conn.recv()
            except (EOFError, OSError):
                os._exit(0)
            if request == "fork":
                # What the garbage collector could free goes first; the rest is never collected
                # (its pages stay shared with the worker instead of being copied into it).
                # Frozen after every stage instead, the regular expressions' cyclic garbage of
                # the date parser's 205 locale stages stayed: 60 MB more in the server.
                gc.collect()
                gc.freeze()
                _fork_worker(conn, fds, alive, job, memory_bytes, cold=warming)
            elif request == "reap":
                try:  # multiprocessing's exitcode convention: minus the signal that killed it
                    code: int | None = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
                except ChildProcessError:
                    code = None
                conn.send(("exited", pid, code))
            continue
        if warming:
            warming = next(stages, _END) is not _END
            if not warming:
                conn.send(("warm", 0, None))


_END = object()


def _fork_worker(
    conn: Connection,
    fds: socket.socket,
    alive: Connection,
    job: Callable[[Any], Any],
    memory_bytes: int | None,
    cold: bool,
) -> None:
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the worker: it never returns into the server's loop
        code = 1
        try:
            ours.close()
            conn.close()
            fds.close()
            _serve(Connection(theirs.detach()), alive, job, memory_bytes)
            code = 0
        finally:
            os._exit(code)
    theirs.close()
    socket.send_fds(fds, [struct.pack("q?", pid, cold)], [ours.fileno()])
    ours.close()


class _Server:
    """Our own worker server (see above): a process spawned afresh, the workers' parent."""

    def __init__(
        self,
        job: Callable[[Any], Any],
        memory_bytes: int | None,
        warm: Callable[[], Iterator[None]] | None,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, theirs = context.Pipe()
        # File descriptors travel on a socket of their own, one datagram each with the pid.
        self.fds, fds = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        alive, self._alive = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_server_main,
            args=(theirs, fds, alive, job, memory_bytes, warm),
            name="newsarchive-worker-server",
            daemon=True,
        )
        with _sigint_blocked():
            self.process.start()
        for end in (theirs, fds, alive):
            end.close()
        self.warm = warm is None
        self.asked = 0  # forks asked for and not yet answered
        self.exits: dict[int, int | None] = {}  # pid -> its end, as the server reaped it
        self.asked_exits: set[int] = set()  # pids whose end someone waits for

    def ask(self) -> None:
        self.conn.send(("fork", 0))
        self.asked += 1

    def reap(self, pid: int) -> None:
        with suppress(OSError):
            self.conn.send(("reap", pid))

    def waitables(self) -> list[Any]:
        return [self.conn, self.fds, self.process.sentinel]

    def take(self, ready: set[Any]) -> list[_Forked]:
        """Read what the server said; the workers it forked."""
        forked = []
        if self.fds in ready:
            data, fds, _, _ = socket.recv_fds(self.fds, 64, 1)
            pid, cold = struct.unpack("q?", data)
            self.asked -= 1
            forked.append(_Forked(self, pid, fds[0], cold))
        if self.conn in ready:
            with suppress(EOFError, OSError):
                while self.conn.poll():
                    what, pid, code = self.conn.recv()
                    if what == "exited" and pid in self.asked_exits:
                        self.exits[pid] = code
                    elif what == "warm":
                        self.warm = True
        return forked

    def exit_of(self, pid: int, seconds: float = 10.0) -> int | None:
        """How worker `pid` ended, once the server reaped it (it may be finishing a warm-up stage)."""
        self.asked_exits.add(pid)
        deadline = time.monotonic() + seconds
        while pid not in self.exits and self.process.is_alive() and time.monotonic() < deadline:
            if self.conn.poll(0.05):
                self.take({self.conn})
        self.asked_exits.discard(pid)
        return self.exits.pop(pid, None)

    def dead(self) -> bool:
        return not self.process.is_alive()

    def kill(self) -> None:
        with suppress(Exception):
            self.process.kill()
        with suppress(Exception):
            self.process.join(2)
        for end in (self.conn, self.fds, self._alive):
            with suppress(Exception):
                end.close()


class _Forked(_Serving):
    """A worker forked by the server: its pipe is how it is known to have died (it closes then)."""

    def __init__(self, server: _Server, pid: int, fd: int, cold: bool) -> None:
        super().__init__(pid, Connection(fd), cold)
        self.server = server
        self.reaped = False

    def waitables(self) -> list[Any]:
        return [self.conn]

    def ended(self, ready: set[Any]) -> bool:
        return False  # its pipe says it first

    def kill(self) -> None:
        if not self.reaped:  # a zombie until reaped: until then the pid is still its own
            with suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            self.reaped = True
            self.server.reap(self.pid)
        with suppress(Exception):
            self.conn.close()

    def how_it_died(self) -> str:
        if self.reaped:
            return "exit status unknown"
        self.reaped = True
        self.server.reap(self.pid)
        code = self.server.exit_of(self.pid)
        return _how(code) if code is not None else "exit status unknown"


class Pool:
    """`size` workers running `job` on submitted records.

    The workers are forked by a server process of our own that runs `warm`'s stages (see
    `_server_main`); with a multiprocessing `context` instead, each worker is a process of it
    (spawn where this system cannot fork). `failed(task, reason)` makes the result of a record
    that could not be cleaned (the reason says why: too slow, out of memory, its worker died,
    the job raised).
    """

    def __init__(
        self,
        job: Callable[[Any], Any],
        size: int,
        failed: Callable[[Any, str], Any],
        context: Any = None,
        timeout: float | None = None,
        tasks_per_worker: int | None = None,
        memory_mb: int | None = None,
        warm: Callable[[], Iterator[None]] | None = None,
        grace: float = GRACE,
    ) -> None:
        self.job, self.size, self.failed, self.context = job, size, failed, context
        self.timeout, self.tasks_per_worker, self.grace = timeout, tasks_per_worker, grace
        self.memory_mb = memory_mb
        self.memory_bytes = memory_mb * 1024 * 1024 if memory_mb else None
        self.warm = warm
        self.queue: deque[Handle] = deque()
        self.workers: list[_Worker | _Forked] = []
        self._closing = False
        self.server: _Server | None = None
        self.restarts = 0
        if context is None and not hasattr(os, "fork"):
            context = self.context = multiprocessing.get_context("spawn")
        if context is not None:
            self._alive_reader, self._alive_writer = context.Pipe(duplex=False)
            with _sigint_blocked():
                for _ in range(size):
                    self.workers.append(_Worker(context, job, self._alive_reader, self.memory_bytes))
        else:
            self._start_server()

    def _start_server(self) -> None:
        self.server = _Server(self.job, self.memory_bytes, self.warm)
        self._top_up()

    def _top_up(self) -> None:
        """Ask the server for the workers missing: one while it warms up, all once it is warm.

        Each worker forked before the server is warm loads what it lacks on its own, beside the
        server loading it too, and competes with the warm-up for the cores: with two such
        workers, 400 HTML pages on 2 cores peaked at 418 MB (the server's warm-up took 6.5 s
        instead of 3.5), against 340 for the forkserver that forked no worker before.
        """
        server = self.server
        if server is None or self._closing:
            return
        have = len(self.workers) + server.asked
        want = self.size if server.warm else 1
        for _ in range(want - have):
            server.ask()

    # ------------------------------------------------------------ submitting
    def submit(self, task: Any) -> Handle:
        handle = Handle(self, task)
        self.queue.append(handle)
        self.poll(0)
        return handle

    def _give(self, worker: _Worker | _Forked, handle: Handle) -> None:
        try:
            worker.give(handle)
        except OSError:  # it died between two records (its pipe is closed): another one takes it
            handle.attempts -= 1
            worker.handle = None
            self.queue.appendleft(handle)
            self._replace(worker)

    def _dispatch(self) -> None:
        server = self.server
        if server is not None and server.warm:
            for worker in [w for w in self.workers if w.cold and w.handle is None]:
                self._replace(worker)  # forked before the server was warm: a warm one instead
        self._top_up()
        idle = [w for w in self.workers if w.handle is None]
        while idle and self.queue:
            self._give(idle.pop(), self.queue.popleft())

    # ------------------------------------------------------------ the loop
    def poll(self, seconds: float) -> None:
        """Hand out records, take in answers, fail what is too slow or whose worker died."""
        self._check_server()
        self._dispatch()
        busy = [w for w in self.workers if w.handle is not None]
        waitables = [x for w in busy for x in w.waitables()]
        server = self.server
        if server is not None:
            waitables += server.waitables()
        if not waitables:
            return
        wait_for = seconds
        if self.timeout is not None and busy:
            now = time.monotonic()
            wait_for = max(0.0, min(seconds, min(w.since + self.timeout + self.grace - now for w in busy)))
        ready = set(wait(waitables, wait_for))
        if server is not None and ready:
            for forked in server.take(ready):
                if self._closing:
                    forked.kill()
                else:
                    self.workers.append(forked)
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
                quota = min(self.tasks_per_worker or COLD_TASKS, COLD_TASKS) if worker.cold else self.tasks_per_worker
                if kind == "memory" or (quota and worker.served >= quota):
                    self._replace(worker)  # once: its memory (what big pages left behind) goes back
            elif worker.ended(ready):
                self._died(worker)
            elif self.timeout is not None and time.monotonic() - worker.since >= self.timeout + self.grace:
                handle.finish(self.failed(handle.task, too_slow(self.timeout)))
                worker.handle = None
                self._replace(worker)
        self._dispatch()

    def _check_server(self) -> None:
        """A server that died (the OOM killer's choice, say) is started again, twice at most."""
        server = self.server
        if server is None or not server.dead() or self._closing:
            return
        code = server.process.exitcode
        server.kill()
        for worker in [w for w in self.workers if w.handle is None]:
            worker.kill()  # idle: their parent is gone, fresh ones come from the new server
            self.workers.remove(worker)
        self.restarts += 1
        if self.restarts > 2:
            self.server = None
            raise RuntimeError(f"the worker server died ({_how(code)}) three times")
        self._start_server()

    def _died(self, worker: _Worker | _Forked) -> None:
        handle = worker.handle
        worker.handle = None
        how = worker.how_it_died()
        self._replace(worker)
        if handle is None:
            return
        if handle.attempts <= RETRIES:
            self.queue.appendleft(handle)  # once more, in a fresh worker
        else:
            handle.finish(self.failed(handle.task, f"the cleaning process died ({how})"))

    def _replace(self, worker: _Worker | _Forked) -> None:
        worker.kill()
        if worker in self.workers:
            self.workers.remove(worker)
        if self._closing or self.server is not None:
            return  # the server's workers: _top_up asks for the missing ones
        with _sigint_blocked():
            self.workers.append(_Worker(self.context, self.job, self._alive_reader, self.memory_bytes))

    # ------------------------------------------------------------ stopping
    def close(self) -> None:
        """Kill every worker and the server now: nothing they hold needs a clean exit."""
        self._closing = True
        for worker in self.workers:
            worker.kill()
        self.workers = []
        if self.server is not None:
            self.server.kill()
        else:
            with suppress(Exception):
                self._alive_writer.close()
