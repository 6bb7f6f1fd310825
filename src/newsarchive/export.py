"""Writers for the cleaned corpus: JSON Lines, a JSON array, CSV, Parquet, one text file per article.

The JSONL fields are a contract other tools rely on; new fields may be added, none renamed.
Every format is a `Writer` in `WRITERS`; `export_to` owns the output: a file written under a
temporary name and renamed into place, stdout, or a folder, and the refusal to overwrite.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from newsarchive.textutil import slugify

EXPORT_FIELDS = (
    "id", "path", "url", "site", "title", "author", "published", "date_source", "fetched", "lang",
    "words", "tags", "text", "kind", "encoding", "content_hash", "cleaner_version",
    "ingested_at", "updated_at", "cluster_id",
)  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(Exception):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def export_record(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row.get(name) for name in EXPORT_FIELDS}


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str], safe: bool = True) -> int:
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
def atomic_output(target: Path, binary: bool = False) -> Iterator[Any]:
    """A file that appears at `target` whole or not at all.

    It is written under a new random name beside `target`, created exclusively (a link planted
    under a predictable name is never written through), and renamed over `target` when
    complete; on any error (a full disk, Ctrl-C) it is removed and `target` is left as it was.
    """
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 is for secrets: an export is read by others
        if binary:
            with os.fdopen(fd, "wb") as raw:
                yield raw
        else:
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


def write_json(rows: Iterable[dict[str, Any]], out: IO[str], safe: bool = True) -> int:
    """One JSON array of the JSONL records, written item by item."""
    return write_rows((export_record(row) for row in rows), out, "json")


PARQUET_BATCH = 5_000  # rows per row group: a few tens of MB of text at most, read back in pieces


def parquet_schema() -> Any:
    import pyarrow as pa

    text = pa.string()
    types = {
        "id": pa.int64(), "published": pa.timestamp("s"), "published_precision": text,
        "words": pa.int64(), "tags": pa.list_(pa.string()), "run_id": pa.int64(), "cluster_id": pa.int64(),
    }  # fmt: skip
    return pa.schema([(name, types.get(name, text)) for name in PARQUET_FIELDS])


# The JSONL fields, with `published` a timestamp (the time as the page wrote it; a date alone is
# midnight) and how much of it the page gave in `published_precision`: day, minute or second.
PARQUET_FIELDS = tuple(
    field for name in EXPORT_FIELDS for field in ((name, "published_precision") if name == "published" else (name,))
)


def published_parts(value: str | None) -> tuple[Any, str | None]:
    """An ISO date or date-time as (naive datetime, precision); an offset is turned into UTC."""
    from datetime import UTC, datetime

    if not value:
        return None, None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None, None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    clock = value[10:].lstrip("T ")
    precision = "day" if len(value) <= 10 else "second" if clock.count(":") >= 2 else "minute"
    return moment, precision + (" UTC" if "+" in clock or clock.endswith("Z") or "-" in clock else "")


def write_parquet(rows: Iterable[dict[str, Any]], out: IO[bytes], safe: bool = True) -> int:
    """Typed columns in row groups of PARQUET_BATCH, so memory stays flat whatever the size."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ExportError(
            "Parquet export needs pyarrow, which is not installed.",
            hint="pip install 'newsarchive[parquet]'",
        ) from None
    schema = parquet_schema()
    n = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            if batch:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema), row_group_size=PARQUET_BATCH)
                batch.clear()

        for row in rows:
            record = export_record(row)
            moment, precision = published_parts(record.get("published"))
            record["published"], record["published_precision"] = moment, precision
            batch.append(record)
            n += 1
            if len(batch) >= PARQUET_BATCH:
                flush()
        flush()
    return n


@dataclass(frozen=True)
class Writer:
    name: str
    suffixes: tuple[str, ...]  # how an --output name says this format
    write: Callable[..., int]  # (rows, out, safe) -> rows written
    binary: bool = False
    folder: bool = False  # one file per article in a folder


WRITERS: dict[str, Writer] = {
    writer.name: writer
    for writer in (
        Writer("jsonl", (".jsonl", ".ndjson", ".jl"), write_jsonl),
        Writer("json", (".json",), write_json),
        Writer("csv", (".csv",), write_csv),
        Writer("parquet", (".parquet", ".pq"), write_parquet, binary=True),
        Writer("txt", (), write_txt, folder=True),
    )
}


def writer_for(fmt: str | None, output: str | None) -> Writer:
    """The format asked for, else the one `--output`'s extension names, else JSON Lines."""
    if fmt:
        return WRITERS[fmt]
    if output and output != "-":
        lower = output.lower()
        for writer in WRITERS.values():
            if lower.endswith(writer.suffixes):
                return writer
        if lower.endswith(("/", os.sep)) or Path(output).is_dir():
            return WRITERS["txt"]
        raise ExportError(
            f"cannot tell the format from the name {output}.",
            hint=f"Give --format ({', '.join(WRITERS)}) or a name ending in .jsonl, .json, .csv or .parquet.",
        )
    return WRITERS["jsonl"]


def export_to(
    rows: Iterable[dict[str, Any]], writer: Writer, output: str | None, overwrite: bool = False, safe: bool = True
) -> int:
    """Write `rows` where `output` says: None or "-" is stdout, a folder for txt, else a file that
    appears whole or not at all and never replaces an existing one unless `overwrite`."""
    if writer.folder:
        if not output or output == "-":
            raise ExportError(f"--format {writer.name} writes a folder: give it with --output FOLDER.")
        return int(writer.write(rows, Path(output), overwrite))
    if not output or output == "-":
        if writer.binary:
            stream = sys.stdout.buffer
            if stream.isatty():
                raise ExportError(
                    f"{writer.name} is binary: redirect it to a file or give --output FILE.",
                )
            return writer.write(rows, stream, safe)
        return writer.write(rows, sys.stdout, safe)
    target = Path(output)
    if target.exists() and not overwrite:
        raise ExportError(f"{output} already exists.", hint="Add --overwrite to replace it.")
    with atomic_output(target, binary=writer.binary) as fh:
        return writer.write(rows, fh, safe)
