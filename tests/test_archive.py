import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.archive import (
    SCHEMA_VERSION,
    Archive,
    ArchiveError,
    ArchiveTooNew,
    ArticleNotFound,
    Filters,
    NotAnArchive,
    QuerySyntaxError,
)
from newsarchive.model import Article


def add(archive: Archive, n: int, **fields: object) -> int:
    article = Article(
        path=f"/in/{n}.txt",
        text=str(fields.pop("text", f"Texte numéro {n} sur la sécurité des réseaux.")),
        title=str(fields.pop("title", f"Titre {n}")),
        lang="fr",
        kind="txt",
        **fields,  # type: ignore[arg-type]
    )
    return archive.save_article(article, f"hash{n}", f"src{n}", b"raw bytes", "test")


def test_schema_on_a_blank_archive(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.db") as archive:
        db = sqlite_utils.Database(archive.conn)
        assert set(db.table_names()) >= {"articles", "raw_inputs", "files", "runs", "problems", "search_outbox"}
        assert db["articles"].detect_fts() is None  # no per-row FTS5 triggers (migration 4)
        assert db["articles"].triggers == []
        assert archive.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert archive.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    Archive(tmp_path / "a.db").close()  # opening again changes nothing and does not fail


def test_an_archive_of_schema_4_gains_the_run_of_each_article_and_the_record_columns(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.db") as archive:
        old = add(archive, 1)
    conn = sqlite3.connect(tmp_path / "a.db")
    conn.execute("DROP TABLE near_signatures")  # schema 7's
    conn.execute("DROP TABLE near_bands")
    conn.execute("DROP INDEX idx_articles_cluster_id")
    conn.execute("ALTER TABLE articles DROP COLUMN cluster_id")
    conn.execute("ALTER TABLE articles DROP COLUMN fetched")  # schema 6's
    conn.execute("ALTER TABLE raw_inputs DROP COLUMN hints")
    conn.execute("DROP INDEX idx_articles_run_id")
    conn.execute("ALTER TABLE articles DROP COLUMN run_id")  # as schema 4 made it
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    with Archive(tmp_path / "a.db") as archive:
        assert archive.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert archive.get(old)["run_id"] is None  # stored before runs were recorded per article
        assert archive.get(old)["fetched"] is None
        assert [r["hints"] for r in archive.iter_stored_inputs()] == [{}]
        run = archive.start_run(["in"], {})
        new = archive.save_article(
            Article(path="/in/2.txt", text="Un autre texte.", kind="txt"), "h2", "s2", b"r", "t", run_id=run
        )
        assert [r["id"] for r in archive.select_for_delete(run_id=run)] == [new]


def test_refuses_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("mes notes\n")
    with pytest.raises(NotAnArchive):
        Archive(path)
    assert path.read_text() == "mes notes\n"


def test_refuses_another_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NotAnArchive):
        Archive(path)
    assert path.read_bytes() == before


def test_refuses_an_archive_from_a_newer_version(tmp_path: Path) -> None:
    Archive(tmp_path / "a.db").close()
    conn = sqlite3.connect(tmp_path / "a.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ArchiveTooNew):
        Archive(tmp_path / "a.db")


def test_missing_archive_is_not_created_for_reading(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="there is no archive"):
        Archive(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


def test_full_text_index_follows_every_write(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.db") as archive:
        first = add(archive, 1)
        add(archive, 2, text="Un article sur la pêche en mer.")
        assert [r["id"] for r in archive.search("securite")] == [first]  # accents ignored
        article = Article(path="/in/1.txt", text="Le texte parle désormais de vélo.", title="Vélo", kind="txt")
        assert archive.save_article(article, "hash1b", "src1b", b"x", "test", article_id=first) == first
        assert archive.search("securite") == []
        assert [r["id"] for r in archive.search("velo")] == [first]
        archive.delete_article(first)
        assert archive.search("velo") == []


def test_sqlite_utils_fts_enabled_by_a_user_follows_every_write(tmp_path: Path) -> None:
    # docs/archive.md: `sqlite-utils enable-fts ... --create-triggers` for Datasette and
    # `sqlite-utils search`; its triggers then see every write newsarchive makes.
    with Archive(tmp_path / "a.db") as archive:
        first = add(archive, 1)
        db = sqlite_utils.Database(archive.conn)
        db["articles"].enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61 remove_diacritics 2")

        def found(word: str) -> list[int]:
            return [r["id"] for r in db["articles"].search(word)]

        assert found("securite") == [first]
        second = add(archive, 2, text="Un article sur la pêche en mer.")
        assert found("peche") == [second]
        article = Article(path="/in/1.txt", text="Le texte parle désormais de vélo.", title="Vélo", kind="txt")
        archive.save_article(article, "hash1b", "src1b", b"x", "test", article_id=first)
        assert (found("securite"), found("velo")) == ([], [first])
        archive.delete_article(first)
        assert found("velo") == []
        archive.conn.execute("INSERT INTO articles_fts(articles_fts) VALUES('integrity-check')")


def test_search_ranks_title_above_body_and_highlights(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.db") as archive:
        add(archive, 1, text="Les marées montent. La digue tient.", title="Météo du week-end")
        add(archive, 2, text="Une réunion publique aura lieu.", title="La digue sera rehaussée")
        hits = archive.search("digue")
        assert [h["id"] for h in hits] == [2, 1]
        assert "\x02digue\x03" in hits[1]["snippet"]


@pytest.mark.parametrize("query", ["*", "   ", "le la et", "-sécurité", '""'])
def test_queries_with_nothing_to_find_raise_a_clear_error(tmp_path: Path, query: str) -> None:
    with Archive(tmp_path / "a.db") as archive:
        add(archive, 1)
        with pytest.raises(QuerySyntaxError) as caught:
            archive.search(query)
        assert caught.value.hint


@pytest.mark.parametrize(
    "query", ['"sécurité', "AND sécurité", "title:", "foo:bar sécurité", "NEAR(sécurité", "sécurité)"]
)
def test_fts_syntax_is_searched_literally(tmp_path: Path, query: str) -> None:
    with Archive(tmp_path / "a.db") as archive:
        add(archive, 1)
        hits = archive.search(query)
        assert isinstance(hits, list)


def test_filters_and_sorting(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.db") as archive:
        add(archive, 1, published="2024-01-31", site="A")
        add(archive, 2, published="2024-02-01T10:00", site="B")
        add(archive, 3)
        ids = lambda rows: [r["id"] for r in rows]  # noqa: E731
        assert ids(archive.list_articles()) == [2, 1, 3]  # newest first, undated last
        assert ids(archive.list_articles(sort="oldest")) == [1, 2, 3]
        assert ids(archive.list_articles(Filters(since="2024-02"))) == [2]
        assert ids(archive.list_articles(Filters(until="2024-01"))) == [1]
        assert ids(archive.list_articles(Filters(until="2024-02-01"))) == [2, 1]
        assert ids(archive.list_articles(Filters(site="b"))) == [2]
        with pytest.raises(ArchiveError, match="not a date"):
            archive.list_articles(Filters(since="yesterday"))


def test_raw_and_missing_article(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.db") as archive:
        n = add(archive, 1)
        assert archive.raw(n) == b"raw bytes"
        with pytest.raises(ArticleNotFound):
            archive.get(99)


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    archive = Archive(tmp_path_factory.mktemp("q") / "a.db")
    add(archive, 1)
    return archive


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("abcé \"*():^-+ORANDNEAR{}[],.:'\\\x00"), max_size=30) | st.text(max_size=30))
def test_any_query_gives_hits_or_a_clear_error(small_archive: Archive, query: str) -> None:
    try:
        hits = small_archive.search(query)
    except QuerySyntaxError as exc:
        assert exc.hint
    else:
        assert isinstance(hits, list)


def test_an_archive_another_process_creates_meanwhile_opens(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Two ingests started at once into a new archive: the other one's first migration commits
    # while this one reads what the file holds. Those reads share one snapshot, so they never
    # see a version from before it and tables from after it (a foreign database, it said).
    import threading

    path = tmp_path / "a.db"
    real_connect = sqlite3.connect
    others: list[threading.Thread] = []
    errors: list[Exception] = []

    def create() -> None:
        try:
            Archive(path).close()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    class Hooked(sqlite3.Connection):
        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
            if sql.startswith("SELECT count(*) FROM sqlite_master") and not others:
                others.append(threading.Thread(target=create))
                others[0].start()
                others[0].join(1.0)  # done by now, unless this reader's snapshot holds it back
            return super().execute(sql, *args)  # type: ignore[arg-type]

    first = [True]

    def connect(*args: object, **kwargs: object) -> sqlite3.Connection:
        if first:
            first.clear()
            kwargs["factory"] = Hooked
        return real_connect(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", connect)
    with Archive(path) as archive:
        assert archive.count() == 0
    others[0].join()
    assert not errors
    with Archive(path) as archive:
        assert archive.count() == 0
