"""The records that flow through the pipeline: one `Article` per cleaned input."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

INDEX_MARKER = "newsarchive-index.json"  # names a search index folder (skipped by ingest walks)
# Bumped whenever cleaning or metadata extraction changes output, so archives can tell
# which articles were produced by an older cleaner (and `reclean` knows what to redo).
# 0.2.1: mojibake repaired per segment, langdetect on 500 characters, the visible text of a
# page that opens with an XML declaration.
# 0.2.2: dates written in German, Spanish, Italian, Portuguese and Dutch, and their "published"
# cues; German and English bylines; am/pm times; a year run into the next word; a line that
# repeats its date; no date from a list of teasers that each give theirs.
# 0.2.3: a page of more than 10,000 elements loses its hidden and mass-repeated elements and is
# extracted without the fallback extractors; beyond 25,000 left, it is read as its visible text.
# 0.2.4: HTML in trafilatura's fast mode unless its short result disagrees with the page's prose;
# its metadata read even where it finds no body (title, author, URL of a page cleaned as a dump).
CLEANER_VERSION = "0.2.4"

OUTCOMES = ("new", "updated", "unchanged", "duplicate", "skipped", "failed")


@dataclass
class Article:
    """One article: the cleaned body plus what we know about it, each date with its source."""

    path: str
    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None  # ISO 8601 date or date-time, never guessed
    date_source: str | None = None  # where `published` was found; None when there is no date
    fetched: str | None = None  # when a crawler fetched the page (a WARC's date): never a publication date
    url: str | None = None
    site: str | None = None
    lang: str | None = None
    tags: list[str] = field(default_factory=list)
    kind: str = "txt"  # "html" or "txt": which cleaner produced it
    encoding: str | None = None
    id: int | None = None

    @cached_property
    def words(self) -> int:
        # Cached in the instance, so a worker that counts travels with its count to the writer.
        from newsarchive.textutil import count_words

        return count_words(self.text)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["words"] = self.words
        return data


class Rejected(Exception):
    """A file that does not become an article, with the one-line reason users see.

    `outcome` is "skipped" (nothing wrong, just not an article we keep) or "failed"
    (something went wrong reading or cleaning it; always tried again on the next run).
    """

    def __init__(self, reason: str, outcome: str = "skipped", settled: bool | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.outcome = outcome
        # Settled: the same bytes always end the same way, whatever the options (an empty or
        # binary file, no article in it), so a re-run need not look at the file again.
        self.settled = outcome == "skipped" if settled is None else settled
