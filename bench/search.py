"""Search latency at scale: our French search against plain FTS5 on the same archive.

    python bench/search.py [--articles 100000] [--queries 50] [--seed 1]

Builds (once, cached in bench/.cache/, keyed by N and the generator's version) an archive of N
synthetic French articles whose vocabulary is drawn from the French texts shipped in
data/samples plus generated rare words (proper nouns, jargon) with a Zipf distribution, then
times 50 random queries of each kind: one word, two words, a phrase, a prefix, a word found in
about a third of the archive, and one word with a date filter. Each query is run through
`Archive.search` (top 20 with snippets) and through plain FTS5 as sqlite-utils' search does it
(bm25, a snippet, top 20) on an `articles_fts` table the benchmark adds to its archive, as
`sqlite-utils enable-fts` makes it (newsarchive's archives no longer carry one). The last line is:

    search articles=N p95_ms one=X two=X phrase=X prefix=X common=X dated=X fts5_p95_ms one=X ...
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import random
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import sqlite_utils

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsarchive.analysis import terms  # noqa: E402
from newsarchive.archive import SCHEMA_VERSION, Archive, Filters  # noqa: E402
from newsarchive.inputs import decode_input  # noqa: E402

GENERATOR = 2
KINDS = ("one", "two", "phrase", "prefix", "common", "dated")
SYLLABLES = (  # noqa: SIM905
    "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge gi go la le li lo lu ma me mi mo mu "
    "na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vu tran pro "
    "con dis ver mor lan char"
).split()


def sample_words() -> list[str]:
    """Words of the French sample articles, in text order (real French, ours to ship)."""
    words: list[str] = []
    for path in sorted((ROOT / "data" / "samples").rglob("*")):
        if path.is_file():
            text = decode_input(path.read_bytes(), path.name).text
            text = re.sub(r"<[^>]+>", " ", text)
            words.extend(re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", text))
    return words


FUNCTION_WORDS = (  # noqa: SIM905 - the head of any French frequency list
    "de la le et les des à en un une du que qui dans pour pas sur est au par plus ne il se ce avec son "
    "sa ses elle ont a été aux mais comme ou nous on sont leur cette y tout lui entre aussi fait"
).split()


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Function words first (as in real French text), then content words in a random order.

    With a Zipf law over this list, the most frequent words are the ones the index leaves out,
    and the commonest content words sit in a fraction of the articles, as in a news archive.
    """
    base = sorted({w.lower() for w in sample_words() if len(w) > 1} - set(FUNCTION_WORDS))
    rare = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(60_000)}
    content = base + sorted(rare - set(base))
    rng.shuffle(content)
    words = FUNCTION_WORDS + content
    weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(words))]  # Zipf
    return words, weights


def build(path: Path, n: int, seed: int) -> float:
    rng = random.Random(seed)
    words, weights = vocabulary(rng)
    # A few words every article of a topic uses, so that some words are in a third of them.
    topics = [words[i : i + 3] for i in range(len(FUNCTION_WORDS) + 50, len(FUNCTION_WORDS) + 80, 3)]
    start = time.perf_counter()
    archive = Archive(path)
    conn = archive.conn
    archive.begin()
    batch = []
    for i in range(n):
        topic = topics[i % 3 if rng.random() < 0.9 else rng.randrange(len(topics))]
        body_words = rng.choices(words, weights, k=rng.randint(250, 600)) + topic * 2
        rng.shuffle(body_words)
        sentences = [" ".join(body_words[j : j + 15]).capitalize() + "." for j in range(0, len(body_words), 15)]
        text = "\n\n".join(" ".join(sentences[k : k + 4]) for k in range(0, len(sentences), 4))
        title = " ".join(rng.choices(words, weights, k=rng.randint(6, 12))).capitalize()
        day = f"20{rng.randint(15, 25):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        batch.append((f"/bench/{i}.txt", title, day, "byline", "fr", len(body_words), text, f"h{i}", f"s{i}"))
        if len(batch) == 5000 or i == n - 1:
            conn.executemany(
                """INSERT INTO articles (path, title, published, date_source, lang, words, text, kind,
                     content_hash, source_hash, cleaner_version, ingested_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, 'txt', ?, ?, 'bench', '', '')""",
                batch,
            )
            batch = []
    archive.commit()
    archive.close()
    return time.perf_counter() - start


def queries(conn: sqlite3.Connection, searcher: Any, rng: random.Random, count: int) -> dict[str, list[str]]:
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    ids = [rng.randint(1, total) for _ in range(count * 3)]
    texts = [conn.execute("SELECT text FROM articles WHERE id = ?", (i,)).fetchone()[0] for i in ids]
    words = [w for t in texts for w in re.findall(r"[^\W\d_]{5,}", t.lower()) if terms(w)]
    frequent = searcher.terms_with_prefix("text", "", limit=200)
    common_terms = {t for t, doc in frequent if total // 4 <= doc <= total // 2}
    # words a user would type whose index term is in about a third of the articles
    third = sorted({w for w in words if terms(w)[0] in common_terms})[:5]
    picks: dict[str, list[str]] = {k: [] for k in KINDS}
    for n in range(count):
        picks["one"].append(rng.choice(words))
        picks["two"].append(f"{rng.choice(words)} {rng.choice(words)}")
        t = [w.strip(".,") for w in texts[n].split()]
        pairs = [(a, b) for a, b in itertools.pairwise(t) if terms(a) and terms(b)]
        picks["phrase"].append('"{} {}"'.format(*rng.choice(pairs)))
        picks["prefix"].append(rng.choice(words)[:4] + "*")
        picks["common"].append(rng.choice(third) if third else rng.choice(words))
        picks["dated"].append(rng.choice(words))
    return picks


def fts5_query(query: str) -> str:
    """The same query for plain FTS5: words, a phrase, or a prefix, as a user would type them."""
    return query


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cache = ROOT / "bench" / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"search-{args.articles}-g{GENERATOR}-v{SCHEMA_VERSION}-s{args.seed}.db"
    if not path.exists():
        tmp = path.with_suffix(".part")
        for stale in cache.glob(tmp.name + "*"):
            stale.unlink()
        seconds = build(tmp, args.articles, args.seed)
        tmp.rename(path)
        print(f"stored {args.articles} articles in {seconds:.1f} s")
    archive = Archive(path, create=False)
    conn = archive.conn
    db = sqlite_utils.Database(conn)
    if db["articles"].detect_fts() is None:  # the peer: plain FTS5, built once in bulk
        start = time.perf_counter()
        db["articles"].enable_fts(["title", "text"], tokenize="unicode61 remove_diacritics 2")
        print(f"plain FTS5 articles_fts built in {time.perf_counter() - start:.1f} s")
    if archive.search_pending() != 0:
        start = time.perf_counter()
        archive.reindex()
        print(f"search index built in {time.perf_counter() - start:.1f} s")
    size = path.stat().st_size
    index_size = sum(f.stat().st_size for f in archive.index_path.iterdir() if f.is_file())
    print(f"archive {size / 1e6:.0f} MB; search index beside it {index_size / 1e6:.0f} MB")
    with contextlib.suppress(sqlite3.OperationalError):
        rows = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
        plain = sum(v for k, v in rows.items() if k.startswith("articles_fts"))
        print(f"plain FTS5 articles_fts (inside the archive) {plain / 1e6:.0f} MB")
    rng = random.Random(args.seed + 1)
    picks = queries(conn, archive._search_index().searcher(), rng, args.queries)
    since = Filters(since="2020")
    plain_sql = """SELECT articles.id, articles.title, snippet(articles_fts, 1, '<b>', '</b>', '…', 24)
                   FROM articles_fts JOIN articles ON articles.id = articles_fts.rowid
                   WHERE articles_fts MATCH ? {date} ORDER BY bm25(articles_fts) LIMIT 20"""
    results: dict[str, dict[str, list[float]]] = {"ours": {}, "fts5": {}}
    for kind in KINDS:
        ours_ms, plain_ms = [], []
        for q in picks[kind]:
            filters = since if kind == "dated" else None
            ours_ms.append(timed(lambda q=q, f=filters: archive.search(q, f, limit=20)))
            date = "AND articles.published >= '2020'" if kind == "dated" else ""
            with contextlib.suppress(sqlite3.OperationalError):  # plain FTS5 refuses some inputs
                plain_ms.append(
                    timed(lambda q=q, d=date: conn.execute(plain_sql.format(date=d), (fts5_query(q),)).fetchall())
                )
        results["ours"][kind], results["fts5"][kind] = ours_ms, plain_ms
        print(
            f"{kind:7} ours p50 {statistics.median(ours_ms):7.1f} ms p95 {p95(ours_ms):7.1f} ms | "
            f"fts5 p50 {statistics.median(plain_ms):7.1f} ms p95 {p95(plain_ms):7.1f} ms | "
            f"ratio p95 {p95(ours_ms) / max(p95(plain_ms), 1e-9):.2f}"
        )
    archive.close()
    line = f"search articles={args.articles} p95_ms " + " ".join(f"{k}={p95(results['ours'][k]):.1f}" for k in KINDS)
    line += " fts5_p95_ms " + " ".join(f"{k}={p95(results['fts5'][k]):.1f}" for k in KINDS)
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
