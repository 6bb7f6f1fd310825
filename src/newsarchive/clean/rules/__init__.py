"""What the cleaner and the date finder read in words: one module per language.

The rules in `clean.text` and `clean.dates` are general (a line's length, its punctuation, where
it stands); what they recognise in words lives here. A language module sets any of the names in
`FIELDS` (a tuple of regular-expression fragments each, or a dict for MONTHS); `common.py` holds
what no language owns (social networks, agencies, the copyright sign). Adding a language means
adding one file named by its ISO 639-1 code: it is found by name, nothing else to register.

Every page is read with every language's words at once (a French page quotes English buttons; a
German site's French edition keeps German menus), so the order only settles which of two
fragments that match at the same place wins: French, then English, then the others by code.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

# Matched on folded text (lower case, accents removed) unless the description says "as written".
FIELDS = {
    "INTERFACE": "a whole line that is page furniture (a button, a menu item, a form label)",
    "RELATED": "a heading that opens a list of other articles (at the line's start)",
    "CAPTION": "a word that labels a photo credit before a colon",
    "CAPTION_AGENCIES": "a photo agency credited after a slash ('/ AFP')",
    "CAPTION_SIGNS": "a credit phrase wherever it stands ('Getty Images')",
    "CTA": "a word of a call to action: subscribe, log in, accept, download",
    "READER": "a word that addresses the reader (with a CTA word: a pitch, not the article)",
    "PREV_NEXT": "a link to the previous or next article, at the line's start",
    "PREV_NEXT_PREFIX": "what may stand before PREV_NEXT ('article ')",
    "AUTHOR_CUES": "what introduces an author's name at the line's start ('par', 'écrit par')",
    "AUTHOR_END": "as written: what ends a name after an author cue ('publié', 'le ')",
    "AUTHOR_PREFIXES": "as written, any case: what a page's author field may start with ('par', 'by')",
    "FIRST_PERSON": "a phrase of an author's bio written in the first person",
    "LABELS": "a label before a colon that makes a line metadata, never the headline",
    "TAG_LABELS": "a label that introduces the page's tags",
    "NOTICE": "a word of a consent, legal or subscription notice (a feature of the line scorer)",
    "MONTHS": "as written, any case: month names and abbreviations, with their number (a dict)",
    "WEEKDAYS": "as written, any case: day names",
    "TIME_LINKS": "as written, any case: what joins a date to its time ('à', 'at', 'um')",
    "PUBLISHED_CUES": "as written, any case: what announces the publication date ('Publié')",
    "CUE_LINKS": "as written, any case: what joins a cue to its date ('le', 'on', 'am')",
    "NOT_BEFORE_CUE": "as written, any case: a word that makes the cue after it a republication",
    "BYLINE_WORDS": "as written, any case: 'par', 'by', 'von' before a name",
    "BYLINE_PREFIXES": "as written, any case: what may stand before BYLINE_WORDS ('written')",
    "UPDATED_CUES": "as written, any case: what announces an update date ('mis à jour')",
    "NOT_PUBLICATION": "as written, any case: a label of a date that is not a publication date",
}

FIRST = ("fr", "en")


@cache
def modules() -> tuple[ModuleType, ...]:
    """Every language module (French and English first, then by code), then `common`."""
    names = [m.name for m in pkgutil.iter_modules(__path__) if m.name != "common" and not m.name.startswith("_")]
    ordered = [n for n in FIRST if n in names] + sorted(n for n in names if n not in FIRST)
    return tuple(importlib.import_module(f"{__name__}.{n}") for n in [*ordered, "common"])


def languages() -> tuple[str, ...]:
    return tuple(m.__name__.rsplit(".", 1)[1] for m in modules() if not m.__name__.endswith(".common"))


@cache
def fragments(field: str) -> tuple[str, ...]:
    """The fragments every module gives for `field`, in module order, each once."""
    if field not in FIELDS:
        raise KeyError(f"no such rules field: {field}")
    seen: dict[str, None] = {}
    for module in modules():
        for fragment in getattr(module, field, ()):
            seen.setdefault(fragment, None)
    return tuple(seen)


def alternation(field: str) -> str:
    """`field`'s fragments as one regular-expression alternation, in a group."""
    return "(?:" + "|".join(fragments(field)) + ")"


@cache
def months() -> dict[str, int]:
    merged: dict[str, int] = {}
    for module in modules():
        for name, number in getattr(module, "MONTHS", {}).items():
            merged.setdefault(name, number)
    return merged
