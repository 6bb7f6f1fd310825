"""The archive: one SQLite file. This module owns every table name and every SQL string.

The file stays a plain SQLite database that other tools open as is: the full-text index is an
FTS5 table named and wired the way sqlite-utils' `enable_fts(create_triggers=True)` does it, so
`sqlite-utils search archive.db articles WORD` and Datasette work on it.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import secrets
import sqlite3
import urllib.parse
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from newsarchive import neardup
from newsarchive.analysis import ANALYZER_VERSION, analyze
from newsarchive.index import IndexBusy, IndexDoc, IndexFilters, SearchIndex, day_number
from newsarchive.inputs import special_kind
from newsarchive.model import Article
from newsarchive.query import Query, QueryError, Term
from newsarchive.query import parse as parse_query
from newsarchive.snippets import mark as mark_matches
from newsarchive.snippets import snippet as make_snippet

APPLICATION_ID = 0x4E415243  # "NARC": marks the file as a newsarchive archive
FTS_TOKENIZER = "unicode61 remove_diacritics 2"  # case- and accent-insensitive matching

ARTICLE_FIELDS = (
    "id", "path", "url", "site", "title", "author", "published", "date_source", "fetched", "lang",
    "words", "tags", "text", "kind", "encoding", "content_hash", "source_hash",
    "cleaner_version", "ingested_at", "updated_at", "run_id", "cluster_id",
)  # fmt: skip


STORED_PAGE = 100  # stored inputs read at a time by reclean
NEAR_CANDIDATES = 32  # stored articles a new one is compared with, at most (those sharing an LSH band)

DELETE_HINT = "Give article ids, or filters such as --site, --source-prefix PATH or --run N (see --help)."


class ArchiveError(Exception):
    """A problem with the archive file itself; the message is one sentence for the user."""

    hint: str | None = None

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class NotAnArchive(ArchiveError):
    pass


class DiskFull(ArchiveError):
    pass


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC, or SQLite's own words for it."""
    return getattr(exc, "errno", None) == errno.ENOSPC or "database or disk is full" in str(exc).lower()


class ArchiveTooNew(ArchiveError):
    pass


class ArchiveBusy(ArchiveError):
    pass


class QuerySyntaxError(ArchiveError):
    pass


class ArticleNotFound(ArchiveError):
    pass


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


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
    """A stemmed FTS5 copy of the text (replaced by m003: its tables are made, then dropped)."""
    conn.execute(
        """CREATE VIRTUAL TABLE search_index USING fts5 (
             title, text, content='', tokenize='unicode61 remove_diacritics 0', prefix='2 3'
           )"""
    )
    conn.execute("CREATE VIRTUAL TABLE search_terms USING fts5vocab(search_index, 'row')")
    conn.execute("CREATE TABLE search_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    conn.execute("CREATE TABLE search_cache (term TEXT PRIMARY KEY, generation INTEGER NOT NULL, hits TEXT NOT NULL)")


@migration
def m003_search_outbox(conn: sqlite3.Connection) -> None:
    """The ranked index moves to a tantivy folder beside the archive, fed from an outbox.

    Every write appends the article's id to `search_outbox` in its own transaction, so a crash
    can never leave a write the index will not hear about. `epoch` names this archive, so an
    index folder left beside another (or a restored) archive is recognised and rebuilt.
    """
    for table in ("search_terms", "search_index", "search_cache"):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute("DELETE FROM search_state")
    conn.execute("INSERT INTO search_state (key, value) VALUES ('epoch', ?)", (secrets.randbits(62),))
    conn.execute("CREATE TABLE search_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, article_id INTEGER NOT NULL)")


@migration
def m004_no_sqlite_fts(conn: sqlite3.Connection) -> None:
    """The FTS5 table other tools searched (`articles_fts` and its three triggers) goes.

    Nothing in newsarchive reads it since the search moved to its own index, yet it cost every
    stored article about 1 ms of the single writer's time (tokenizing the text in a trigger,
    row by row) and a third of the archive's size. Whoever wants it back for Datasette or
    `sqlite-utils search` runs `sqlite-utils enable-fts ... --create-triggers` (docs/archive.md):
    every write path then keeps it in step, as before.
    """
    for trigger in ("articles_ai", "articles_ad", "articles_au"):
        conn.execute(f"DROP TRIGGER IF EXISTS [{trigger}]")
    conn.execute("DROP TABLE IF EXISTS [articles_fts]")


@migration
def m005_article_run(conn: sqlite3.Connection) -> None:
    """Each article remembers the ingest run that first stored it, so `delete --run N` can take
    back what a wrong ingest brought in (NULL for articles stored before this step)."""
    conn.execute("ALTER TABLE articles ADD COLUMN run_id INTEGER REFERENCES runs (id)")
    conn.execute("CREATE INDEX idx_articles_run_id ON articles (run_id)")


@migration
def m006_records(conn: sqlite3.Connection) -> None:
    """Articles from containers (WARC, JSON lines, tar, zip): the crawl time a WARC gives (never a
    publication date), and what the container said of each record, kept beside its raw input so
    `reclean` reads the record as the ingest did (its URL, HTTP charset, a scraper's title)."""
    conn.execute("ALTER TABLE articles ADD COLUMN fetched TEXT")
    conn.execute("ALTER TABLE raw_inputs ADD COLUMN hints TEXT")


@migration
def m007_near_duplicates(conn: sqlite3.Connection) -> None:
    """Near-copies (the same wire story in many outlets): each article's MinHash signature, its
    LSH band keys (a new article meets only the stored ones sharing a key), and its cluster: the
    id of the cluster's first article. Articles stored before this step have no signature and
    a cluster of their own until `reclean` (newsarchive.neardup)."""
    conn.execute(
        """CREATE TABLE near_signatures (
            article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
            signature BLOB NOT NULL
        )"""
    )
    conn.execute(
        "CREATE TABLE near_bands (key INTEGER NOT NULL, article_id INTEGER NOT NULL, PRIMARY KEY (key, article_id))"
        " WITHOUT ROWID"
    )
    conn.execute("ALTER TABLE articles ADD COLUMN cluster_id INTEGER")
    conn.execute("CREATE INDEX idx_articles_cluster_id ON articles (cluster_id)")


SCHEMA_VERSION = len(MIGRATIONS)


# ---------------------------------------------------------------- queries
@dataclass
class Filters:
    """The filters shared by list, search and export."""

    since: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD, inclusive
    until: str | None = None  # inclusive
    lang: str | None = None
    site: str | None = None
    author: str | None = None  # a part of the author's name, any case
    one_per_cluster: bool = False  # near-copies: only the cluster's first dated (then longest) article

    def where(self, table: str = "articles") -> tuple[list[str], dict[str, Any]]:
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if self.one_per_cluster:
            # No better copy passes the same filters: earlier dated, else as dated and longer, else older.
            others, _ = replace(self, one_per_cluster=False).where("b")
            clauses.append(
                f"""NOT EXISTS (SELECT 1 FROM articles b WHERE b.cluster_id = {table}.cluster_id
                    AND b.id != {table}.id {"".join(" AND " + c for c in others)} AND (
                    (b.published IS NOT NULL AND ({table}.published IS NULL OR b.published < {table}.published))
                    OR (b.published IS {table}.published AND (b.words > {table}.words
                        OR (b.words = {table}.words AND b.id < {table}.id)))))"""
            )
        if self.since:
            clauses.append(f"{table}.published >= :since")
            params["since"] = _check_partial_date(self.since)
        if self.until:
            clauses.append(f"{table}.published < :until")
            params["until"] = _after(_check_partial_date(self.until))
        langs = _values(self.lang)
        if langs:
            clauses.append(_in_list(f"{table}.lang", "lang", [v.lower() for v in langs], params))
        sites = _values(self.site)
        if sites:
            # a site's name ("Le Courrier du Rhône"), a word of it ("courrier"), its host with or
            # without a subdomain ("lemonde.fr"), or the host's name without its suffix ("lemonde",
            # right after the scheme or "www.": further on, a pattern would reach into the path)
            either = []
            for i, value in enumerate(sites):
                like = _like_literal(value.lower())
                either.append(
                    f"{table}.site = :site{i} COLLATE NOCASE"
                    f" OR (' ' || lower({table}.site) || ' ') LIKE :site_word{i} ESCAPE '\\'"
                    f" OR lower({table}.url) LIKE :site_host{i} ESCAPE '\\'"
                    f" OR lower({table}.url) LIKE :site_sub{i} ESCAPE '\\'"
                    f" OR lower({table}.url) LIKE :site_label{i} ESCAPE '\\'"
                    f" OR lower({table}.url) LIKE :site_sublabel{i} ESCAPE '\\'"
                )
                params[f"site{i}"] = value
                params[f"site_word{i}"] = f"% {like} %"
                params[f"site_host{i}"] = f"%://{like}/%"
                params[f"site_sub{i}"] = f"%://%.{like}/%"
                params[f"site_label{i}"] = f"%://{like}.%"
                params[f"site_sublabel{i}"] = f"%://www.{like}.%"
            clauses.append("(" + " OR ".join(f"({e})" for e in either) + ")")
        if self.author and self.author.strip():
            name = _like_literal(" ".join(self.author.split()))
            clauses.append(f"{table}.author LIKE :author_part ESCAPE '\\'")
            params["author_part"] = f"%{name}%"
        return clauses, params


def copies_column(filters: Filters) -> str:
    """`copies`: how many articles of each row's cluster pass the filters (itself included)."""
    others, _ = replace(filters, one_per_cluster=False).where("c")
    extra = "".join(" AND " + c for c in others)
    return f"""CASE WHEN articles.cluster_id IS NULL THEN 1 ELSE (SELECT count(*) FROM articles c
        WHERE c.cluster_id = articles.cluster_id{extra}) END AS copies"""


def _like_literal(value: str) -> str:
    """`value` matched as itself by LIKE ... ESCAPE '\\' (its % and _ are no wildcards)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _in_list(column: str, name: str, values: list[Any], params: dict[str, Any]) -> str:
    """`column IN (:name0, :name1, ...)`, with the values bound into `params`."""
    names = [f"{name}{i}" for i in range(len(values))]
    params.update(zip(names, values, strict=True))
    return f"{column} IN ({', '.join(':' + n for n in names)})"


def _values(option: str | None) -> list[str]:
    """A filter's values: "fr,en" is fr or en, as `ingest --lang` reads it."""
    return [v.strip() for v in (option or "").split(",") if v.strip()]


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
SIMILAR_TERMS = 15  # distinctive terms an article is compared by


def _index_filters(filters: Filters | None) -> IndexFilters:
    """The part of the filters the search index applies (dates, language); the site is SQL's."""
    if filters is None:
        return IndexFilters()
    first = day_number(_check_partial_date(filters.since)) if filters.since else None
    last = None
    if filters.until:
        until = _check_partial_date(filters.until)
        last = day_number(until)
        if last is not None:
            last += {4: 1231, 7: 31}.get(len(until), 0)  # the whole year or month
    return IndexFilters(first, last, filters.lang)


# zlib's level for the raw inputs kept for `reclean`: level 3 takes half the time of the default 6
# on the benchmark's HTML pages (1.2 against 2.4 ms a page, in the ingest workers) for blobs 12 %
# larger (0.218 against 0.195 of the input's size).
RAW_COMPRESSION_LEVEL = 3


def compress_raw(data: bytes) -> bytes:
    return zlib.compress(data, RAW_COMPRESSION_LEVEL)


# Articles an ingest stores before it feeds them to the search index. The writer's memory rises
# while the index takes a batch (the documents, tantivy's arena, then the segment its commit
# writes: about 30 MB for 1,000 HTML articles here), so the batch is kept modest; 1,000 rather
# than 2,000 halves that rise, for a commit of the index every 1,000 articles.
INDEX_BATCH = 1000
PREPARED_MAX = 2 * INDEX_BATCH  # analysed documents kept for the index at most (the oldest go first)


class Archive:
    def __init__(self, path: str | os.PathLike[str], create: bool = True) -> None:
        self.path = Path(path)
        self.on_commit: Callable[[], None] | None = None  # told after each commit (a run's settled counts)
        _refuse_foreign_file(self.path, create)
        # On a read-only mount (or a file we may not write), SQLite cannot make the WAL's shared
        # memory file, and the archive would not even open: it is opened immutable instead, so
        # list, search, show, stats and export work, and writing commands say it is read-only.
        self.read_only = self.path.exists() and not (
            os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)
        )
        try:
            if self.read_only:
                uri = f"file:{urllib.parse.quote(str(self.path.absolute()))}?mode=ro&immutable=1"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
            else:
                conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        except sqlite3.Error as exc:
            raise ArchiveError(f"cannot open {self.path}: {exc}.") from None
        self.conn = conn
        self._search: SearchIndex | None = None
        # Outbox seq -> the search document of the write made at that seq, analysed by an ingest
        # worker; the index takes it instead of reading and analysing the article again.
        self._prepared: dict[int, IndexDoc] = {}
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
            if not self.read_only and conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")  # readers work while an ingest writes
        except sqlite3.DatabaseError as exc:
            conn.close()
            if "locked" in str(exc) or "busy" in str(exc):
                raise ArchiveBusy(f"{self.path} is busy: another newsarchive is writing to it.") from None
            raise NotAnArchive(f"{self.path} is not a newsarchive archive ({exc}).") from None

    def close(self) -> None:
        self._search = None
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ schema
    @property
    def db(self) -> Any:
        """The archive as sqlite-utils sees it (imported on use: with pandas installed, sqlite-utils
        imports it, and every command paid half a second for it)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def _migrate(self) -> None:
        conn = self.conn
        # One read snapshot: another process may be creating this archive at this moment, and
        # its first migration could commit between reading the version and counting the tables
        # (which made a fresh archive look like someone else's database).
        conn.execute("BEGIN")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            conn.execute("COMMIT")
        if version == 0:
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
        if self.read_only and version < SCHEMA_VERSION:
            raise ArchiveError(
                f"{self.path} is read-only and was made by an older newsarchive "
                f"(schema {version} of {SCHEMA_VERSION}).",
                hint="Open it once where it can be written, to bring it up to date.",
            )
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                if current >= number:  # another process migrated while we waited for the lock
                    continue
                step(conn)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {number}")

    # ------------------------------------------------------------ search index
    @property
    def index_path(self) -> Path:
        return index_folder(self.path)

    def _search_index(self) -> SearchIndex:
        if self._search is None:
            try:
                self._search = SearchIndex(self.index_path, read_only=self.read_only)
            except (OSError, ValueError) as exc:
                raise ArchiveError(
                    f"cannot open the search index {self.index_path}: {exc}.",
                    hint="Check that the folder beside the archive is writable, or remove it to rebuild it.",
                ) from None
        return self._search

    def _index(self, article_id: int, prepared: IndexDoc | None = None) -> None:
        """Queue an article for the search index, inside the caller's write transaction.

        `prepared`: the article's search document as just written, analysed already (by an
        ingest worker); kept until the index is fed, and used only if this write is still the
        article's last one then.
        """
        cursor = self.conn.execute("INSERT INTO search_outbox (article_id) VALUES (?)", (article_id,))
        seq = int(cursor.lastrowid or 0)
        if prepared is None:
            self._prepared.pop(seq, None)  # a seq reused after a rollback
            return
        self._prepared[seq] = prepared
        while len(self._prepared) > PREPARED_MAX:  # nobody feeding the index: read them back then
            del self._prepared[next(iter(self._prepared))]

    def _outbox_end(self) -> int:
        row = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'search_outbox'").fetchone()
        return int(row[0]) if row else 0

    def search_pending(self) -> int:
        """Writes the search index has not applied yet (-1: it must be rebuilt)."""
        marker = self._search_index().marker()
        epoch = self.conn.execute("SELECT value FROM search_state WHERE key = 'epoch'").fetchone()[0]
        end = self._outbox_end()
        if (
            marker is None
            or marker.get("epoch") != epoch
            or marker.get("analyzer") != ANALYZER_VERSION
            or not isinstance(marker.get("applied"), int)
            or marker["applied"] > end
        ):
            return -1
        pending = end - int(marker["applied"])
        if pending == 0 and isinstance(marker.get("articles"), int) and marker["articles"] != self.count():
            return -1  # rows added or deleted by another tool, behind the outbox's back
        return pending

    def sync_search(self, rebuild: bool = False, trim: bool = False) -> int:
        """Bring the search index up to date with the archive; returns the articles it (re)indexed.

        The protocol: writers append ids to `search_outbox` (seq grows in commit order, since
        SQLite has one writer at a time); whoever holds the index writer reads the ids past the
        marker's `applied` seq in one read snapshot, indexes those articles as they are now,
        commits the index, then writes the marker. A crash anywhere repeats work, never skips
        it. Raises IndexBusy when another process holds the index writer.
        """
        index = self._search_index()
        if self.read_only:
            if self.search_pending() < 0:
                raise ArchiveError(
                    f"the search index of {self.path} is missing or out of date, and the archive is read-only.",
                    hint="Search a copy made somewhere writable: the index is rebuilt there from the archive.",
                )
            return 0  # searched as it is: writes it has not applied cannot be made here
        if not rebuild and self.search_pending() == 0:
            return 0
        with index.writer() as writer:
            pending = self.search_pending()  # again, under the lock: another process may have done it
            full = rebuild or pending < 0
            if not full and pending == 0:
                return 0
            epoch = self.conn.execute("SELECT value FROM search_state WHERE key = 'epoch'").fetchone()[0]
            columns = "id, title, text, published, lang"
            done = 0
            own = not self.conn.in_transaction
            if own:
                self.conn.execute("BEGIN")  # one read snapshot: the ids and the texts agree
            try:
                end = self._outbox_end()
                articles = self.count()
                rows: Iterable[tuple[Any, ...]]
                if full:
                    writer.delete_all()
                    rows = self.conn.execute(f"SELECT {columns} FROM articles")
                else:
                    applied = int((index.marker() or {})["applied"])
                    last_writes = self.conn.execute(
                        "SELECT article_id, max(seq) FROM search_outbox WHERE seq > ? AND seq <= ? GROUP BY article_id",
                        (applied, end),
                    ).fetchall()
                    unread = []
                    for article_id, seq in last_writes:
                        writer.delete(article_id)
                        prepared = self._prepared.get(seq)
                        if prepared is not None and prepared.id == article_id:
                            writer.add_prepared(prepared)  # this process made that write, as it stands
                            done += 1
                        else:
                            unread.append(article_id)
                    rows = self._rows_by_id(columns, unread)
                names = ("id", "title", "text", "published", "lang")
                for row in rows:
                    writer.add(dict(zip(names, row, strict=True)))
                    done += 1
            finally:
                if own:
                    self.conn.execute("COMMIT")
        index.write_marker(epoch=epoch, analyzer=ANALYZER_VERSION, applied=end, articles=articles)
        for seq in [seq for seq in self._prepared if seq <= end]:
            del self._prepared[seq]  # applied (or superseded by the rebuild)
        if not full and index.documents() != articles:
            # Another tool added or deleted rows while our own writes were waiting: the outbox
            # cannot say which, so the index is made again from the archive.
            return self.sync_search(rebuild=True, trim=trim)
        if trim and not self.conn.in_transaction:
            with self.transaction():
                self.conn.execute("DELETE FROM search_outbox WHERE seq <= ?", (end,))
        return done

    def feed_search_index(self, at_least: int = 1) -> bool:
        """For writers, after a commit: index what waits, when enough does, and trim the outbox.

        Another process holding the index writer is fine: it, or the next search, will index
        these articles too. Says whether the index took anything.
        """
        with suppress(IndexBusy, ArchiveError):  # an unwritable index folder: the search says so
            pending = self.search_pending()
            if pending < 0 or pending >= at_least:
                return self.sync_search(trim=True) > 0
        return False

    def open_search_index(self) -> None:
        """Give an archive with no articles yet its empty search index, before an ingest.

        Otherwise the first feed would find no index and build it from the archive, reading back
        and analysing again the articles the ingest's workers had analysed already.
        """
        with suppress(IndexBusy, ArchiveError):
            if self.search_pending() < 0 and self.conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None:
                self.sync_search()

    def _rows_by_id(self, columns: str, ids: list[int]) -> Iterator[tuple[Any, ...]]:
        for marks, chunk in _id_chunks(ids):
            yield from self.conn.execute(f"SELECT {columns} FROM articles WHERE id IN ({marks})", chunk).fetchall()

    def reindex(self) -> int:
        """Build the search index again from the articles (after another tool changed them)."""
        try:
            return self.sync_search(rebuild=True, trim=True)
        except IndexBusy:
            raise ArchiveBusy(
                f"the search index of {self.path} is being written by another newsarchive.",
                hint="Wait for it to finish, then run this again.",
            ) from None

    def _ready_index(self) -> SearchIndex:
        """The search index with every committed write in it, unless another process is busy
        indexing them (then searches see the index as it is; they never wait)."""
        try:
            self.sync_search()
        except IndexBusy:
            if self.search_pending() < 0:
                raise ArchiveBusy(
                    f"the search index of {self.path} is being built by another newsarchive.",
                    hint="Try again in a moment.",
                ) from None
        return self._search_index()

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
        if self.read_only:
            raise ArchiveError(
                f"{self.path} is read-only: it can be read (list, search, show, stats, export), not written.",
                hint="Copy it somewhere writable, or remount it read-write.",
            )
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
        if self.on_commit is not None:
            self.on_commit()

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self._prepared.clear()  # their seqs may be taken again by other writes

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the current transaction that an exception undoes alone."""
        self.conn.execute("SAVEPOINT part")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK TO part")
            self.conn.execute("RELEASE part")
            self._prepared.clear()  # their seqs may be taken again by other writes
            raise
        self.conn.execute("RELEASE part")

    # ------------------------------------------------------------ ingest side
    def file_state(self, path: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT path, size, mtime_ns, source_hash, article_id, outcome FROM files WHERE path = ?",
            (path,),
        ).fetchone()
        if row is None:
            return None
        return dict(zip(("path", "size", "mtime_ns", "source_hash", "article_id", "outcome"), row, strict=True))

    def records_of(self, container: str, separator: str) -> Iterator[dict[str, Any]]:
        """What the files table holds for the records of one container (keys `container` + separator + ...)."""
        low = container + separator
        high = container + chr(ord(separator) + 1)
        rows = self.conn.execute(
            "SELECT path, article_id, outcome FROM files WHERE path >= ? AND path < ? ORDER BY rowid",
            (low, high),
        ).fetchall()  # read whole: the caller writes between two
        for path, article_id, outcome in rows:
            yield {"path": path, "article_id": article_id, "outcome": outcome}

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
        compressed: tuple[int, bytes] | None = None,
        analysed: tuple[str, str] | None = None,
        run_id: int | None = None,
        hints: dict[str, Any] | None = None,
        near: bytes | bool | None = True,
    ) -> int:
        """Insert a new article, or replace the fields of `article_id` in place (same id).

        `compressed`: the input as (size, zlib bytes) when a worker compressed it already;
        `analysed`: its title and text as `analysis.analyze` gives them, when a worker did it;
        `near`: its near-duplicate signature when a worker made it (None: too short to have
        one), True to make it here.
        """
        stamp = now_iso()

        def signature() -> bytes | None:  # made only when the article joins a cluster
            return neardup.signature(article.text) if near is True else near or None

        values = {
            "path": article.path,
            "url": article.url,
            "site": article.site,
            "title": article.title,
            "author": article.author,
            "published": article.published,
            "date_source": article.date_source,
            "fetched": article.fetched,
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
                values["run_id"] = run_id
                columns = ", ".join(values)
                marks = ", ".join(f":{k}" for k in values)
                cursor = self.conn.execute(f"INSERT INTO articles ({columns}) VALUES ({marks})", values)
                article_id = int(cursor.lastrowid or 0)
                self._index(article_id, IndexDoc.of(article_id, article, analysed))
                self._join_cluster(article_id, signature())
            else:
                indexed = "title, text, published, lang"
                old = self.conn.execute(f"SELECT {indexed} FROM articles WHERE id = ?", (article_id,)).fetchone()
                sets = ", ".join(f"{k} = :{k}" for k in values)
                self.conn.execute(f"UPDATE articles SET {sets} WHERE id = :id", {**values, "id": article_id})
                if old != tuple(values[k] for k in ("title", "text", "published", "lang")):
                    self._index(article_id, IndexDoc.of(article_id, article, analysed))
                if old is None or old[1] != article.text or not self._has_signature(article_id):
                    self._leave_cluster(article_id)
                    self._join_cluster(article_id, signature())
            self.conn.execute(
                """INSERT INTO raw_inputs (article_id, compression, size, data, hints) VALUES (?, 'zlib', ?, ?, ?)
                   ON CONFLICT (article_id) DO UPDATE SET compression = excluded.compression,
                     size = excluded.size, data = excluded.data, hints = excluded.hints""",
                (
                    article_id,
                    *(compressed or (len(raw), compress_raw(raw))),
                    json.dumps(hints, ensure_ascii=False) if hints else None,
                ),
            )
        return article_id

    # ------------------------------------------------------------ near-duplicates
    def _has_signature(self, article_id: int) -> bool:
        row = self.conn.execute("SELECT 1 FROM near_signatures WHERE article_id = ?", (article_id,)).fetchone()
        return row is not None

    def _join_cluster(self, article_id: int, signature: bytes | None) -> None:
        """Put a stored article in the cluster of its near-copies (merging clusters it bridges)."""
        cluster = article_id
        if signature is not None:
            keys = neardup.bands(signature)
            marks = ", ".join("?" for _ in keys)
            # At most NEAR_CANDIDATES: templated texts (market reports, weather bulletins) share
            # bands with thousands of others, and one true copy is enough to join their cluster.
            rows = self.conn.execute(
                f"""SELECT s.article_id, s.signature, a.cluster_id FROM (
                        SELECT DISTINCT article_id FROM near_bands WHERE key IN ({marks}) AND article_id != ?
                        LIMIT {NEAR_CANDIDATES}) b
                    JOIN near_signatures s ON s.article_id = b.article_id
                    JOIN articles a ON a.id = b.article_id""",
                (*keys, article_id),
            ).fetchall()
            clusters = {
                int(other_cluster or other)
                for other, other_signature, other_cluster in rows
                if neardup.similarity(signature, other_signature) >= neardup.THRESHOLD
            }
            if clusters:
                cluster = min(clusters)
                for merged in clusters - {cluster}:
                    self.conn.execute("UPDATE articles SET cluster_id = ? WHERE cluster_id = ?", (cluster, merged))
            self.conn.execute(
                "INSERT OR REPLACE INTO near_signatures (article_id, signature) VALUES (?, ?)", (article_id, signature)
            )
            self.conn.executemany(
                "INSERT OR IGNORE INTO near_bands (key, article_id) VALUES (?, ?)", [(k, article_id) for k in keys]
            )
        self.conn.execute("UPDATE articles SET cluster_id = ? WHERE id = ?", (cluster, article_id))

    def _leave_cluster(self, article_id: int) -> None:
        """Forget an article's signature; a cluster it named is renamed after its next member."""
        row = self.conn.execute("SELECT signature FROM near_signatures WHERE article_id = ?", (article_id,)).fetchone()
        if row is not None:
            self.conn.executemany(
                "DELETE FROM near_bands WHERE key = ? AND article_id = ?",
                [(k, article_id) for k in neardup.bands(row[0])],
            )
            self.conn.execute("DELETE FROM near_signatures WHERE article_id = ?", (article_id,))
        nxt = self.conn.execute(
            "SELECT min(id) FROM articles WHERE cluster_id = ? AND id != ?", (article_id, article_id)
        ).fetchone()[0]
        if nxt is not None:
            self.conn.execute(
                "UPDATE articles SET cluster_id = ? WHERE cluster_id = ? AND id != ?", (nxt, article_id, article_id)
            )

    def copies_of(self, article_id: int) -> list[dict[str, Any]]:
        """The other articles of an article's cluster: its near-copies."""
        rows = self.conn.execute(
            """SELECT b.id, b.title, b.site, b.published, b.words FROM articles a
               JOIN articles b ON b.cluster_id = a.cluster_id AND b.id != a.id
               WHERE a.id = ? ORDER BY b.published IS NULL, b.published, b.id""",
            (article_id,),
        ).fetchall()
        return [dict(zip(("id", "title", "site", "published", "words"), r, strict=True)) for r in rows]

    def delete_article(self, article_id: int) -> None:
        with self.transaction():
            if not self.article_exists(article_id):
                return
            self._leave_cluster(article_id)
            self.conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
            self._index(article_id)

    def select_for_delete(
        self,
        ids: list[int] | None = None,
        filters: Filters | None = None,
        source_prefix: str | None = None,
        run_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """The articles `delete` would remove: every criterion given must hold (AND)."""
        clauses, params = (filters or Filters()).where()
        if ids:
            clauses.append(_in_list("articles.id", "id", ids, params))
        if source_prefix:
            prefix = _like_literal(source_prefix)
            # brought in from there only: an article that a file elsewhere repeats stays
            clauses.append(
                "(articles.path LIKE :prefix ESCAPE '\\' AND NOT EXISTS (SELECT 1 FROM files"
                " WHERE files.article_id = articles.id AND files.path NOT LIKE :prefix ESCAPE '\\'))"
            )
            params["prefix"] = prefix + "%"
        if run_id is not None:
            clauses.append("articles.run_id = :run_id")
            params["run_id"] = run_id
        if not clauses:
            raise ArchiveError("delete needs something to select articles by.", hint=DELETE_HINT)
        columns = "id, published, title, site, author, path"
        return self._rows(f"SELECT {columns} FROM articles WHERE {' AND '.join(clauses)} ORDER BY id", params)

    def delete_articles(self, ids: list[int]) -> int:
        """Remove articles with their stored inputs, their files' records and their index entries.

        The files that brought them in are forgotten too, so that ingesting the same folder again
        brings them back (a record left behind would mark them unchanged and skip them).
        """
        removed = 0
        with self.transaction():
            for article_id in ids:
                if not self.article_exists(article_id):
                    continue
                self.conn.execute("DELETE FROM files WHERE article_id = ?", (article_id,))
                self._leave_cluster(article_id)
                self.conn.execute("DELETE FROM raw_inputs WHERE article_id = ?", (article_id,))
                self.conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
                self._index(article_id)
                removed += 1
        return removed

    def start_run(self, inputs: list[str], options: dict[str, Any]) -> int:
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT INTO runs (started_at, status, inputs, options) VALUES (?, 'running', ?, ?)",
                (
                    now_iso(),
                    json.dumps(inputs),
                    json.dumps(options, ensure_ascii=False),
                ),  # ASCII: names may hold any byte
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

    def runs(self, limit: int | None = None, newest_first: bool = False) -> list[dict[str, Any]]:
        """Ingest runs, with what they were given and what came of it."""
        order = "DESC" if newest_first else "ASC"
        rows = self._rows(f"SELECT * FROM runs ORDER BY id {order} LIMIT ?", (-1 if limit is None else limit,))
        for row in rows:
            row["inputs"] = json.loads(row["inputs"])
            row["options"] = json.loads(row["options"])
        return rows

    def problems(
        self, run_id: int | None = None, outcome: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Skipped and failed files with their reasons, oldest first (a run's own order)."""
        clauses: list[str] = []
        params: list[Any] = []
        if run_id is not None:
            clauses.append("run_id = ?")
            params.append(run_id)
        if outcome is not None:
            clauses.append("outcome = ?")
            params.append(outcome)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        params.append(-1 if limit is None else limit)
        return self._rows(f"SELECT * FROM problems {where} ORDER BY id LIMIT ?", params)

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
        on_unreadable: Callable[[int | None, str], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Articles in order, streamed (an export of a million articles never sits in memory).

        With `on_unreadable`, a damaged archive does not end the stream: in id order, the
        articles after the damage are read one by one, and each one that cannot be read is
        reported to `on_unreadable(id, reason)` instead.
        """
        clauses, params = (filters or Filters()).where()
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        columns = ", ".join(f"articles.{f}" for f in ARTICLE_FIELDS if with_text or f != "text")
        if filters is not None and filters.one_per_cluster:
            columns += ", " + copies_column(filters)
        sql = f"SELECT {columns} FROM articles {where} ORDER BY {SORTS[sort]} LIMIT :limit OFFSET :offset"
        params.update(limit=-1 if limit is None else limit, offset=offset)
        yielded, last = 0, 0
        try:
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description]
            for row in cursor:
                record = self._article(dict(zip(names, row, strict=True)))
                yield record
                yielded, last = yielded + 1, int(record["id"])
        except sqlite3.DatabaseError as exc:
            if on_unreadable is None or sort != "id" or offset:
                raise
            on_unreadable(
                None, f"the archive is damaged after article {last} ({_short(exc)}): the rest is read one by one"
            )
            yield from self._salvage(
                columns, clauses, params, last, None if limit is None else limit - yielded, on_unreadable
            )

    def _salvage(
        self,
        columns: str,
        clauses: list[str],
        params: dict[str, Any],
        after: int,
        limit: int | None,
        on_unreadable: Callable[[int | None, str], None],
    ) -> Iterator[dict[str, Any]]:
        """Every article with an id above `after`, each read on its own (a damaged page costs only its rows)."""
        try:
            row = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'articles'").fetchone()
            top = int(row[0]) if row else after
        except sqlite3.DatabaseError as exc:
            on_unreadable(None, f"the highest article id cannot be read: {exc}")
            return
        where = " AND ".join(["articles.id = :one", *clauses])
        found = 0
        for article_id in range(after + 1, top + 1):
            if limit is not None and found >= limit:
                return
            try:
                cursor = self.conn.execute(
                    f"SELECT {columns} FROM articles WHERE {where}", {**params, "one": article_id}
                )
                names = [d[0] for d in cursor.description]
                row = cursor.fetchone()
                record = self._article(dict(zip(names, row, strict=True))) if row else None
            except (sqlite3.DatabaseError, ValueError) as exc:
                on_unreadable(article_id, _short(exc))
                continue
            if record is not None:
                found += 1
                yield record

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
                f"{exc}.", hint='Search words, "a phrase", a OR b, -word or NOT word, prefix*, title:word, author:name.'
            ) from None

    def _sql_filter(self, parsed: Query, filters: Filters | None) -> tuple[list[str], dict[str, Any]]:
        """The filters only SQL can check (site, author), as WHERE clauses on articles."""
        clauses, params = Filters(site=filters.site, author=filters.author).where() if filters else ([], {})
        for n, name in enumerate(parsed.authors):
            clauses.append(f"articles.author LIKE :author{n}")
            params[f"author{n}"] = f"%{name}%"
        return clauses, params

    def _author_where(self, parsed: Query, filters: Filters | None) -> tuple[str, dict[str, Any]]:
        """WHERE for a query with authors and no words: every filter is SQL's."""
        clauses, params = (filters or Filters()).where()
        more, more_params = self._sql_filter(parsed, None)
        return " AND ".join(clauses + more) or "1", {**params, **more_params}

    def iter_search(
        self,
        query: str,
        filters: Filters | None = None,
        limit: int | None = 20,
        offset: int = 0,
        sort: str = "relevance",
        with_text: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Ranked hits (BM25 over the analysed title and text, title weighted 5), each with a snippet."""
        parsed = self._parse(query)
        columns = ", ".join(f"articles.{f}" for f in ARTICLE_FIELDS)
        one_per_cluster = filters is not None and filters.one_per_cluster
        if one_per_cluster:
            assert filters is not None
            columns += ", " + copies_column(filters)
        if not parsed.clauses:  # author: only; no words to rank by
            where, params = self._author_where(parsed, filters)
            order = SORTS.get(sort, SORTS["newest"])
            sql = f"SELECT {columns}, NULL AS score FROM articles WHERE {where} ORDER BY {order}"
            params.update(limit=-1 if limit is None else limit, offset=offset)
            rows = self._stream(sql + " LIMIT :limit OFFSET :offset", params)
        elif one_per_cluster:
            page = self._cluster_page(parsed, filters, limit, offset, by_date=sort != "relevance")
            rows = self._articles_in_order(columns, page)
        else:
            page = self._page(parsed, filters, limit, offset, by_date=sort != "relevance")
            rows = self._articles_in_order(columns, page)
        for row in rows:
            row["title_snippet"] = mark_matches(row["title"] or "", parsed.highlight, parsed.prefixes)
            row["snippet"] = make_snippet(row["text"] or "", parsed.highlight, parsed.prefixes)
            if not with_text:
                row.pop("text", None)
            yield row

    def _page(
        self,
        parsed: Query,
        filters: Filters | None,
        limit: int | None,
        offset: int,
        by_date: bool = False,
        exclude_id: int | None = None,
    ) -> list[tuple[int, float]]:
        """(id, score) of one page of hits, best (or newest) first.

        The index applies the words, dates and language. A site or author filter is checked in
        SQL on the index's best hits, taking ten times more each round until the page is full
        or the hits run out: the page is then exactly the one filtering every hit would give.
        """
        index = self._ready_index()
        query = index.compile(parsed, _index_filters(filters), exclude_id)
        if limit is None:
            limit = max(index.count(query) - offset, 0)
        clauses, params = self._sql_filter(parsed, filters)
        if not clauses:
            return index.top(query, limit, offset, by_date)
        wanted = offset + limit
        k = max(200, 10 * wanted)
        while True:
            top = index.top(query, k, 0, by_date)
            passing = self._passing([i for i, _ in top], clauses, params)
            ranked = [(i, score) for i, score in top if i in passing]
            if len(ranked) >= wanted or len(top) < k:
                return ranked[offset:wanted]
            k *= 10

    def _cluster_page(
        self, parsed: Query, filters: Filters | None, limit: int | None, offset: int, by_date: bool
    ) -> list[tuple[int, float]]:
        """A page of hits with one hit a cluster of near-copies: its best-ranked one."""
        wanted = None if limit is None else offset + limit
        k = max(200, 4 * (wanted or 0))
        while True:
            hits = self._page(parsed, filters, k, 0, by_date)
            clusters = self._clusters([i for i, _ in hits])
            seen: set[int] = set()
            kept = []
            for article_id, score in hits:
                cluster = clusters.get(article_id) or article_id
                if cluster not in seen:
                    seen.add(cluster)
                    kept.append((article_id, score))
            if len(hits) < k or (wanted is not None and len(kept) >= wanted):
                return kept[offset:wanted]
            k *= 4

    def _clusters(self, ids: list[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        for _, chunk in _id_chunks(ids):
            marks = ", ".join("?" for _ in chunk)
            for article_id, cluster in self.conn.execute(
                f"SELECT id, cluster_id FROM articles WHERE id IN ({marks})", chunk
            ):
                found[int(article_id)] = int(cluster or article_id)
        return found

    def _passing(self, ids: list[int], clauses: list[str], params: dict[str, Any]) -> set[int]:
        found: set[int] = set()
        for _, chunk in _id_chunks(ids):
            marks = ", ".join(f":id{n}" for n in range(len(chunk)))
            chunk_params = {**params, **{f"id{n}": i for n, i in enumerate(chunk)}}
            sql = f"SELECT id FROM articles WHERE id IN ({marks}) AND {' AND '.join(clauses)}"
            found.update(r[0] for r in self.conn.execute(sql, chunk_params))
        return found

    def _articles_in_order(self, columns: str, page: list[tuple[int, float]]) -> Iterator[dict[str, Any]]:
        """The articles of a ranked page of (id, score), in that order, each with its score."""
        if not page:
            return iter(())
        marks = ", ".join("?" for _ in page)
        found = {
            r["id"]: r
            for r in self._stream(f"SELECT {columns} FROM articles WHERE id IN ({marks})", [i for i, _ in page])
        }
        return iter([{**found[i], "score": round(score, 4)} for i, score in page if i in found])

    def _stream(self, sql: str, params: dict[str, Any] | list[Any]) -> Iterator[dict[str, Any]]:
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchmany(200)
        while rows:
            for row in rows:
                yield self._article(dict(zip(names, row, strict=True)))
            rows = cursor.fetchmany(200)

    def count_search(self, query: str, filters: Filters | None = None) -> int:
        parsed = self._parse(query)
        if not parsed.clauses:
            where, params = self._author_where(parsed, filters)
            return int(self.conn.execute(f"SELECT count(*) FROM articles WHERE {where}", params).fetchone()[0])
        index = self._ready_index()
        query_ = index.compile(parsed, _index_filters(filters))
        clauses, params = self._sql_filter(parsed, filters)
        if not clauses:
            return index.count(query_)
        hits = index.top(query_, index.count(query_))
        return len(self._passing([i for i, _ in hits], clauses, params))

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
        index = self._ready_index()
        total = max(index.documents(), 1)
        docs = index.doc_freqs(counts)
        weighted = sorted((tf * math.log(total / docs[t]), t) for t, tf in counts.items() if 1 < docs.get(t, 0) < total)
        chosen = [t for _, t in weighted[-SIMILAR_TERMS:]]
        if not chosen:
            return []
        parsed = Query(clauses=[[Term((t,)) for t in chosen]], highlight=set(chosen))
        columns = ", ".join(f"articles.{f}" for f in ARTICLE_FIELDS)
        page = self._page(parsed, filters, limit, offset, exclude_id=article_id)
        rows = list(self._articles_in_order(columns, page))
        for row in rows:
            row["title_snippet"] = mark_matches(row["title"] or "", parsed.highlight, set())
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
        return self.raw_input(article_id)[0]

    def raw_input(self, article_id: int) -> tuple[bytes, dict[str, Any]]:
        """An article's stored input, and what a container said of it ({} for a plain file)."""
        row = self.conn.execute(
            "SELECT compression, data, hints FROM raw_inputs WHERE article_id = ?", (article_id,)
        ).fetchone()
        if row is None:
            raise ArticleNotFound(f"there is no stored input for article {article_id}.")
        compression, data, hints = row
        return zlib.decompress(data) if compression == "zlib" else bytes(data), json.loads(hints) if hints else {}

    def check(self) -> list[str]:
        """What is wrong with this archive, one sentence each (empty: nothing found).

        SQLite's own quick check of every page and index, each article read whole (a damaged
        page can hold text that no longer decodes), and the search index against the articles.
        """
        problems: list[str] = []
        try:
            found = [str(r[0]) for r in self.conn.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError as exc:
            return [f"SQLite cannot check the file: {exc}."]
        lines = [line.strip() for row in found for line in row.splitlines()]
        problems += [f"SQLite: {line}." for line in lines if line and line != "ok" and not line.startswith("***")]
        try:
            ids = [int(r[0]) for r in self.conn.execute("SELECT id FROM articles ORDER BY id")]
        except sqlite3.DatabaseError as exc:
            return [*problems, f"the list of articles cannot be read: {exc}."]
        columns = ", ".join(f for f in ARTICLE_FIELDS if f != "id")
        unreadable = []
        for article_id in ids:
            try:
                self.conn.execute(f"SELECT {columns} FROM articles WHERE id = ?", (article_id,)).fetchone()
                self.conn.execute("SELECT data FROM raw_inputs WHERE article_id = ?", (article_id,)).fetchone()
            except (sqlite3.DatabaseError, UnicodeDecodeError, ValueError):
                unreadable.append(article_id)
        if unreadable:
            shown = ", ".join(str(i) for i in unreadable[:20]) + (" ..." if len(unreadable) > 20 else "")
            problems.append(f"{len(unreadable)} article(s) cannot be read: {shown}.")
        try:
            if self.search_pending() == 0 and self._search_index().documents() != len(ids):
                problems.append("the search index does not hold every article: run `newsarchive reindex`.")
        except (ArchiveError, OSError, ValueError) as exc:
            problems.append(f"the search index cannot be read ({exc}): run `newsarchive reindex`.")
        return problems

    def count_outdated(self, version: str) -> int:
        """Articles made by another cleaner version than `version`: what `reclean --outdated` redoes."""
        query = "SELECT count(*) FROM articles WHERE cleaner_version != ?"
        return int(self.conn.execute(query, (version,)).fetchone()[0])

    def iter_stored_inputs(self, only_outdated: str | None = None) -> Iterator[dict[str, Any]]:
        """Every article with what a re-clean needs: its stored input and current fields.

        With `only_outdated`, only the articles made by another cleaner version than that one.
        """
        where = "AND articles.cleaner_version != :version" if only_outdated else ""
        columns = ", ".join(f"articles.{f}" for f in ARTICLE_FIELDS)
        last = 0
        while True:
            # A page at a time, each read to its end: the caller commits between records (no
            # statement stays open across its writes), and a million inputs never sit in memory.
            cursor = self.conn.execute(
                f"""SELECT {columns}, raw_inputs.compression, raw_inputs.data, raw_inputs.hints FROM articles
                    JOIN raw_inputs ON raw_inputs.article_id = articles.id
                    WHERE articles.id > :last {where} ORDER BY articles.id LIMIT {STORED_PAGE}""",
                {"version": only_outdated, "last": last},
            )
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
            for row in rows:
                record = self._article(dict(zip(names, row, strict=True)))
                data = record.pop("data")
                record["raw"] = zlib.decompress(data) if record.pop("compression") == "zlib" else bytes(data)
                record["hints"] = json.loads(record["hints"]) if record.get("hints") else {}
                last = int(record["id"])
                yield record
            if len(rows) < STORED_PAGE:
                return

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
            "stories": one("SELECT count(DISTINCT coalesce(cluster_id, id)) FROM articles").fetchone()[0],
            "copied_stories": one(
                "SELECT count(*) FROM (SELECT 1 FROM articles WHERE cluster_id IS NOT NULL"
                " GROUP BY cluster_id HAVING count(*) > 1)"
            ).fetchone()[0],
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
            "search_index_bytes": self.index_size(),
        }

    def index_size(self) -> int:
        return _folder_size(self.index_path)

    def size_on_disk(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            with suppress(OSError):
                total += os.path.getsize(f"{self.path}{suffix}")
        return total


def _id_chunks(ids: list[int], size: int = 500) -> Iterator[tuple[str, list[int]]]:
    """Ids in chunks small enough for one `IN (...)`, each with its `?` placeholders."""
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        yield ", ".join("?" for _ in chunk), chunk


def _folder_size(path: Path) -> int:
    total = 0
    with suppress(OSError):
        for entry in os.scandir(path):
            with suppress(OSError):
                if entry.is_file():
                    total += entry.stat().st_size
    return total


def _short(exc: Exception) -> str:
    """SQLite's message without the undecodable text it quotes ("... with text '<garbage>'")."""
    return str(exc).split(" with text ", 1)[0][:160]


def archive_files(db_path: str | os.PathLike[str]) -> list[Path]:
    """What belongs to the archive at `db_path`: no output of ours may be written over these."""
    path = Path(os.path.realpath(db_path))
    siblings = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]
    return [path, *siblings, index_folder(path)]


def index_folder(path: Path) -> Path:
    """The search index beside the archive at `path`: `archive.db-search/` for `archive.db`."""
    return Path(f"{path}-search")


def is_archive_file(candidate: str | os.PathLike[str], db_path: str | os.PathLike[str]) -> bool:
    """True when writing `candidate` would overwrite the archive, its journal or its index folder."""
    target = Path(os.path.realpath(candidate))
    *files, folder = archive_files(db_path)
    return target in files or target == folder or folder in target.parents


def _refuse_foreign_file(path: Path, create: bool) -> None:
    """Never open (and so never modify) a file that is not an SQLite database."""
    if path.exists():
        if path.is_dir():
            raise NotAnArchive(f"{path} is a folder, not an archive file.", hint="Give a file name with --db.")
        if not path.is_file():  # a FIFO would block every command, a device is no place for one
            raise NotAnArchive(
                f"{path} is not a regular file ({special_kind(path.stat().st_mode)}): an archive is a file.",
                hint="Give a file name with --db (one that does not exist yet is created).",
            )
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
