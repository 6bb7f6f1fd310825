"""French search behaviour, pinned: accents, elisions, plurals, verb forms, phrases, exclusion."""

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.analysis import analyze, terms
from newsarchive.archive import Archive, ArchiveError, Filters, QuerySyntaxError
from newsarchive.model import Article
from newsarchive.query import QueryError, parse
from newsarchive.snippets import END, START, snippet

DOCS = {
    1: ("La sécurité des élections", "Le gouvernement veut réguler l’IA avant les élections européennes de juin."),
    2: ("Vélos et trottinettes", "Les vélos en libre-service reviennent à Lyon, où la régulation était attendue."),
    3: ("Le marché de Noël", "Un marché de producteurs s'installe sous les nefs, loin de la sécurité routière."),
    4: ("Intelligence artificielle", "L'intelligence artificielle générative inquiète les artistes."),
}


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = Archive(tmp_path / "a.db")
    for n, (title, text) in DOCS.items():
        article = Article(path=f"/in/{n}.txt", title=title, text=text, lang="fr", kind="txt", author=f"Auteur {n}")
        article.published = f"2024-0{n}-01"
        archive.save_article(article, f"hash{n}", f"src{n}", b"raw", "test")
    return archive


def ids(rows: list[dict]) -> list[int]:  # type: ignore[type-arg]
    return sorted(r["id"] for r in rows)


def test_analysis_is_french() -> None:
    assert terms("Sécurité") == terms("securite") == terms("sécurités")
    assert terms("régulation") == terms("régulations") == terms("réguler") == terms("régulait")
    assert terms("l’IA") == terms("IA") == ["ia"]
    assert terms("vélos") == terms("vélo")
    assert analyze("le la les de des et") == ""  # stop words are not indexed


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("securite", [1, 3]),  # accents
        ("SÉCURITÉ", [1, 3]),  # case
        ("IA", [1]),  # elision split: l’IA
        ("régulation", [1, 2]),  # réguler and régulation share a stem
        ("vélo", [2]),  # plural
        ('"intelligence artificielle"', [4]),  # phrase
        ('"artificielle intelligence"', []),  # order matters in a phrase
        ("sécurité -élections", [3]),  # exclusion
        ("vélo OR marché", [2, 3]),
        ("sécurité NOT élections", [3]),  # NOT in capitals: an operator
        ('sécurité NOT "élections européennes"', [3]),
        ("sécurité AND routière", [3]),  # AND: the default, said aloud
        ("vélo AND Lyon", [2]),
        ("AND", []),  # alone, or last: the word itself
        ("sécurité not", []),  # in lower case: a word
        ("sécur*", [1, 3]),  # prefix
        ("élect*", [1]),
        ("title:sécurité", [1]),  # the title only
        ('author:"Auteur 4"', [4]),
        ("marché author:Auteur", [3]),
    ],
)
def test_search_finds_what_a_french_reader_expects(archive: Archive, query: str, expected: list[int]) -> None:
    assert ids(archive.search(query)) == expected


def test_ligatures_are_written_out_on_both_sides(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    text = "Au cœur des vignes, les œnologues parlent de la main-d’œuvre et d’ex æquo."
    archive.save_article(
        Article(path="/in/1.txt", title="Vendanges", text=text, lang="fr", kind="txt"), "h", "s", b"r", "t"
    )
    for query in ("coeur", "cœur", "oenologues", "œnologue", "main-d'oeuvre", "aequo", "OEUVRE"):
        assert ids(archive.search(query)) == [1], query
    assert f"{START}cœur{END}" in archive.search("coeur")[0]["snippet"]
    assert f"{START}œnologues{END}" in archive.search("oenologue*")[0]["snippet"]


def test_ranking_title_first_and_sorting(archive: Archive) -> None:
    assert next(r["id"] for r in archive.search("sécurité")) == 1  # in the title beats in the body
    assert [r["id"] for r in archive.search("sécurité", sort="newest")] == [3, 1]
    assert archive.count_search("sécurité") == 2
    assert ids(archive.search("sécurité", Filters(since="2024-02"))) == [3]


def test_snippets_mark_the_surface_forms_that_matched(archive: Archive) -> None:
    (hit,) = archive.search("régulation", Filters(until="2024-01"))
    assert f"{START}réguler{END}" in hit["snippet"]
    assert snippet("La régulation, encore.", {"regul"}, set()) == f"La {START}régulation{END}, encore."


def test_index_follows_updates_and_deletes(archive: Archive) -> None:
    article = Article(path="/in/2.txt", title="Trottinettes", text="Les trottinettes disparaissent.", kind="txt")
    archive.save_article(article, "hash2b", "src2b", b"raw", "test", article_id=2)
    assert ids(archive.search("vélo")) == []
    assert ids(archive.search("trottinette")) == [2]
    archive.delete_article(2)
    assert ids(archive.search("trottinette")) == []
    assert archive.reindex() == 3
    assert ids(archive.search("marché")) == [3]


def test_similar_articles(archive: Archive) -> None:
    article = Article(path="/in/5.txt", title="Élections", text="Les élections européennes approchent.", kind="txt")
    archive.save_article(article, "hash5", "src5", b"raw", "test")
    assert [r["id"] for r in archive.similar(5)][:1] == [1]


@pytest.mark.parametrize("query", ["le", "-vélo", "*", "", '""', "-¼"])
def test_queries_that_cannot_find_anything_are_refused_clearly(archive: Archive, query: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        archive.search(query)
    assert caught.value.hint


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("aéz \"*():^-+ORNTAiE{}[],.:'’\\\x00title author"), max_size=40)
    | st.text(max_size=40)
)
def test_any_query_string_is_searched_or_refused_in_one_sentence(query: str) -> None:
    try:
        parsed = parse(query)
    except QueryError:
        return
    # only analysed index terms (or folded prefixes) reach the index: no query syntax at all
    for term in [t for clause in parsed.clauses for t in clause] + parsed.excluded:
        assert term.words and all(w and w == "".join(w.split()) for w in term.words)
        if term.prefix:
            assert len(term.words) == 1
            assert term.words[0].replace("_", "").isalnum()


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_any_query_runs_against_the_index(tmp_path_factory: pytest.TempPathFactory, query: str) -> None:
    archive = _ARCHIVES.get("a")
    if archive is None:
        archive = _ARCHIVES["a"] = Archive(tmp_path_factory.mktemp("hyp") / "a.db")
        article = Article(path="/in/x.txt", title="Élections", text="Le vote des élections régionales.", kind="txt")
        archive.save_article(article, "h", "s", b"raw", "test")
    try:
        archive.search(query)
        archive.count_search(query)
    except QuerySyntaxError as exc:
        assert exc.hint and "\n" not in str(exc)


_ARCHIVES: dict[str, Archive] = {}


def test_filtered_pages_equal_filtering_the_full_ranking(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "many.db")
    for n in range(260):
        repeats = " ".join(["budget"] * (1 + n % 7))
        article = Article(
            path=f"/in/{n}.txt", title=f"Article {n}", text=f"Le {repeats} de la commune numéro {n}.", kind="txt"
        )
        article.published = f"20{10 + n % 15}-01-01"
        archive.save_article(article, f"h{n}", f"s{n}", b"raw", "test")
    full = archive.search("budget", limit=None)
    for since in ("2012", "2024"):  # most pass / few pass (the second joins every match)
        expected = [r["id"] for r in full if r["published"] >= since]
        for offset in (0, 5):
            got = [r["id"] for r in archive.search("budget", Filters(since=since), limit=20, offset=offset)]
            assert got == expected[offset : offset + 20]


def test_the_index_follows_every_write_path(archive: Archive) -> None:
    assert archive.search_pending() == -1  # never built: the first search builds it
    assert ids(archive.search("intelligence")) == [4]
    archive.delete_article(4)
    article = Article(path="/in/1.txt", title="Autre", text="Un autre texte.", kind="txt", lang="fr")
    archive.save_article(article, "hash1b", "src1b", b"raw", "test", article_id=1)
    assert archive.search_pending() == 2
    assert ids(archive.search("autre")) == [1]  # a search applies what waits first
    assert archive.search_pending() == 0
    assert archive._search_index().documents() == archive.count() == 3
    assert ids(archive.search("intelligence")) == []


def test_the_index_is_rebuilt_when_it_does_not_match_the_archive(archive: Archive, tmp_path: Path) -> None:
    assert ids(archive.search("sécurité")) == [1, 3]
    archive.close()
    index = tmp_path / "a.db-search"
    (index / "newsarchive-index.json").unlink()  # lost marker (or a crash before it was written)
    again = Archive(tmp_path / "a.db")
    assert again.search_pending() == -1
    assert ids(again.search("sécurité")) == [1, 3]
    assert again.search_pending() == 0
    again.close()
    # an index folder beside another archive (copied, restored) is not trusted
    other = tmp_path / "b.db"
    shutil.copytree(index, tmp_path / "b.db-search")
    fresh = Archive(other)
    assert fresh.search_pending() == -1
    assert fresh.search("sécurité") == []


def test_rows_another_tool_deletes_or_adds_leave_the_index(archive: Archive, tmp_path: Path) -> None:
    import sqlite3

    assert archive.count_search("sécurité") == 2
    archive.close()
    other = sqlite3.connect(tmp_path / "a.db")
    other.execute("DELETE FROM raw_inputs WHERE article_id = 3")
    other.execute("DELETE FROM articles WHERE id = 3")  # sqlite-utils or Datasette, not us
    other.commit()
    again = Archive(tmp_path / "a.db")
    assert again.search_pending() == -1  # seen on open: the count no longer matches the index
    assert (again.count_search("sécurité"), ids(again.search("sécurité"))) == (1, [1])
    # and while our own writes wait in the outbox: found when they are applied
    save(again, 5, "Sécurité routière", "La sécurité routière progresse à Lyon.", "h5")
    other.execute("DELETE FROM raw_inputs WHERE article_id = 1")
    other.execute("DELETE FROM articles WHERE id = 1")
    other.commit()
    assert (again.count_search("sécurité"), ids(again.search("sécurité"))) == (1, [5])
    other.close()


def test_a_search_waits_for_no_other_writer(archive: Archive, tmp_path: Path) -> None:
    archive.search("vélo")
    other = Archive(tmp_path / "a.db")
    with other._search_index().writer():  # another process feeding the index
        article = Article(path="/in/9.txt", title="Vélo", text="Un vélo neuf.", kind="txt")
        archive.save_article(article, "h9", "s9", b"raw", "test")
        assert ids(archive.search("vélo")) == [2]  # the index as it is; no waiting
    assert ids(archive.search("vélo")) == [2, 5]


def test_a_folder_that_is_not_an_index_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "a.db-search").mkdir()
    (tmp_path / "a.db-search" / "notes.txt").write_text("mine")
    archive = Archive(tmp_path / "a.db")
    with pytest.raises(ArchiveError, match="not a newsarchive search index"):
        archive.search("vélo")
    assert (tmp_path / "a.db-search" / "notes.txt").read_text() == "mine"


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("aeéèêçcoôœæøbnuitsBANÉÇŒ _-'’.ﬁ\u0130"), max_size=60),
    st.lists(st.sampled_from(["ban", "nuit", "ce", "eco", "s", "ete", "coe", "oeu", "bae"]), min_size=1, max_size=3),
)
def test_fast_snippet_matching_finds_what_the_regular_expression_finds(text: str, wanted: list[str]) -> None:
    from newsarchive.snippets import _candidates, _folded_bytes, _starts

    key = tuple(sorted(set(wanted)))
    by_regex = [m.start() for m in _candidates(key).finditer(text)]
    folded = _folded_bytes(text)
    if folded is not None:
        assert len(folded) == len(text)
        assert _starts(text, folded, key) == by_regex


def save(archive: Archive, n: int, title: str, text: str, digest: str, **options: object) -> int:
    article = Article(path=f"/in/{n}.txt", title=title, text=text, lang="fr", kind="txt")
    return archive.save_article(article, digest, f"s{n}", b"raw", "test", **options)  # type: ignore[arg-type]


def test_an_analysis_made_by_a_worker_is_used_only_while_it_is_the_last_write(tmp_path: Path) -> None:
    # An ingest worker analyses the article; the index takes that document instead of reading
    # the article back. A sentinel term that only the prepared document holds shows which was used.
    path = tmp_path / "a.db"
    writer = Archive(path)
    writer.open_search_index()
    prepared = (analyze("vélo"), analyze("vélo sentinelle"))
    first = save(writer, 1, "Vélos", "Les vélos reviennent.", "h1", analysed=prepared)
    writer.feed_search_index()
    assert ids(writer.search("sentinelle")) == [first]  # the prepared document
    # Later writes from another process: the index must follow the archive, not the worker.
    prepared = (analyze("Noël"), analyze("marché Noël sentinelle"))
    second = save(writer, 2, "Noël", "Le marché de Noël.", "h2", analysed=prepared)
    other = Archive(path)
    save(other, 2, "Noël", "La patinoire de Noël.", "h2b", article_id=second)
    other.close()
    writer.feed_search_index()
    assert ids(writer.search("sentinelle")) == [first]
    assert ids(writer.search("patinoire")) == [second]
    assert writer.search("marché") == []
    writer.close()


def test_a_rolled_back_write_leaves_no_prepared_document(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "a.db")
    archive.open_search_index()
    archive.begin()
    with pytest.raises(RuntimeError), archive.savepoint():
        save(archive, 1, "Vélos", "Les vélos.", "h1", analysed=(analyze("vélo"), analyze("vélo sentinelle")))
        raise RuntimeError("the file failed after it was stored")
    archive.commit()
    # Another process then takes the same outbox seq and the same id, for another article.
    other = Archive(tmp_path / "a.db")
    again = save(other, 2, "Noël", "Le marché de Noël.", "h2")
    other.close()
    archive.feed_search_index()
    assert archive.search("sentinelle") == []
    assert ids(archive.search("marché")) == [again]
