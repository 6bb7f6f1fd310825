"""HTML pages: trafilatura for the body and metadata, with our date rules on top.

The only module that imports trafilatura. When trafilatura finds no article body (a very short
page, an odd layout), the page's visible text goes through the text-dump cleaner instead.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from newsarchive.clean import dates, rules
from newsarchive.clean.text import TextResult, clean_text, is_page_furniture
from newsarchive.textutil import fold, normalize_line

_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "section", "article", "header", "footer", "nav", "aside", "blockquote", "pre", "figure",
    "figcaption", "form", "dd", "dt", "main", "address", "hr", "title",
}  # fmt: skip


_SKIPPED_TAGS = {"script", "style", "noscript", "template", "head", "svg", "iframe"}


@dataclass
class HtmlResult:
    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    date_source: str | None = None
    url: str | None = None
    site: str | None = None
    tags: list[str] = field(default_factory=list)
    fallback: bool = False  # True when the text-dump cleaner produced the body
    rendered: TextResult | None = None  # the visible text around the article (all of it on a fallback), cleaned


def clean_html(html: str, now: datetime | None = None, url: str | None = None) -> HtmlResult:
    """Body and metadata of an HTML page.

    The publication date comes first from the page's visible text, read as a text dump ("Publié
    le ...", a byline, a dateline), where our finder is rarely wrong; else from htmldate as
    trafilatura runs it (`original_date=True`: the first publication, not the last update). On
    the date benchmark this order beats htmldate alone (see docs/cleaning.md). `url`: where the
    page was fetched (a WARC's target), for its host and the date in its path.

    The page is parsed once: the visible-text pass, trafilatura's extraction (which copies the
    tree it is given), its metadata readers and htmldate all read the same tree; htmldate runs
    only when the visible text gave no date.
    """
    now = now or datetime.now()
    tree, size = _parsed(html)
    if tree is None:
        return _from_text(html_to_text(html), now)
    visible = html_to_text(tree)
    doc: Any = _extract(tree, url, size > 0, _prose(visible)) if size <= HUGE_TREE else None
    meta = _metadata(tree, url)
    title = _clean(meta.get("title"))
    body = _paragraphs(doc.text if doc is not None else "", title)
    result = HtmlResult(
        text=body,
        title=title,
        author=_author(meta.get("author")),
        url=_clean(meta.get("url")),
        site=_clean(meta.get("sitename")) or _clean(meta.get("hostname")),
        tags=_tags(meta.get("tags") or []),
    )
    # Only the date is wanted from the visible text when trafilatura found the body: the lines
    # around the article are enough (a page's menus and footers are most of its lines).
    dump = clean_text(_around(visible, body) if body.strip() else visible, now)
    result.rendered = dump
    if dump.published:
        result.published, result.date_source = dump.published, dump.date_source
    else:
        # htmldate as trafilatura's metadata runs it (original_date=True, max_date=now, the
        # page's own URL), kept when it passes our sanity rules.
        found = dates.find_dates(_htmldate(tree, meta.get("url"), now), now)
        if found:
            result.published = found[0].value
            result.date_source = _date_source(html, result.url, result.published)
    if not body.strip():
        # trafilatura found no body: the page read the way a scraper would, cleaned as a dump.
        _fall_back(result, dump)
    return result


def _from_text(visible: str, now: datetime) -> HtmlResult:
    """A page lxml could not make a tree of: its text, whatever there is, cleaned as a dump."""
    dump = clean_text(visible, now)
    result = HtmlResult(text="", published=dump.published, date_source=dump.date_source, rendered=dump)
    _fall_back(result, dump)
    return result


def _fall_back(result: HtmlResult, dump: TextResult) -> None:
    result.text, result.fallback = dump.text, True
    result.title = result.title or dump.title
    result.author = result.author or dump.author
    result.tags = result.tags or dump.tags


def _extract(tree: Any, url: str | None, large: bool, prose: int) -> Any:
    """trafilatura's body extraction, without its metadata (read apart, below).

    Fast mode (no readability/jusText comparison) first; the full cascade only when the fast
    result is short (under RETRY_BELOW characters) and its size disagrees with the prose the page
    shows (`prose`: characters in its visible lines of 100 or more): over twice as much prose
    (the main extractor found a fragment) or under 0.8 of it (it took short lines, a list, for
    text); the comparison with readability and jusText settles those. On the 699 benchmark
    pages, 69 go through the full cascade (153 have a short fast result), which costs a third
    more on each. jusText and readability are quadratic on big trees: a large page stays in
    fast mode.
    """
    import trafilatura

    def run(fast: bool) -> Any:
        return trafilatura.bare_extraction(
            tree,
            with_metadata=False,
            include_comments=False,
            include_tables=True,
            url=url,
            fast=fast,
        )

    doc = run(fast=True)
    found = len(doc.text) if doc is not None else 0
    if not large and found < RETRY_BELOW and not RETRY_PROSE[0] * found <= prose <= RETRY_PROSE[1] * found:
        doc = run(fast=False)
    return doc


RETRY_BELOW, RETRY_PROSE = 1500, (0.8, 2.0)


def _prose(visible: str) -> int:
    return sum(len(line) for line in visible.split("\n") if len(line) >= 100)


def _metadata(tree: Any, url: str | None) -> dict[str, Any]:
    """trafilatura's metadata (title, author, URL, site name, tags), without its date.

    The same readers, in the same order, as `trafilatura.metadata.extract_metadata`, less the
    two we have no use for (htmldate, run only when needed, and the licence) and the categories.
    Where those readers are not found (another trafilatura), its own function does it all.
    """
    try:
        from courlan import extract_domain
        from trafilatura import metadata as tm

        _ = (tm.examine_meta, tm.extract_meta_json, tm.extract_title, tm.extract_author, tm.extract_url)
        _ = (tm.extract_sitename, tm.extract_catstags, tm.META_URL)
    except (ImportError, AttributeError):
        from trafilatura.metadata import extract_metadata

        return dict(extract_metadata(tree, url, {"extensive_search": False}).as_dict(), date=None)
    meta = tm.examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    with suppress(Exception):  # bugs in trafilatura's JSON-LD reader
        meta = tm.extract_meta_json(tree, meta)
    if not meta.title:
        meta.title = tm.extract_title(tree)
    if not meta.author:
        meta.author = tm.extract_author(tree)
    if not meta.url:
        meta.url = tm.extract_url(tree, url)
    if meta.url:
        meta.hostname = extract_domain(meta.url, fast=True)
    if not meta.sitename:
        meta.sitename = tm.extract_sitename(tree)
    if meta.sitename:
        meta.sitename = meta.sitename.lstrip("@")
        if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
            meta.sitename = meta.sitename.title()
    elif meta.url:
        match = tm.META_URL.match(meta.url)
        if match:
            meta.sitename = match[1]
    if not meta.tags:
        meta.tags = tm.extract_catstags("tag", tree)
    meta.clean_and_trim()
    found: dict[str, Any] = meta.as_dict()
    return found


def _htmldate(tree: Any, url: str | None, now: datetime) -> str:
    from htmldate import find_date

    with suppress(Exception):  # htmldate's own bugs on odd pages: no date rather than no article
        return find_date(tree, url=url, original_date=True, max_date=now.strftime("%Y-%m-%d")) or ""
    return ""


LARGE_TREE = 10_000  # elements; the largest of the 699 real pages in ../shared/bench has 9,751
HUGE_TREE = 25_000  # elements left after pruning: beyond, even the fast mode takes 4 s to minutes
REPEATS_KEPT = 20  # copies of one leaf element (same tag, same text) kept on a large page


def _parsed(html: str) -> tuple[Any, int]:
    """The page's tree (trafilatura's parser), a large page's pruned, and its size if large (else 0).

    Extraction on a page of tens of thousands of elements takes minutes (jusText compares each
    paragraph with its neighbours), so such a page is pruned of what no reader sees or reads
    twice (elements hidden by attribute or style; the 21st and later copies of one leaf
    element with text) and extracted without the fallback extractors. Normal pages are left
    alone (size 0): counting their tags is the only cost they pay.
    """
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return None, 0
    if html.count("<") <= 2 * LARGE_TREE:
        return tree, 0
    size = sum(1 for _ in tree.iter())
    if size <= LARGE_TREE:
        return tree, 0
    doomed: list[Any] = []
    seen: dict[tuple[str, str], int] = {}
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        style = el.get("style", "").replace(" ", "").lower()
        if el.get("hidden") is not None or "display:none" in style or "visibility:hidden" in style:
            doomed.append(el)
        elif len(el) == 0 and el.text and el.text.strip():  # not an empty <br> or <td>
            key = (el.tag, el.text.strip())
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > REPEATS_KEPT:
                doomed.append(el)
    for el in doomed:
        parent = el.getparent()
        if parent is not None:
            el.drop_tree()  # keeps the element's tail text
    return tree, sum(1 for _ in tree.iter())


BEFORE_LINES, AFTER_LINES = 150, 40  # lines of the visible text kept around the article's paragraphs


def _around(visible: str, body: str) -> str:
    """The visible text from a little before the article's first paragraph to a little after its last.

    Without its blank lines (most of a page's rendering: every block closes with one): the
    cleaner skips them, and they cost it a fifth of its time on these windows.
    """
    lines = visible.split("\n")
    paragraphs = [p for p in (normalize_line(b) for b in body.split("\n")) if len(p) >= 30]
    first = last = None
    if paragraphs:
        first_key, last_key = paragraphs[0][:30], paragraphs[-1][:30]
        for n, line in enumerate(lines):
            if first is None and first_key in line:
                first = n
            if last_key in line:
                last = n
    if first is not None and last is not None and last >= first:
        lines = lines[max(0, first - BEFORE_LINES) : last + AFTER_LINES + 1]
    return "\n".join(line for line in lines if line)


def _clean(value: Any) -> str | None:
    if not value:
        return None
    text = normalize_line(str(value))
    return text or None


_AUTHOR_PREFIX = re.compile(r"^" + rules.alternation("AUTHOR_PREFIXES") + r"\s+", re.IGNORECASE)


def _author(value: Any) -> str | None:
    text = _clean(value)
    if text:
        text = _AUTHOR_PREFIX.sub("", text).strip() or None
    return text


def _tags(values: list[Any]) -> list[str]:
    """Pages often give their keywords as one comma-separated string: one tag each."""
    tags: list[str] = []
    for value in values:
        for tag in re.split(r"[,;|]", str(value)):
            tag = normalize_line(tag).lstrip("#")
            if tag and tag not in tags:
                tags.append(tag)
    return tags


def _paragraphs(text: str, title: str | None) -> str:
    """trafilatura gives one block a line; the archive keeps paragraphs apart with a blank line.

    The lines trafilatura keeps but the text-dump cleaner knows as page furniture (share and
    subscribe prompts, comment-form labels, photo credits, links to the next article) are
    dropped: measured on the French benchmark pages, this raises precision and costs no recall.
    """
    lines = [normalize_line(line) for line in text.split("\n")]
    lines = [line for line in lines if line and not is_page_furniture(line)]
    if lines and title and fold(lines[0]) == fold(title):
        lines = lines[1:]  # the body never starts with its own headline
    return "\n\n".join(lines)


def _date_source(html: str, url: str | None, value: str) -> str:
    """Say where htmldate's date came from: the page's metadata, its URL, or its text."""
    day = value[:10]
    y, m, d = day.split("-")
    head = html[:200_000]
    for tag in re.finditer(r"<meta\b[^>]*>|<time\b[^>]*>", head, re.IGNORECASE):
        if day in tag.group(0) or f"{y}{m}{d}" in tag.group(0):
            return "html-meta"
    if re.search(rf'"date(?:Published|Created|Modified)?"\s*:\s*"{day}', head):
        return "html-meta"  # JSON-LD
    if url and re.search(rf"{y}[/_-]?{m}[/_-]?{d}", url):
        return "url"
    return "html-text"


_UTF8_HTML = etree.HTMLParser(encoding="utf-8")


def html_to_text(html: str | Any) -> str:
    """The page's visible text, one block a line, as a scraper's text dump would have it.

    Walks the tree with lxml's iterwalk rather than recursion, so a page nested tens of
    thousands of elements deep cannot exhaust the stack. `clean_html` hands it the tree it
    parsed for trafilatura (lxml.html's, walked in 1.0 ms a page where parsing again cost 2.1).
    A string (a page that tree could not be made of, a rejected page's second look) is parsed
    with lxml's plain HTML parser, not lxml.html's: that one calls a Python function for every
    element the walk visits, to give it a class the walk never uses; and from UTF-8 bytes, so a
    page that starts with an XML declaration naming its charset parses too.
    """
    if isinstance(html, str):
        try:
            root = etree.fromstring(html.encode("utf-8", "replace"), _UTF8_HTML)
        except (etree.LxmlError, ValueError):
            return ""
    else:
        root = html
    if root is None:
        return ""
    parts: list[str] = []
    skipping: list[Any] = []
    for event, el in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event in ("comment", "pi"):
            if el.tail and not skipping:
                parts.append(el.tail)  # text after a comment is visible text
            continue
        if event == "start":
            if skipping:
                continue
            if tag in _SKIPPED_TAGS:
                skipping.append(el)
                continue
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if el.text and tag:
                parts.append(el.text)
        else:
            if skipping:
                if skipping[-1] is el:
                    skipping.pop()
                    if el.tail:
                        parts.append(el.tail)
                continue
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if el.tail:
                parts.append(el.tail)
    text = "".join(parts)
    return "\n".join(line.strip() for line in text.split("\n"))


MAX_HTML_DEPTH = 256  # libxml2's limit without XML_PARSE_HUGE (which would let C recursion overflow)


def html_too_deep(html: str) -> bool:
    """Did the HTML parser stop at its depth limit? (Asked only of pages that gave no text.)"""
    parser = etree.HTMLParser()
    with suppress(etree.LxmlError, ValueError):
        etree.fromstring(html, parser)
    return any("Excessive depth" in error.message for error in parser.error_log)
