"""Everything the terminal sees: rich tables and panels on a terminal, plain lines when piped.

Article contents come from strangers' web pages: they are always wrapped in `rich.text.Text`
(never parsed as markup) and stripped of control characters, so a title holding `[bold]` or an
escape sequence is shown literally and cannot restyle or rewrite the user's terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from newsarchive.snippets import END as SNIPPET_END
from newsarchive.snippets import START as SNIPPET_START
from newsarchive.textutil import BIDI_CONTROLS, CONTROL_CHARS, strip_controls


def safe(value: Any) -> str:
    """A value from an article, safe to print: no control characters, no bidirectional overrides."""
    return BIDI_CONTROLS.sub("", strip_controls("" if value is None else str(value)))


def visible_controls(text: str) -> str:
    """For raw input: show control characters as \\xNN instead of letting the terminal act on them."""
    return CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


PARAGRAPH = " ¶ "  # where a snippet crosses from one paragraph (or a subheading) to the next


def _one_line(text: str, breaks: str) -> str:
    """Paragraph breaks as `breaks`, every other run of spaces as one space."""
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\s*\n\s*", text)]
    return breaks.join(p for p in paragraphs if p)


def plain_snippet(snippet: str | None) -> str:
    """Matched words wrapped in ** for piped and JSON output; paragraph breaks shown as ¶."""
    text = safe((snippet or "").replace(SNIPPET_START, "\ue000").replace(SNIPPET_END, "\ue001"))
    return _one_line(text.replace("\ue000", "**").replace("\ue001", "**"), PARAGRAPH)


def rich_snippet(snippet: str | None, style: str = "", breaks: str = PARAGRAPH) -> Text:
    """Matched words in bold yellow on the snippet's own style (plain, or the title's bold)."""
    text = Text()
    raw = _one_line(snippet or "", breaks)
    for i, part in enumerate(re.split(f"[{SNIPPET_START}{SNIPPET_END}]", raw)):
        text.append(safe(part), style=f"{style} yellow".strip() if i % 2 else style)
    return text


def day(row: dict[str, Any]) -> str:
    return (row.get("published") or "")[:10]


def source_label(row: dict[str, Any]) -> str:
    """The site and the author, as a search hit's second line names them."""
    return " · ".join(v for v in (safe(row.get("site")), safe(row.get("author"))) if v)


def _longest_word(values: Iterable[str], cap: int) -> int:
    return min(cap, max((len(w) for v in values for w in v.split()), default=1))


TITLE_AT_LEAST = 34  # characters of title per line before a less useful column is folded away


_PAD = 3  # what a column of a SIMPLE_HEAD table takes besides its text


def articles_table(rows: Iterable[dict[str, Any]], title: str | None = None, width: int = 120) -> Table:
    """Articles as a table that fits `width` columns: the title gets the room.

    Columns leave in this order when the title would get less than TITLE_AT_LEAST characters a
    line: words, lang, author, site. No column is narrower than its longest word (up to a cap),
    so rich wraps between words and never cuts one.
    """
    rows = list(rows)
    titles = [safe(r.get("title")) or "(no title)" for r in rows]
    sites = [safe(r.get("site")) for r in rows]
    authors = [safe(r.get("author")) for r in rows]
    id_width = max([2, *(len(str(r["id"])) for r in rows)])
    words_width = max([5, *(len(str(r.get("words") or 0)) for r in rows)])
    optional: dict[str, int] = {}  # column: the width it takes, padding included
    if any(sites):
        optional["site"] = min(22, max(len(s) for s in sites)) + _PAD
    if any(authors):
        optional["author"] = min(20, max(len(a) for a in authors)) + _PAD
    optional["lang"] = 4 + _PAD
    optional["words"] = words_width + _PAD
    if any((r.get("copies") or 1) > 1 for r in rows):
        optional["copies"] = 6 + _PAD
    fixed = 2 + id_width + _PAD + 10 + _PAD + _PAD  # the edges, id, date, and the title's own padding
    for name in ("words", "lang", "author", "site", "copies"):
        if width - fixed - sum(optional.values()) >= TITLE_AT_LEAST:
            break
        optional.pop(name, None)
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left")
    table.add_column("id", justify="right", style="cyan", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("title", ratio=1, min_width=_longest_word(titles, 30))
    if "site" in optional:
        table.add_column("site", max_width=optional["site"] - _PAD, min_width=_longest_word(sites, 20))
    if "author" in optional:
        table.add_column("author", max_width=optional["author"] - _PAD, min_width=_longest_word(authors, 18))
    if "lang" in optional:
        table.add_column("lang", no_wrap=True)
    if "words" in optional:
        table.add_column("words", justify="right", no_wrap=True)
    if "copies" in optional:
        table.add_column("copies", justify="right", no_wrap=True)
    for row, title_text, site, author in zip(rows, titles, sites, authors, strict=True):
        cells: list[RenderableType] = [
            str(row["id"]),
            day(row) or Text("undated", style="dim"),
            Text(title_text),
        ]
        if "site" in optional:
            cells.append(Text(site))
        if "author" in optional:
            cells.append(Text(author))
        if "lang" in optional:
            cells.append(safe(row.get("lang") or ""))
        if "words" in optional:
            cells.append(str(row.get("words") or 0))
        if "copies" in optional:
            copies = row.get("copies") or 1
            cells.append(str(copies) if copies > 1 else "")
        table.add_row(*cells)
    return table


def plain_articles(rows: Iterable[dict[str, Any]]) -> Iterable[str]:
    """id, date, title, site, author, lang, words (and copies, one row a cluster): a tab-separated line each."""
    for row in rows:
        cells = [
            str(row["id"]),
            day(row) or "undated",
            safe(row.get("title")) or "(no title)",
            safe(row.get("site")),
            safe(row.get("author")),
            safe(row.get("lang") or ""),
            str(row.get("words") or 0),
        ]
        if "copies" in row:
            cells.append(str(row["copies"]))
        yield "\t".join(cells)


def search_table(rows: Iterable[dict[str, Any]]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_lines=True)
    table.add_column("id", justify="right", style="cyan", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("article")
    for row in rows:
        cell = Text()
        if row.get("title"):
            cell.append_text(rich_snippet(row.get("title_snippet") or row["title"], style="bold"))
        else:
            cell.append("(no title)", style="bold")
        label = source_label(row)
        if label:
            cell.append(f"  {label}", style="dim")
        if (row.get("copies") or 1) > 1:
            cell.append(f"  + {row['copies'] - 1} near-copies", style="dim")
        cell.append("\n")
        cell.append_text(rich_snippet(row.get("snippet"), breaks="\n"))
        table.add_row(str(row["id"]), day(row) or Text("undated", style="dim"), cell)
    return table


def plain_search(rows: Iterable[dict[str, Any]]) -> Iterable[str]:
    for row in rows:
        yield "\t".join(
            [
                str(row["id"]),
                day(row) or "undated",
                safe(row.get("title")) or "(no title)",
                safe(row.get("site")),
                safe(row.get("author")),
                *([str(row["copies"])] if "copies" in row else []),
            ]
        )
        yield "    " + plain_snippet(row.get("snippet"))


def plain_selection(rows: Iterable[dict[str, Any]]) -> Iterable[str]:
    """id, date, title, input file: what `delete --dry-run` would remove."""
    for row in rows:
        yield "\t".join(
            [
                str(row["id"]),
                day(row) or "undated",
                safe(row.get("title")) or "(no title)",
                visible_controls(str(row["path"])),
            ]
        )


# ------------------------------------------------------------------ runs and problems
RUN_COUNTS = ("new", "updated", "unchanged", "duplicate", "skipped", "failed")


def _run_inputs(row: dict[str, Any]) -> str:
    return " ".join(safe(p) for p in row.get("inputs") or [])


def runs_table(rows: Iterable[dict[str, Any]]) -> Table:
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("run", justify="right", style="cyan", no_wrap=True)
    table.add_column("started", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("files")
    table.add_column("inputs", overflow="fold")
    for row in rows:
        counts = ", ".join(f"{row[name]} {name}" for name in RUN_COUNTS if row[name]) or "none"
        table.add_row(
            str(row["id"]),
            safe(row["started_at"])[:16].replace("T", " "),
            Text(safe(row["status"]), style="" if row["status"] == "completed" else "red"),
            Text(counts),
            Text(_run_inputs(row)),
        )
    return table


def plain_runs(rows: Iterable[dict[str, Any]]) -> Iterable[str]:
    """run, started, ended, status, the six counts, the inputs: one tab-separated line a run."""
    for row in rows:
        yield "\t".join(
            [str(row["id"]), safe(row["started_at"]), safe(row["ended_at"]), safe(row["status"])]
            + [str(row[name]) for name in RUN_COUNTS]
            + [_run_inputs(row)]
        )


def problems_table(rows: Iterable[dict[str, Any]]) -> Table:
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("run", justify="right", style="cyan", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("file", overflow="fold")
    table.add_column("reason")
    for row in rows:
        style = "red" if row["outcome"] == "failed" else ""
        table.add_row(
            str(row["run_id"]),
            Text(safe(row["outcome"]), style=style),
            Text(visible_controls(str(row["path"]))),
            Text(safe(row["reason"])),
        )
    return table


def plain_problems(rows: Iterable[dict[str, Any]]) -> Iterable[str]:
    """run, outcome, file, reason, when: one tab-separated line a file."""
    for row in rows:
        yield "\t".join(
            [
                str(row["run_id"]),
                safe(row["outcome"]),
                visible_controls(str(row["path"])),
                safe(row["reason"]),
                safe(row["at"]),
            ]
        )


# ------------------------------------------------------------------ show
def header_fields(row: dict[str, Any], duplicates: list[str]) -> list[tuple[str, str]]:
    date = safe(row.get("published")) or "none found"
    if row.get("date_source"):
        date += f" (from {safe(row['date_source'])})"
    fields = [
        ("title", safe(row.get("title")) or "(no title)"),
        ("date", date),
        ("author", safe(row.get("author"))),
        ("site", safe(row.get("site"))),
        ("url", safe(row.get("url"))),
        ("language", safe(row.get("lang")) or "unknown"),
        ("words", str(row.get("words") or 0)),
        ("tags", ", ".join(safe(t) for t in row.get("tags") or [])),
        ("source", safe(row.get("path"))),
        ("encoding", safe(row.get("encoding"))),
    ]
    if duplicates:
        fields.append(("duplicates", "; ".join(safe(d) for d in duplicates)))
    copies = row.get("near_copies") or []
    if copies:
        described = [
            " ".join(p for p in (str(c["id"]), safe(c.get("site")), safe((c.get("published") or "")[:10])) if p)
            for c in copies
        ]
        fields.append(("near-copies", "; ".join(described)))
    return [(k, v) for k, v in fields if v]


def article_panel(row: dict[str, Any], duplicates: list[str]) -> Panel:
    meta = Table.grid(padding=(0, 2))
    meta.add_column(style="bold cyan", no_wrap=True)
    meta.add_column()
    for key, value in header_fields(row, duplicates):
        meta.add_row(key, Text(value))
    body = Text(safe(row.get("text")))
    return Panel(
        Group(meta, Text(""), body),
        title=Text(f"article {row['id']}"),
        title_align="left",
        box=box.ROUNDED,
    )


def plain_article(row: dict[str, Any], duplicates: list[str]) -> str:
    head = "\n".join(f"{k}: {v}" for k, v in header_fields(row, duplicates))
    return f"{head}\n\n{safe(row.get('text'))}\n"


# ------------------------------------------------------------------ stats
def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def stats_renderable(stats: dict[str, Any]) -> RenderableType:
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    summary.add_row("articles", f"{stats['articles']:,}")
    summary.add_row("without a date", f"{stats['undated']:,}")
    summary.add_row("stories (near-copies as one)", f"{stats['stories']:,}")
    summary.add_row("stories with near-copies", f"{stats['copied_stories']:,}")
    summary.add_row("words", f"{stats['words']:,}")
    summary.add_row("archive size", human_size(stats["size_bytes"]))
    summary.add_row("search index size", human_size(stats.get("search_index_bytes", 0)))
    parts: list[RenderableType] = [summary]
    for key, label in (("languages", "language"), ("sites", "site (top 10)")):
        table = Table(box=box.SIMPLE_HEAD)
        table.add_column(label)
        table.add_column("articles", justify="right")
        for name, count in stats[key].items():
            table.add_row(Text(safe(name)), f"{count:,}")
        parts.append(table)
    parts.append(month_chart(stats["months"]))
    return Group(*parts)


def month_chart(months: dict[str, int], width: int = 40) -> RenderableType:
    table = Table(box=box.SIMPLE_HEAD, title="articles per month", title_justify="left")
    table.add_column("month", no_wrap=True)
    table.add_column("articles", justify="right")
    table.add_column("", no_wrap=True)
    top = max(months.values(), default=0)
    for month, count in months.items():
        bar = "█" * max(1, round(width * count / top)) if top else ""
        table.add_row(month, f"{count:,}", Text(bar, style="green"))
    return table


def plain_stats(stats: dict[str, Any]) -> Iterable[str]:
    yield f"articles\t{stats['articles']}"
    yield f"without a date\t{stats['undated']}"
    yield f"stories\t{stats['stories']}"
    yield f"stories with near-copies\t{stats['copied_stories']}"
    yield f"words\t{stats['words']}"
    yield f"archive size\t{human_size(stats['size_bytes'])}"
    yield f"search index size\t{human_size(stats.get('search_index_bytes', 0))}"
    for name, count in stats["languages"].items():
        yield f"language {safe(name)}\t{count}"
    for name, count in stats["sites"].items():
        yield f"site {safe(name)}\t{count}"
    for month, count in stats["months"].items():
        yield f"month {month}\t{count}"  # bars are for the terminal's table; piped, numbers only


# ------------------------------------------------------------------ ingest
def summary_table(counts: dict[str, int], reasons: dict[str, Any]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="ingest summary", title_justify="left")
    table.add_column("outcome")
    table.add_column("files", justify="right")
    table.add_column("reasons")
    for outcome, count in counts.items():
        why = reasons.get(outcome) or {}
        detail = "\n".join(f"{n} × {safe(r)}" for r, n in sorted(why.items(), key=lambda kv: -kv[1]))
        style = "red" if outcome == "failed" and count else ""
        table.add_row(Text(outcome, style=style), str(count), Text(detail))
    return table
