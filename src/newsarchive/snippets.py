"""Search snippets cut from the original text, with the words that matched marked.

The index holds stems, so FTS5's own snippet() would show stems: the snippet is cut here from
the article's text instead, marking the surface forms whose stem matched ("réguler" for a
search of "régulation").
"""

from __future__ import annotations

from newsarchive.analysis import stem
from newsarchive.analysis import words as split_words

START, END = "\x02", "\x03"  # markers around matched words; rendering turns them into style
WINDOW = 30  # words in a snippet
SCAN_CHARS = 20_000  # where to look for matches in a long article


def snippet(text: str, highlight: set[str], prefixes: set[str]) -> str:
    """The densest window of matches in `text` (its start when nothing matches)."""
    scanned = text[:SCAN_CHARS]
    words = [(a, b, stem(w)) for a, b, w in split_words(scanned)]
    if not words:
        return scanned[:200]

    def matches(term: str) -> bool:
        return bool(term) and (term in highlight or any(term.startswith(p) for p in prefixes))

    hits = [i for i, (_, _, term) in enumerate(words) if matches(term)]
    best_start, best_count = 0, 0
    j = 0
    for i in range(len(hits)):
        while hits[i] - hits[j] >= WINDOW:
            j += 1
        if i - j + 1 > best_count:
            best_count, best_start = i - j + 1, hits[j]
    first = max(0, best_start - 4) if best_count else 0
    last = min(len(words), first + WINDOW)
    start, end = words[first][0], words[last - 1][1]
    out: list[str] = ["…" if first > 0 else ""]
    cursor = start
    for index in range(first, last):
        w_start, w_end, term = words[index]
        if matches(term):
            out.append(scanned[cursor:w_start] + START + scanned[w_start:w_end] + END)
            cursor = w_end
    if last == len(words):
        end = len(scanned.rstrip())  # keep the final punctuation
    out.append(scanned[cursor:end])
    if last < len(words) or len(text) > len(scanned):
        out.append("…")
    return "".join(out)
