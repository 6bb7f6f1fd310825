"""Search snippets cut from the original text, with the words that matched marked.

The index holds stems, so FTS5's own snippet() would show stems: the snippet is cut here from
the article's text instead, marking the surface forms whose stem matched ("réguler" for a
search of "régulation").
"""

from __future__ import annotations

import re
from functools import lru_cache

from newsarchive.analysis import stem

START, END = "\x02", "\x03"  # markers around matched words; rendering turns them into style
WIDTH = 220  # characters in a snippet, about 30 words
SCAN_CHARS = 20_000  # where to look for matches in a long article

_ACCENTED = {
    "a": "aàâäáãå", "c": "cç", "e": "eéèêë", "i": "iîïíì", "o": "oôöóòõ", "u": "uùûüú", "y": "yÿý", "n": "nñ",
}  # fmt: skip


@lru_cache(maxsize=1024)
def _candidates(terms: tuple[str, ...]) -> re.Pattern[str]:
    """Words that may stem to one of `terms`: they start with its letters, accents aside."""
    alternatives = []
    for term in terms:
        alternatives.append("".join(f"[{_ACCENTED[c]}]" if c in _ACCENTED else re.escape(c) for c in term))
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")\w*", re.IGNORECASE)


def snippet(text: str, highlight: set[str], prefixes: set[str]) -> str:
    """The densest stretch of matches in `text` (its start when nothing matches).

    A regular expression finds the words that could match (they begin like a query term,
    accents aside); only those are stemmed and checked.
    """
    scanned = text[:SCAN_CHARS]
    wanted = tuple(sorted(t for t in highlight | prefixes if t))
    hits: list[tuple[int, int]] = []
    if wanted:
        for match in _candidates(wanted).finditer(scanned):
            term = stem(match.group(0))
            if term and (term in highlight or any(term.startswith(p) for p in prefixes)):
                hits.append(match.span())
    start = 0
    if hits:
        best, j = (0, 0), 0
        for i in range(len(hits)):
            while hits[i][0] - hits[j][0] > WIDTH * 0.7:
                j += 1
            if i - j + 1 > best[0]:
                best = (i - j + 1, j)
        start = hits[best[1]][0]
        back = scanned.rfind(" ", 0, max(0, start - 30))  # a few words of context before
        start = back + 1 if back > 0 else 0
    end = min(len(scanned), start + WIDTH)
    if end < len(scanned):
        cut = scanned.rfind(" ", start, end)
        end = cut if cut > start else end
    out = ["…" if start > 0 else ""]
    cursor = start
    for a, b in hits:
        if a >= start and b <= end:
            out.append(scanned[cursor:a] + START + scanned[a:b] + END)
            cursor = b
    out.append(scanned[cursor:end].rstrip() if end == len(scanned) else scanned[cursor:end])
    if end < len(text):
        out.append("…")
    return "".join(out)
