"""Containers: WARC/WET, JSON lines, tar and zip, bzip2 and xz, built here from data/samples."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newsarchive.cli import cli

from conftest import SAMPLES, write

FETCHED = "2026-11-30T12:00:00Z"  # the crawl's date: no sample page is published that day


def run_cli(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def ingest(path: Path, db: Path, *extra: str) -> dict[str, Any]:
    result = run_cli("ingest", str(path), "--db", str(db), "--workers", "1", "--json", *extra)
    assert "Traceback" not in result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def articles(db: Path) -> list[dict[str, Any]]:
    out = run_cli("export", "--db", str(db), "--format", "jsonl").stdout
    return [json.loads(line) for line in out.splitlines()]


def essence(db: Path) -> set[tuple[str, str | None, str | None]]:
    """What must not depend on the container: each article's text, title and date."""
    return {(a["text"], a["title"], a["published"]) for a in articles(db)}


def sample_pages() -> list[tuple[str, bytes]]:
    """The sample files (not the mirror folder), decompressed, as (name, bytes)."""
    pages = []
    for path in sorted(SAMPLES.iterdir()):
        if path.is_file():
            data = path.read_bytes()
            pages.append((path.name.removesuffix(".gz"), gzip.decompress(data) if path.suffix == ".gz" else data))
    return pages


def as_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


@pytest.fixture(scope="module")
def folder_essence(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str | None, str | None]]:
    tmp = tmp_path_factory.mktemp("folder")
    for name, data in sample_pages():
        write(tmp / "in" / name, data)
    ingest(tmp / "in", tmp / "folder.db")
    return essence(tmp / "folder.db")


# ---------------------------------------------------------------- WARC and WET
def make_warc(path: Path, extras: bool = True) -> int:
    """A crawl of the sample pages: request + response for each HTML page, a WET conversion
    record for each text dump, and (with `extras`) a redirect, a 404, an image and a revisit.
    Returns the number of records that are pages."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    pages = 0
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=path.name.endswith(".gz"))

        def response(url: str, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
            http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict={"WARC-Date": FETCHED}
            )
            writer.write_record(record)

        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for name, data in sample_pages():
            url = f"https://news.example/{name}"
            if ".htm" in name:
                request = writer.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"))
                writer.write_record(request)
                response(url, "200 OK", [("Content-Type", "text/html")], data)
            else:
                text = as_text(data).encode("utf-8")
                conversion = writer.create_warc_record(
                    url, "conversion", payload=io.BytesIO(text), warc_content_type="text/plain",
                    warc_headers_dict={"WARC-Date": FETCHED},
                )  # fmt: skip
                writer.write_record(conversion)
            pages += 1
        if extras:
            response(
                "https://news.example/old", "301 Moved Permanently", [("Location", "https://news.example/new")], b""
            )
            response("https://news.example/gone", "404 Not Found", [("Content-Type", "text/html")], b"<p>gone</p>")
            response("https://news.example/logo.png", "200 OK", [("Content-Type", "image/png")], b"\x89PNG\r\n")
            revisit = writer.create_revisit_record(
                "https://news.example/again", digest="sha1:AAAA", refers_to_uri="https://news.example/x",
                refers_to_date=FETCHED,
            )  # fmt: skip
            writer.write_record(revisit)
    return pages


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_a_warc_gives_one_article_per_page_record_never_dated_by_its_fetch_time(
    tmp_path: Path, name: str, folder_essence: set[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    warc = tmp_path / name
    pages = make_warc(warc)
    db = tmp_path / "a.db"
    data = ingest(warc, db)
    assert data["counts"]["new"] + data["counts"]["duplicate"] == pages
    assert data["reasons"]["skipped"] == {
        "an HTTP redirect (301) to https://news.example/new": 1,
        "an HTTP error (404)": 1,
        "not a page: image/png": 1,
        "a WARC revisit record (the page's content is in an earlier record)": 1,
    }
    stored = articles(db)
    assert {a["url"] for a in stored} <= {f"https://news.example/{n}" for n, _ in sample_pages()}
    assert all(a["path"].startswith(f"{warc}#urn:uuid:") for a in stored)
    assert all(a["fetched"] == FETCHED for a in stored)
    assert not any((a["published"] or "").startswith("2026-11-30") for a in stored)
    assert essence(db) == folder_essence  # the same articles as the folder of pages

    import newsarchive.sources

    def unread(*args: object) -> None:
        raise AssertionError("an unchanged container was read again")

    monkeypatch.setattr(newsarchive.sources, "records", unread)
    monkeypatch.setattr("newsarchive.pipeline.records", unread)
    again = ingest(warc, db)
    assert again["counts"]["unchanged"] == pages + 4 and again["counts"]["new"] == 0


@pytest.mark.parametrize("name", ["cut.warc.gz", "cut.warc"])
def test_a_truncated_warc_keeps_the_records_before_the_cut_and_says_where(tmp_path: Path, name: str) -> None:
    whole = tmp_path / name.replace("cut", "whole")
    make_warc(whole, extras=False)
    from warcio.archiveiterator import ArchiveIterator

    with open(whole, "rb") as fh:  # where the records lie: the cut goes inside one, never between two
        iterator = ArchiveIterator(fh)
        spans = [(iterator.get_record_offset(), iterator.get_record_length()) for _ in iterator]
    start, length = spans[len(spans) * 2 // 3]
    cut = tmp_path / name
    cut.write_bytes(whole.read_bytes()[: start + length // 2])
    db = tmp_path / "a.db"
    result = ingest(cut, db)
    kept = result["counts"]["new"] + result["counts"]["duplicate"]
    assert 0 < kept < len(sample_pages())
    (reason,) = result["reasons"]["failed"]
    assert reason.startswith(f"the WARC is damaged after {kept} records (at byte ")
    assert reason.endswith("; the records before were read")
    for article in articles(db):  # none of them half-stored
        assert article["words"] > 50


def test_records_of_a_container_are_shown_raw_and_recleaned_as_ingested(tmp_path: Path) -> None:
    warc = tmp_path / "crawl.warc.gz"
    make_warc(warc, extras=False)
    db = tmp_path / "a.db"
    ingest(warc, db)
    first = articles(db)
    raw = run_cli("show", str(first[0]["id"]), "--raw", "--db", str(db))
    assert raw.exit_code == 0 and "</html>" in raw.stdout  # the page as it was crawled
    again = json.loads(run_cli("reclean", "--db", str(db), "--json").stdout)
    assert (again["articles"], again["changed"], again["kept"]) == (len(first), 0, 0)
    assert articles(db) == first  # the URL and fetch time came back from the stored hints


# ---------------------------------------------------------------- tar, zip, bzip2, xz
def make_tar(path: Path, pages: list[tuple[str, bytes]]) -> None:
    with tarfile.open(path, "w:gz" if path.name.endswith(".gz") else "w") as tar:
        for name, data in pages:
            info = tarfile.TarInfo(f"scrape/{name}")
            info.size, info.mtime = len(data), 1_700_000_000
            tar.addfile(info, io.BytesIO(data))


def make_zip(path: Path, pages: list[tuple[str, bytes]]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in pages:
            archive.writestr(f"scrape/{name}", data)


@pytest.mark.parametrize("name", ["pages.tar.gz", "pages.tar", "pages.zip"])
def test_an_archive_of_pages_gives_the_folder_s_articles(tmp_path: Path, name: str, folder_essence: set[Any]) -> None:
    path = tmp_path / name
    pages = sample_pages()
    (make_zip if name.endswith(".zip") else make_tar)(path, pages)
    db = tmp_path / "a.db"
    data = ingest(path, db)
    assert data["counts"]["new"] + data["counts"]["duplicate"] == len(pages)
    assert essence(db) == folder_essence
    assert all(a["path"].startswith(f"{path}#scrape/") for a in articles(db))
    assert ingest(path, db)["counts"]["unchanged"] == len(pages)

    # One page changed: only that record is cleaned again and updated.
    changed = [(n, d.replace(b"Lyon", b"Villeurbanne") if n.startswith("velo") else d) for n, d in pages]
    (make_zip if name.endswith(".zip") else make_tar)(path, changed)
    counts = ingest(path, db)["counts"]
    assert (counts["updated"], counts["unchanged"], counts["new"]) == (1, len(pages) - 1, 0)


def test_zip_bombs_and_nested_archives_are_refused_member_by_member(tmp_path: Path) -> None:
    path = tmp_path / "pages.zip"
    pages = sample_pages()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b" " * 8_000_000)  # 8 MB of spaces in about 8 kB
        archive.writestr("inner.tar.gz", b"not looked at")
        archive.writestr(".hidden/page.html", pages[0][1])
        for name, data in pages:
            archive.writestr(name, data)
    data = ingest(path, tmp_path / "a.db")
    assert data["counts"]["new"] + data["counts"]["duplicate"] == len(pages)
    skipped = data["reasons"]["skipped"]
    assert [r for r in skipped if r.startswith("inflates 1,") and r.endswith(": a zip bomb?")]
    assert skipped["an archive inside an archive: extract it and ingest it on its own"] == 1
    assert sum(skipped.values()) == 2  # the hidden folder is passed over, as in a folder walk


def test_bzip2_and_xz_pages_are_read_like_gzip_ones(tmp_path: Path) -> None:
    (name, html), (dump_name, dump) = next(p for p in sample_pages() if p[0].endswith(".html")), sample_pages()[2]
    write(tmp_path / "in" / f"{name}.bz2", bz2.compress(html))
    write(tmp_path / "in" / f"{dump_name}.xz", lzma.compress(dump))
    write(tmp_path / "plain" / name, html)
    write(tmp_path / "plain" / dump_name, dump)
    ingest(tmp_path / "in", tmp_path / "a.db")
    ingest(tmp_path / "plain", tmp_path / "b.db")
    assert essence(tmp_path / "a.db") == essence(tmp_path / "b.db") and len(articles(tmp_path / "a.db")) == 2


# ---------------------------------------------------------------- JSON lines
def jsonl(path: Path, lines: list[dict[str, Any] | str]) -> Path:
    text = "".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n" for line in lines)
    return write(path, text)


def news_please_line(name: str, data: bytes) -> dict[str, Any]:
    """news-please's fields (its `maintext` holding the dump; the page's HTML as Scrapy items keep it)."""
    page = "html" if ".htm" in name else "maintext"
    return {
        "url": f"https://news.example/{name}", "source_domain": "news.example", page: as_text(data),
        "title": None, "date_publish": None, "authors": [], "language": None, "date_download": FETCHED,
    }  # fmt: skip


def trafilatura_line(name: str, data: bytes) -> dict[str, Any]:
    """trafilatura's `--json` fields (`source` the URL, `text`), with the raw page kept beside them."""
    page = "raw_html" if ".htm" in name else "text"
    return {"source": f"https://news.example/{name}", "hostname": "news.example", page: as_text(data), "title": None}


@pytest.mark.parametrize("style", [news_please_line, trafilatura_line])
def test_scrapers_json_lines_give_the_folder_s_articles(tmp_path: Path, style: Any, folder_essence: set[Any]) -> None:
    pages = sample_pages()
    path = jsonl(tmp_path / "items.jsonl", [style(n, d) for n, d in pages])
    db = tmp_path / "a.db"
    data = ingest(path, db)
    assert data["counts"]["new"] + data["counts"]["duplicate"] == len(pages)
    assert essence(db) == folder_essence
    assert {a["path"] for a in articles(db)} <= {f"{path}#L{n}" for n in range(1, len(pages) + 1)}
    assert {a["url"] for a in articles(db)} <= {f"https://news.example/{n}" for n, _ in pages}


def test_a_record_s_own_fields_are_hints_checked_by_our_rules(tmp_path: Path) -> None:
    body = "Le conseil municipal a voté mardi soir un budget en hausse pour les écoles de la ville. " * 5
    lines: list[dict[str, Any] | str] = [
        {"maintext": body + "Un.", "title": "Le budget des écoles", "date_publish": "2024-06-21 10:00:00",
         "authors": ["Paul Rivière", "Léa Martin"]},
        {"maintext": body + "Deux.", "title": "Un budget futur", "date_publish": "2031-01-01"},
        {"maintext": body + "Trois.", "title": "Une année seule", "published": "2024"},
        {"body_text": body + "Quatre.", "title": "Champ nommé"},
        "{broken",
    ]  # fmt: skip
    db = tmp_path / "a.db"
    data = ingest(jsonl(tmp_path / "items.jsonl", lines), db, "--jsonl-field", "body_text")
    assert data["counts"]["new"] == 4 and data["counts"]["failed"] == 1
    by_title = {a["title"]: a for a in articles(db)}
    first = by_title["Le budget des écoles"]
    assert (first["published"], first["date_source"], first["author"]) == (
        "2024-06-21T10:00",
        "record",
        "Paul Rivière, Léa Martin",
    )
    assert by_title["Un budget futur"]["published"] is None  # a future date is no date
    assert by_title["Une année seule"]["published"] is None  # nor is a year alone
    assert "Champ nommé" in by_title


def test_the_http_charset_of_a_warc_record_decodes_it_at_ingest_and_in_show_raw(tmp_path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    body = "Le ticket de bus passe à 2 € le 1er mars : une hausse votée par la métropole, contestée par l'opposition."
    page = f"<html><body><article><h1>Ticket à 2 €</h1><p>{body}</p><p>{body}</p></article></body></html>"
    warc = tmp_path / "one.warc"
    with open(warc, "wb") as fh:
        writer = WARCWriter(fh, gzip=False)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=iso-8859-15")], protocol="HTTP/1.1")
        payload = io.BytesIO(page.encode("iso-8859-15"))  # the euro sign is byte A4 here, a sign of its own in cp1252
        writer.write_record(
            writer.create_warc_record("https://bus.example/ticket", "response", payload=payload, http_headers=http)
        )
    db = tmp_path / "a.db"
    assert ingest(warc, db)["counts"]["new"] == 1
    (article,) = articles(db)
    assert "2 €" in article["text"] and article["encoding"] == "iso8859-15"
    assert "Ticket à 2 €" in run_cli("show", str(article["id"]), "--raw", "--db", str(db)).stdout


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_a_warc_cut_anywhere_but_between_two_records_is_reported_damaged(tmp_path: Path, name: str) -> None:
    from warcio.archiveiterator import ArchiveIterator

    from newsarchive.sources import SourceOptions, records

    whole = tmp_path / name
    make_warc(whole)
    data = whole.read_bytes()
    with open(whole, "rb") as fh:
        iterator = ArchiveIterator(fh)
        boundaries = {iterator.get_record_offset() for _ in iterator}
    cut = tmp_path / f"cut-{name}"
    for size in range(1, len(data), max(1, len(data) // 120)):
        cut.write_bytes(data[:size])
        damaged = [r for r in records(cut, "k", SourceOptions(1 << 20)) if r.key == "k"]
        assert bool(damaged) != (size in boundaries), size
