"""Imported once by the worker server before it forks the ingest workers.

Every worker would otherwise import trafilatura, load langdetect's profiles and let htmldate's
date parser build its locale tables (about 4 s, the first time a page sends it an unusual
string), each on its own. Done here once, the workers start ready, and the pages they only read
stay shared between them. The same goes for what trafilatura loads on its first page with a
URL (the public-suffix list) and on its first page it hands to jusText (the stop words of every
language jusText knows, 27 MB with the frozen set made of them): left to the workers, each one
loaded them again after every restart, 0.12 s and 27 MB of its own memory each time (tracemalloc).
"""

from __future__ import annotations

import gc
from datetime import datetime

SAMPLE = (
    "<html><head><title>Essai</title></head><body><article><h1>Un titre d'essai</h1>"
    "<p>Publié le 3 janvier 2023 à 10h</p><p>"
    + "Le conseil municipal a voté mardi soir un budget en hausse pour les écoles de la ville. " * 4
    + "</p></article></body></html>"
)


def warm() -> None:
    from courlan import extract_domain
    from htmldate.extractors import external_date_parser
    from justext.core import define_stoplist
    from trafilatura import external

    from newsarchive.clean.html import clean_html
    from newsarchive.clean.language import detect_language

    result = clean_html(SAMPLE, datetime(2026, 1, 1))
    detect_language(result.text or SAMPLE)
    for text in ("Publié le 3 janvier 2023 à 10h", "Mis à jour : lundi 4 mars 2024, 08:15"):
        external_date_parser(text, "%Y-%m-%d")
    # What trafilatura's jusText fallback builds on its first call (the stop words of every
    # language), in the same shape: a tuple, and the frozen set jusText caches for it.
    define_stoplist(external.JT_STOPLIST or external.jt_stoplist_init())
    extract_domain("https://www.exemple.fr/essai.html")  # the public-suffix list, as courlan loads it


warm()
# Objects made so far are never collected: the garbage collector then never writes to them, and
# the pages the workers inherit stay shared instead of being copied into each of them.
gc.freeze()
