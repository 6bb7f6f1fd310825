"""The search query language, translated to a safe FTS5 expression over the analysed index.

    words            all must match (stemmed: "régulation" finds "réguler")
    "a phrase"       these words in this order
    a OR b           either
    -word, -"a b"    exclude
    prefix*          words starting with "prefix" (accents ignored, not stemmed)
    title:word       in the title only (title:"a phrase" too)
    author:name      articles whose author contains "name"

Anything else is searched literally. Every term that reaches FTS5 is made of letters and digits
and quoted, so no user string can produce an FTS5 syntax error or reach SQL unbound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsarchive.analysis import stem as stem_word
from newsarchive.analysis import terms
from newsarchive.textutil import fold

_TOKEN = re.compile(r'(-?)(?:(title|author):)?(?:"([^"]*)"?|(\S+))', re.IGNORECASE)


class QueryError(ValueError):
    """A query that cannot find anything; the message says why, in one sentence."""


@dataclass
class Query:
    """A parsed query: the FTS5 expression, the terms to highlight, and SQL-side filters."""

    fts: str
    highlight: set[str] = field(default_factory=set)  # index terms to highlight
    prefixes: set[str] = field(default_factory=set)  # folded prefixes to highlight
    authors: list[str] = field(default_factory=list)
    single_term: str | None = None  # the query is exactly one term (cacheable)


def _quote(parts: list[str]) -> str:
    return '"' + " ".join(parts) + '"'


def parse(text: str) -> Query:
    positives: list[str] = []  # each an FTS5 clause; consecutive ones joined by OR when asked
    negatives: list[str] = []
    highlight: set[str] = set()
    prefixes: set[str] = set()
    authors: list[str] = []
    pending_or = False
    for match in _TOKEN.finditer(text):
        minus, column, phrase, word = match.groups()
        raw = phrase if phrase is not None else word
        if phrase is None and word == "OR" and not minus and not column:
            pending_or = bool(positives)
            continue
        if column and column.lower() == "author":
            name = raw.strip()
            if name:
                authors.append(name)
            continue
        clause: str | None = None
        if phrase is None and word.endswith("*") and len(word) > 1:
            folded = re.sub(r"[^\w]", "", fold(word.rstrip("*")))
            # "vendange*" must find "vendanges", indexed as "vendang": the shorter of the
            # folded prefix and its stem.
            stemmed = stem_word(folded) if folded else ""
            stem = stemmed if stemmed and folded.startswith(stemmed) else folded
            if len(stem) >= 2:
                clause = f'"{stem}"*'
                prefixes.add(stem)
        else:
            found = terms(raw)
            if found:
                clause = _quote(found)
                highlight.update(found)
        if clause is None:
            continue
        if column:
            clause = f"title : {clause}"
        if minus:
            negatives.append(clause)
            continue
        if pending_or and positives:
            positives[-1] = f"{positives[-1]} OR {clause}"
        else:
            positives.append(clause)
        pending_or = False
    if not positives:
        if negatives:
            raise QueryError("a search needs at least one word to find, not only words to exclude")
        if authors:
            return Query(fts="", authors=authors)
        raise QueryError("the query has no word to search for (very common words such as 'le' or 'et' are not indexed)")
    expression = " AND ".join(f"({p})" if " OR " in p else p for p in positives)
    if negatives:
        expression = f"{expression} NOT ({' OR '.join(negatives)})"
    single = None
    if len(positives) == 1 and not negatives and positives[0].count('"') == 2 and " " not in positives[0]:
        single = positives[0] if not positives[0].endswith("*") else None
    return Query(expression, highlight, prefixes, authors, single)
