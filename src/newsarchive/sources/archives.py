"""Tar and zip archives of pages, walked like a folder without extracting anything to disk.

Tar files are read as a stream (`r|*`: plain, gzip, bzip2, xz), so a tarball of any size costs
one member's memory. Every member is read with the --max-size bound; a zip member whose
declared size or compression ratio is absurd is refused before it is inflated (a zip bomb),
and the rest of the archive goes on.
"""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from newsarchive.inputs import format_size
from newsarchive.sources import Record, Skip, SourceOptions, container_kind

MAX_RATIO = 200  # a zip member inflating more than this (and past 1 MB) is refused unread
RATIO_FLOOR = 1 << 20


def _walked(name: str) -> bool:
    """Hidden files and folders (`.git/`, `__MACOSX/` resource forks) are not pages, as in a folder walk."""
    parts = PurePosixPath(name).parts
    return not any(part.startswith(".") or part == "__MACOSX" for part in parts)


def _refused(key: str, name: str, size: int, max_bytes: int) -> Skip | None:
    """A member not read at all: an archive in the archive, or one that declares itself too large."""
    if container_kind(name):
        return Skip(key, name, "an archive inside an archive: extract it and ingest it on its own")
    if size > max_bytes:
        return _too_large(key, name, max_bytes)
    return None


def _too_large(key: str, name: str, max_bytes: int) -> Skip:
    return Skip(key, name, f"larger than the {format_size(max_bytes)} limit (see --max-size)")


def tar_records(path: Path, key: str, options: SourceOptions) -> Iterator[Record | Skip]:
    read = 0
    try:
        with tarfile.open(path, mode="r|*") as tar:
            for member in tar:
                if not member.isfile() or not _walked(member.name):
                    continue
                name = member.name
                refused = _refused(key, name, member.size, options.max_bytes)
                if refused:
                    yield refused
                    continue
                fh = tar.extractfile(member)
                if fh is None:
                    continue
                data = fh.read(options.max_bytes + 1)
                read += 1
                yield Record(key, name, data, name=PurePosixPath(name).name)
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        where = f"after {read:,} members" if read else "at its first member"
        yield Skip(key, None, f"the archive is damaged {where}: {exc}; the members before were read", "failed")


def zip_records(path: Path, key: str, options: SourceOptions) -> Iterator[Record | Skip]:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename
                if info.is_dir() or not _walked(name):
                    continue
                refused = _refused(key, name, info.file_size, options.max_bytes)
                if refused:
                    yield refused
                    continue
                ratio = info.file_size / max(1, info.compress_size)
                if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
                    yield Skip(key, name, f"inflates {ratio:,.0f} times ({format_size(info.file_size)}): a zip bomb?")
                    continue
                try:
                    with archive.open(info) as fh:
                        data = fh.read(options.max_bytes + 1)  # the declared size may lie
                except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
                    yield Skip(key, name, f"cannot read this member: {exc}", "failed")
                    continue
                if len(data) > options.max_bytes:
                    yield _too_large(key, name, options.max_bytes)
                    continue
                yield Record(key, name, data, name=PurePosixPath(name).name)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        yield Skip(key, None, f"the zip archive is damaged or truncated: {exc}", "failed")
