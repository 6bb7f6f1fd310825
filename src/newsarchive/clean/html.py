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
    """
    import trafilatura

    now = now or datetime.now()
    tree, size = _bounded_tree(html)
    # Visible text first: trafilatura prunes the tree it is given.
    visible = html_to_text(html if tree is None else tree)
    doc: Any = None
    if size <= HUGE_TREE:
        doc = trafilatura.bare_extraction(
            html if tree is None else tree,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            url=url,
            fast=tree is not None,  # jusText and readability are quadratic on big trees
            date_extraction_params={"original_date": True, "max_date": now.strftime("%Y-%m-%d")},
        )
    meta: dict[str, Any] = doc.as_dict() if doc is not None else {}
    title = _clean(meta.get("title"))
    body = _paragraphs(meta.get("text") or "", title)
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
        # trafilatura's metadata date is htmldate's (original_date=True, max_date=now): kept
        # when it passes our sanity rules, without running htmldate a second time.
        found = dates.find_dates(str(meta.get("date") or ""), now)
        if found:
            result.published = found[0].value
            result.date_source = _date_source(html, result.url, result.published)
    if not body.strip():
        # trafilatura found no body: the page read the way a scraper would, cleaned as a dump.
        result.text, result.fallback = dump.text, True
        result.title = result.title or dump.title
        result.author = result.author or dump.author
        result.tags = result.tags or dump.tags
    return result


LARGE_TREE = 10_000  # elements; the largest of the 699 real pages in ../shared/bench has 9,751
HUGE_TREE = 25_000  # elements left after pruning: beyond, even the fast mode takes 4 s to minutes
REPEATS_KEPT = 20  # copies of one leaf element (same tag, same text) kept on a large page


def _bounded_tree(html: str) -> tuple[Any, int]:
    """A large page's tree with its hidden and mass-repeated elements pruned, and its size.

    Extraction on a page of tens of thousands of elements takes minutes (jusText compares each
    paragraph with its neighbours), so such a page is pruned of what no reader sees or reads
    twice (elements hidden by attribute or style; the 21st and later copies of one leaf
    element with text) and extracted without the fallback extractors. Normal pages are left alone (None):
    counting their tags is the only cost they pay.
    """
    if html.count("<") <= 2 * LARGE_TREE:
        return None, 0
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return None, 0
    if sum(1 for _ in tree.iter()) <= LARGE_TREE:
        return None, 0
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
    thousands of elements deep cannot exhaust the stack. lxml's plain HTML parser, not
    lxml.html's: that one calls a Python function for every element the walk visits (a third
    of the time here), to give it a class the walk never uses. Parsed from UTF-8 bytes, so a
    page that starts with an XML declaration naming its charset parses too. A tree already
    parsed (a large page, pruned) is walked as it is.
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
