"""What the worker server loads once, in stages, so that the workers it forks start ready.

Every worker would otherwise import trafilatura, load langdetect's profiles and let htmldate's
date parser build its locale tables, each on its own. Done once in the server, the workers
start ready, and the pages they only read stay shared between them. The same goes for what
trafilatura loads on its first page with a URL (the public-suffix list) and on its first page
it hands to jusText (the stop words of every language jusText knows, 27 MB with the frozen set
made of them): left to the workers, each one loaded them again after every restart, 0.12 s and
27 MB of its own memory each time (tracemalloc).

The stages come cheapest and most needed first: the server forks a worker after the first one
(a text dump needs nothing more), and runs the others between two requests for a worker.
Measured in a fresh process on a slow day of this 2-core machine: the modules 0.4 s,
langdetect's profiles 0.35, trafilatura's first page 0.2, jusText's lists 0.18, htmldate's
month names and date parser 2.7 (the regular expressions of 205 locales, which 12 of the
benchmark's 683 HTML pages ever reach).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

PARAGRAPH = "Le conseil municipal a voté mardi soir un budget en hausse pour les écoles de la ville. " * 4
SAMPLE = (
    "<html><head><title>Essai</title></head><body><article><h1>Un titre d'essai</h1>"
    f"<p>Publié le 3 janvier 2023 à 10h</p><p>{PARAGRAPH}</p></article></body></html>"
)
TEXT_SAMPLE = f"Un titre d'essai\nPublié le 3 janvier 2023 à 10h\n{PARAGRAPH}"


def stages() -> Iterator[None]:
    """Each step of the warm-up; the server forks workers after the first."""
    from newsarchive.clean.language import detect_language
    from newsarchive.clean.text import clean_text

    detect_language(clean_text(TEXT_SAMPLE, datetime(2026, 1, 1)).text or TEXT_SAMPLE)
    yield
    from courlan import extract_domain

    from newsarchive.clean.html import clean_html

    clean_html(SAMPLE, datetime(2026, 1, 1))
    extract_domain("https://www.exemple.fr/essai.html")  # the public-suffix list, as courlan loads it
    yield
    from justext.core import define_stoplist
    from trafilatura import external

    # What trafilatura's jusText fallback builds on its first call (the stop words of every
    # language), in the same shape: a tuple, and the frozen set jusText caches for it.
    define_stoplist(external.JT_STOPLIST or external.jt_stoplist_init())
    yield
    from htmldate.extractors import external_date_parser, get_external_parser, month_words

    month_words()
    yield
    # htmldate's date parser compiles the regular expressions of every locale on the first
    # string it is sent: one locale a stage (10-170 ms each), so that the server answers a
    # request for a worker within moments meanwhile. Through dateparser's own internals: if
    # they change, the calls below do it all at once, as before.
    try:
        parser = get_external_parser()
        for locale in parser._get_locale_loader().get_locales(
            languages=None, locales=None, region=None, use_given_order=False
        ):
            parser._is_applicable_locale(locale, DATES[0])
            yield
    except Exception:
        pass
    for text in DATES:
        external_date_parser(text, "%Y-%m-%d")


DATES = ("Publié le 3 janvier 2023 à 10h", "Mis à jour : lundi 4 mars 2024, 08:15")


def warm() -> None:
    """Every stage at once (a Dask worker, which forks nothing)."""
    for _ in stages():
        pass
