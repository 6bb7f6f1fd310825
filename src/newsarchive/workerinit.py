"""Imported once by the worker server before it forks the ingest workers.

Every worker would otherwise import trafilatura, load langdetect's profiles and let htmldate's
date parser build its locale tables (about 4 s, the first time a page sends it an unusual
string), each on its own. Done here once, the workers start ready, and the pages they only read
stay shared between them.
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
    from htmldate.extractors import external_date_parser

    from newsarchive.clean_html import clean_html
    from newsarchive.language import detect_language

    result = clean_html(SAMPLE, datetime(2026, 1, 1))
    detect_language(result.text or SAMPLE)
    for text in ("Publié le 3 janvier 2023 à 10h", "Mis à jour : lundi 4 mars 2024, 08:15"):
        external_date_parser(text, "%Y-%m-%d")


warm()
# Objects made so far are never collected: the garbage collector then never writes to them, and
# the pages the workers inherit stay shared instead of being copied into each of them.
gc.freeze()
