"""Search snippets cut from the original text, with the words that matched marked.

The index holds stems, so FTS5's own snippet() would show stems: the snippet is cut here from
the article's text instead, marking the surface forms whose stem matched ("réguler" for a
search of "régulation").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from newsarchive.analysis import stem
from newsarchive.textutil import LIGATURES

START, END = "\x02", "\x03"  # markers around matched words; rendering turns them into style
WIDTH = 220  # characters in a snippet, about 30 words
SCAN_CHARS = 20_000  # where to look for matches in a long article

_ACCENTED = {
    "a": "aàâäáãå", "c": "cç", "e": "eéèêë", "i": "iîïíì", "o": "oôöóòõø", "u": "uùûüú", "y": "yÿý", "n": "nñ",
}  # fmt: skip
# Index terms are folded with the ligatures written out ("cœur" is "coeur"): a term's "oe" may
# stand for one letter of the text.
_LIGATURES = {out: letter for letter, out in LIGATURES.items() if len(out) == 2}  # {"oe": "œ", "ae": "æ"}


def _cp1252_fold_table() -> bytes:
    """Bytes of Windows-1252 letters to their base ASCII letter (é -> e), others unchanged."""
    table = bytearray(range(256))
    for byte in range(128, 256):
        try:
            ch = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
        if len(base) == 1 and base.isascii():
            table[byte] = ord(base)
    table[ord("ø".encode("cp1252"))] = ord("o")
    return bytes(table)


_CP1252_FOLD = _cp1252_fold_table()
_WORD_REST = re.compile(r"\w*")


def _folded_bytes(text: str) -> bytes | None:
    """`text` lowercased and without accents, one byte per character (positions kept), or None.

    French text is Windows-1252 text: encoding it, then translating bytes, is C all along
    (a str.translate with accents in its table runs a dict lookup per character).
    """
    try:
        return text.lower().encode("cp1252").translate(_CP1252_FOLD)
    except UnicodeEncodeError:  # another script (or a character lower() lengthens)
        return None


def _starts(text: str, folded: bytes, wanted: tuple[str, ...]) -> list[int]:
    """Where a word of `text` begins with one of `wanted` (bytes.find, then a boundary test)."""
    found = set()
    for term in wanted:
        spellings = {term, *(term.replace(pair, letter) for pair, letter in _LIGATURES.items() if pair in term)}
        for spelling in spellings:
            needle = spelling.encode("cp1252", errors="replace")
            pos = folded.find(needle)
            while pos != -1:
                if pos == 0 or not (text[pos - 1].isalnum() or text[pos - 1] == "_"):
                    found.add(pos)
                pos = folded.find(needle, pos + 1)
    return sorted(found)


@lru_cache(maxsize=1024)
def _candidates(terms: tuple[str, ...]) -> re.Pattern[str]:
    """Words that may stem to one of `terms`: they start with its letters, accents aside."""
    alternatives = []

    def letter(c: str) -> str:
        return f"[{_ACCENTED[c]}]" if c in _ACCENTED else re.escape(c)

    for term in terms:
        parts, i = [], 0
        while i < len(term):
            pair = term[i : i + 2]
            if pair in _LIGATURES:
                parts.append(f"(?:{letter(pair[0])}{letter(pair[1])}|{_LIGATURES[pair]})")
                i += 2
                continue
            parts.append(letter(term[i]))
            i += 1
        alternatives.append("".join(parts))
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")\w*", re.IGNORECASE)


def _hits(scanned: str, highlight: set[str], prefixes: set[str]) -> list[tuple[int, int]]:
    """Where the words of `scanned` that match the query stand.

    Only the words that begin like a query term (accents aside) are stemmed and checked.
    """
    wanted = tuple(sorted(t for t in highlight | prefixes if t))
    hits: list[tuple[int, int]] = []
    if wanted:
        spans: list[tuple[int, int]]
        folded = _folded_bytes(scanned)
        if folded is None:
            spans = [m.span() for m in _candidates(wanted).finditer(scanned)]
        else:
            spans = [(a, _WORD_REST.match(scanned, a).end()) for a in _starts(scanned, folded, wanted)]  # type: ignore[union-attr]
        for a, b in spans:
            term = stem(scanned[a:b])
            if term and (term in highlight or any(term.startswith(p) for p in prefixes)):
                hits.append((a, b))
    return hits


def mark(text: str, highlight: set[str], prefixes: set[str]) -> str:
    """All of a short text (a title) with every match marked."""
    out, cursor = [], 0
    for a, b in _hits(text, highlight, prefixes):
        out.append(text[cursor:a] + START + text[a:b] + END)
        cursor = b
    return "".join(out) + text[cursor:]


def snippet(text: str, highlight: set[str], prefixes: set[str]) -> str:
    """The densest stretch of matches in `text` (its start when nothing matches)."""
    scanned = text[:SCAN_CHARS]
    hits = _hits(scanned, highlight, prefixes)
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
