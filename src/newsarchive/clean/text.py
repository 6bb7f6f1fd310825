"""The French text-dump cleaner: what a scraper saved of a whole page, down to the article.

Each line is classified from general evidence (length, sentence punctuation, French stop-word
density, a lexicon of web interface phrases, repetition of the headline, position relative to
the prose of the page), then smoothed with its context: a short line between two paragraphs of
prose is a subheading, a run of headline-like lines after a "related articles" heading is a list
of other articles. Every decision keeps its reason so `clean --explain` can show it.

No rule names a site: the lexicon is made of interface phrases any French news page may use.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from newsarchive.clean import dates, rules
from newsarchive.textutil import fold, normalize_line

if TYPE_CHECKING:
    from newsarchive.clean.linescore import LineScorer

# Lines that are page furniture wherever they stand (matched on the folded, whole line).
_INTERFACE_RE = re.compile(r"^" + rules.alternation("INTERFACE") + r"\W*$")
# Headings that open a block of links to other articles: what follows is not this article.
_RELATED = re.compile(r"^\W*" + rules.alternation("RELATED") + r"\b")
# A photo caption or credit line: "Roman Prymula, photo: ...", "Crédits : AFP", "© Getty".
_CAPTION = re.compile(
    r"(?:^|[\s,.(•|-])" + rules.alternation("CAPTION") + r"\s*:|©|/\s*" + rules.alternation("CAPTION_AGENCIES")
    + r"\b|\b" + rules.alternation("CAPTION_SIGNS") + r"\b"
)  # fmt: skip
# A call to action addressed to the reader: subscribe, log in, accept, download, share.
_CTA = re.compile(r"\b" + rules.alternation("CTA") + r"\b")
_PREV_NEXT = re.compile(r"^\W*" + rules.alternation("PREV_NEXT_PREFIX") + "?" + rules.alternation("PREV_NEXT") + r"\b")
_READER = re.compile("|".join(rules.fragments("READER")))
_SENTENCE_END = re.compile(r"[.!?…»”\"')\]:;]\s*$")
_ELLIPSIS_END = re.compile(r"(?:\.\.\.|…)\s*$")
_WORDS = re.compile(r"[^\W\d_][\w'’-]*")  # a word starts with a letter
_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_HASHTAGS = re.compile(r"#([\w-]+)")
_AUTHOR_CUE = re.compile(r"^" + rules.alternation("AUTHOR_CUES") + r"(?:\s*:\s*|\s+)(?P<name>.+)$", re.IGNORECASE)
_AUTHOR_END = re.compile(r"\s+(?:[-|•,]|" + "|".join(rules.fragments("AUTHOR_END")) + r")\s*")
_FIRST_PERSON = re.compile(r"\b" + rules.alternation("FIRST_PERSON") + r"\b")


# jusText (installed with trafilatura) ships stop-word lists named by language.
_STOPLISTS = {
    "fr": "French", "en": "English", "de": "German", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "pl": "Polish", "sv": "Swedish", "da": "Danish",
    "no": "Norwegian_Bokmal", "fi": "Finnish", "cs": "Czech", "sk": "Slovak", "hu": "Hungarian",
    "ro": "Romanian", "tr": "Turkish", "ru": "Russian", "uk": "Ukrainian", "el": "Greek",
    "ca": "Catalan", "hr": "Croatian", "sl": "Slovenian", "bg": "Bulgarian", "lt": "Lithuanian",
    "lv": "Latvian", "et": "Estonian", "id": "Indonesian", "vi": "Vietnamese", "af": "Afrikaans",
    "sq": "Albanian", "mk": "Macedonian", "cy": "Welsh", "tl": "Tagalog", "sw": "Swahili",
}  # fmt: skip


# Languages that capitalise every noun: a capitalised short line there is no sign of a name.
_NOUNS_CAPITALISED = {"de", "lb"}


@cache  # 35 lists, 1.6 MB: with 8, a page in a ninth language folded its list again
def stop_words(lang: str | None = "fr") -> frozenset[str]:
    """Stop words of `lang` (folded); empty for a language jusText has no list for."""
    import justext

    name = _STOPLISTS.get(lang or "")
    if name is None:
        return frozenset()
    words = set()
    for word in justext.get_stoplist(name):
        word = re.sub(r"[^\w'-]", "", fold(word))
        if word:
            words.add(word)
    return frozenset(words)


@lru_cache(maxsize=1)
def _stop_index() -> dict[str, tuple[str, ...]]:
    """Every stop word of the lists we know, with the languages whose list holds it."""
    index: dict[str, list[str]] = {}
    for lang in _STOPLISTS:
        for word in stop_words(lang):
            index.setdefault(word, []).append(lang)
    return {word: tuple(langs) for word, langs in index.items()}


def page_language(lines: list[str]) -> str | None:
    """Which stop-word list fits the page: the one that covers most words of its longest lines.

    A vote over stop words is all the cleaner needs (which list to count with), and it costs a
    few dictionary look-ups where a statistical detector costs milliseconds per page.
    """
    index = _stop_index()
    votes: dict[str, float] = {}
    words = _WORDS.findall(" ".join(heapq.nlargest(8, lines, key=len)))[:250]
    found = [langs for langs in (index.get(_word_forms(word)[0]) for word in words) if langs]
    for langs in found:
        share = 1.0 / len(langs)
        for lang in langs:
            votes[lang] = votes.get(lang, 0.0) + share
    best = max(votes, key=lambda lang: (votes[lang], lang == "fr"), default=None)
    if best is None:
        return None
    covered = sum(1 for langs in found if best in langs)
    if covered < 0.1 * len(words):
        return None  # a script or language none of the lists covers: count no stop words
    return best


@dataclass
class Line:
    n: int  # 1-based line number in the input
    text: str  # normalised
    raw: str
    keep: bool = False
    reason: str = ""
    prose: bool = False
    # Computed once (every rule looks at them): folded text, headline key, word count.
    folded: str = ""
    key: str = ""
    words: list[str] = field(default_factory=list)
    furniture: bool | None = None  # _is_furniture's answer, once asked

    def __post_init__(self) -> None:
        if self.text:
            self.folded = fold(self.text)
            self.key = _NONWORD.sub(" ", self.folded).strip()  # the same as _title_key(text)
            self.words = _words(self.text)

    @property
    def nwords(self) -> int:
        return len(self.words)


@dataclass
class TextResult:
    """What the text cleaner found: the body, the metadata, and a reason for every line."""

    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    date_source: str | None = None
    tags: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


def _words(text: str) -> list[str]:
    return _WORDS.findall(text)


def _fold_word(word: str) -> str:
    """A word folded, without an elided article or pronoun (l’, d’, qu’...)."""
    return _word_forms(word)[0]


@lru_cache(maxsize=100_000)
def _word_forms(word: str) -> tuple[str, ...]:
    """The folded word and, for an elided form (l’école, aujourd’hui), its tail as well."""
    full = fold(word).replace("’", "'")
    tail = full.rsplit("'", 1)[-1]
    return (tail,) if tail == full else (tail, full)


def _is_stop(word: str, stops: frozenset[str]) -> bool:
    forms = _word_forms(word)
    return forms[0] in stops or (len(forms) > 1 and forms[1] in stops)


def is_prose(text: str, stops: frozenset[str] | None = None, words: list[str] | None = None) -> bool:
    """A line that reads like article prose rather than a label, a link or a headline.

    `stops` are the stop words of the page's language (French by default); without a list for
    the language, length and sentence punctuation decide alone.
    """
    words = _words(text) if words is None else words
    if len(words) < 6 or _URL.search(text):
        return False
    if _ELLIPSIS_END.search(text) and len(words) < 20:
        return False  # a teaser or a truncated headline, not a paragraph
    if _glued(text) >= 2:
        return False  # a breadcrumb: labels glued together with the headline
    if sum(1 for w in words if w[:1].isupper()) > 0.6 * len(words):
        return False  # a menu or a list of section names, in Title Case
    ended = bool(_SENTENCE_END.search(text))
    if not ended and len(words) < 25:
        return False  # paragraphs that lost their final punctuation are long; headlines are not
    stops = stop_words() if stops is None else stops
    sample = words[:40]  # the share of stop words is settled after a sentence or two
    ratio = sum(1 for w in sample if _is_stop(w, stops)) / len(sample) if stops else 1.0
    return ratio >= (0.2 if ended else 0.25)


_NONWORD = re.compile(r"\W+")
_GLUED = re.compile(r"[a-zà-ÿ]{4,}[A-ZÀ-Ý][a-zà-ÿ]")


def _glued(text: str) -> int:
    """How many times a word runs into the next with no space ("ActualitésIntelligence")."""
    return len(_GLUED.findall(text))


def _headline_like(text: str) -> bool:
    words = _words(text)
    return 3 <= len(words) <= 30 and not text.rstrip().endswith(".") and not _URL.search(text)


def _title_key(text: str) -> str:
    """Compare headlines regardless of quotes, case, accents and a truncating ellipsis."""
    return _NONWORD.sub(" ", fold(text)).strip()


def _is_name_caption(text: str, stops: frozenset[str] | None = None, min_words: int = 1) -> bool:
    """A bare proper name standing alone (a photo caption, an author's name).

    Between paragraphs a single capitalised word is more often a subheading than a name, so
    the body asks for a first and a last name (`min_words=2`).
    """
    words = text.split()
    if not min_words <= len(words) <= 4 or _SENTENCE_END.search(text):
        return False
    stops = stop_words() if stops is None else stops
    return all(w[:1].isupper() and w.isalpha() and fold(w) not in stops for w in words)


@dataclass
class Page:
    """What the rule pass found on a page: the evidence the learned scorer reads, and its decisions."""

    lines: list[Line]
    content: list[Line]  # the lines with text, in order
    stops: frozenset[str] = frozenset()
    counts: dict[str, int] = field(default_factory=dict)  # headline key -> lines of the page with it
    boundaries: set[int] = field(default_factory=set)  # related-articles headings (content indexes)
    weights: list[float] = field(default_factory=list)  # each line's weight in the main-run search
    first: int = 0  # the main run of prose: first and last content index
    last: int = -1
    related_at: int = 0
    title_line: int | None = None
    result: TextResult | None = None


def clean_text(
    raw: str, now: datetime | None = None, scorer: LineScorer | bool | None = True, explain: bool = False
) -> TextResult:
    """Clean a text dump: the article's paragraphs, its metadata, and a reason for every line.

    The rules find the metadata and a first answer for every line; the learned scorer (the
    shipped one unless `scorer` says otherwise; False: the rules alone) then decides body or not.
    """
    from newsarchive.clean.linescore import default_scorer

    page = analyse(raw, now)
    assert page.result is not None
    if scorer is True:
        scorer = default_scorer()
    if scorer and page.content:
        scorer.apply(page, explain)
        page.result.text = "\n\n".join(ln.text for ln in page.content if ln.keep)
    return page.result


def analyse(raw: str, now: datetime | None = None) -> Page:
    """The rule pass: every line described and given the rules' decision, the metadata found."""
    lines = [Line(n, normalize_line(r), r) for n, r in enumerate(raw.split("\n"), 1)]
    content = [ln for ln in lines if ln.text]
    for ln in lines:
        if not ln.text:
            ln.reason = "blank"
    page = Page(lines, content)
    if not content:
        page.result = TextResult(text="", lines=lines)
        return page

    counts: dict[str, int] = {}
    for ln in content:
        counts[ln.key] = counts.get(ln.key, 0) + 1
    lang = page_language([ln.text for ln in content])
    stops = stop_words(lang)
    for ln in content:
        # A line the page repeats word for word is a headline or a label, not a paragraph.
        ln.prose = counts[ln.key] == 1 and is_prose(ln.text, stops, ln.words)
    boundaries = {i for i in range(len(content)) if _is_boundary(content, i)}
    first, last, boundary, weights = _main_span(content, boundaries)
    related_at = len(content) if boundary is None else boundary

    title, title_line = _find_title(content, first, last, stops)
    title_key = _title_key(title) if title else None

    # The author's box after the body (a name, the name glued to a link, a first-person bio).
    bio_from = _find_bio(content, last)
    if bio_from is not None:
        last = max((i for i in range(first, bio_from) if content[i].prose), default=-1)

    author = _find_author(content, first, bio_from)
    tags = _find_tags(content)
    # The headline's first appearance: pages repeat it (breadcrumb, share box) further down.
    headline_at = next((i for i, ln in enumerate(content) if title_key and ln.key == title_key), title_line)
    published, date_source, date_line = _find_date(content, first, last, related_at, headline_at, now, lang)

    in_long_run = _long_runs(content)
    under_heading = _under_related_heading(content, boundaries)
    for i, ln in enumerate(content):
        folded = ln.folded
        if i == date_line:
            ln.reason = f"publication date ({date_source})"
        elif (
            title_key
            and ln.key
            and (ln.key == title_key or (_ELLIPSIS_END.search(ln.text) and title_key.startswith(ln.key)))
        ):
            ln.reason = "headline"
        elif i >= related_at:
            ln.reason = "after a related-articles heading"
        elif bio_from is not None and i >= bio_from:
            ln.reason = "author box after the article"
        elif (
            i < first
            and ln.prose
            and title_line is not None
            and title_line < i <= title_line + _STANDFIRST_REACH
            and not _is_furniture(ln)
        ):
            ln.keep, ln.reason = True, "standfirst (prose between the headline and the article)"
        elif i < first:
            ln.reason = "before the article's first paragraph"
        elif i > last:
            ln.reason = "after the article's last paragraph"
        elif _is_furniture(ln):
            ln.reason = "web interface phrase or call to action"
        elif dates.PUBLISHED_CUE.match(ln.text) or dates.date_dominated(ln.text, now):
            ln.reason = "date line"
        elif _AUTHOR_CUE.match(folded) and ln.nwords <= 6:
            ln.reason = "byline"
        elif _HASHTAGS.search(ln.text) and not ln.prose:
            ln.reason = "hashtags"
        elif ln.prose:
            ln.keep, ln.reason = True, "prose"
        elif not ln.words:
            ln.reason = "no words"
        elif ln.nwords <= 20 and _CAPTION.search(folded):
            ln.reason = "photo caption or credit"
        elif lang not in _NOUNS_CAPITALISED and _is_name_caption(ln.text, stops, min_words=2):
            ln.reason = "a name alone (caption or credit)"
        elif _ELLIPSIS_END.search(ln.text):
            ln.reason = "truncated teaser"
        elif under_heading[i]:
            ln.reason = "link under a related-articles heading"
        elif in_long_run[i] and ln.nwords < 8 and not _LIST_ITEM.search(ln.text):
            ln.reason = "one of many short lines in a row (a menu or an advert)"
        else:
            ln.keep, ln.reason = True, "short line inside the article (subheading or list item)"

    text = "\n\n".join(ln.text for ln in content if ln.keep)
    page.stops, page.counts, page.boundaries, page.weights = stops, counts, boundaries, weights
    page.first, page.last, page.related_at, page.title_line = first, last, related_at, title_line
    page.result = TextResult(
        text=text,
        title=title,
        author=author,
        published=published,
        date_source=date_source,
        tags=tags,
        lines=lines,
    )
    return page


_BOUNDARY_COST = -60.0
_ARTICLE_SIZE = 150.0  # words of prose: what a short news article at least has
_STANDFIRST_REACH = 8  # lines after the headline where a standfirst may stand (byline, date, share buttons)


def _is_furniture(ln: Line) -> bool:
    """A line of the page's interface: a menu label, a button, a form, a call to subscribe.

    Only short lines qualify: a long line that starts with "À lire aussi" is a link glued to the
    next paragraph (inline elements run together in a dump), and the paragraph must stay.
    """
    if ln.furniture is None:
        words, folded = ln.nwords, ln.folded
        ln.furniture = words <= 40 and bool(
            _PREV_NEXT.match(folded)  # links to the previous or next article, whatever their length
            or (words <= 25 and (_INTERFACE_RE.match(folded) or _RELATED.match(folded)))
            or (_CTA.search(folded) and _READER.search(folded))
        )
    return ln.furniture


def is_page_furniture(text: str) -> bool:
    """For other cleaners' output: is this paragraph interface text, a call to action or a caption?"""
    ln = Line(0, normalize_line(text), text)
    if not ln.text:
        return True
    return _is_furniture(ln) or (ln.nwords <= 20 and not ln.prose and bool(_CAPTION.search(ln.folded)))


# A list item of the article: a bullet, a number, a lowercase start or a trailing comma.
_LIST_ITEM = re.compile(r"^\s*(?:[•·▪◦*–—-]|\d+[.)/-]|[a-zà-ÿ])|[,;:]\s*$")
_LONG_RUN = 4  # short lines in a row from which a run is a menu, not subheadings


def _under_related_heading(content: list[Line], boundaries: set[int]) -> list[bool]:
    """For each line: does it follow a related-articles heading, before any paragraph?"""
    flags = [False] * len(content)
    inside = False
    for i, ln in enumerate(content):
        if ln.prose:
            inside = False
        elif inside:
            flags[i] = True
        if i in boundaries:
            inside = True
    return flags


def _long_runs(content: list[Line]) -> list[bool]:
    """For each line: is it in a run of several non-prose lines in a row?"""
    flags = [False] * len(content)
    start = 0
    for i in range(len(content) + 1):
        if i == len(content) or content[i].prose:
            if i - start >= _LONG_RUN:
                for j in range(start, i):
                    flags[j] = True
            start = i + 1
    return flags


def _reads_as_article(content: list[Line], start: int, end: int) -> bool:
    """Do the prose lines of this run mostly follow other prose lines, as in an article?"""
    prose = [i for i in range(start, end + 1) if content[i].prose]
    followed = sum(1 for i in prose if i > start and content[i - 1].prose)
    return len(prose) >= 3 and followed >= len(prose) / 2


def _is_boundary(content: list[Line], i: int) -> bool:
    """A heading that opens a list of other articles or a comment form: what follows is not ours.

    Only a heading followed by a list counts: an inline "Lire aussi" between two paragraphs of
    the article is a single link, and the article goes on after it.
    """
    ln = content[i]
    if ln.nwords > 10 or not _RELATED.match(ln.folded):
        return False
    following = content[i + 1 : i + 4]
    return sum(1 for n in following if not n.prose) >= 2 or not following


def _weights(content: list[Line]) -> list[float]:
    """How much each line speaks for being part of the article: prose for, furniture against.

    One subheading or caption between two paragraphs costs little; every further line of a run
    of furniture costs more than the one before, so a long menu or list of links between two
    blocks of prose keeps them apart.
    """
    weights: list[float] = []
    run = 0
    for ln in content:
        if ln.prose and not _is_furniture(ln):
            run = 0
            weights.append(float(min(ln.nwords, 80)))
            continue
        if _is_furniture(ln):
            run += 1
            weights.append(-10.0 * run)
        elif ln.text[:1].islower() and not _URL.search(ln.text):
            weights.append(-1.0)  # an item of a list inside the article ("masques chirurgicaux,")
        else:
            run += 1
            weights.append(-3.0 * run)
    return weights


def _best_run(weights: list[float], lo: int, hi: int) -> tuple[float, int, int]:
    """The contiguous run of lines in [lo, hi) with the largest total weight (Kadane)."""
    best = (0.0, lo, lo - 1)
    total, start = 0.0, lo
    for i in range(lo, hi):
        if total <= 0:
            total, start = 0.0, i
        total += weights[i]
        if total > best[0]:
            best = (total, start, i)
    return best


def _main_span(content: list[Line], boundaries: set[int]) -> tuple[int, int, int | None, list[float]]:
    """First and last line of the article body, and the first boundary after it (if any).

    The body is the run of lines where prose outweighs furniture the most, so the densest prose
    of the page is always in it. Then, to fail gracefully, any other run at least a third as
    heavy is joined to it unless a related-articles or comments heading stands between them
    (an article split by an advert or an inline link list is kept whole).
    """
    weights = _weights(content)
    for b in boundaries:
        weights[b] = _BOUNDARY_COST  # the body does not run on into a list of other articles
    # After a related-articles heading that follows an article-sized run of prose, prose is most
    # likely the teasers of other articles: it counts for less (never for nothing).
    prose_before = 0.0
    damped_from = None
    for i, w in enumerate(weights):
        if i in boundaries and prose_before >= _ARTICLE_SIZE:
            damped_from = i
            break
        prose_before += max(w, 0.0)
    if damped_from is not None:
        weights = weights[:damped_from] + [w * 0.3 if w > 0 else w for w in weights[damped_from:]]
    total, first, last = _best_run(weights, 0, len(content))
    if total <= 0:
        return len(content), -1, None, weights
    changed = True
    while changed:
        changed = False
        for lo, hi in ((0, first), (last + 1, len(content))):
            other, start, end = _best_run(weights, lo, hi)
            if other < total / 3:
                continue
            crossed = any(min(start, first) < b < max(end, last) for b in boundaries)
            # Across a related-articles heading only when what lies beyond reads as the rest of
            # the article (paragraphs following paragraphs), not as teasers (title, blurb, title...).
            if not crossed or _reads_as_article(content, start, end):
                first, last, total, changed = min(first, start), max(last, end), total + other, True
    after = min((b for b in boundaries if b > last), default=None)
    return first, last, after, weights


# "Tags: ...", "Catégorie : ...", "Par ...": a labelled line is metadata, never the headline.
_LABELLED = re.compile(r"^" + rules.alternation("LABELS") + r"\s*:")


def _find_title(
    content: list[Line], first: int, last: int = -1, stops: frozenset[str] = frozenset()
) -> tuple[str | None, int | None]:
    """The headline: the best headline-like line shortly before the article's first paragraph.

    Evidence, each general to news pages: closeness to the first paragraph (bylines, dates and
    share buttons stand between, menus stand far above), a headline's length, sentence case,
    repetition above the article (the page title, a breadcrumb) but not after it (site names
    repeat in footers), and a full version over a truncated one. The first line of the body is
    a candidate too: a question headline reads like prose.
    """
    end = first if first < len(content) else min(len(content), 10)
    candidates = list(range(max(0, end - 60), end))
    opening = content[end] if end < len(content) else None
    if opening is not None and opening.nwords <= 20 and not re.search(r"[.;:,»”\"]\s*$", opening.text):
        candidates.append(end)  # a question headline ("... près de chez vous ?") reads like prose
    before: dict[str, int] = {}
    after: set[str] = set()
    for i, ln in enumerate(content):
        if i <= end:
            before[ln.key] = before.get(ln.key, 0) + 1
        elif i > max(last, end):
            after.add(ln.key)
    # The words the article is about: headlines share them, menus and form prompts do not.
    topic: set[str] = set()
    for ln in content[end : max(end + 1, last + 1)]:
        if ln.prose:
            topic.update(w for w in map(_fold_word, ln.words) if w not in stops and len(w) > 2)
            if len(topic) > 150:
                break
    best: tuple[float, int] | None = None
    for i in candidates:
        ln = content[i]
        text = ln.text
        if (
            not _headline_like(text)
            or text.endswith(":")
            or _is_furniture(ln)
            or _LABELLED.match(ln.folded)
            or dates.find_dates(text)
        ):
            continue
        words = ln.words
        lower = sum(1 for w in words if w[:1].islower()) / len(words)
        score = 3.0 * (1 - min(end - i, 30) / 30)  # close to the article
        score += 1.5 if 5 <= len(words) <= 25 else 0.5 if len(words) >= 3 else 0.0
        score += 1.0 if lower >= 0.3 else 0.0  # sentence case, as French headlines are written
        score += 1.5 if before.get(ln.key, 0) > 1 else 0.0
        score -= 2.0 if ln.key in after else 0.0
        score -= 2.0 if _ELLIPSIS_END.search(text) else 0.0
        score -= 2.0 * _glued(text)  # a breadcrumb glued to the headline
        own = {w for w in map(_fold_word, words) if w not in stops and len(w) > 2}
        if own and topic:
            score += 4.0 * len(own & topic) / len(own)
        if best is None or score > best[0]:
            best = (score, i)
    if best is None:
        return None, None
    text = content[best[1]].text
    if _ELLIPSIS_END.search(text):
        text = _ELLIPSIS_END.sub("", text).rstrip() + "…"
    return text, best[1]


def _find_bio(content: list[Line], last: int) -> int | None:
    """Index where an author box starts at the end of the body, if there is one."""
    for i in range(max(last - 3, 0), last + 1):
        ln = content[i]
        if not _is_name_caption(ln.text):
            continue
        nxt = content[i + 1 : i + 4]
        if any(_FIRST_PERSON.search(fold(n.text)) or (_URL.search(n.text) and n.text.startswith(ln.text)) for n in nxt):
            return i
    return None


def _find_author(content: list[Line], first: int, bio_from: int | None) -> str | None:
    for ln in content:
        m = _AUTHOR_CUE.match(ln.text)
        if m and ln.nwords <= 8:
            name = _AUTHOR_END.split(m.group("name"), maxsplit=1)[0]
            name = name.strip(" :-|•")
            if name and len(_words(name)) <= 5:
                return name
    if bio_from is not None:
        return content[bio_from].text
    return None


_TAG_LABEL = re.compile(r"^" + rules.alternation("TAG_LABELS") + r"\s*:?\s*")


def _find_tags(content: list[Line]) -> list[str]:
    tags: list[str] = []
    for i, ln in enumerate(content):
        folded = ln.folded
        label = _TAG_LABEL.match(folded)
        if not label:
            continue
        rest = ln.text[label.end() :].strip()
        source = rest or (content[i + 1].text if i + 1 < len(content) else "")
        found = _HASHTAGS.findall(source)
        if not found and rest:
            found = [t.strip() for t in re.split(r"[,;|]", rest) if t.strip()]
        for tag in found:
            if tag not in tags:
                tags.append(tag)
        if tags:
            break
    return tags


def _find_date(
    content: list[Line],
    first: int,
    last: int,
    related_at: int,
    title_line: int | None,
    now: datetime | None,
    lang: str | None = "fr",
) -> tuple[str | None, str | None, int | None]:
    """The publication date, where it was found, and its line; or nothing."""

    def trusted(i: int, found: dates.FoundDate) -> bool:
        if found.ambiguous and lang == "en":
            return False  # 06/01/2020: June or January? English pages write both orders
        if _EMBED_SIGNATURE.search(content[i].text):
            return False  # the date of an embedded tweet or post, not of the article
        return not _in_date_column(content, i, now)

    # 1. An explicit "Publié le ..." anywhere outside the related links.
    for i, ln in enumerate(content[:related_at]):
        found = dates.after_published_cue(ln.text, now)
        if found is False:
            nxt = content[i + 1].text if i + 1 < len(content) else ""
            follow = dates.date_dominated(nxt, now, max_other_words=1)
            if follow and trusted(i + 1, follow):
                return follow.value, "byline", i + 1
        elif found:
            assert not isinstance(found, bool)
            if trusted(i, found) and not _in_cue_list(content, i, found, now):
                return found.value, "byline", i
    # 2. A date line before the first paragraph (or just after it, below a standfirst):
    #    just above the headline it is the page header, below it the byline. Far above the
    #    headline (or above it with a day name) it is the site's "today" widget.
    header_end = min(len(content), related_at, max(first, min(first + 6, last)))
    for i, ln in enumerate(content[:header_end]):
        found_line = dates.date_dominated(ln.text, now)
        if not found_line or not trusted(i, found_line):
            continue
        if dates.BYLINE.match(ln.text):
            return found_line.value, "byline", i  # "Par Prénom Nom, le 15 septembre 2009"
        if title_line is not None and i < title_line:
            if title_line - i > _HEADER_REACH or (found_line.weekday and title_line - i > 2):
                continue
            return found_line.value, "header", i
        below_headline = title_line is not None and 0 < i - title_line <= 4
        if first - i > _BYLINE_REACH and not below_headline:
            continue  # far above the article, among menus: a date of the site, not of the article
        return found_line.value, "byline", i
    # 3. A lone date among the last lines of the page, after the article (a dateline footer).
    tail_start = max(last + 1, len(content) - 3)
    for i in range(tail_start, min(len(content), related_at)):
        found_line = dates.date_dominated(content[i].text, now, max_other_words=0)
        if found_line and trusted(i, found_line):
            return found_line.value, "footer", i
    return None, None, None


_HEADER_REACH = 6  # lines above the headline where a header date may stand
_BYLINE_REACH = 12  # lines above the first paragraph where a byline date may stand
_EMBED_SIGNATURE = re.compile(r"\(@\w+\)")  # "— Name (@handle) January 1, 2020": an embedded tweet


def _in_cue_list(content: list[Line], i: int, found: dates.FoundDate, now: datetime | None) -> bool:
    """Is line `i` one of a list of teasers that each say when they were published?

    ("Titre d'un autre article publié le 20 janvier 2022", four lines in a row.) Two such lines
    nearby, or one with another date, make a list; a page that repeats its own byline does not.
    """
    others = []
    for j in _near(content, i):
        other = dates.after_published_cue(content[j].text, now)
        if other and not isinstance(other, bool):
            others.append(other.value[:10])
    return len(others) >= 2 or any(value != found.value[:10] for value in others)


def _near(content: list[Line], i: int) -> list[int]:
    """The lines within four of line `i`, itself left out: where a list of dates would show."""
    return [j for j in range(max(0, i - 4), min(len(content), i + 5)) if j != i]


def _in_date_column(content: list[Line], i: int, now: datetime | None) -> bool:
    """Is line `i` one of several date lines close together (an agenda, an archive, a list)?"""
    return sum(1 for j in _near(content, i) if dates.date_dominated(content[j].text, now)) >= 2
