"""Finding input files, reading their bytes and decoding them to text.

Every problem becomes a `Rejected` with a one-line reason; nothing here raises anything else
for a bad file, so one broken file never stops a batch.
"""

from __future__ import annotations

import bz2
import codecs
import fnmatch
import gzip
import hashlib
import io
import lzma
import os
import re
import stat
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ftfy

from newsarchive.model import INDEX_MARKER, Rejected

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".txt"}
# Files that scraped folders often hold beside the pages, and that are never articles.
NOT_ARTICLE_SUFFIXES = {
    ".json",
    ".jsonl",
    ".csv",
    ".tsv",
    ".xml",
    ".rss",
    ".atom",
    ".yaml",
    ".yml",
    ".toml",
    ".ini",
    ".cfg",
    ".py",
    ".pyc",
    ".js",
    ".mjs",
    ".css",
    ".scss",
    ".sh",
    ".bat",
    ".ps1",
    ".sql",
    ".db",
    ".sqlite",
    ".log",
    ".map",
    ".woff",
    ".woff2",
    ".ttf",
    ".otf",
    ".ico",
    ".svg",
    ".lock",
}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# Magic numbers of formats people find in scraped folders, named in the skip reason.
_MAGIC = [
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF media file"),
    (b"PK\x03\x04", "a ZIP archive (or Office document)"),
    (b"\x1f\x8b", "a gzip file inside a gzip file"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ", "an xz archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"SQLite format 3", "an SQLite database"),
    (b"\x7fELF", "an executable"),
    (b"OggS", "an Ogg media file"),
    (b"ID3", "an MP3 file"),
]
_HTML_SNIFF = re.compile(
    rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<meta\s|<div[\s>]|<p[\s>]|<article[\s>]",
    re.IGNORECASE,
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# Browsers (WHATWG) read these labels as windows-1252, and so do French sites that declare them.
_AS_CP1252 = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "cp1252"}


@dataclass(frozen=True)
class InputFile:
    """A file found by the walk: its path and how we expect to read it."""

    path: Path
    size: int
    mtime_ns: int

    @property
    def key(self) -> str:
        """The path as stored in the archive: absolute, so re-runs from elsewhere match."""
        return storable_path(str(self.path))


def storable_path(path: str) -> str:
    """A path as valid UTF-8 text: bytes of a name that are not UTF-8 become `\\xNN`.

    Python keeps such bytes as lone surrogates, which SQLite (and JSON, and terminals) refuse;
    the escape is stable, so a re-run finds the same key. Reading uses the real path.
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return path


@dataclass(frozen=True)
class Missing:
    """A path given on the command line that does not exist or cannot be listed."""

    path: str
    reason: str


@dataclass
class RawInput:
    """The bytes of one file, decoded."""

    data: bytes  # as stored on disk (gzip included): what `show --raw` and `reclean` start from
    text: str
    kind: str  # "html" or "txt"
    encoding: str
    source_hash: str
    hints: dict[str, Any] = field(default_factory=dict)  # what a container said of the record


def discover(paths: Iterable[str | os.PathLike[str]], glob: str | None = None) -> Iterator[InputFile | Missing]:
    """Yield the files under `paths` in a stable order (sorted, depth first), as the walk goes.

    Hidden files and folders are skipped; symbolic links to folders are not followed, so a
    link loop cannot make the walk endless. A path inside another one given is walked once
    (with it), so no file comes twice and nothing needs remembering every path seen.
    """
    roots: list[tuple[str | os.PathLike[str], Path]] = []
    for given in paths:
        try:
            roots.append((given, Path(os.path.abspath(Path(given).expanduser()))))
        except OSError as exc:
            yield Missing(storable_path(str(given)), f"cannot read: {exc.strerror or exc}")
    for n, (given, root) in enumerate(roots):
        try:
            if not root.exists():
                yield Missing(storable_path(str(given)), "no such file or folder")
                continue
            if any((other == root and m < n) or other in root.parents for m, (_, other) in enumerate(roots) if m != n):
                continue  # inside (or the same as) another path given: walked there
            candidates: Iterable[Path | Missing] = [root] if root.is_file() or not root.is_dir() else _walk(root)
        except OSError as exc:
            yield Missing(storable_path(str(given)), f"cannot read: {exc.strerror or exc}")
            continue
        for path in candidates:
            if isinstance(path, Missing):
                yield path
                continue
            key = storable_path(str(path))
            if glob and not _matches(path, root, glob):
                continue
            try:
                st = path.stat()
            except OSError as exc:
                broken = path.is_symlink() and not path.exists()
                yield Missing(
                    key,
                    "a broken symbolic link (its target does not exist)"
                    if broken
                    else f"cannot read: {exc.strerror or exc}",
                )
                continue
            if not stat.S_ISREG(st.st_mode):  # reading a named pipe would wait forever
                yield Missing(key, f"not a regular file: {special_kind(st.st_mode)}")
                continue
            yield InputFile(path, st.st_size, st.st_mtime_ns)


def special_kind(mode: int) -> str:
    """What a file that is not a regular one is, in words (for inputs and for --db alike)."""
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "a special file"


def _walk(root: Path) -> Iterator[Path | Missing]:
    """Files under `root`; a folder that cannot be listed is a problem with its reason, not silence."""
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=errors.append):
        yield from _unreadable(errors)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not os.path.exists(os.path.join(dirpath, d, INDEX_MARKER))
        )  # an archive's search index folder is not input
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath, name)
    yield from _unreadable(errors)


def _unreadable(errors: list[OSError]) -> Iterator[Missing]:
    while errors:
        exc = errors.pop(0)
        where = storable_path(os.fsdecode(exc.filename)) if exc.filename else "?"
        yield Missing(where, f"cannot read this folder: {exc.strerror or exc}")


def _matches(path: Path, root: Path, pattern: str) -> bool:
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        relative = path.name
    return fnmatch.fnmatch(path.name, pattern) or fnmatch.fnmatch(relative, pattern)


COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz")


def _without_compression(lower: str) -> str:
    for suffix in COMPRESSION_SUFFIXES:
        if lower.endswith(suffix):
            return lower[: -len(suffix)]
    return lower


def _suffix(name: str) -> str:
    """The suffix that says what a file is: `.html` of `page.html.gz`, lower-cased."""
    return os.path.splitext(_without_compression(name.lower()))[1]


def kind_from_name(name: str) -> str | None:
    suffix = _suffix(name)
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in TEXT_SUFFIXES:
        return "txt"
    return None


def named_not_article(name: str) -> bool:
    """A name whose suffix says it is no article (and no known article kind): skipped once read."""
    return kind_from_name(name) is None and _suffix(name) in NOT_ARTICLE_SUFFIXES


KERNEL_FILES = ("/proc/", "/sys/")  # "regular" files of size 0 whose reads may block or consume


def _read_once(path: Path, max_bytes: int) -> tuple[bytes, bool]:
    """The file's first `max_bytes + 1` bytes, and whether it stayed the same while it was read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as fh:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):  # swapped for a pipe or a device since the walk
            raise Rejected(f"not a regular file: {special_kind(before.st_mode)}", "skipped", settled=False)
        data = fh.read(max_bytes + 1)
        after = os.fstat(fd)
    return data, (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)


def read_input(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> RawInput:
    """Read, decompress, sniff and decode one file, or raise `Rejected` with the reason."""
    return decode_input(read_file_bytes(path, max_bytes), path.name, max_bytes)


def read_file_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """One file's bytes, or `Rejected` with the reason.

    The read cannot wait forever (non-blocking: a FIFO or a kernel file answers at once), and a
    file that changes while it is read (a scraper still writing it) is read again, once, then
    reported: never stored half-written.
    """
    real = os.path.realpath(path)
    if real.startswith(KERNEL_FILES):
        raise Rejected(f"a kernel file ({real}), not an article", "skipped", settled=False)
    try:
        data, steady = _read_once(path, max_bytes)
        if not steady:
            data, steady = _read_once(path, max_bytes)
        if not steady:
            raise Rejected("the file changed while it was read (still being written?)", "failed")
    except FileNotFoundError:
        raise Rejected("the file disappeared before it could be read", "failed") from None
    except IsADirectoryError:
        raise Rejected("is a folder, not a file", "skipped", settled=False) from None
    except BlockingIOError:
        raise Rejected("cannot be read without waiting (a device or kernel file)", "skipped", settled=False) from None
    except OSError as exc:
        raise Rejected(f"cannot read the file: {exc.strerror or exc}", "failed") from None
    if len(data) > max_bytes:
        raise Rejected(f"larger than the {format_size(max_bytes)} limit (see --max-size)", "skipped", settled=False)
    return data


# An input the archive stored once is decoded again (show --raw, reclean) under this bound, not
# under the ingest's --max-size (which may have been larger): what was accepted stays usable.
STORED_MAX_BYTES = 1 << 30


def decode_input(
    data: bytes, name: str, max_bytes: int = DEFAULT_MAX_BYTES, hints: dict[str, Any] | None = None
) -> RawInput:
    """Turn stored bytes into text; the same path for a fresh file and a re-clean.

    `hints` are what a container said of a record (its kind, its HTTP charset); they travel on
    in the RawInput to the cleaning.
    """
    hints = hints or {}
    source_hash = hashlib.sha256(data).hexdigest()
    payload = data
    lower = name.lower()
    if lower.endswith(".gz") or data[:2] == b"\x1f\x8b":
        payload = _gunzip(data, max_bytes)
    elif lower.endswith(".bz2") or data[:3] == b"BZh":
        payload = _decompress(data, max_bytes, bz2.BZ2Decompressor(), "bzip2")
    elif lower.endswith(".xz") or data[:6] == b"\xfd7zXZ\x00":
        payload = _decompress(data, max_bytes, lzma.LZMADecompressor(), "xz")
    if not payload.strip():
        raise Rejected("empty file", "skipped")
    kind = hints.get("kind") or kind_from_name(name)
    if not hints.get("kind") and named_not_article(name):
        raise Rejected(f"not an article: a {_suffix(name)} file", "skipped")
    binary = _binary_kind(payload)
    if binary:
        raise Rejected(f"not a text or HTML file: {binary}", "skipped")
    if kind is None:
        kind = "html" if _HTML_SNIFF.search(payload[:4096]) else "txt"
    text, encoding = decode_bytes(payload, kind, hints.get("charset"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text, repaired = repair_mojibake(text)
    if repaired:
        encoding = f"{encoding}; mojibake repaired by ftfy"
    if not text.strip():
        raise Rejected("empty file", "skipped")
    sample = text[:20000]
    if len(_ODD.findall(sample)) > 0.05 * len(sample):
        raise Rejected("not a text or HTML file: binary content", "skipped")
    return RawInput(data=data, text=text, kind=kind, encoding=encoding, source_hash=source_hash, hints=hints)


# A UTF-8 lead byte read as Windows-1252 or Latin-1 (Ã, Â, Å, â), then a continuation byte read
# the same way: "Ã©" for "é", "â€™" for "’", "Ã\xa0" for "à", "Å“" for "œ".
_MOJIBAKE = re.compile(
    "[\u00c2\u00c3\u00c5\u00e2][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
    "\u02dc\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122]"
)


# Control characters (but tab and newline), surrogates, private use: what binary read as text gives.
_ODD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff]")


def repair_mojibake(text: str) -> tuple[str, bool]:
    """Undo UTF-8 text that was decoded as Windows-1252 somewhere upstream ("Ã©tÃ©" -> "été").

    ftfy decides (and leaves text alone when the repair is not certain), on the segment around
    each trace of mojibake only (its line, or the text between two tags, at most SEGMENT_REACH
    characters either side): one stray "Ã¶" on a page of 100 kB costs ftfy 20 to 80 ms on the
    whole text, well under 1 ms on its segment; and a page that mixes good and broken parts gets
    each judged alone.
    """
    if not _MOJIBAKE.search(text):
        return text, False
    out: list[str] = []
    done = 0  # text[:done] is in out
    changed = False
    for match in _MOJIBAKE.finditer(text):
        if match.start() < done:
            continue  # inside a segment already repaired
        begin, end = _segment(text, match.start(), match.end())
        begin = max(begin, done)
        segment = text[begin:end]
        fixed = ftfy.fix_encoding(segment)
        out.append(text[done:begin])
        out.append(fixed)
        changed = changed or fixed != segment
        done = end
    if not changed:
        return text, False
    out.append(text[done:])
    return "".join(out), True


SEGMENT_REACH = 500  # characters either side of a trace, at most, that ftfy sees with it


def _segment(text: str, start: int, end: int) -> tuple[int, int]:
    """The line, or the text between two tags, around text[start:end]; where that reaches further
    than SEGMENT_REACH, cut at a plain space (no mojibake sequence holds one) or at the trace."""
    low, high = max(0, start - SEGMENT_REACH), min(len(text), end + SEGMENT_REACH)
    begin = max(text.rfind("\n", low, start), text.rfind("<", low, start))
    if begin < 0:
        space = text.find(" ", low, start)
        begin = 0 if low == 0 else space + 1 if space >= 0 else start
    stops = [i for i in (text.find("\n", end, high), text.find("<", end, high)) if i >= 0]
    if stops:
        stop = min(stops)
    else:
        space = text.rfind(" ", end, high)
        stop = high if high == len(text) else space + 1 if space >= 0 else end
    return begin, stop


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            out = gz.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error):
        raise Rejected("truncated or corrupt gzip file", "failed") from None
    if len(out) > max_bytes:
        raise Rejected(
            f"larger than the {format_size(max_bytes)} limit once decompressed (see --max-size)",
            "skipped",
            settled=False,
        )
    return out


def _decompress(data: bytes, max_bytes: int, decompressor: Any, what: str) -> bytes:
    """A bzip2 or xz file, inflated no further than the bound."""
    try:
        out: bytes = decompressor.decompress(data, max_length=max_bytes + 1)
    except (OSError, EOFError, ValueError, lzma.LZMAError):
        raise Rejected(f"truncated or corrupt {what} file", "failed") from None
    if len(out) > max_bytes:
        raise Rejected(
            f"larger than the {format_size(max_bytes)} limit once decompressed (see --max-size)",
            "skipped",
            settled=False,
        )
    if not decompressor.eof:
        raise Rejected(f"truncated or corrupt {what} file", "failed")
    return out


_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])  # what text never holds: control bytes but tab, newlines


def _binary_kind(payload: bytes) -> str | None:
    for magic, what in _MAGIC:
        if payload.startswith(magic):
            return f"looks like {what}"
    head = payload[:8192]
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return None
    if b"\x00" in head:
        # UTF-16 without a BOM has a NUL in every other byte; random binary does not.
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if max(even, odd) > 0.7 * (len(head) / 2) and min(even, odd) < 0.05 * (len(head) / 2):
            return None
        return "binary data (NUL bytes)"
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if controls > 0.1 * len(head):
        return "binary data"
    return None


def decode_bytes(payload: bytes, kind: str, charset: str | None = None) -> tuple[str, str]:
    """Decode with the BOM, else strict UTF-8, else the HTTP charset (`charset`, from a WARC),
    else the page's declared charset, else detection."""
    for bom, encoding in _BOMS:
        if payload.startswith(bom):
            try:
                return payload.decode(encoding), encoding.replace("-sig", "")
            except UnicodeDecodeError:
                break
    if b"\x00" in payload[:8192]:
        even = payload[:8192][0::2].count(0)
        encoding = "utf-16-be" if even > len(payload[:8192]) / 4 else "utf-16-le"
        try:
            return payload.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    try:
        return payload.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if charset:
        label = "cp1252" if charset.lower() in _AS_CP1252 else charset.lower()
        try:
            return payload.decode(label), _canonical(label)
        except (LookupError, UnicodeDecodeError):
            pass
    if kind == "html":
        match = _META_CHARSET.search(payload[:8192])
        if match:
            label = match.group(1).decode("ascii", "replace").lower()
            if label in _AS_CP1252:
                label = "cp1252"
            try:
                return payload.decode(label), _canonical(label)
            except (LookupError, UnicodeDecodeError):
                pass
    western = _as_western(payload)
    if western is not None:
        return western, "cp1252"
    from charset_normalizer import from_bytes

    best = from_bytes(payload).best()
    if best is not None and best.encoding:
        return str(best), best.encoding
    # Every byte means something in windows-1252 but five: the usual encoding of French sites.
    try:
        return payload.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise Rejected("could not detect the text encoding", "failed") from None


# Letters and signs of French (and other Western European) text outside ASCII.
_WESTERN = set("àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝŸŒÆ€’‘“”«»–—…°²³·•ß\u00a0")


def _as_western(payload: bytes) -> str | None:
    """The text as windows-1252 when that reads as Western European text, else None.

    Statistical detectors often take a short French page in windows-1252 for a Baltic or
    Cyrillic code page; for a French archive, windows-1252 is the right first guess whenever
    nearly every non-ASCII character it gives is a Western letter or sign.
    """
    try:
        text = payload.decode("cp1252")
    except UnicodeDecodeError:
        return None
    high = [c for c in text if ord(c) > 127]
    if not high:
        return text
    western = sum(1 for c in high if c in _WESTERN)
    return text if western >= 0.9 * len(high) else None


def _canonical(label: str) -> str:
    try:
        return codecs.lookup(label).name
    except LookupError:
        return label


def format_size(n: int) -> str:
    """A size the way a user writes it for --max-size: 3 KB, 1.5 MB, 20 MB, 700 bytes."""
    for unit, name in ((1024**3, "GB"), (1024**2, "MB"), (1024, "KB")):
        value = n / unit
        if value >= 1 and round(value, 2) == value:
            return f"{value:g} {name}"
    return f"{n} bytes"
