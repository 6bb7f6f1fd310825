"""Writers for the cleaned corpus: JSON Lines, CSV and one text file per article.

The JSONL fields are a contract other tools rely on; new fields may be added, none renamed.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from newsarchive.textutil import slugify

EXPORT_FIELDS = (
    "id", "path", "url", "site", "title", "author", "published", "date_source", "fetched", "lang",
    "words", "tags", "text", "kind", "encoding", "content_hash", "cleaner_version",
    "ingested_at", "updated_at",
)  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(Exception):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def export_record(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row.get(name) for name in EXPORT_FIELDS}


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(export_record(row), ensure_ascii=False) + "\n")
        n += 1
    return n


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str], safe: bool = True) -> int:
    """CSV with tags joined by "; ". With `safe`, a cell a spreadsheet would run as a formula
    (starting with = + - @) gets a leading apostrophe, as OWASP recommends."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    n = 0
    for row in rows:
        writer.writerow(_cells(export_record(row).values(), safe))
        n += 1
    return n


ROW_FORMATS = ("json", "nl", "csv", "tsv")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _cells(values: Iterable[Any], safe: bool) -> list[str]:
    """A row's cells for CSV: lists joined by "; ", and with `safe` a cell a spreadsheet would
    run as a formula (starting with = + - @) given a leading apostrophe, as OWASP recommends."""
    cells = [_cell(v) for v in values]
    return [f"'{c}" if safe and c.startswith(FORMULA_START) else c for c in cells]


def write_rows(rows: Iterable[dict[str, Any]], out: IO[str], fmt: str, safe: bool = True) -> int:
    """Rows as sqlite-utils prints them: a JSON array, JSON lines, CSV or TSV, streamed.

    The array is written item by item (the same text `json.dumps(rows, indent=2)` gives), so no
    format holds the rows in memory. CSV and TSV take their header from the first row's keys
    and defuse formula cells unless `safe` is False, as `export --format csv` does.
    """
    n = 0
    if fmt == "json":
        for row in rows:
            item = json.dumps(row, ensure_ascii=False, indent=2).replace("\n", "\n  ")
            out.write(("[\n  " if n == 0 else ",\n  ") + item)
            n += 1
        out.write("\n]\n" if n else "[]\n")
        return n
    if fmt == "nl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
        return n
    if fmt not in ("csv", "tsv"):
        raise ValueError(f"unknown row format: {fmt}")
    writer = csv.writer(out, lineterminator="\n", delimiter="\t" if fmt == "tsv" else ",")
    for row in rows:
        if n == 0:
            writer.writerow(list(row))
        writer.writerow(_cells(row.values(), safe))
        n += 1
    return n


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_output(target: Path) -> Iterator[IO[str]]:
    """A file that appears at `target` whole or not at all.

    It is written under a new random name beside `target`, created exclusively (a link planted
    under a predictable name is never written through), and renamed over `target` when
    complete; on any error (a full disk, Ctrl-C) it is removed and `target` is left as it was.
    """
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 is for secrets: an export is read by others
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def txt_name(row: dict[str, Any]) -> str:
    """`2024-03-09_titre-de-l-article_42.txt`: sortable, safe on every file system."""
    day = (row.get("published") or "")[:10] or "undated"
    slug = slugify(row.get("title") or "") or "article"
    return f"{day}_{slug}_{row['id']}.txt"


def txt_content(row: dict[str, Any]) -> str:
    title = row.get("title")
    body = row.get("text") or ""
    return f"{title}\n\n{body}\n" if title else f"{body}\n"


def write_txt(rows: Iterable[dict[str, Any]], folder: Path, overwrite: bool = False) -> int:
    """One file per article; an existing file with other content is never replaced silently."""
    folder.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    n = 0
    for row in rows:
        name = txt_name(row)
        target = (root / name).resolve()
        if target.parent != root:  # cannot happen with slugify, but never write outside
            raise ExportError(f"refusing to write {name!r} outside {folder}.")
        content = txt_content(row)
        if target.exists() and not overwrite:
            if target.read_text(encoding="utf-8") == content:
                n += 1
                continue
            raise ExportError(
                f"{target} already exists with other content.",
                hint="Export into an empty folder, or add --overwrite.",
            )
        with atomic_output(target) as fh:
            fh.write(content)
        n += 1
    return n
