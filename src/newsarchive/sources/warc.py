"""WARC and WET files (Common Crawl's and any crawler's), read with warcio as a stream.

An HTTP response with an HTML or plain-text body, a WET conversion record and a `resource`
record become articles; their `WARC-Target-URI` is the URL and their `WARC-Date` the time the
page was fetched: it is stored as `fetched`, never as a publication date. Requests, metadata
and warcinfo records are the crawl's bookkeeping and pass without a word; a redirect, an HTTP
error, a body that is not a page and a revisit are skipped with their reason.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newsarchive.inputs import format_size
from newsarchive.sources import Record, Skip, SourceOptions

BOOKKEEPING = {"request", "metadata", "warcinfo"}
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def warc_records(path: Path, key: str, options: SourceOptions) -> Iterator[Record | Skip]:
    from warcio.archiveiterator import ArchiveIterator

    read = 0
    with open(path, "rb") as fh:
        records = ArchiveIterator(fh, arc2warc=True)
        offset, seen, last = 0, 0, 0
        try:
            for record in records:
                seen += 1
                item = _record(record, key, seen, options)  # reads the body: before the offset, which reads past it
                last = records.get_record_offset()  # reads the rest of the record
                offset = last + records.get_record_length()
                if getattr(record.raw_stream, "limit", 0) > 0:
                    # warcio yields a cut last record as if whole: fewer bytes than it declares
                    raise EOFError(f"the file ends inside a record ({record.raw_stream.limit:,} bytes missing)")
                if item is not None:
                    read += 1
                    yield item
            fh.seek(offset)
            if fh.read(64).strip():  # warcio stops in silence at a record cut inside its headers
                raise EOFError("the file ends inside a record")
            fh.seek(last)
            if not _whole(fh.read(), path.name.lower().endswith(".gz")):
                raise EOFError("the file ends inside its last record")
        except Exception as exc:  # warcio raises bare exceptions for damage
            where = f"after {read:,} records (at byte {offset:,})" if read else "at its first record"
            yield Skip(key, None, f"the WARC is damaged {where}: {_short(exc)}; the records before were read", "failed")


def _whole(tail: bytes, compressed: bool) -> bool:
    """Does the last record end as a record must (its gzip member closed, its blank lines written)?

    warcio yields a record whose content arrived whole even when what follows it was cut: the
    gzip trailer, the separator, and every record after them.
    """
    if not tail:
        return True
    if compressed:
        member = zlib.decompressobj(wbits=31)
        try:
            member.decompress(tail)
        except zlib.error:
            return False
        return member.eof
    return tail.endswith(b"\r\n\r\n")


def _record(record: Any, key: str, seen: int, options: SourceOptions) -> Record | Skip | None:
    kind = record.rec_type
    if kind is None or record.rec_headers is None:
        raise EOFError("a record whose headers are cut or unreadable")
    if kind in BOOKKEEPING:
        return None
    headers = record.rec_headers
    place = headers.get_header("WARC-Record-ID") or f"record-{seen}"
    place = place.strip("<>")
    url = headers.get_header("WARC-Target-URI")
    hints: dict[str, Any] = {"url": url, "fetched": headers.get_header("WARC-Date")}
    if kind == "revisit":
        return Skip(key, place, "a WARC revisit record (the page's content is in an earlier record)")
    if kind == "response":
        http = record.http_headers
        status = http.get_statuscode() if http is not None else None
        code = int(status) if status and status.isdigit() else 0
        if 300 <= code < 400:
            target = http.get_header("Location") or "?"
            return Skip(key, place, f"an HTTP redirect ({code}) to {target}")
        if code >= 400 or (http is not None and code < 200):
            return Skip(key, place, f"an HTTP error ({code or status})")
        content_type = (http.get_header("Content-Type") if http is not None else None) or ""
    elif kind in ("conversion", "resource"):
        content_type = headers.get_header("Content-Type") or ("text/plain" if kind == "conversion" else "")
    else:
        return Skip(key, place, f"a WARC {kind} record, not a page")
    media = content_type.split(";")[0].strip().lower()
    if media in ("text/html", "application/xhtml+xml"):
        hints["kind"] = "html"
    elif media == "text/plain":
        hints["kind"] = "txt"
    elif media:
        return Skip(key, place, f"not a page: {media}")
    charset = _CHARSET.search(content_type)
    if charset:
        hints["charset"] = charset.group(1).lower()
    data = record.content_stream().read(options.max_bytes + 1)
    if len(data) > options.max_bytes:
        return Skip(key, place, f"larger than the {format_size(options.max_bytes)} limit (see --max-size)")
    return Record(key, place, data, name=url or place, hints={k: v for k, v in hints.items() if v})


def _short(exc: BaseException) -> str:
    text = str(exc).strip().split("\n")[0][:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
