"""The archive: one SQLite file. This module owns every table name and every SQL string.

The file stays a plain SQLite database that other tools open as is: the full-text index is an
FTS5 table named and wired the way sqlite-utils' `enable_fts(create_triggers=True)` does it, so
`sqlite-utils search archive.db articles WORD` and Datasette work on it.
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from newsarchive.analysis import ANALYZER_VERSION, analyze
from newsarchive.model import Article
from newsarchive.query import Query, QueryError
from newsarchive.query import parse as parse_query
from newsarchive.snippets import snippet as make_snippet

APPLICATION_ID = 0x4E415243  # "NARC": marks the file as a newsarchive archive
FTS_TOKENIZER = "unicode61 remove_diacritics 2"  # case- and accent-insensitive matching

ARTICLE_FIELDS = (
    "id", "path", "url", "site", "title", "author", "published", "date_source", "lang",
    "words", "tags", "text", "kind", "encoding", "content_hash", "source_hash",
    "cleaner_version", "ingested_at", "updated_at",
)  # fmt: skip


class ArchiveError(Exception):
    """A problem with the archive file itself; the message is one sentence for the user."""

    hint: str | None = None

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class NotAnArchive(ArchiveError):
    pass


class ArchiveTooNew(ArchiveError):
    pass


class ArchiveBusy(ArchiveError):
    pass


class QuerySyntaxError(ArchiveError):
    pass


class ArticleNotFound(ArchiveError):
    pass


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


# ---------------------------------------------------------------- migrations
Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Register a schema step; each runs once, in its own transaction with the version bump."""
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_initial(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            path TEXT NOT NULL,
            url TEXT,
            site TEXT,
            title TEXT,
            author TEXT,
            published TEXT,
            date_source TEXT,
            lang TEXT,
            words INTEGER NOT NULL DEFAULT 0,
            tags TEXT NOT NULL DEFAULT '[]',
            text TEXT NOT NULL,
            kind TEXT NOT NULL,
            encoding TEXT,
            content_hash TEXT NOT NULL,
            source_hash TEXT NOT NULL,
            cleaner_version TEXT NOT NULL,
            ingested_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE UNIQUE INDEX idx_articles_content_hash ON articles (content_hash)")
    conn.execute("CREATE INDEX idx_articles_published ON articles (published)")
    conn.execute("CREATE INDEX idx_articles_site ON articles (site)")
    conn.execute("CREATE INDEX idx_articles_lang ON articles (lang)")
    conn.execute(
        """
        CREATE TABLE raw_inputs (
            article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
            compression TEXT NOT NULL,
            size INTEGER NOT NULL,
            data BLOB NOT NULL
        )"""
    )
    conn.execute(
        """
        CREATE TABLE files (
            path TEXT PRIMARY KEY,
            size INTEGER,
            mtime_ns INTEGER,
            source_hash TEXT,
            article_id INTEGER REFERENCES articles (id) ON DELETE SET NULL,
            outcome TEXT NOT NULL,
            seen_at TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX idx_files_article_id ON files (article_id)")
    conn.execute(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            status TEXT NOT NULL,
            inputs TEXT NOT NULL,
            options TEXT NOT NULL,
            new INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            unchanged INTEGER NOT NULL DEFAULT 0,
            duplicate INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0
        )"""
    )
    conn.execute(
        """
        CREATE TABLE problems (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs (id),
            path TEXT NOT NULL,
            outcome TEXT NOT NULL,
            reason TEXT NOT NULL,
            at TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX idx_problems_run_id ON problems (run_id)")
    # The full-text index, exactly as sqlite-utils' enable_fts(create_triggers=True) builds it.
    conn.execute(
        f"""
        CREATE VIRTUAL TABLE [articles_fts] USING FTS5 (
            [title], [text],
            tokenize='{FTS_TOKENIZER}',
            content=[articles]
        )"""
    )
    # Triggers one by one with execute(): executescript() would commit half a migration.
    for sql in (
        """CREATE TRIGGER [articles_ai] AFTER INSERT ON [articles] BEGIN
             INSERT INTO [articles_fts] (rowid, [title], [text]) VALUES (new.rowid, new.[title], new.[text]);
           END""",
        """CREATE TRIGGER [articles_ad] AFTER DELETE ON [articles] BEGIN
             INSERT INTO [articles_fts] ([articles_fts], rowid, [title], [text])
               VALUES('delete', old.rowid, old.[title], old.[text]);
           END""",
        """CREATE TRIGGER [articles_au] AFTER UPDATE ON [articles] BEGIN
             INSERT INTO [articles_fts] ([articles_fts], rowid, [title], [text])
               VALUES('delete', old.rowid, old.[title], old.[text]);
             INSERT INTO [articles_fts] (rowid, [title], [text]) VALUES (new.rowid, new.[title], new.[text]);
           END""",
    ):
        conn.execute(sql)


@migration
def m002_search_index(conn: sqlite3.Connection) -> None:
    """The French search index: stemmed, stop words out, no copy of the text (contentless)."""
    conn.execute(
        """CREATE VIRTUAL TABLE search_index USING fts5 (
             title, text, content='', tokenize='unicode61 remove_diacritics 0', prefix='2 3'
           )"""
    )
    conn.execute("CREATE VIRTUAL TABLE search_terms USING fts5vocab(search_index, 'row')")
    conn.execute("CREATE TABLE search_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    conn.execute("CREATE TABLE search_cache (term TEXT PRIMARY KEY, generation INTEGER NOT NULL, hits TEXT NOT NULL)")
    _fill_search_index(conn)


def _fill_search_index(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO search_index (search_index) VALUES ('delete-all')")
    rows = conn.execute("SELECT id, title, text FROM articles")
    conn.executemany(
        "INSERT INTO search_index (rowid, title, text) VALUES (?, ?, ?)",
        ((i, analyze(title or ""), analyze(text or "")) for i, title, text in rows.fetchall()),
    )
    conn.execute(
        "INSERT OR REPLACE INTO search_state (key, value) VALUES ('analyzer', ?), ('generation', 0), "
        "('documents', (SELECT count(*) FROM articles))",
        (ANALYZER_VERSION,),
    )
    conn.execute("DELETE FROM search_cache")


SCHEMA_VERSION = len(MIGRATIONS)


# ---------------------------------------------------------------- queries
@dataclass
class Filters:
    """The filters shared by list, search and export."""

    since: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD, inclusive
    until: str | None = None  # inclusive
    lang: str | None = None
    site: str | None = None

    def where(self, table: str = "articles") -> tuple[list[str], dict[str, Any]]:
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if self.since:
            clauses.append(f"{table}.published >= :since")
            params["since"] = _check_partial_date(self.since)
        if self.until:
            clauses.append(f"{table}.published < :until")
            params["until"] = _after(_check_partial_date(self.until))
        if self.lang:
            clauses.append(f"{table}.lang = :lang")
            params["lang"] = self.lang.lower()
        if self.site:
            # a site's name ("Le Monde") or its host, with or without a subdomain ("lemonde.fr")
            clauses.append(
                f"({table}.site = :site COLLATE NOCASE OR {table}.url LIKE :site_host"
                f" OR {table}.url LIKE :site_subdomain)"
            )
            params["site"] = self.site
            params["site_host"] = f"%://{self.site}/%"
            params["site_subdomain"] = f"%://%.{self.site}/%"
        return clauses, params


_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _check_partial_date(value: str) -> str:
    value = value.strip()
    if not _PARTIAL_DATE.match(value):
        raise ArchiveError(f"{value!r} is not a date.", hint="Use YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2024-03.")
    try:
        date.fromisoformat((value + "-01-01")[:10])
    except ValueError:
        raise ArchiveError(f"{value!r} is not a valid date.", hint="Use YYYY, YYYY-MM or YYYY-MM-DD.") from None
    return value


def _after(value: str) -> str:
    """The first ISO string past every date inside `value` (a year, month or day)."""
    parts = value.split("-")
    if len(parts) == 1:
        return str(int(parts[0]) + 1)
    if len(parts) == 2:
        y, m = int(parts[0]), int(parts[1])
        return f"{y + 1}-01" if m == 12 else f"{y}-{m + 1:02d}"
    return value + "\uffff"  # every time of that day sorts before this


SORTS = {
    "newest": "articles.published IS NULL, articles.published DESC, articles.id DESC",
    "oldest": "articles.published IS NULL, articles.published ASC, articles.id ASC",
    "title": "articles.title IS NULL, articles.title COLLATE NOCASE, articles.id",
    "words": "articles.words DESC, articles.id",
    "ingested": "articles.id DESC",
    "id": "articles.id",
}
TOP_CACHE_SIZE = 200  # hits kept for a very common term
COMMON_SHARE = 0.2  # a term in this share of the articles or more is "very common"
SIMILAR_TERMS = 15  # distinctive terms an article is compared by


def _no_filters(filters: Filters | None) -> bool:
    return filters is None or not any((filters.since, filters.until, filters.lang, filters.site))


class Archive:
    def __init__(self, path: str | os.PathLike[str], create: bool = True) -> None:
        self.path = Path(path)
        _refuse_foreign_file(self.path, create)
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        except sqlite3.Error as exc:
            raise ArchiveError(f"cannot open {self.path}: {exc}.") from None
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
            self._check_search_index()
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")  # readers work while an ingest writes
        except sqlite3.DatabaseError as exc:
            conn.close()
            if "locked" in str(exc) or "busy" in str(exc):
                raise ArchiveBusy(f"{self.path} is busy: another newsarchive is writing to it.") from None
            raise NotAnArchive(f"{self.path} is not a newsarchive archive ({exc}).") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ schema
    def _migrate(self) -> None:
        conn = self.conn
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if version == 0:
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise NotAnArchive(
                    f"{self.path} is an SQLite database, but not a newsarchive archive; it was left untouched.",
                    hint="Choose another file with --db.",
                )
        elif app_id != APPLICATION_ID:
            raise NotAnArchive(f"{self.path} is an SQLite database, but not a newsarchive archive.")
        if version > SCHEMA_VERSION:
            raise ArchiveTooNew(
                f"{self.path} was made by a newer newsarchive (schema {version}, this one knows {SCHEMA_VERSION}).",
                hint="Upgrade newsarchive to use this archive.",
            )
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                if current >= number:  # another process migrated while we waited for the lock
                    continue
                step(conn)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {number}")

    def _check_search_index(self) -> None:
        """Rebuild the search index when this version analyses text differently."""
        row = self.conn.execute("SELECT value FROM search_state WHERE key = 'analyzer'").fetchone()
        if row is None or row[0] != ANALYZER_VERSION:
            self.reindex()

    def reindex(self) -> int:
        """Build the search index again from the articles (after another tool changed them)."""
        with self.transaction():
            _fill_search_index(self.conn)
        return self.count()

    def _index(self, article_id: int, title: str | None, text: str, delete: bool = False) -> None:
        if delete:
            self.conn.execute(
                "INSERT INTO search_index (search_index, rowid, title, text) VALUES ('delete', ?, ?, ?)",
                (article_id, analyze(title or ""), analyze(text)),
            )
        else:
            self.conn.execute(
                "INSERT INTO search_index (rowid, title, text) VALUES (?, ?, ?)",
                (article_id, analyze(title or ""), analyze(text)),
            )
        self.conn.execute("UPDATE search_state SET value = value + 1 WHERE key = 'generation'")
        self.conn.execute("UPDATE search_state SET value = value + ? WHERE key = 'documents'", (-1 if delete else 1,))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; nested calls join the outer one."""
        if self.conn.in_transaction:
            yield
            return
        self.begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        else:
            self.commit()

    def begin(self) -> None:
        """Take the write lock, waiting for another writer up to the busy timeout."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise ArchiveBusy(
                f"{self.path} is busy: another newsarchive is writing to it ({exc}).",
                hint="Wait for the other ingest to finish, then run this again.",
            ) from None

    def commit(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    # ------------------------------------------------------------ ingest side
    def file_state(self, path: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT path, size, mtime_ns, source_hash, article_id, outcome FROM files WHERE path = ?",
            (path,),
        ).fetchone()
        if row is None:
            return None
        return dict(zip(("path", "size", "mtime_ns", "source_hash", "article_id", "outcome"), row, strict=True))

    def record_file(
        self,
        path: str,
        size: int | None,
        mtime_ns: int | None,
        source_hash: str | None,
        article_id: int | None,
        outcome: str,
    ) -> None:
        self.conn.execute(
            """INSERT INTO files (path, size, mtime_ns, source_hash, article_id, outcome, seen_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                 source_hash = excluded.source_hash, article_id = excluded.article_id,
                 outcome = excluded.outcome, seen_at = excluded.seen_at""",
            (path, size, mtime_ns, source_hash, article_id, outcome, now_iso()),
        )

    def article_id_for_content(self, content_hash: str) -> int | None:
        row = self.conn.execute("SELECT id FROM articles WHERE content_hash = ?", (content_hash,)).fetchone()
        return int(row[0]) if row else None

    def article_exists(self, article_id: int) -> bool:
        return self.conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is not None

    def save_article(
        self,
        article: Article,
        content_hash: str,
        source_hash: str,
        raw: bytes,
        cleaner_version: str,
        article_id: int | None = None,
    ) -> int:
        """Insert a new article, or replace the fields of `article_id` in place (same id)."""
        stamp = now_iso()
        values = {
            "path": article.path,
            "url": article.url,
            "site": article.site,
            "title": article.title,
            "author": article.author,
            "published": article.published,
            "date_source": article.date_source,
            "lang": article.lang,
            "words": article.words,
            "tags": json.dumps(article.tags, ensure_ascii=False),
            "text": article.text,
            "kind": article.kind,
            "encoding": article.encoding,
            "content_hash": content_hash,
            "source_hash": source_hash,
            "cleaner_version": cleaner_version,
            "updated_at": stamp,
        }
        with self.transaction():
            if article_id is None:
                values["ingested_at"] = stamp
                columns = ", ".join(values)
                marks = ", ".join(f":{k}" for k in values)
                cursor = self.conn.execute(f"INSERT INTO articles ({columns}) VALUES ({marks})", values)
                article_id = int(cursor.lastrowid or 0)
                self._index(article_id, article.title, article.text)
            else:
                old_title, old_text = self.conn.execute(
                    "SELECT title, text FROM articles WHERE id = ?", (article_id,)
                ).fetchone()
                sets = ", ".join(f"{k} = :{k}" for k in values)
                self.conn.execute(f"UPDATE articles SET {sets} WHERE id = :id", {**values, "id": article_id})
                if (old_title, old_text) != (article.title, article.text):
                    self._index(article_id, old_title, old_text, delete=True)
                    self._index(article_id, article.title, article.text)
            self.conn.execute(
                """INSERT INTO raw_inputs (article_id, compression, size, data) VALUES (?, 'zlib', ?, ?)
                   ON CONFLICT (article_id) DO UPDATE SET compression = excluded.compression,
                     size = excluded.size, data = excluded.data""",
                (article_id, len(raw), zlib.compress(raw, 6)),
            )
        return article_id

    def delete_article(self, article_id: int) -> None:
        with self.transaction():
            row = self.conn.execute("SELECT title, text FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row is None:
                return
            self.conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
            self._index(article_id, row[0], row[1], delete=True)

    def start_run(self, inputs: list[str], options: dict[str, Any]) -> int:
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT INTO runs (started_at, status, inputs, options) VALUES (?, 'running', ?, ?)",
                (now_iso(), json.dumps(inputs, ensure_ascii=False), json.dumps(options, ensure_ascii=False)),
            )
        return int(cursor.lastrowid or 0)

    def record_problem(self, run_id: int, path: str, outcome: str, reason: str) -> None:
        self.conn.execute(
            "INSERT INTO problems (run_id, path, outcome, reason, at) VALUES (?, ?, ?, ?, ?)",
            (run_id, path, outcome, reason, now_iso()),
        )

    def finish_run(self, run_id: int, counts: dict[str, int], status: str) -> None:
        with self.transaction():
            self.conn.execute(
                """UPDATE runs SET ended_at = :ended_at, status = :status, new = :new,
                     updated = :updated, unchanged = :unchanged, duplicate = :duplicate,
                     skipped = :skipped, failed = :failed WHERE id = :id""",
                {"ended_at": now_iso(), "status": status, "id": run_id, **counts},
            )

    def runs(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM runs ORDER BY id")

    def problems(self, run_id: int | None = None) -> list[dict[str, Any]]:
        if run_id is None:
            return self._rows("SELECT * FROM problems ORDER BY id")
        return self._rows("SELECT * FROM problems WHERE run_id = ? ORDER BY id", (run_id,))

    # ------------------------------------------------------------ reading
    def _rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _article(self, row: dict[str, Any]) -> dict[str, Any]:
        row["tags"] = json.loads(row["tags"]) if row.get("tags") else []
        return row

    def count(self, filters: Filters | None = None) -> int:
        clauses, params = (filters or Filters()).where()
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return int(self.conn.execute(f"SELECT count(*) FROM articles {where}", params).fetchone()[0])

    def list_articles(
        self,
        filters: Filters | None = None,
        sort: str = "newest",
        limit: int | None = 20,
        offset: int = 0,
        with_text: bool = False,
    ) -> list[dict[str, Any]]:
        return list(self.iter_articles(filters, sort, limit, offset, with_text))

    def iter_articles(
        self,
        filters: Filters | None = None,
        sort: str = "newest",
        limit: int | None = None,
        offset: int = 0,
        with_text: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """Articles in order, streamed (an export of a million articles never sits in memory)."""
        clauses, params = (filters or Filters()).where()
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        columns = ", ".join(f"articles.{f}" for f in ARTICLE_FIELDS if with_text or f != "text")
        sql = f"SELECT {columns} FROM articles {where} ORDER BY {SORTS[sort]} LIMIT :limit OFFSET :offset"
        params.update(limit=-1 if limit is None else limit, offset=offset)
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        for row in cursor:
            yield self._article(dict(zip(names, row, strict=True)))

    def search(
        self,
        query: str,
        filters: Filters | None = None,
        limit: int | None = 20,
        offset: int = 0,
        sort: str = "relevance",
        with_text: bool = False,
    ) -> list[dict[str, Any]]:
        return list(self.iter_search(query, filters, limit, offset, sort, with_text))

    def _parse(self, query: str) -> Query:
        try:
            return parse_query(query)
        except QueryError as exc:
            raise QuerySyntaxError(
                f"{exc}.", hint='Search words, "a phrase", a OR b, -word, prefix*, title:word, author:name.'
            ) from None

    def _search_sql(
        self, parsed: Query, filters: Filters | None, select: str, order: str | None, paged: bool
    ) -> tuple[str, dict[str, Any]]:
        clauses, params = (filters or Filters()).where()
        for n, name in enumerate(parsed.authors):
            clauses.append(f"articles.author LIKE :author{n}")
            params[f"author{n}"] = f"%{name}%"
        if parsed.fts:
            source = "search_index JOIN articles ON articles.id = search_index.rowid"
            clauses.insert(0, "search_index MATCH :fts")
            params["fts"] = parsed.fts
        else:
            source = "articles"
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {select} FROM {source} {where}"
        if order:
            sql += f" ORDER BY {order}"
        if paged:
            sql += " LIMIT :limit OFFSET :offset"
        return sql, params

    def iter_search(
        self,
        query: str,
        filters: Filters | None = None,
        limit: int | None = 20,
        offset: int = 0,
        sort: str = "relevance",
        with_text: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Ranked hits (bm25 over the stemmed index, title weighted 5 to 1), each with a snippet.

        A one-word query on a word found in a large share of the archive is answered from a
        cached top list (kept until the next write), since ranking every matching row is what
        costs there.
        """
        parsed = self._parse(query)
        columns = ", ".join(f"articles.{f}" for f in ARTICLE_FIELDS)
        relevance = sort == "relevance" and bool(parsed.fts)
        if relevance:
            select = f"{columns}, bm25(search_index, 5.0, 1.0) AS score"
            order = "score"
        else:
            select = f"{columns}, NULL AS score"
            order = SORTS.get(sort, SORTS["newest"])
        rows: Iterator[dict[str, Any]] | None = None
        if relevance and parsed.single_term and not parsed.authors and _no_filters(filters):
            rows = self._cached_top(parsed, columns, limit, offset)
        if rows is None and relevance and limit is not None:
            rows = self._ranked_page(parsed, filters, columns, limit, offset)
        if rows is None:
            sql, params = self._search_sql(parsed, filters, select, order, paged=True)
            params.update(limit=-1 if limit is None else limit, offset=offset)
            rows = self._stream(sql, params)
        for row in rows:
            row["snippet"] = make_snippet(row["text"] or "", parsed.highlight, parsed.prefixes)
            if not with_text:
                row.pop("text", None)
            yield row

    def _ranked_page(
        self, parsed: Query, filters: Filters | None, columns: str, limit: int, offset: int
    ) -> Iterator[dict[str, Any]]:
        """One page of ranked hits: rank ids and scores first, then read only those articles.

        Selecting every column while ranking would read the text of every matching article.
        """
        sql, params = self._search_sql(
            parsed, filters, "articles.id, bm25(search_index, 5.0, 1.0) AS score", "score", paged=True
        )
        if _no_filters(filters) and not parsed.authors:  # the index alone can rank: no join at all
            sql = (
                "SELECT rowid, bm25(search_index, 5.0, 1.0) AS score FROM search_index "
                "WHERE search_index MATCH :fts ORDER BY score LIMIT :limit OFFSET :offset"
            )
        params.update(limit=limit, offset=offset)
        page = None
        if not _no_filters(filters) and not parsed.authors:
            page = self._filtered_top(parsed, filters, limit, offset)
        if page is None:
            page = self.conn.execute(sql, params).fetchall()
        return self._articles_in_order(columns, page)

    def _articles_in_order(self, columns: str, page: list[tuple[int, float]]) -> Iterator[dict[str, Any]]:
        """The articles of a ranked page of (id, score), in that order, each with its score."""
        if not page:
            return iter(())
        marks = ", ".join("?" for _ in page)
        found = {
            r["id"]: r
            for r in self._stream(f"SELECT {columns} FROM articles WHERE id IN ({marks})", [i for i, _ in page])
        }
        return iter([{**found[i], "score": score} for i, score in page if i in found])

    def _filtered_top(
        self, parsed: Query, filters: Filters | None, limit: int, offset: int
    ) -> list[tuple[int, float]] | None:
        """A filtered page from the index's own top hits, when they hold enough that pass.

        The best K hits are ranked by the index alone, then the filter is checked on those K
        articles only. When at least offset + limit of them pass, they are exactly the page a
        join of every match would give (any other passing hit ranks below all K); otherwise
        None, and the caller joins every match.
        """
        wanted = offset + limit
        k = max(200, 10 * wanted)
        top = self.conn.execute(
            "SELECT rowid, bm25(search_index, 5.0, 1.0) AS score FROM search_index "
            "WHERE search_index MATCH :fts ORDER BY score LIMIT :k",
            {"fts": parsed.fts, "k": k},
        ).fetchall()
        if not top:
            return []
        clauses, params = (filters or Filters()).where()
        marks = ", ".join(f":id{n}" for n in range(len(top)))
        params.update({f"id{n}": article_id for n, (article_id, _) in enumerate(top)})
        passing = {
            r[0]
            for r in self.conn.execute(
                f"SELECT id FROM articles WHERE id IN ({marks}) AND {' AND '.join(clauses)}", params
            )
        }
        ranked = [(i, score) for i, score in top if i in passing]
        if len(ranked) < wanted and len(top) == k:
            return None  # too few pass among the best K: rank every match that passes
        return ranked[offset:wanted]

    def _stream(self, sql: str, params: dict[str, Any] | list[Any]) -> Iterator[dict[str, Any]]:
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchmany(200)
        while rows:
            for row in rows:
                yield self._article(dict(zip(names, row, strict=True)))
            rows = cursor.fetchmany(200)

    def _cached_top(
        self, parsed: Query, columns: str, limit: int | None, offset: int
    ) -> Iterator[dict[str, Any]] | None:
        """The top hits of a very common term, from the cache; None when the query is not one."""
        wanted = (limit if limit is not None else 10**9) + offset
        if wanted > TOP_CACHE_SIZE:
            return None
        term = parsed.single_term.strip('"') if parsed.single_term else ""
        row = self.conn.execute("SELECT doc FROM search_terms WHERE term = ?", (term,)).fetchone()
        total = self._indexed_documents()
        if row is None or total == 0 or row[0] < COMMON_SHARE * total:
            return None
        generation = self.conn.execute("SELECT value FROM search_state WHERE key = 'generation'").fetchone()[0]
        cached = self.conn.execute(
            "SELECT hits FROM search_cache WHERE term = ? AND generation = ?", (term, generation)
        ).fetchone()
        if cached is None:
            top = self.conn.execute(
                "SELECT rowid, bm25(search_index, 5.0, 1.0) AS score FROM search_index "
                "WHERE search_index MATCH :fts ORDER BY score LIMIT :n",
                {"fts": parsed.fts, "n": TOP_CACHE_SIZE},
            ).fetchall()
            hits = [[int(r[0]), float(r[1])] for r in top]
            self.conn.execute(
                "INSERT OR REPLACE INTO search_cache (term, generation, hits) VALUES (?, ?, ?)",
                (term, generation, json.dumps(hits)),
            )
        else:
            hits = json.loads(cached[0])
        page = hits[offset : offset + (limit if limit is not None else len(hits))]
        return self._articles_in_order(columns, [(int(i), float(score)) for i, score in page])

    def _indexed_documents(self) -> int:
        """How many articles the search index holds, kept by every write (count(*) scans a table)."""
        row = self.conn.execute("SELECT value FROM search_state WHERE key = 'documents'").fetchone()
        return int(row[0]) if row else self.count()

    def warm_search_cache(self) -> int:
        """Rank the very common terms now (after an ingest), so no search waits for it later."""
        total = self._indexed_documents()
        if not total:
            return 0
        common = [
            t for (t,) in self.conn.execute("SELECT term FROM search_terms WHERE doc >= ?", (COMMON_SHARE * total,))
        ]
        for term in common:
            for _ in self._cached_top(Query(f'"{term}"', {term}, set(), single_term=f'"{term}"'), "id", 1, 0) or ():
                pass
        return len(common)

    def count_search(self, query: str, filters: Filters | None = None) -> int:
        parsed = self._parse(query)
        sql, params = self._search_sql(parsed, filters, "count(*)", None, paged=False)
        return int(self.conn.execute(sql, params).fetchone()[0])

    def similar(
        self, article_id: int, filters: Filters | None = None, limit: int | None = 20, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Articles that share the most distinctive terms of an article (for following a story)."""
        source = self.get(article_id)
        counts: dict[str, int] = {}
        for term in analyze(f"{source.get('title') or ''} {source['text']}").split():
            counts[term] = counts.get(term, 0) + 1
        if not counts:
            return []
        total = max(self._indexed_documents(), 1)
        marks = ", ".join("?" for _ in counts)
        docs = dict(self.conn.execute(f"SELECT term, doc FROM search_terms WHERE term IN ({marks})", list(counts)))
        weighted = sorted((tf * math.log(total / docs[t]), t) for t, tf in counts.items() if 1 < docs.get(t, 0) < total)
        chosen = [t for _, t in weighted[-SIMILAR_TERMS:]]
        if not chosen:
            return []
        parsed = Query(" OR ".join(f'"{t}"' for t in chosen), set(chosen), set())
        clauses_filters = filters or Filters()
        select = ", ".join(f"articles.{f}" for f in ARTICLE_FIELDS) + ", bm25(search_index, 5.0, 1.0) AS score"
        sql, params = self._search_sql(parsed, clauses_filters, select, None, paged=False)
        sql += " AND articles.id != :source ORDER BY score LIMIT :limit OFFSET :offset"
        params.update(source=article_id, limit=-1 if limit is None else limit, offset=offset)
        rows = list(self._stream(sql, params))
        for row in rows:
            row["snippet"] = make_snippet(row["text"] or "", parsed.highlight, set())
            row.pop("text", None)
        return rows

    def get(self, article_id: int) -> dict[str, Any]:
        rows = self._rows(f"SELECT {', '.join(ARTICLE_FIELDS)} FROM articles WHERE id = ?", (article_id,))
        if not rows:
            raise ArticleNotFound(
                f"there is no article {article_id} in {self.path}.",
                hint="`newsarchive list` shows the ids.",
            )
        return self._article(rows[0])

    def raw(self, article_id: int) -> bytes:
        row = self.conn.execute(
            "SELECT compression, data FROM raw_inputs WHERE article_id = ?", (article_id,)
        ).fetchone()
        if row is None:
            raise ArticleNotFound(f"there is no stored input for article {article_id}.")
        compression, data = row
        return zlib.decompress(data) if compression == "zlib" else bytes(data)

    def iter_stored_inputs(self, only_outdated: str | None = None) -> Iterator[dict[str, Any]]:
        """Every article with what a re-clean needs: its stored input and current fields.

        With `only_outdated`, only the articles made by another cleaner version than that one.
        """
        where = "WHERE articles.cleaner_version != :version" if only_outdated else ""
        columns = ", ".join(f"articles.{f}" for f in ARTICLE_FIELDS)
        cursor = self.conn.execute(
            f"""SELECT {columns}, raw_inputs.compression, raw_inputs.data FROM articles
                JOIN raw_inputs ON raw_inputs.article_id = articles.id {where} ORDER BY articles.id""",
            {"version": only_outdated},
        )
        names = [d[0] for d in cursor.description]
        for row in cursor:
            record = self._article(dict(zip(names, row, strict=True)))
            data = record.pop("data")
            record["raw"] = zlib.decompress(data) if record.pop("compression") == "zlib" else bytes(data)
            yield record

    def duplicates_of(self, article_id: int) -> list[str]:
        rows = self.conn.execute(
            "SELECT path FROM files WHERE article_id = ? AND outcome = 'duplicate' ORDER BY path",
            (article_id,),
        )
        return [r[0] for r in rows]

    def stats(self) -> dict[str, Any]:
        one = self.conn.execute
        total = one("SELECT count(*) FROM articles").fetchone()[0]
        return {
            "articles": total,
            "words": one("SELECT coalesce(sum(words), 0) FROM articles").fetchone()[0],
            "undated": one("SELECT count(*) FROM articles WHERE published IS NULL").fetchone()[0],
            "languages": dict(
                one("SELECT coalesce(lang, 'unknown'), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
            ),
            "sites": dict(
                one(
                    """SELECT coalesce(site, 'unknown'), count(*) FROM articles
                       GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"""
                ).fetchall()
            ),
            "months": dict(
                one(
                    """SELECT substr(published, 1, 7), count(*) FROM articles
                       WHERE published IS NOT NULL GROUP BY 1 ORDER BY 1"""
                ).fetchall()
            ),
            "runs": one("SELECT count(*) FROM runs").fetchone()[0],
            "size_bytes": self.size_on_disk(),
        }

    def size_on_disk(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            with suppress(OSError):
                total += os.path.getsize(f"{self.path}{suffix}")
        return total


def _refuse_foreign_file(path: Path, create: bool) -> None:
    """Never open (and so never modify) a file that is not an SQLite database."""
    if path.exists():
        if path.is_dir():
            raise NotAnArchive(f"{path} is a folder, not an archive file.", hint="Give a file name with --db.")
        try:
            with open(path, "rb") as fh:
                header = fh.read(16)
        except OSError as exc:
            raise ArchiveError(f"cannot read {path}: {exc.strerror or exc}.") from None
        if header and header != b"SQLite format 3\x00":
            raise NotAnArchive(
                f"{path} is not a newsarchive archive (not an SQLite file); it was left untouched.",
                hint="Choose another file with --db.",
            )
    elif not create:
        raise ArchiveError(
            f"there is no archive at {path}.",
            hint="Create one with `newsarchive ingest FOLDER`, or point --db (or NEWSARCHIVE_DB) at yours.",
        )
