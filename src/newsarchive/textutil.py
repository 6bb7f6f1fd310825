"""Small text helpers shared by the cleaners, the archive and the exporters."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+(?:[’'-]\w+)*", re.UNICODE)
# C0/C1 control characters except tab and newline: they can move or restyle a terminal.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# Invisible characters: soft hyphens (pages hyphenated for justification), zero-width spaces
# and joiners, BOMs. They split words for search and substring matching and show nothing.
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
# Bidirectional overrides, embeddings and isolates: in a title they can make a terminal show the
# text in another order than it is stored (U+202E). The marks LRM and RLM stay: RTL text needs them.
BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def count_words(text: str) -> int:
    return sum(1 for _ in _WORD.finditer(text))


def strip_controls(text: str) -> str:
    """Drop control characters (escape sequences, NUL...) that have no place in article text."""
    return CONTROL_CHARS.sub("", text)


def normalize_line(line: str) -> str:
    """NFC, one plain space for every run of spaces, no control or invisible characters, stripped."""
    if line.isascii():
        if line.isprintable() and "  " not in line:
            return line.strip()  # the common case, in one cheap test
    else:
        line = unicodedata.normalize("NFC", _INVISIBLE.sub("", line))
    return _SPACES.sub(" ", strip_controls(line)).strip()


def _latin_fold_table() -> dict[int, str]:
    table = {}
    for cp in range(0xA0, 0x250):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base != ch:
            table[cp] = base.casefold()
    return table


# Letters that decompose to nothing and are written out instead: "cœur" is "coeur" to a French
# reader (and to a search), "Æsop" "Aesop", "Søren" "Soren", "Łódź" "Lodz".
LIGATURES = {"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŀ": "l", "ı": "i"}
_FOLD_MAP = {**_latin_fold_table(), **{ord(k): v for k, v in LIGATURES.items()}}
# The same table as a tuple indexed by code point (every character below the last one mapped,
# most to themselves): str.translate looks a tuple up 1.8 times faster than a dict, and a
# character past its end is left as it is, as a dict's miss leaves it.
_FOLD_TABLE = tuple(_FOLD_MAP.get(cp, chr(cp)) for cp in range(max(_FOLD_MAP) + 1))
# Characters the table does not cover (other scripts, combining marks, ligatures): slow path.
_NEEDS_NFKD = re.compile(r"[^\x00-\u024f\u2000-\u206f\u20ac]")


def fold(text: str) -> str:
    """Lowercase without accents, for comparisons that must ignore both.

    A translation table covers Latin text in one pass (the cleaner folds every line); anything
    else goes through Unicode decomposition.
    """
    folded = text.casefold().translate(_FOLD_TABLE)
    if not _NEEDS_NFKD.search(folded):
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slugify(text: str, max_length: int = 60) -> str:
    """An ASCII file-name-safe slug: letters, digits and single dashes only."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug.strip("-")
