"""French text analysis for search: the same for the index and for queries.

Words are split on elisions (l’IA -> ia), lowercased and stripped of accents, stemmed with the
Snowball French stemmer (PyStemmer), and French stop words are left out, as Lucene's French
analyzer does. "régulation", "régulations" and "réguler"
all become "regul"; "Sécurité" and "securite" both become "secur".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from newsarchive.textutil import fold

ANALYZER_VERSION = 2  # bump when tokens change: the search index is then rebuilt (2: œ, æ written out)

# The Snowball French stop list (the one Lucene's French analyzer uses), folded.
STOP_WORDS = frozenset(
    fold(w)
    for w in """
    au aux avec ce ces dans de des du elle en et eux il ils je la le les leur leurs lui ma mais me
    même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes
    toi ton tu un une vos votre vous c d j l à m n s t y été étée étées étés étant suis es est
    sommes êtes sont serai seras sera serons serez seront serais serait serions seriez seraient
    étais était étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez soient
    fusse fusses fût fussions fussiez fussent ayant eu eue eues eus ai as avons avez ont aurai
    auras aura aurons aurez auront aurais aurait aurions auriez auraient avais avait avions aviez
    avaient eut eûmes eûtes eurent aie aies ait ayons ayez aient eusse eusses eût eussions
    eussiez eussent ceci cela cet cette ici quel quels quelle quelles sans soi
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_NOT_WORD = re.compile(r"[^\w]+")
# A word: letters and digits, with inner apostrophes and hyphens handled below.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Elided articles and pronouns before an apostrophe: l’, d’, qu’, jusqu’, lorsqu’...
_ELISION = re.compile(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("french")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The index term of one word (already split from its elision); '' for a stop word."""
    folded = _NOT_WORD.sub("", fold(word))  # "¼" folds to "1⁄4": keep letters and digits only
    if not folded or folded in STOP_WORDS:
        return ""
    # Stemming the folded word keeps "securite" and "sécurité" one term (Snowball on the
    # accented form stems them differently).
    term = str(_stemmer().stemWord(folded))
    # Snowball keeps the plural "s" after some vowels ("vélos" -> "velos", "vélo" -> "velo").
    if len(term) > 3 and ((term[-1] == "s" and term[-2] not in "su") or term.endswith("eux")):
        term = term[:-1]
    return term


def words(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, word) for every word, elisions split off: "l’IA" gives "IA"."""
    for match in _WORD.finditer(text):
        yield match.start(), match.end(), match.group(0)


def _split_elisions(text: str) -> str:
    return re.sub(r"\b(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", " ", text, flags=re.IGNORECASE)


def terms(text: str) -> list[str]:
    """The index terms of a text, in order, stop words left out."""
    return [t for t in (stem(w) for w in _WORD.findall(_split_elisions(text))) if t]


def analyze(text: str) -> str:
    """The text as the search index stores it: its terms separated by spaces."""
    return " ".join(terms(text))


def surface_terms(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, term) for each word of `text` that is not a stop word, for highlighting."""
    for start, end, word in words(text):
        term = stem(word)
        if term:
            yield start, end, term
