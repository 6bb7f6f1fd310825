"""The search query language, parsed into clauses of analysed terms for the search index.

    words            all must match (stemmed: "régulation" finds "réguler")
    "a phrase"       these words in this order
    a OR b           either
    a AND b          both (the default: AND may be left out)
    -word, -"a b"    exclude (NOT word, NOT "a b" too)
    prefix*          words starting with "prefix" (accents ignored, not stemmed)
    title:word       in the title only (title:"a phrase" too)
    author:name      articles whose author contains "name"

OR, AND and NOT are operators in capitals only; quoted ("NOT") or in lower case they are words.
Anything else is searched literally. The parse yields terms (lists of analysed words), never a
query string for another parser, so no user string can produce a syntax error downstream or
reach SQL unbound.
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


@dataclass(frozen=True)
class Term:
    """One searchable unit: an analysed word, a phrase of them, or a prefix."""

    words: tuple[str, ...]
    prefix: bool = False  # words[0] is a folded prefix, not a whole term
    title_only: bool = False


@dataclass
class Query:
    """A parsed query: clauses that must all match (each a choice of terms), exclusions, filters."""

    clauses: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    highlight: set[str] = field(default_factory=set)  # index terms to highlight
    prefixes: set[str] = field(default_factory=set)  # folded prefixes to highlight
    authors: list[str] = field(default_factory=list)


MAX_QUERY_CHARS = 1_000  # a query is typed or pasted: a longer one is a file by mistake, and slow


def parse(text: str) -> Query:
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(text):,} characters long; a query has at most {MAX_QUERY_CHARS:,}")
    clauses: list[list[Term]] = []
    excluded: list[Term] = []
    highlight: set[str] = set()
    prefixes: set[str] = set()
    authors: list[str] = []
    pending_or = pending_not = False
    tokens = list(_TOKEN.finditer(text))
    for n, match in enumerate(tokens, 1):
        minus, column, phrase, word = match.groups()
        raw = phrase if phrase is not None else word
        # An operator needs something after it: a query that ends with "AND" searches for it.
        operator = word if phrase is None and not minus and not column and n < len(tokens) else None
        if operator == "OR":
            pending_or = bool(clauses)
            continue
        if operator == "AND":
            pending_or = False
            continue
        if operator == "NOT":
            pending_not, pending_or = True, False
            continue
        negated, pending_not = bool(minus) or pending_not, False
        if column and column.lower() == "author":
            name = raw.strip()
            if name:
                authors.append(name)
            continue
        title_only = bool(column)
        term: Term | None = None
        if phrase is None and word.endswith("*") and len(word) > 1:
            folded = re.sub(r"[^\w]", "", fold(word.rstrip("*")))
            # "vendange*" must find "vendanges", indexed as "vendang": the shorter of the
            # folded prefix and its stem.
            stemmed = stem_word(folded) if folded else ""
            stem = stemmed if stemmed and folded.startswith(stemmed) else folded
            if len(stem) >= 2:
                term = Term((stem,), prefix=True, title_only=title_only)
                prefixes.add(stem)
        else:
            found = terms(raw)
            if found:
                term = Term(tuple(found), title_only=title_only)
                highlight.update(found)
        if term is None:
            continue
        if negated:
            excluded.append(term)
            continue
        if pending_or and clauses:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        pending_or = False
    if not clauses:
        if excluded:
            raise QueryError("a search needs at least one word to find, not only words to exclude")
        if authors:
            return Query(authors=authors)
        raise QueryError("the query has no word to search for (very common words such as 'le' or 'et' are not indexed)")
    return Query(clauses, excluded, highlight, prefixes, authors)
