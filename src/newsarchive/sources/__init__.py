"""Containers of many articles: WARC/WET files, scrapers' JSON lines, tar and zip archives.

A container is walked in the writer's process and yields `Record`s (one article each, its bytes
in memory, what the container knows of it as hints) or `Skip`s (a record that is no page: a
redirect, an image, a zip bomb), each keyed by the container's path and its place inside it
(`crawl.warc.gz#<urn:uuid:...>`, `pages.tar.gz#site/a.html`, `items.jsonl#L12`). The readers
never raise for bad content: a damaged container yields what it read before the damage, then a
`Skip` that says where it stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KEY_SEPARATOR = "#"  # between a container's path and a record's place in it

_KINDS = (
    ((".warc", ".warc.gz", ".wet", ".wet.gz", ".arc.gz"), "warc"),
    ((".jsonl", ".jsonl.gz", ".ndjson", ".jl"), "jsonl"),
    ((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz"), "tar"),
    ((".zip",), "zip"),
)


def container_kind(name: str) -> str | None:
    """'warc', 'jsonl', 'tar', 'zip', or None for a single page."""
    lower = name.lower()
    for suffixes, kind in _KINDS:
        if lower.endswith(suffixes):
            return kind
    return None


@dataclass
class Record:
    """One article inside a container, read into memory.

    `hints` are plain JSON values, stored beside the raw bytes so `reclean` sees them again:
    `kind` ("html"/"txt"), `charset` (the HTTP one), `url`, `fetched` (the crawl time, never a
    publication date), and from scrapers' JSON lines `title`, `published`, `author`, `lang`.
    """

    container: str  # the container's key (its stored path)
    place: str
    data: bytes
    name: str  # what the kind is guessed from when no hint gives it (a member's file name)
    hints: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.container}{KEY_SEPARATOR}{self.place}"

    @property
    def size(self) -> int:
        return len(self.data)

    mtime_ns = None  # a record has no time of its own: its container's decides re-runs


@dataclass
class Skip:
    """A record that is not an article, or where a damaged container stopped, with its reason."""

    container: str
    place: str | None  # None: the container itself
    reason: str
    outcome: str = "skipped"

    @property
    def key(self) -> str:
        return self.container if self.place is None else f"{self.container}{KEY_SEPARATOR}{self.place}"


@dataclass
class SourceOptions:
    max_bytes: int
    jsonl_fields: tuple[str, ...] = ()  # extra field names that hold a page in JSON lines


def records(path: Path, key: str, options: SourceOptions) -> Iterator[Record | Skip]:
    """The records of one container, in the order they are stored in it."""
    kind = container_kind(path.name)
    try:
        if kind == "warc":
            from newsarchive.sources.warc import warc_records

            yield from warc_records(path, key, options)
        elif kind == "jsonl":
            from newsarchive.sources.jsonl import jsonl_records

            yield from jsonl_records(path, key, options)
        elif kind in ("tar", "zip"):
            from newsarchive.sources.archives import tar_records, zip_records

            yield from (tar_records if kind == "tar" else zip_records)(path, key, options)
        else:
            raise ValueError(f"not a container: {path}")
    except OSError as exc:
        yield Skip(key, None, f"cannot read the file: {exc.strerror or exc}", "failed")
