"""From a file on disk to an article in the archive: read, clean, date, detect the language, store.

`process` is pure (bytes in, `Article` out, or `Rejected` with its reason); `Ingester` walks the
inputs and decides, file by file, whether it is new, updated, unchanged, a duplicate, skipped
or failed, recording each outcome in the archive.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any

from newsarchive import neardup
from newsarchive.archive import INDEX_BATCH, Archive, DiskFull, compress_raw, is_disk_full
from newsarchive.clean import dates
from newsarchive.clean.html import MAX_HTML_DEPTH, HtmlResult, clean_html, html_to_text, html_too_deep
from newsarchive.clean.language import detect_language
from newsarchive.clean.text import TextResult, clean_text
from newsarchive.index import analysed
from newsarchive.inputs import (
    DEFAULT_MAX_BYTES,
    STORED_MAX_BYTES,
    InputFile,
    Missing,
    RawInput,
    decode_input,
    read_file_bytes,
    read_input,
)
from newsarchive.model import CLEANER_VERSION, OUTCOMES, Article, Rejected
from newsarchive.run.dask import ClusterError
from newsarchive.run.executor import Done, Executor, LocalExecutor, trim_heap
from newsarchive.run.pool import RecordTimeout, time_limit, too_big, too_slow
from newsarchive.sources import KEY_SEPARATOR, Record, Skip, SourceOptions, container_kind, records
from newsarchive.textutil import normalize_line

BATCH_FILES = 200  # files per write transaction: large enough to be fast, small enough to lose little
BATCH_SECONDS = 2.0
LOCK_WAIT = 1.0  # seconds the writer waits on a worker holding the write lock, before it lets go
DEFAULT_TIMEOUT = 60.0  # seconds: a news page cleans in well under one; a pathological one in minutes
DEFAULT_MEMORY_MB = 4096  # a worker's address space (virtual: about twice what it keeps resident)


MIN_ARTICLE_LETTERS = 20  # letters and digits: counted so, a short article in Japanese is not refused


def _letters(text: str, enough: int | None = None) -> int:
    """Letters and digits in `text`, counted no further than `enough` (every page asks)."""
    n = 0
    for ch in text:
        if ch.isalnum():
            n += 1
            if n == enough:
                break
    return n


def process(raw: RawInput, path: str, now: datetime | None = None) -> Article:
    """Clean one decoded input into an article, or raise `Rejected`."""
    now = now or datetime.now()
    url = raw.hints.get("url")
    found: HtmlResult | TextResult = (
        clean_html(raw.text, now, url=url) if raw.kind == "html" else clean_text(raw.text, now)
    )
    article = Article(
        path=path,
        text=found.text,
        title=found.title,
        author=found.author,
        published=found.published,
        date_source=found.date_source,
        url=found.url if isinstance(found, HtmlResult) else None,
        site=found.site if isinstance(found, HtmlResult) else None,
        tags=found.tags,
        kind=raw.kind,
        encoding=raw.encoding,
    )
    letters = _letters(article.text, MIN_ARTICLE_LETTERS)
    if letters < MIN_ARTICLE_LETTERS:
        if not letters and raw.kind == "html" and html_too_deep(raw.text):
            raise Rejected(
                f"HTML nested over {MAX_HTML_DEPTH} levels deep: the parser stops there, and no article text "
                "was found above",
                "skipped",
            )
        # The same rule for both shapes: a page whose article (or, when nothing was kept, whose
        # whole visible text) is a word or two ("Bonjour.", <p>Hello</p>) is no article.
        whole = letters or _letters(html_to_text(raw.text) if raw.kind == "html" else raw.text, MIN_ARTICLE_LETTERS)
        if whole < MIN_ARTICLE_LETTERS:
            shown = max(letters, whole)
            counted = "1 letter or digit" if shown == 1 else f"{shown} letters or digits"
            raise Rejected(f"too short to be an article: {counted}, fewer than {MIN_ARTICLE_LETTERS}", "skipped")
        raise Rejected("no article text found after cleaning", "skipped")
    article.lang = detect_language(article.text)
    if raw.hints:
        _apply_hints(article, raw.hints, now)
    return article


def _apply_hints(article: Article, hints: dict[str, Any], now: datetime) -> None:
    """What a container said of a record, checked by our own rules.

    A scraper's title and authors come from the page's metadata and win over what a text dump
    suggests; our dates come first (measured, and each says where it was found), then the
    URL's, then the scraper's (`date_source` "record"), each a full date that is not in the
    future. The fetch time of a WARC is kept apart, never as the publication date.
    """
    url = hints.get("url")
    if url:
        article.url = str(url)  # where it was fetched: the page's canonical link is only its claim
        article.site = article.site or site_of(str(url))
    if hints.get("title"):
        article.title = normalize_line(str(hints["title"])) or article.title
    if hints.get("author"):
        article.author = normalize_line(str(hints["author"])) or article.author
    if article.published is None and url:
        day = dates.date_from_url(str(url), now)
        if day:
            article.published, article.date_source = day, "url"
    if article.published is None and hints.get("published"):
        found = dates.find_dates(str(hints["published"]), now)
        if found:
            article.published, article.date_source = found[0].value, "record"
    if article.lang is None and hints.get("lang"):
        article.lang = str(hints["lang"]).strip().lower()[:2] or None
    if hints.get("fetched"):
        article.fetched = normalize_line(str(hints["fetched"]))[:40] or None  # a WARC-Date: ISO 8601 already


def site_of(url: str) -> str | None:
    """The host of a URL, without `www.`."""
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def content_hash(text: str) -> str:
    """Two files whose cleaned text is the same (spacing aside) are one article."""
    canonical = "\n".join(normalize_line(line) for line in text.split("\n") if line.strip())
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class FileResult:
    """The outcome for one input, as the report and the summary show it."""

    path: str
    outcome: str
    reason: str | None = None
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "outcome": self.outcome, "reason": self.reason, "id": self.id}


@dataclass
class ContainerDone:
    """Follows a container's last record through the window: stored, the container is settled."""

    item: InputFile


@dataclass
class IngestOptions:
    langs: frozenset[str] | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    force: bool = False
    workers: int | None = None  # processes that clean; None: one per usable core
    timeout: float | None = DEFAULT_TIMEOUT  # seconds a record may take to clean; None: no limit
    memory_mb: int | None = DEFAULT_MEMORY_MB  # address space of a worker process; None: no limit
    jsonl_fields: tuple[str, ...] = ()  # fields of JSON lines that hold a page, beside the usual ones
    cluster: str | None = None  # a Dask scheduler's address, or local[:N]; None: this machine's pool
    cluster_reads: str = "bytes"  # "bytes": this process ships each file's bytes; "paths": workers read them


@dataclass
class RunSummary:
    """A run's outcomes: only those committed count, so a rolled-back batch is not reported stored."""

    run_id: int
    counts: Counter[str] = field(default_factory=Counter)
    reasons: dict[str, Counter[str]] = field(default_factory=dict)
    status: str = "running"
    pending: list[FileResult] = field(default_factory=list)

    def add(self, result: FileResult) -> None:
        self.pending.append(result)

    def settle(self) -> None:
        """The pending outcomes are committed."""
        for result in self.pending:
            self.counts[result.outcome] += 1
            if result.reason and result.outcome in ("duplicate", "skipped", "failed"):
                reason = result.reason
                if result.outcome == "duplicate":
                    reason = "same text as an article already stored"
                self.reasons.setdefault(result.outcome, Counter())[reason] += 1
        self.pending.clear()

    def as_counts(self) -> dict[str, int]:
        return {outcome: self.counts.get(outcome, 0) for outcome in OUTCOMES}

    def kept(self) -> str:
        """What a run that stopped short kept, for the sentence that says why it stopped."""
        stored = self.counts["new"] + self.counts["updated"]
        return f"{stored:,} articles of this run were stored and {sum(self.counts.values()):,} files settled before"


@dataclass(frozen=True)
class Task:
    """One file for a worker: where to read it, and the source hash on record (if any).

    A record of a container comes with its bytes (`data`), the name its kind is guessed from
    and the container's hints: the worker need not see the container.
    """

    path: str
    key: str
    known_hash: str | None = None
    data: bytes | None = None
    name: str = ""
    hints: dict[str, Any] = field(default_factory=dict)
    settled_here: Work | None = None  # decided by the writer (the file could not be read): no worker needed


@dataclass
class Work:
    """What a worker made of one file; the writer turns it into an outcome, in walk order."""

    key: str
    source_hash: str | None = None
    stored: bytes | None = None  # the input's bytes, zlib-compressed for raw_inputs
    size: int = 0  # bytes before compression
    article: Article | None = None
    content_hash: str | None = None
    terms: tuple[str, str] | None = None  # the title and text as the search index stores them
    same_bytes: bool = False  # the source hash on record: nothing to clean
    hints: dict[str, Any] | None = None  # a record's hints, stored beside its raw input
    near: bytes | None = None  # the near-duplicate signature (None: too short to have one)
    reason: str | None = None  # a rejection: its reason, outcome and whether it is settled
    outcome: str | None = None
    settled: bool = False

    @classmethod
    def rejected(cls, key: str, rejected: Rejected, source_hash: str | None = None) -> Work:
        # Rejected is an exception; its fields cross the process boundary as plain values.
        return cls(key, source_hash, reason=rejected.reason, outcome=rejected.outcome, settled=rejected.settled)


Unit = InputFile | Missing | Record | Skip | FileResult | ContainerDone  # what the walk yields
Prepared = FileResult | Task | Skip | ContainerDone  # what the writer waits on


def work(
    task: Task,
    max_bytes: int,
    langs: frozenset[str] | None,
    now: datetime,
    timeout: float | None = None,
    memory_mb: int | None = None,
) -> Work:
    """Read, decode, clean, date and detect one file: everything but storing (runs in a worker)."""
    try:
        if task.data is not None:
            raw = decode_input(task.data, task.name, max_bytes, task.hints)
        else:
            raw = read_input(Path(task.path), max_bytes)
    except Rejected as rejected:
        return Work.rejected(task.key, rejected)
    try:
        with time_limit(timeout):
            return _work(task, raw, langs, now)
    except RecordTimeout:
        return _failed(task, too_slow(timeout))
    except MemoryError:  # over the worker's --memory-limit (its address space)
        return _failed(task, too_big(memory_mb) if memory_mb else "ran out of memory")
    finally:
        if len(raw.data) >= TRIM_AFTER_BYTES:
            trim_heap()


# A page this large leaves lxml's trees (copied several times by trafilatura) in freed heap
# memory that the C allocator keeps; it is handed back to the system after the page.
TRIM_AFTER_BYTES = 100_000


def _work(task: Task, raw: RawInput, langs: frozenset[str] | None, now: datetime) -> Work:
    if task.known_hash == raw.source_hash:
        return Work(task.key, raw.source_hash, same_bytes=True)
    try:
        article = process(raw, task.key, now)
    except Rejected as rejected:
        return Work.rejected(task.key, rejected, raw.source_hash)
    except MemoryError:
        raise  # not a cleaner bug: work() gives the reason that names the limit
    except Exception as exc:  # a cleaner bug on one page must not stop the batch
        reason = f"cleaning failed: {type(exc).__name__}: {str(exc)[:200]}".rstrip(": ")
        return Work(task.key, reason=reason, outcome="failed")
    if langs and article.lang not in langs:
        wanted = ", ".join(sorted(langs))
        # not settled: the same file comes in on a run without --lang
        reason = f"language is {article.lang or 'unknown'}, not {wanted}"
        return Work(task.key, reason=reason, outcome="skipped")
    _ = article.words  # counted here, not in the writer: the cached count travels with the article
    return Work(
        task.key,
        raw.source_hash,
        compress_raw(raw.data),
        len(raw.data),
        article,
        content_hash(article.text),
        analysed(article.title, article.text),
        hints=raw.hints or None,
        near=neardup.signature(article.text),
    )


# A run this small is cleaned in the writer's process unless --workers is given: one process
# cleans 300 text dumps (or 50 HTML pages) in the two seconds the pool's worker server takes to
# import and warm the cleaners before its first record, and a 2-worker run of the five seeds
# took 1.3-2.4 s against 1.3-1.7 s with one. Bytes bound it too: 50 pages of 100 KB.
SMALL_FILES, SMALL_BYTES, PEEK_UNITS = 300, 5_000_000, 2000


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _failed(task: Task, reason: str) -> Work:
    return Work(task.key, reason=reason, outcome="failed")


class Ingester:
    def __init__(
        self, archive: Archive, options: IngestOptions | None = None, executor: Executor | None = None
    ) -> None:
        """`executor`: where the cleaning runs (default: this process or the worker pool, per `workers`)."""
        self.archive = archive
        self.options = options or IngestOptions()
        self.executor = executor
        # The workers of a cluster may not see this file system: the files' bytes travel.
        self.ships_bytes = bool(self.options.cluster) and self.options.cluster_reads == "bytes"
        self.described: str | None = None  # where the cleaning ran, when not on this machine

    def run(
        self,
        items: Iterable[InputFile | Missing],
        inputs: list[str],
        on_result: Callable[[FileResult], None] | None = None,
    ) -> RunSummary:
        """Ingest every item, in transactions of many files, with `options.workers` processes.

        Files are handed to the workers as the walk finds them, at most a few dozen ahead of
        the writer (memory stays flat), and stored in walk order, so ids and duplicates come
        out the same whatever the number of workers. A file whose size and modification time
        are on record is not read at all; one whose bytes are on record is not cleaned.

        A KeyboardInterrupt (Ctrl-C, or SIGTERM turned into one by the CLI) keeps every file
        finished so far, marks the run interrupted and re-raises.

        With more than one worker, a script calling this must keep its own work under
        `if __name__ == "__main__":`: each worker runs the main script again (multiprocessing's
        rule for processes that are not plain forks).
        """
        options = {
            "langs": sorted(self.options.langs) if self.options.langs else None,
            "max_bytes": self.options.max_bytes,
            "force": self.options.force,
        }
        summary = RunSummary(self.archive.start_run(inputs, options))
        self.archive.open_search_index()
        now = datetime.now()
        workers = self.options.workers or usable_cores()
        # The time limit is SIGALRM's, wherever the job runs; the pool adds a kill if it is ignored.
        job = partial(
            work,
            max_bytes=self.options.max_bytes,
            langs=self.options.langs,
            now=now,
            timeout=self.options.timeout,
            memory_mb=self.options.memory_mb,
        )
        archive = self.archive

        def commit_before_cleaning() -> None:
            if archive.conn.in_transaction:
                archive.commit()  # 0.4 ms a commit

        executor: Executor | None = self.executor
        if executor is None and self.options.cluster:
            from newsarchive.run.dask import DaskExecutor

            try:
                executor = DaskExecutor(self.options.cluster, job, _failed, self.options.timeout)
            except BaseException:  # no scheduler, Dask not installed: the run ends as failed, not 'running'
                self.archive.finish_run(summary.run_id, summary.as_counts(), "failed")
                raise
        self.described = executor.describe() if executor is not None else None
        units = self._units(items)
        window: deque[tuple[Unit, Prepared, Any]] = deque()
        self._batch_started, self._in_batch, self._stored = time.monotonic(), 0, 0
        self._unsettled: Counter[str] = Counter()  # per container: records a re-run must see again
        archive.on_commit = summary.settle
        try:
            peeked, small = self._peek(units)  # in the try: a Ctrl-C during the walk ends the run as any other
            if executor is None:
                # A small run is cleaned here unless --workers says otherwise: the pool's two
                # seconds of warm-up would outlast it.
                processes = 1 if small and self.options.workers is None else workers
                executor = LocalExecutor(
                    job, processes, _failed, self.options.timeout, self.options.memory_mb, commit_before_cleaning
                )
            submit, ahead = executor.submit, executor.ahead
            archive.begin()
            for unit, prepared in chain(peeked, ((u, self._prepare(u)) for u in units)):
                handle = None
                if isinstance(prepared, Task):
                    handle = Done(prepared.settled_here) if prepared.settled_here else submit(prepared)
                window.append((unit, prepared, handle))
                while window and (len(window) > ahead or window[0][2] is None or window[0][2].ready()):
                    self._store_head(window, summary, on_result)
            while window:
                self._store_head(window, summary, on_result)
            archive.commit()
            summary.status = "completed"
            archive.feed_search_index()
        except KeyboardInterrupt:
            # Keep every file finished so far; a file is stored whole or not at all.
            archive.commit()
            summary.status = "interrupted"
            raise
        except ClusterError as lost:  # the scheduler went away: what is stored stays, a re-run finishes
            archive.commit()
            summary.status = "interrupted"
            raise ClusterError(
                f"{lost}: {summary.kept()}; run the same command again, once the scheduler is back, to finish."
            ) from None
        except sqlite3.OperationalError as exc:
            archive.rollback()
            summary.pending.clear()
            if not is_disk_full(exc):
                summary.status = "failed"
                raise
            summary.status = "interrupted"  # an ordinary condition: a re-run finishes the work
            raise DiskFull(
                f"the disk holding {archive.path} is full: {summary.kept()} it filled; free some space "
                "and run the same command again to finish."
            ) from None
        except BaseException:
            archive.rollback()
            summary.pending.clear()
            summary.status = "failed"
            raise
        finally:
            archive.on_commit = None
            if executor is not None:
                executor.close()
            try:
                self.archive.finish_run(summary.run_id, summary.as_counts(), summary.status)
            except sqlite3.OperationalError as exc:
                if not is_disk_full(exc):
                    raise  # a full disk: the run stays "running", the message above said why
        return summary

    def _peek(self, units: Iterator[Unit]) -> tuple[list[tuple[Unit, Prepared]], bool]:
        """The walk's first units, prepared, and whether the whole run is small.

        Small: the walk ends with at most SMALL_FILES files to clean, SMALL_BYTES in all, within
        PEEK_UNITS units (those settled unread or by hash count only toward the last). Reading
        stops at the first bound passed, so what is held here stays bounded.
        """
        peeked: list[tuple[Unit, Prepared]] = []
        tasks = size = 0
        for unit in units:
            prepared = self._prepare(unit)
            peeked.append((unit, prepared))
            if isinstance(prepared, Task) and prepared.settled_here is None:
                tasks += 1
                size += len(prepared.data) if prepared.data is not None else getattr(unit, "size", 0)
            if tasks > SMALL_FILES or size > SMALL_BYTES or len(peeked) >= PEEK_UNITS:
                return peeked, False
        return peeked, True

    def _units(self, items: Iterable[InputFile | Missing]) -> Iterator[Unit]:
        """The files of the walk, each container opened into its records (in this process)."""
        for item in items:
            if isinstance(item, InputFile) and container_kind(item.path.name):
                yield from self._container(item)
            else:
                yield item

    def _container(self, item: InputFile) -> Iterator[Unit]:
        """A container's records, or, when it is as the last run left it, their outcomes unread."""
        key = item.key
        state = None if self.options.force else self.archive.file_state(key)
        as_left = state is not None and (state["outcome"], state["size"], state["mtime_ns"]) == (
            "container",
            item.size,
            item.mtime_ns,
        )
        if as_left:
            for row in self.archive.records_of(key, KEY_SEPARATOR):
                yield FileResult(row["path"], "unchanged", id=row["article_id"])
            return
        yield from records(Path(item.path), key, SourceOptions(self.options.max_bytes, self.options.jsonl_fields))
        yield ContainerDone(item)

    def _prepare(self, item: Unit) -> Prepared:
        """What can be decided without reading the file; otherwise the task for a worker."""
        if isinstance(item, Missing):
            return FileResult(item.path, "failed", item.reason)
        if isinstance(item, (FileResult, Skip, ContainerDone)):
            return item
        if isinstance(item, Record):
            known = None if self.options.force else self._known_state(item.key)
            digest = hashlib.sha256(item.data).hexdigest()
            if known and known["source_hash"] == digest:
                return FileResult(item.key, "unchanged", id=known["article_id"])
            return Task("", item.key, None, item.data, item.name, item.hints)
        key = item.key
        known = None if self.options.force else self._known_state(key)
        if known and (known["size"], known["mtime_ns"]) == (item.size, item.mtime_ns):
            return FileResult(key, "unchanged", id=known["article_id"])  # not even read
        path = os.fsdecode(item.path)
        known_hash = known["source_hash"] if known else None
        if self.ships_bytes or known_hash:
            # A file whose bytes are on record is read and hashed here: one that proves unchanged
            # (touched, copied back) needs no worker, and a re-run over such files starts none.
            try:
                data = read_file_bytes(item.path, self.options.max_bytes)
            except Rejected as rejected:
                return Task(path, key, settled_here=Work.rejected(key, rejected))  # as a worker would have
            if known_hash and hashlib.sha256(data).hexdigest() == known_hash:
                return Task(path, key, settled_here=Work(key, known_hash, same_bytes=True))
            if not self.ships_bytes:  # the workers read the files themselves (--cluster-reads paths, the pool)
                return Task(path, key, known_hash)
            return Task(path, key, known_hash, data, item.path.name)
        return Task(path, key, None)

    def _store_head(
        self,
        window: deque[tuple[Unit, Prepared, Any]],
        summary: RunSummary,
        on_result: Callable[[FileResult], None] | None,
    ) -> None:
        """Store the oldest file of the window (waiting for its worker), in its own savepoint."""
        item, prepared, handle = window[0]
        archive = self.archive
        if isinstance(prepared, ContainerDone):
            # Every record before it is settled: the container is done, unless one of them must
            # be tried again (a failure, a --lang skip), which the next run's walk will see.
            window.popleft()
            if not self._unsettled.pop(prepared.item.key, 0):
                done_item = prepared.item
                if not archive.conn.in_transaction:
                    archive.begin()
                archive.record_file(done_item.key, done_item.size, done_item.mtime_ns, None, None, "container")
            return
        if handle is not None and not handle.ready():
            handle.wait(LOCK_WAIT)
            if not handle.ready() and archive.conn.in_transaction:
                # A slow page: what is stored so far is committed, and the write lock is free
                # while its worker works (another ingest or a reclean may write meanwhile).
                archive.commit()
                self._batch_started, self._in_batch = time.monotonic(), 0
        done: Work | None = handle.get() if handle is not None else None
        if not archive.conn.in_transaction:
            archive.begin()
        with archive.savepoint():
            result = self._settle(item, prepared, done, summary.run_id)
            if isinstance(item, (Record, Skip)) and (
                (isinstance(item, Skip) and item.place is None) or archive.file_state(result.path) is None
            ):
                self._unsettled[item.container] += 1
        window.popleft()
        summary.add(result)
        if on_result:
            on_result(result)
        self._in_batch += 1
        self._stored += 1
        if (
            self._in_batch >= BATCH_FILES
            or time.monotonic() - self._batch_started > BATCH_SECONDS
            or self._stored == 1  # the first file is visible to readers at once
        ):
            archive.commit()
            if archive.feed_search_index(at_least=INDEX_BATCH):
                # The index writer's threads leave tens of MB in their allocator arenas after
                # each feed (this process: 60 -> 103 MB at the first feed of 2,000 articles, for
                # the rest of the run); handed back, it stays at about 55.
                trim_heap()
            archive.begin()
            self._batch_started, self._in_batch = time.monotonic(), 0

    def _settle(self, item: Unit, prepared: Prepared, done: Work | None, run_id: int) -> FileResult:
        if isinstance(prepared, FileResult):
            if prepared.outcome == "failed":  # a path the walk could not read
                return self._problem(run_id, prepared.path, Rejected(prepared.reason or "", "failed"))
            return prepared
        if isinstance(prepared, Skip):
            self.archive.record_problem(run_id, prepared.key, prepared.outcome, prepared.reason)
            if prepared.outcome == "skipped" and prepared.place is not None:
                self.archive.record_file(prepared.key, None, None, None, None, "skipped")
            return FileResult(prepared.key, prepared.outcome, prepared.reason)
        assert isinstance(item, (InputFile, Record)) and isinstance(prepared, Task) and done is not None
        key = prepared.key
        if done.reason is not None:
            return self._problem(
                run_id, key, Rejected(done.reason, done.outcome or "failed", done.settled), item, done.source_hash
            )
        known = self._known_state(key)
        if done.same_bytes and known is not None:
            self.archive.record_file(
                key, item.size, item.mtime_ns, done.source_hash, known["article_id"], known["outcome"]
            )
            return FileResult(key, "unchanged", id=known["article_id"])  # touched, same bytes
        return self._store(item, known, done, run_id)

    def _known_state(self, key: str) -> dict[str, Any] | None:
        """What a previous run settled for this path: an article still stored, or a settled skip."""
        state = self.archive.file_state(key)
        if state is None:
            return None
        if state["outcome"] == "skipped":
            return state
        if state["article_id"] is not None and self.archive.article_exists(state["article_id"]):
            return state
        return None

    def _store(
        self, item: InputFile | Record, state: dict[str, Any] | None, done: Work, run_id: int | None = None
    ) -> FileResult:
        key = item.key
        article = done.article
        digest = done.content_hash
        assert article is not None and done.stored is not None and done.source_hash is not None and digest is not None
        same_text = self.archive.article_id_for_content(digest)
        own = state["article_id"] if state and state["outcome"] not in ("duplicate", "skipped") else None
        if same_text is not None and same_text != own:
            if own is not None:  # this file's article now repeats another one: keep one copy
                self.archive.delete_article(own)
            self.archive.record_file(key, item.size, item.mtime_ns, done.source_hash, same_text, "duplicate")
            return FileResult(key, "duplicate", f"duplicate of article {same_text}", same_text)
        article_id = self.archive.save_article(
            article,
            digest,
            done.source_hash,
            b"",
            CLEANER_VERSION,
            own,
            compressed=(done.size, done.stored),
            analysed=done.terms,
            run_id=run_id,
            hints=done.hints,
            near=done.near,
        )
        outcome = "updated" if own is not None else "new"
        self.archive.record_file(key, item.size, item.mtime_ns, done.source_hash, article_id, outcome)
        return FileResult(key, outcome, id=article_id)

    def _problem(
        self,
        run_id: int,
        path: str,
        rejected: Rejected,
        item: InputFile | Record | None = None,
        source_hash: str | None = None,
    ) -> FileResult:
        self.archive.record_problem(run_id, path, rejected.outcome, rejected.reason)
        if item is not None and rejected.settled:
            self.archive.record_file(path, item.size, item.mtime_ns, source_hash, None, "skipped")
        return FileResult(path, rejected.outcome, rejected.reason)


# Fields a re-clean may change; the path, the input and the ids stay as they are.
RECLEANED_FIELDS = ("title", "author", "published", "date_source", "url", "site", "lang", "tags", "text")


@dataclass
class RecleanSummary:
    articles: int = 0
    changed: int = 0
    unchanged: int = 0
    kept: int = 0  # the new cleaner rejects the input or makes a duplicate: the old article stays
    reasons: Counter[str] = field(default_factory=Counter)
    changed_fields: Counter[str] = field(default_factory=Counter)


def reclean(
    archive: Archive,
    only_outdated: bool = False,
    dry_run: bool = False,
    on_article: Callable[[int, str], None] | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    cluster: str | None = None,
) -> RecleanSummary:
    """Clean every stored input again with the current cleaner, updating articles in place.

    Ids never change. An input the new cleaner rejects, or that now cleans to the text of
    another article, keeps its old article (and is counted as kept, with the reason). With
    `cluster` (a Dask scheduler's address, or local[:N]), the cleaning runs there.
    """
    summary = RecleanSummary()
    now = datetime.now()
    executor = None
    if cluster:
        from newsarchive.run.dask import DaskExecutor

        executor = DaskExecutor(cluster, reclean_work, _reclean_failed, timeout)
    try:
        _reclean_all(archive, summary, only_outdated, dry_run, on_article, timeout, now, executor)
    except KeyboardInterrupt:
        archive.commit()  # every article re-cleaned so far is kept whole; a re-run does the rest
        raise
    except ClusterError as lost:
        archive.commit()
        raise ClusterError(
            f"{lost}: {summary.articles:,} articles were cleaned again and saved before; run the same command "
            "again, once the scheduler is back, to finish."
        ) from None
    except BaseException:
        archive.rollback()
        raise
    finally:
        if executor is not None:
            executor.close()
    if not dry_run:
        archive.feed_search_index()
    return summary


@dataclass
class RecleanTask:
    """One stored input to clean again: what a worker needs, no archive."""

    article_id: int
    raw: bytes
    path: str
    hints: dict[str, Any]
    now: datetime
    timeout: float | None


@dataclass
class Recleaned:
    article_id: int
    article: Article | None = None
    source_hash: str = ""
    content_hash: str = ""
    near: bytes | None = None
    reason: str | None = None  # the new cleaner rejects it: "now skipped: ..."


def reclean_work(task: RecleanTask) -> Recleaned:
    """Decode and clean one stored input again (runs here or on a cluster's worker)."""
    try:
        raw = decode_input(task.raw, stored_name(task.path), STORED_MAX_BYTES, task.hints)
        with time_limit(task.timeout):
            article = process(raw, task.path, task.now)
    except (Rejected, RecordTimeout) as stopped:
        rejected = stopped if isinstance(stopped, Rejected) else Rejected(too_slow(task.timeout), "failed")
        return Recleaned(task.article_id, reason=f"now {rejected.outcome}: {rejected.reason}")
    _ = article.words
    return Recleaned(
        task.article_id, article, raw.source_hash, content_hash(article.text), neardup.signature(article.text)
    )


def _reclean_failed(task: RecleanTask, reason: str) -> Recleaned:
    return Recleaned(task.article_id, reason=f"now failed: {reason}")


def _reclean_all(
    archive: Archive,
    summary: RecleanSummary,
    only_outdated: bool,
    dry_run: bool,
    on_article: Callable[[int, str], None] | None,
    timeout: float | None,
    now: datetime,
    executor: Executor | None = None,
) -> None:
    """Every stored input through `reclean_work`, here or on `executor`, applied in id order."""
    batch_started, in_batch = time.monotonic(), 0
    window: deque[tuple[dict[str, Any], Any]] = deque()
    ahead = executor.ahead if executor is not None else 0  # here, each input is applied as soon as it is cleaned

    def apply(record: dict[str, Any], done: Recleaned) -> None:
        nonlocal batch_started, in_batch
        summary.articles += 1
        article_id = int(record["id"])
        outcome = "unchanged"
        if done.reason is not None or done.article is None:
            summary.kept += 1
            summary.reasons[done.reason or "now failed"] += 1
            outcome = "kept"
        else:
            article = done.article
            differences = [name for name in RECLEANED_FIELDS if getattr(article, name) != record[name]]
            owner = archive.article_id_for_content(done.content_hash)
            if owner is not None and owner != article_id:
                summary.kept += 1
                summary.reasons[f"now the same text as article {owner}"] += 1
                outcome = "kept"
            elif differences or record["cleaner_version"] != CLEANER_VERSION:
                if differences:
                    summary.changed += 1
                    summary.changed_fields.update(differences)
                    outcome = "changed"
                else:
                    summary.unchanged += 1
                if not dry_run:
                    if not archive.conn.in_transaction:
                        archive.begin()
                    archive.save_article(
                        article,
                        done.content_hash,
                        done.source_hash,
                        record["raw"],
                        CLEANER_VERSION,
                        article_id,
                        hints=record["hints"] or None,
                        near=done.near,
                    )
                    in_batch += 1
            else:
                summary.unchanged += 1
        if on_article:
            on_article(article_id, outcome)
        if in_batch and (in_batch >= BATCH_FILES or time.monotonic() - batch_started > BATCH_SECONDS):
            archive.commit()  # in batches: an ingest waiting for the write lock gets it between two
            batch_started, in_batch = time.monotonic(), 0

    for record in archive.iter_stored_inputs(CLEANER_VERSION if only_outdated else None):
        task = RecleanTask(int(record["id"]), record["raw"], record["path"], record["hints"], now, timeout)
        window.append((record, executor.submit(task) if executor is not None else Done(reclean_work(task))))
        while window and (len(window) > ahead or window[0][1].ready()):
            head, handle = window.popleft()
            apply(head, handle.get())
    while window:
        head, handle = window.popleft()
        apply(head, handle.get())
    archive.commit()


def stored_name(key: str) -> str:
    """The name an input's kind is guessed from: a record's member name, not its container's."""
    at = key.find(KEY_SEPARATOR)
    while at >= 0:
        if container_kind(key[:at]):
            return key[at + 1 :]
        at = key.find(KEY_SEPARATOR, at + 1)
    return key


@dataclass
class ExplainedLine:
    n: int
    keep: bool
    reason: str
    text: str


def explain(raw: RawInput, now: datetime | None = None) -> list[ExplainedLine]:
    """Every non-blank line of the input as the cleaner saw it, kept or dropped, and why.

    A text dump is explained line by line by the text cleaner. An HTML page is explained on
    its visible text (one block a line): a line is kept when it is in the body trafilatura
    extracted, dropped either by trafilatura or by our furniture rules.
    """
    now = now or datetime.now()
    if raw.kind != "html":
        lines = clean_text(raw.text, now, explain=True).lines
        return [ExplainedLine(ln.n, ln.keep, ln.reason, ln.text) for ln in lines if ln.text]
    from newsarchive.clean.text import is_page_furniture

    result = clean_html(raw.text, now)
    # The whole visible text (clean_html keeps only the lines around the article for dates).
    rendered = result.rendered if result.fallback and result.rendered else clean_text(html_to_text(raw.text), now)
    if result.fallback:
        return [ExplainedLine(ln.n, ln.keep, ln.reason, ln.text) for ln in rendered.lines if ln.text]
    body = normalize_line(" ".join(result.text.split()))
    paragraphs = set(result.text.split("\n\n"))
    explained = []
    for ln in rendered.lines:
        if not ln.text:
            continue
        if ln.text == result.title:
            explained.append(ExplainedLine(ln.n, False, "headline (kept as the title)", ln.text))
        elif ln.text in paragraphs or (ln.nwords >= 5 and ln.text in body):
            explained.append(ExplainedLine(ln.n, True, "in trafilatura's extraction", ln.text))
        elif is_page_furniture(ln.text):
            explained.append(ExplainedLine(ln.n, False, "page furniture (French rules)", ln.text))
        else:
            explained.append(ExplainedLine(ln.n, False, "not in trafilatura's extraction", ln.text))
    return explained
