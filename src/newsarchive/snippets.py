"""Search snippets cut from the original text, with the words that matched marked.

The index holds stems, so FTS5's own snippet() would show stems: the snippet is cut here from
the article's text instead, marking the surface forms whose stem matched ("réguler" for a
search of "régulation").
"""

from __future__ import annotations

import re
from functools import lru_cache

from newsarchive.analysis import stem
from newsarchive.textutil import fold

START, END = "\x02", "\x03"  # markers around matched words; rendering turns them into style
WINDOW = 30  # words in a snippet
SCAN_CHARS = 20_000  # where to look for matches in a long article
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=4096)
def _initial(word: str) -> str:
    return fold(word[:1])


def snippet(text: str, highlight: set[str], prefixes: set[str]) -> str:
    """The densest window of matches in `text` (its start when nothing matches).

    Only words whose first letter can start a query term are stemmed: a snippet costs a scan
    of the text, not a stemming of every word.
    """
    scanned = text[:SCAN_CHARS]
    spans = [(m.start(), m.end()) for m in _WORD.finditer(scanned)]
    if not spans:
        return scanned[:200]
    initials = {t[0] for t in highlight} | {p[0] for p in prefixes}

    def matches(word: str) -> bool:
        if _initial(word) not in initials:
            return False
        term = stem(word)
        return bool(term) and (term in highlight or any(term.startswith(p) for p in prefixes))

    hits = [i for i, (a, b) in enumerate(spans) if matches(scanned[a:b])]
    best_start, best_count, j = 0, 0, 0
    for i in range(len(hits)):
        while hits[i] - hits[j] >= WINDOW:
            j += 1
        if i - j + 1 > best_count:
            best_count, best_start = i - j + 1, hits[j]
    first = max(0, best_start - 4) if best_count else 0
    last = min(len(spans), first + WINDOW)
    marked = set(hits)
    out: list[str] = ["…" if first > 0 else ""]
    cursor = spans[first][0]
    for index in range(first, last):
        if index in marked:
            a, b = spans[index]
            out.append(scanned[cursor:a] + START + scanned[a:b] + END)
            cursor = b
    end = spans[last - 1][1] if last < len(spans) else len(scanned.rstrip())
    out.append(scanned[cursor:end])
    if last < len(spans) or len(text) > len(scanned):
        out.append("…")
    return "".join(out)
