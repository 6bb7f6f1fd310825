"""JSON lines written by scrapers: news-please, trafilatura's `--json`, Scrapy items.

One object a line. The page is its `html` field (cleaned as HTML), else `text`, `maintext` or
`raw_text` (cleaned as a text dump), else a field named with `--jsonl-field`. What the
scraper also wrote (URL, title, date, authors, language) becomes hints, checked by the same
rules as what we find ourselves.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from newsarchive.inputs import format_size
from newsarchive.sources import Record, Skip, SourceOptions

HTML_FIELDS = ("html", "raw_html", "content_html", "body_html")
TEXT_FIELDS = ("text", "maintext", "raw_text", "content", "body")
URL_FIELDS = ("url", "source_url", "link", "uri", "source")  # trafilatura's `source` is the URL
TITLE_FIELDS = ("title", "headline")
DATE_FIELDS = ("date_publish", "published", "date_published", "publish_date", "datePublished", "date")
AUTHOR_FIELDS = ("authors", "author", "byline")
LANG_FIELDS = ("language", "lang")


def jsonl_records(path: Path, key: str, options: SourceOptions) -> Iterator[Record | Skip]:
    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        try:
            yield from _lines(fh, key, options)
        except (OSError, EOFError) as exc:
            yield Skip(key, None, f"the file is damaged ({exc}); the lines before were read", "failed")


def _lines(fh: IO[bytes], key: str, options: SourceOptions) -> Iterator[Record | Skip]:
    for number, line in enumerate(_bounded_lines(fh, options.max_bytes), start=1):
        place = f"L{number}"
        if line is None:
            yield Skip(key, place, f"a line larger than the {format_size(options.max_bytes)} limit (see --max-size)")
            continue
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            yield Skip(key, place, f"not a JSON object: {exc}", "failed")
            continue
        if not isinstance(item, dict):
            yield Skip(key, place, "not a JSON object")
            continue
        yield _record(item, key, place, options)


def _bounded_lines(fh: IO[bytes], max_bytes: int) -> Iterator[bytes | None]:
    """Lines, each read with a bound: None stands for one over it (read past, never held)."""
    while True:
        line = fh.readline(max_bytes + 1)
        if not line:
            return
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = fh.readline(max_bytes + 1)
            yield None
            continue
        yield line


def _record(item: dict[str, Any], key: str, place: str, options: SourceOptions) -> Record | Skip:
    page, kind = None, None
    for names, found_kind in ((HTML_FIELDS, "html"), (TEXT_FIELDS, "txt"), (options.jsonl_fields, None)):
        for name in names:
            value = item.get(name)
            if isinstance(value, str) and value.strip():
                page, kind = value, found_kind
                break
        if page is not None:
            break
    if page is None:
        wanted = ", ".join((*HTML_FIELDS[:1], *TEXT_FIELDS[:3], *options.jsonl_fields))
        return Skip(key, place, f"no page in this line: none of the fields {wanted} (see --jsonl-field)")
    hints: dict[str, Any] = {
        "kind": kind,
        "url": _url(item),
        "title": _first(item, TITLE_FIELDS),
        "published": _first(item, DATE_FIELDS),
        "author": _authors(item),
        "lang": _first(item, LANG_FIELDS),
    }
    data = page.encode("utf-8", "replace")
    return Record(key, place, data, name=place, hints={k: v for k, v in hints.items() if v})


def _url(item: dict[str, Any]) -> str | None:
    for name in URL_FIELDS:
        value = item.get(name)
        if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
            return value.strip()
    return None


def _first(item: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = item.get(name)
        if isinstance(value, (str, int, float)) and str(value).strip():
            return str(value).strip()
    return None


def _authors(item: dict[str, Any]) -> str | None:
    for name in AUTHOR_FIELDS:
        value = item.get(name)
        if isinstance(value, list):
            names = [str(v).strip() for v in value if isinstance(v, (str, int)) and str(v).strip()]
            if names:
                return ", ".join(names)
        elif isinstance(value, str) and value.strip():
            return value.strip()
    return None
