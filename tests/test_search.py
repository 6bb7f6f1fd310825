"""French search behaviour, pinned: accents, elisions, plurals, verb forms, phrases, exclusion."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.analysis import analyze, terms
from newsarchive.archive import Archive, Filters, QuerySyntaxError
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
        ("sécur*", [1, 3]),  # prefix
        ("élect*", [1]),
        ("title:sécurité", [1]),  # the title only
        ('author:"Auteur 4"', [4]),
        ("marché author:Auteur", [3]),
    ],
)
def test_search_finds_what_a_french_reader_expects(archive: Archive, query: str, expected: list[int]) -> None:
    assert ids(archive.search(query)) == expected


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
def test_query_translation_never_produces_invalid_fts(query: str) -> None:
    try:
        parsed = parse(query)
    except QueryError:
        return
    # every term is quoted letters and digits: nothing else can reach FTS5
    stripped = parsed.fts.replace("title : ", "")
    for token in stripped.replace("(", " ").replace(")", " ").split():
        assert token in ("AND", "OR", "NOT") or token.strip('"*').replace('"', "").isalnum() or token == '""'


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


def test_the_index_counts_its_documents_through_every_write(archive: Archive) -> None:
    assert archive._indexed_documents() == 4
    archive.delete_article(4)
    article = Article(path="/in/1.txt", title="Autre", text="Un autre texte.", kind="txt")
    archive.save_article(article, "hash1b", "src1b", b"raw", "test", article_id=1)
    assert archive._indexed_documents() == archive.count() == 3
