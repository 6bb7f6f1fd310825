"""The ranked search index: a tantivy index in a folder beside the archive.

FTS5 ranks every row that matches before it can return the best twenty, so a common word or a
short prefix costs in proportion to the archive; tantivy's top-k search skips blocks that cannot
enter the top (docs/search.md has both measured). The archive stays the one source of truth:
this index holds analysed terms and the fields the filters need, never the text, and can always
be rebuilt from the archive. Which archive writes it has applied is recorded in a marker file
written after each commit (see Archive.sync_search for the protocol).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy

from newsarchive.analysis import analyze
from newsarchive.model import INDEX_MARKER, Article
from newsarchive.query import Query, Term

INDEX_FORMAT = 1  # bump when the fields below change: the index is then rebuilt
MARKER = INDEX_MARKER
TITLE_BOOST = 5.0  # a match in the title counts five times a match in the body
PREFIX_SCORED_TERMS = 64  # a prefix is ranked by its most frequent completions
WRITER_HEAP = 64_000_000  # bytes the writer buffers before it flushes a segment
FIELDS = ("title", "text")


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """An exclusive lock between processes (POSIX advisory; released if the process dies)."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock, as before
        yield
        return
    with open(lock, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


LOCK_NAME = ".newsarchive.lock"


class IndexBusy(Exception):
    """Another process holds the index writer."""


@dataclass
class IndexFilters:
    """The filters the index can apply itself (dates as YYYYMMDD numbers, language)."""

    first_day: int | None = None
    last_day: int | None = None  # inclusive
    lang: str | None = None


def day_number(published: str | None) -> int | None:
    """`2024-03-05...` -> 20240305; a month or a year alone -> 20240300 / 20240000."""
    if not published:
        return None
    digits = published[:10].replace("-", "")
    if not digits.isdigit() or len(digits) not in (4, 6, 8):
        return None
    return int(digits.ljust(8, "0"))


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", indexed=True, fast=True)
    for name in FIELDS:
        builder.add_text_field(name, tokenizer_name="analysed")
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_integer_field("recency", fast=True)  # day then id: the order of --sort date
    builder.add_text_field("lang", tokenizer_name="raw")
    return builder.build()


@dataclass(frozen=True)
class IndexDoc:
    """What the index holds of one article: its title and text analysed, its day and language."""

    id: int
    title: str  # analysed: terms separated by spaces
    text: str
    published: str | None
    lang: str | None

    @classmethod
    def of(cls, article_id: int, article: Article, analysed: tuple[str, str] | None) -> IndexDoc | None:
        """The document of an article whose title and text were analysed elsewhere (else None)."""
        if analysed is None:
            return None
        return cls(article_id, analysed[0], analysed[1], article.published, article.lang)


def analysed(title: str | None, text: str | None) -> tuple[str, str]:
    """Title and text as the index stores them (ingest workers call this, the writer then need not)."""
    return analyze(title or ""), analyze(text or "")


class IndexWriter:
    """Adds and deletes articles; usable only inside SearchIndex.writer()."""

    def __init__(self, raw: Any) -> None:
        self.raw: Any = raw

    def add(self, row: dict[str, Any]) -> None:
        title, text = analysed(row.get("title"), row.get("text"))
        self.add_prepared(IndexDoc(int(row["id"]), title, text, row.get("published"), row.get("lang")))

    def add_prepared(self, prepared: IndexDoc) -> None:
        doc = tantivy.Document()
        doc.add_integer("id", prepared.id)
        doc.add_text("title", prepared.title)
        doc.add_text("text", prepared.text)
        day = day_number(prepared.published)
        if day is not None:
            doc.add_integer("day", day)
        doc.add_integer("recency", (day or 0) * 10**10 + prepared.id)
        if prepared.lang:
            doc.add_text("lang", str(prepared.lang).lower())
        self.raw.add_document(doc)

    def delete(self, article_id: int) -> None:
        self.raw.delete_documents_by_term("id", int(article_id))

    def delete_all(self) -> None:
        self.raw.delete_all_documents()


class SearchIndex:
    """One tantivy index folder; text is analysed here, with the same analyser as queries."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.schema = _schema()
        self.read_only = read_only
        if read_only:
            # tantivy takes a lock file even to read, which a read-only file system refuses: the
            # index is searched from a copy in a temporary folder (removed when this process ends).
            self._copy = tempfile.TemporaryDirectory(prefix="newsarchive-index-")
            copy = Path(self._copy.name) / "index"
            shutil.copytree(path, copy, ignore=shutil.ignore_patterns("*.lock", LOCK_NAME))
            self.index = tantivy.Index(self.schema, path=str(copy), reuse=True)
            self.index.register_tokenizer(
                "analysed", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
            )
            self._searcher: tantivy.Searcher | None = None
            return
        if path.is_dir() and not self._ours():
            raise OSError(f"{path} exists and is not a newsarchive search index")
        path.mkdir(parents=True, exist_ok=True)
        # Inside the folder, not beside it: nothing of ours lies next to the archive but the folder.
        with _exclusive(path / LOCK_NAME):  # two processes never make or reset it at once
            marker = self.marker()
            if marker is not None and marker.get("format") != INDEX_FORMAT:
                self._wipe()  # another layout: start again, the archive has everything
            try:
                self.index = self._open()
            except ValueError:  # damaged or foreign files
                self._wipe()
                self.index = self._open()
        # Text arrives analysed (terms separated by spaces), so splitting on spaces is all.
        self.index.register_tokenizer("analysed", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
        self._searcher = None

    def _open(self) -> tantivy.Index:
        if (self.path / "meta.json").exists():
            return tantivy.Index(self.schema, path=str(self.path), reuse=True)
        self._wipe()  # an empty or half-made folder of ours
        return tantivy.Index(self.schema, path=str(self.path), reuse=False)

    def _ours(self) -> bool:
        names = set(os.listdir(self.path))
        return not names or bool(names & {"meta.json", MARKER, ".managed.json", LOCK_NAME})

    def _wipe(self) -> None:
        """Empty an index folder this program made (never anything else), keeping the held lock."""
        if not self.path.is_dir():
            return
        if not self._ours():
            raise OSError(f"{self.path} exists and is not a newsarchive search index")
        for entry in os.scandir(self.path):
            if entry.name == LOCK_NAME:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)

    # ------------------------------------------------------------ marker
    def marker(self) -> dict[str, Any] | None:
        try:
            data = json.loads((self.path / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def write_marker(self, **values: Any) -> None:
        tmp = self.path / (MARKER + ".tmp")
        tmp.write_text(json.dumps({"format": INDEX_FORMAT, **values}), encoding="utf-8")
        os.replace(tmp, self.path / MARKER)

    # ------------------------------------------------------------ writing
    @contextmanager
    def writer(self) -> Iterator[IndexWriter]:
        """The index writer (one process at a time); changes are committed when the block ends."""
        try:
            raw = self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
        except ValueError as exc:
            if "LockBusy" in str(exc):
                raise IndexBusy(str(exc)) from None
            raise
        writer = IndexWriter(raw)
        try:
            yield writer
            raw.commit()
            raw.wait_merging_threads()  # merge small segments now (this also releases the lock)
        except BaseException as exc:
            with suppress(ValueError):
                raw.rollback()  # a writer whose thread died ("was killed") cannot roll back
            if isinstance(exc, ValueError) and shutil.disk_usage(self.path).free < WRITER_HEAP:
                # tantivy's error says only that its writer thread died; the disk is why.
                raise OSError(errno.ENOSPC, "No space left on device", str(self.path)) from exc
            raise
        finally:
            writer.raw = None
            del raw  # the last reference: the lock goes with it
        self._searcher = None

    # ------------------------------------------------------------ searching
    def searcher(self) -> tantivy.Searcher:
        if self._searcher is None:
            self.index.reload()
            self._searcher = self.index.searcher()
        return self._searcher

    def documents(self) -> int:
        return int(self.searcher().num_docs)

    def compile(self, query: Query, filters: IndexFilters | None = None, exclude_id: int | None = None) -> Any:
        """The tantivy query for a parsed query: every clause must match, exclusions must not."""
        must = tantivy.Occur.Must
        parts = [(must, self._any_of([self._term(t) for t in clause])) for clause in query.clauses]
        parts += [(tantivy.Occur.MustNot, self._term(t)) for t in query.excluded]
        if exclude_id is not None:
            parts.append((tantivy.Occur.MustNot, tantivy.Query.term_query(self.schema, "id", exclude_id)))
        if filters is not None:
            if filters.first_day is not None or filters.last_day is not None:
                parts.append(
                    (
                        must,
                        tantivy.Query.range_query(
                            self.schema, "day", tantivy.FieldType.Integer, filters.first_day, filters.last_day
                        ),
                    )
                )
            langs = [code.strip().lower() for code in (filters.lang or "").split(",") if code.strip()]
            if langs:
                terms = [tantivy.Query.term_query(self.schema, "lang", code) for code in langs]
                parts.append((must, self._any_of(terms)))
        return tantivy.Query.boolean_query(parts)

    @staticmethod
    def _any_of(queries: list[Any]) -> Any:
        if len(queries) == 1:
            return queries[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])

    def _term(self, term: Term) -> Any:
        fields = ("title",) if term.title_only else FIELDS
        per_field = []
        for name in fields:
            if term.prefix:
                query = self._prefix(name, term.words[0])
            elif len(term.words) == 1:
                query = tantivy.Query.term_query(self.schema, name, term.words[0])
            else:
                query = tantivy.Query.phrase_query(self.schema, name, list(term.words))
            if name == "title" and not term.title_only:
                query = tantivy.Query.boost_query(query, TITLE_BOOST)
            per_field.append(query)
        return self._any_of(per_field)

    def _prefix(self, name: str, prefix: str) -> Any:
        """Every term with the prefix matches; the most frequent completions also rank.

        Scoring thousands of completions (a two-letter prefix) would cost what FTS5 costs, so
        the rest match at a constant score, below any article that holds a ranked completion.
        """
        matches = tantivy.Query.regex_query(self.schema, name, _regex_literal(prefix) + ".*")
        scored = self.searcher().terms_with_prefix(name, prefix, limit=PREFIX_SCORED_TERMS)
        if not scored:
            return matches
        ranked = [tantivy.Query.term_query(self.schema, name, t) for t, _ in scored]
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, tantivy.Query.const_score_query(matches, 0.0))]
            + [(tantivy.Occur.Should, q) for q in ranked]
        )

    def top(self, query: Any, limit: int, offset: int = 0, by_date: bool = False) -> list[tuple[int, float]]:
        """(article id, score) of the best hits; by_date: newest first (score is then 0)."""
        searcher = self.searcher()
        limit = min(limit, int(searcher.num_docs) - offset)  # tantivy allocates what it is asked for
        if limit <= 0:
            return []
        if by_date:
            result = searcher.search(query, limit, count=False, order_by_field="recency", offset=offset)
            hits = [(0.0, address) for _, address in result.hits]
        else:
            result = searcher.search(query, limit, count=False, offset=offset)
            hits = [(float(score), address) for score, address in result.hits]
        if not hits:
            return []
        ids = searcher.fast_field_values("id", [address for _, address in hits])
        return [(int(i or 0), score) for i, (score, _) in zip(ids, hits, strict=True)]

    def count(self, query: Any) -> int:
        result: Any = self.searcher().search(query, 1, count=True)
        return int(result.count)

    def doc_freqs(self, words: Iterable[str]) -> dict[str, int]:
        searcher = self.searcher()
        return {w: int(searcher.doc_freq("text", w)) for w in words}


def _regex_literal(prefix: str) -> str:
    return "".join(c if c.isalnum() else "\\" + c for c in prefix)
