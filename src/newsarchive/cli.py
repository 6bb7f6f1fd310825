"""The `newsarchive` command line: parse options, call the library, render. Nothing else."""

from __future__ import annotations

import errno
import functools
import io
import json
import logging
import os
import re
import signal
import sqlite3
import sys
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from newsarchive import __version__, render
from newsarchive.archive import SORTS, Archive, ArchiveError, Filters, is_archive_file, is_disk_full
from newsarchive.export import WRITERS, ExportError, export_to, write_rows, writer_for
from newsarchive.inputs import DEFAULT_MAX_BYTES, STORED_MAX_BYTES, decode_input, discover, read_input
from newsarchive.model import CLEANER_VERSION, Rejected
from newsarchive.pipeline import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    FileResult,
    Ingester,
    IngestOptions,
    process,
    reclean,
    stored_name,
)
from newsarchive.pipeline import explain as explain_lines
from newsarchive.run.dask import ClusterError
from newsarchive.run.pool import RecordTimeout, time_limit, too_slow

F = TypeVar("F", bound=Callable[..., Any])
# trafilatura and htmldate log every page they cannot parse; our own report says it once, better.
for _name in ("trafilatura", "htmldate", "courlan", "charset_normalizer"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)
DEFAULT_DB = "archive.db"
# SQLite's integers: every count and id the user types is checked against them here, at the edge,
# so none overflows below (a limit that large means "all", and the index never allocates it).
MAX_INT = 2**63 - 1
COUNT = click.IntRange(min=0, max=MAX_INT)
ARTICLE_ID = click.IntRange(min=1, max=MAX_INT)
NOTHING_INGESTED = 126  # every file failed: trafilatura's CLI exits 126 there too (1: some failed)
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class QueryCommand(click.Command):
    """A command whose query words may start with "-": `search -Lyon vendanges` excludes Lyon.

    A word that is not one of the command's options goes to the query, whatever it starts with;
    an unknown `--long-option` is still an error (no query word starts with two dashes).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in [*param.opts, *param.secondary_opts]:
                    takes_value[name] = not (param.is_flag or param.count)
        options: list[str] = []
        words: list[str] = []
        rest = iter(args)
        for arg in rest:
            if arg == "--":
                words.extend(rest)
                break
            name = arg.split("=", 1)[0]
            if name in takes_value:
                options.append(arg)
                if takes_value[name] and "=" not in arg:
                    value = next(rest, None)
                    options.extend([] if value is None else [value])
            elif arg.startswith("--"):
                options.append(arg)  # an unknown long option: click says so
            else:
                words.append(arg)
        return super().parse_args(ctx, [*options, "--", *words] if words else options)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False)


def stdout_console() -> Console:
    return Console(highlight=False)


def errors_handled(fn: F) -> F:
    """Library errors become one `Error: ...` line with a hint; nothing shows a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ArchiveError, ExportError, ClusterError) as exc:
            message = str(exc)
            if exc.hint:
                message += f"\n{exc.hint}"
            raise click.ClickException(message) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError as exc:
            if not _stdout_gone():  # another pipe broke (a worker's): that is a real error
                raise click.ClickException(f"unexpected error: BrokenPipeError: {exc}; please report it.") from None
            sys.stderr.close()  # `newsarchive export | head`: the reader left, that is fine
            raise click.exceptions.Exit(0) from None
        except Exception as exc:
            if os.environ.get("NEWSARCHIVE_DEBUG"):
                raise
            known = _ordinary_condition(exc)
            if isinstance(exc, sqlite3.DatabaseError) and "malformed" in str(exc):
                known = (
                    f"the archive is damaged ({exc}): `newsarchive check` says where; "
                    "`newsarchive export` writes every article it can still read."
                )
            if known:
                raise click.ClickException(known) from None
            raise click.ClickException(
                f"unexpected error: {type(exc).__name__}: {exc}\n"
                "Set NEWSARCHIVE_DEBUG=1 to see the traceback, and please report it."
            ) from None

    return wrapper  # type: ignore[return-value]


def _stdout_gone() -> bool:
    """Whether stdout is a pipe whose reader left (poll says POLLERR); True where it cannot tell."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return True


def _ordinary_condition(exc: Exception) -> str | None:
    """A full disk or a read-only file is no bug: one sentence that says what to do."""
    text = str(exc).lower()
    number = getattr(exc, "errno", None)
    where = getattr(exc, "filename", None)
    place = f" holding {where}" if where else ""
    if is_disk_full(exc):
        return f"the disk{place} is full: free some space and run the same command again (what was stored is kept)."
    if number in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly database" in text or "read-only" in text:
        return f"cannot write{' ' + str(where) if where else ''}: the file or its folder is read-only ({exc})."
    return None


version_option = click.version_option(__version__, "--version", prog_name="newsarchive")


def db_option(fn: F) -> F:
    return click.option(
        "--db",
        "db_path",
        envvar="NEWSARCHIVE_DB",
        default=DEFAULT_DB,
        show_default="$NEWSARCHIVE_DB, else archive.db",
        type=click.Path(dir_okay=False),
        help="The archive file.",
    )(fn)


def json_option(fn: F) -> F:
    return click.option("--json", "json_output", is_flag=True, help="Print JSON instead of a table.")(fn)


def timeout_option(help_text: str) -> Callable[[F], F]:
    return click.option(
        "--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT, show_default=True, help=help_text
    )


def output_options(fn: F) -> F:
    """sqlite-utils' output options, for the commands that print rows."""
    for flag, help_text in reversed(
        [
            ("json", "Print a JSON array."),
            ("nl", "Print one JSON object a line (streamed)."),
            ("csv", "Print CSV with a header."),
            ("tsv", "Print tab-separated values with a header."),
        ]
    ):
        fn = click.option(f"--{flag}", "fmt", flag_value=flag, default=None, help=help_text)(fn)
    return fn


def print_rows(
    rows: Iterable[dict[str, Any]],
    fmt: str | None,
    table: Callable[[list[dict[str, Any]], int], Any],
    plain: Callable[[Iterable[dict[str, Any]]], Iterable[str]],
    empty: str = "No article matches.",
) -> int:
    """The one place rows meet the user: a format asked for, a table on a terminal, else plain lines."""
    if fmt:
        return write_rows(rows, sys.stdout, fmt)
    out = stdout_console()
    if out.is_terminal:
        shown = list(rows)
        if shown:
            out.print(table(shown, out.width))
        else:
            stderr_console().print(empty, markup=False)
        return len(shown)
    n = 0
    for line in plain(rows):
        click.echo(line)
        n += 1
    return n


def filter_options(fn: F) -> F:
    for option in reversed(
        [
            click.option("--since", metavar="DATE", help="Published on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD)."),
            click.option("--until", metavar="DATE", help="Published on or before DATE (YYYY, YYYY-MM or YYYY-MM-DD)."),
            click.option("--lang", metavar="CODES", help="Only articles in these languages, e.g. fr or fr,en."),
            click.option(
                "--site",
                metavar="SITES",
                help="Only articles from this site: its name, a word of it or its host; several with commas.",
            ),
            click.option("--author", metavar="NAME", help="Only articles whose author contains NAME."),
        ]
    ):
        fn = option(fn)
    return fn


def make_filters(
    since: str | None,
    until: str | None,
    lang: str | None,
    site: str | None,
    author: str | None = None,
    one_per_cluster: bool = False,
) -> Filters:
    return Filters(since=since, until=until, lang=lang, site=site, author=author, one_per_cluster=one_per_cluster)


all_copies_option = click.option(
    "--all-copies", is_flag=True, help="Show every near-copy of a story, not one row with their number."
)


def open_archive(db_path: str, create: bool = False) -> Archive:
    return Archive(db_path, create=create)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into the same clean stop as Ctrl-C; the exit status says which (143)."""


def _interrupt(signum: int, frame: object) -> None:
    raise Terminated


def parse_size(value: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?)b?\s*", value.lower())
    if not match:
        raise click.BadParameter(f"{value!r} is not a size; use e.g. 500KB, 20MB or 1GB.")
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2)]
    return int(float(match.group(1)) * factor)


@click.group(context_settings=CONTEXT)
@version_option
def cli() -> None:
    """Turn folders of scraped French news pages into a clean, dated, searchable archive.

    \b
    Example:
        newsarchive ingest data/samples
        newsarchive list
        newsarchive search "intelligence artificielle"
    """


# ------------------------------------------------------------------ ingest
@cli.command(context_settings=CONTEXT)
@version_option
@click.argument("paths", nargs=-1, required=True, metavar="FOLDER...")
@db_option
@click.option(
    "--glob", "glob_pattern", metavar="PATTERN", help="Only files whose name or relative path matches, e.g. '*.html'."
)
@click.option(
    "--lang", "langs", metavar="CODES", help="Keep only these languages, e.g. fr or fr,en; others are skipped."
)
@click.option(
    "--report", type=click.Path(dir_okay=False, writable=True), help="Write one JSON line per input file to this file."
)
@click.option("--max-size", default="20MB", show_default=True, help="Skip files larger than this.")
@click.option("--force", is_flag=True, help="Clean every file again, even unchanged ones.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help=(
        "Processes that clean files (default: one per usable core; a small run, up to 300 files and 5 MB "
        "to clean, in this process alone)."
    ),
)
@timeout_option("Seconds a file may take to clean; a slower one fails with that reason (0: no limit).")
@click.option(
    "--memory-limit",
    "memory_mb",
    type=click.IntRange(min=0, max=1 << 30),
    default=DEFAULT_MEMORY_MB,
    show_default=True,
    metavar="MB",
    help="Memory a worker process may use; a file that needs more fails with that reason (0: no limit).",
)
@click.option(
    "--cluster",
    metavar="ADDRESS",
    help="Clean on a Dask cluster: a scheduler's tcp://host:8786, or local[:N] for N worker processes here.",
)
@click.option(
    "--cluster-reads",
    type=click.Choice(["bytes", "paths"]),
    default="bytes",
    show_default=True,
    help="bytes: this process sends each file; paths: the workers read the files (a shared file system).",
)
@click.option(
    "--jsonl-field",
    "jsonl_fields",
    multiple=True,
    metavar="NAME",
    help="A field of JSON lines that holds the page, beside html, text, maintext (repeatable).",
)
@json_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, no summary table, no skipped lines: failures only.")
@errors_handled
def ingest(
    paths: tuple[str, ...],
    db_path: str,
    glob_pattern: str | None,
    langs: str | None,
    report: str | None,
    max_size: str,
    force: bool,
    workers: int | None,
    timeout: float,
    memory_mb: int,
    cluster: str | None,
    cluster_reads: str,
    jsonl_fields: tuple[str, ...],
    json_output: bool,
    quiet: bool,
) -> None:
    """Read every article under FOLDER... into the archive.

    HTML pages (.html, .htm, .xhtml) and text dumps (.txt) are recognised by name, other files
    by their content; .gz, .bz2 and .xz files are read transparently. Containers hold many
    articles each: WARC and WET files (.warc, .warc.gz, .wet), scrapers' JSON lines (.jsonl,
    one object a line with an html or text field), and tar or zip archives of pages, each
    record stored under the container's path and its place in it. Each file ends up new, updated,
    unchanged, duplicate, skipped or failed; the reasons are printed at the end and kept in the
    archive. Running the same command again only reads what changed.

    Exit status: 0 when no file failed (skipped files are not failures), 1 when some failed,
    126 when every file failed, 130 when interrupted (Ctrl-C), 143 on SIGTERM.

    \b
    Example:
        newsarchive ingest data/samples --lang fr --report report.jsonl
    """
    err = stderr_console()
    if report and is_archive_file(report, db_path):
        raise click.UsageError(f"{report} is the archive (or its journal or search index): write the report elsewhere.")
    wanted = frozenset(code.strip().lower() for code in langs.split(",") if code.strip()) if langs else None
    options = IngestOptions(
        langs=wanted,
        max_bytes=parse_size(max_size) if max_size else DEFAULT_MAX_BYTES,
        force=force,
        workers=workers,
        timeout=timeout or None,
        memory_mb=memory_mb or None,
        jsonl_fields=jsonl_fields,
        cluster=cluster,
        cluster_reads=cluster_reads,
    )
    if not any(os.path.exists(p) for p in paths):
        raise click.ClickException(f"nothing to ingest: {', '.join(paths)}: no such file or folder.")
    items = discover(paths, glob_pattern)  # walked as the workers go: nothing listed up front
    archive = open_archive(db_path, create=True)
    report_file = open(report, "w", encoding="utf-8") if report else None  # noqa: SIM115
    show_progress = err.is_terminal and not quiet and not json_output
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]ingest"),
        TextColumn("{task.completed:,.0f} files"),  # no total: the folder is walked as it goes
        TextColumn("{task.fields[rate]} files/s"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[where]}"),
        console=err,
        transient=True,
        disable=not show_progress,
    )
    task = progress.add_task("ingest", total=None, rate="-", where="")
    ingester = Ingester(archive, options)

    def on_result(result: FileResult) -> None:
        if report_file:
            report_file.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
            report_file.flush()
        if result.outcome == "failed" or (result.outcome == "skipped" and not quiet):
            progress.console.print(
                f"{result.outcome}: {render.visible_controls(result.path)}: {render.safe(result.reason)}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        progress.advance(task)
        elapsed = progress.tasks[0].elapsed or 0
        if elapsed:
            progress.update(task, rate=f"{progress.tasks[0].completed / elapsed:.1f}")
        if ingester.described and not progress.tasks[0].fields["where"]:
            progress.update(task, where=f"on the Dask cluster {ingester.described}")

    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops as cleanly as Ctrl-C
    try:
        with progress:
            summary = ingester.run(items, list(paths), on_result)
    except KeyboardInterrupt as stop:
        err.print(
            "Interrupted: what was stored so far is kept; run the same command again to finish.",
            markup=False,
            soft_wrap=True,
        )
        raise click.exceptions.Exit(143 if isinstance(stop, Terminated) else 130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        if report_file:
            report_file.close()
        archive.close()
    counts = summary.as_counts()
    if json_output:
        data = {"run": summary.run_id, "counts": counts, "reasons": {k: dict(v) for k, v in summary.reasons.items()}}
        print_json({**data, "cluster": ingester.described} if ingester.described else data)
    elif not quiet:
        if ingester.described:
            err.print(f"cleaned on the Dask cluster {ingester.described}", markup=False, highlight=False)
        err.print(render.summary_table(counts, summary.reasons))
    if counts["failed"]:
        settled = sum(counts[outcome] for outcome in ("new", "updated", "unchanged", "duplicate"))
        raise click.exceptions.Exit(1 if settled else NOTHING_INGESTED)


# ------------------------------------------------------------------ list
@cli.command("list", context_settings=CONTEXT)
@version_option
@db_option
@filter_options
@click.option("--limit", default=20, show_default=True, type=COUNT, help="Show at most this many (0: all).")
@click.option("--offset", default=0, type=COUNT, help="Skip this many first.")
@click.option(
    "--sort", type=click.Choice(list(SORTS)), default="newest", show_default=True, help="Order of the articles."
)
@all_copies_option
@output_options
@errors_handled
def list_command(
    db_path: str,
    since: str | None,
    until: str | None,
    lang: str | None,
    site: str | None,
    author: str | None,
    limit: int,
    offset: int,
    sort: str,
    all_copies: bool,
    fmt: str | None,
) -> None:
    """List articles, newest first: one row for each story with its near-copies counted.

    Near-copies (the same wire story printed by several outlets) show as one row, the first
    dated copy (then the longest), with the number of copies; --all-copies lists each.

    \b
    Example:
        newsarchive list --since 2025-01 --lang fr --limit 50
    """
    filters = make_filters(since, until, lang, site, author, one_per_cluster=not all_copies)
    terminal = not fmt and stdout_console().is_terminal
    with open_archive(db_path) as archive:
        total = archive.count(filters) if terminal else 0
        rows = archive.iter_articles(filters, sort, limit or None, offset, with_text=False)
        shown = print_rows(rows, fmt, lambda r, w: render.articles_table(r, width=w), render.plain_articles)
    if terminal and 0 < shown < total:
        span = f"{offset + 1}-{offset + shown}" if offset else str(shown)
        stderr_console().print(f"{span} of {total} (--limit, --offset)", markup=False)


# ------------------------------------------------------------------ search
@cli.command(cls=QueryCommand, context_settings=CONTEXT)
@version_option
@click.argument("query_words", nargs=-1, metavar="QUERY")
@db_option
@filter_options
@click.option("--limit", default=20, show_default=True, type=COUNT, help="Show at most this many (0: all).")
@click.option("--offset", default=0, type=COUNT, help="Skip this many first.")
@click.option(
    "--sort", type=click.Choice(["relevance", "date", "newest", "oldest"]), default="relevance", show_default=True
)
@click.option("--count", "count_only", is_flag=True, help="Print only the number of matching articles.")
@click.option("--similar", type=ARTICLE_ID, metavar="ID", help="Articles most like article ID (instead of a query).")
@all_copies_option
@output_options
@errors_handled
def search(
    query_words: tuple[str, ...],
    db_path: str,
    since: str | None,
    until: str | None,
    lang: str | None,
    site: str | None,
    author: str | None,
    limit: int,
    offset: int,
    sort: str,
    count_only: bool,
    similar: int | None,
    all_copies: bool,
    fmt: str | None,
) -> None:
    """Search the archive, best matches first, with the matched words highlighted.

    French is searched as French: accents and case are ignored (securite finds sécurité),
    elisions are split (IA finds l’IA), and words are stemmed (régulation finds régulations and
    réguler). Very common words (le, la, de...) are not indexed.

    \b
    Query language:
        words            all must match
        "a phrase"       these words, in this order
        a OR b           either one
        a AND b          both (the default: AND may be left out)
        -word            exclude articles with this word (or -"a phrase"; NOT word too)
        prefix*          words starting with prefix
        title:word       in the title only (title:"a phrase" too)
        author:name      articles whose author contains name
    OR, AND and NOT are operators in capitals only: quote them ("NOT") or write them in lower
    case to search for the words. Anything else is searched literally: no query is a syntax
    error. A query may start with -word, and need not be quoted: search -Lyon vendanges.

    \b
    Example:
        newsarchive search 'régulation "intelligence artificielle" -Musk' --since 2025
        newsarchive search 'vélo OR trottinette' --count
        newsarchive search --similar 42
    """
    query: str | None = " ".join(query_words) or None
    if similar is not None and query:
        raise click.UsageError("give either a QUERY or --similar ID, not both.")
    filters = make_filters(since, until, lang, site)
    if author:
        name = " ".join(author.replace('"', " ").split())  # the name goes inside quotes in the query
        query = f'{query or ""} author:"{name}"'
    if similar is None and not (query or "").strip():
        raise click.UsageError("give a QUERY to search for, or --similar ID.")
    with open_archive(db_path) as archive:
        if archive.search_pending() < 0 and (stored := archive.count()) >= 1000:
            # built once (an archive from an older version, or its index folder removed)
            message = f"Building the search index of {stored} articles (once)..."
            stderr_console().print(message, markup=False, highlight=False)
        if count_only:
            if similar is not None:
                raise click.UsageError("--count counts the hits of a QUERY, not of --similar.")
            total = archive.count_search(query or "", filters)
            click.echo(json.dumps({"count": total}) if fmt in ("json", "nl") else str(total))
            return
        rows: Iterable[dict[str, Any]]
        if similar is not None:
            rows = archive.similar(similar, filters, limit or None, offset)
        else:
            order = "newest" if sort == "date" else sort
            clustered = replace(filters, one_per_cluster=not all_copies)
            rows = archive.iter_search(query or "", clustered, limit or None, offset, order)
        if fmt:
            rows = map(_plain_marks, rows)
        print_rows(rows, fmt, lambda r, w: render.search_table(r), render.plain_search)


def _plain_marks(row: dict[str, Any]) -> dict[str, Any]:
    """Matches wrapped in ** for JSON, CSV and TSV, as piped output shows them."""
    row["title_snippet"] = render.plain_snippet(row.get("title_snippet"))
    row["snippet"] = render.plain_snippet(row.get("snippet"))
    return row


@cli.command(context_settings=CONTEXT)
@version_option
@db_option
@errors_handled
def reindex(db_path: str) -> None:
    """Build the search index again from the articles.

    Only needed after another tool changed the articles table directly: newsarchive keeps the
    index in step with every change it makes itself.

    \b
    Example:
        newsarchive reindex
    """
    with open_archive(db_path) as archive:
        count = archive.reindex()
    stderr_console().print(f"search index rebuilt: {count} articles", markup=False, highlight=False)


# ------------------------------------------------------------------ show
@cli.command(context_settings=CONTEXT)
@version_option
@click.argument("article_id", type=ARTICLE_ID, metavar="ID")
@db_option
@click.option("--raw", is_flag=True, help="Print the original input as it was ingested.")
@json_option
@errors_handled
def show(article_id: int, db_path: str, raw: bool, json_output: bool) -> None:
    """Show one article: its metadata, then its cleaned text.

    \b
    Example:
        newsarchive show 3
        newsarchive show 3 --raw | less
    """
    with open_archive(db_path) as archive:
        row = archive.get(article_id)
        duplicates = archive.duplicates_of(article_id)
        row["near_copies"] = archive.copies_of(article_id)
        data, hints = archive.raw_input(article_id) if raw else (b"", {})
    if raw:
        try:
            text = decode_input(data, stored_name(row["path"]), STORED_MAX_BYTES, hints).text
        except Rejected as rejected:
            raise click.ClickException(f"cannot decode the stored input: {rejected.reason}.") from None
        if json_output:
            print_json({"id": article_id, "path": row["path"], "encoding": row["encoding"], "raw": text})
        else:
            click.echo(render.visible_controls(text), nl=not text.endswith("\n"))
        return
    if json_output:
        row["duplicates"] = duplicates
        print_json(row)
        return
    out = stdout_console()
    if out.is_terminal:
        out.print(render.article_panel(row, duplicates))
    else:
        click.echo(render.plain_article(row, duplicates), nl=False)


# ------------------------------------------------------------------ stats
@cli.command(context_settings=CONTEXT)
@version_option
@db_option
@json_option
@errors_handled
def stats(db_path: str, json_output: bool) -> None:
    """Counts: articles, languages, sites, months, undated articles, words, size on disk.

    \b
    Example:
        newsarchive stats --json
    """
    with open_archive(db_path) as archive:
        data = archive.stats()
    if json_output:
        print_json(data)
        return
    out = stdout_console()
    if out.is_terminal:
        out.print(render.stats_renderable(data))
    else:
        for line in render.plain_stats(data):
            click.echo(line)


# ------------------------------------------------------------------ check
@cli.command(context_settings=CONTEXT)
@version_option
@db_option
@json_option
@errors_handled
def check(db_path: str, json_output: bool) -> None:
    """Look for damage: SQLite's quick check, every article read whole, the search index.

    Exit status 0 when nothing is wrong, 1 with one line per problem.

    \b
    Example:
        newsarchive check
    """
    with open_archive(db_path) as archive:
        problems = archive.check()
    if json_output:
        print_json({"ok": not problems, "problems": problems})
    else:
        for problem in problems:
            stderr_console().print(problem, markup=False, highlight=False, soft_wrap=True)
        if not problems:
            stderr_console().print(f"{db_path}: no problem found.", markup=False, highlight=False, soft_wrap=True)
    if problems:
        raise click.exceptions.Exit(1)


# ------------------------------------------------------------------ delete, runs, problems
@cli.command(context_settings=CONTEXT)
@version_option
@click.argument("ids", nargs=-1, type=ARTICLE_ID, metavar="[ID]...")
@db_option
@filter_options
@click.option("--source-prefix", metavar="PATH", help="Only articles whose input file lies under PATH.")
@click.option(
    "--run", "run_id", type=ARTICLE_ID, metavar="N", help="Only articles that ingest run N stored (see `runs`)."
)
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before deleting (a terminal asks).")
@json_option
@errors_handled
def delete(
    ids: tuple[int, ...],
    db_path: str,
    since: str | None,
    until: str | None,
    lang: str | None,
    site: str | None,
    author: str | None,
    source_prefix: str | None,
    run_id: int | None,
    dry_run: bool,
    yes: bool,
    json_output: bool,
) -> None:
    """Remove articles: by id, by filters, by the folder they came from or the run that stored them.

    Every criterion given must hold. The stored inputs, the records of the files that brought
    the articles in and their search index entries go with them, so ingesting the same folder
    again brings them back.

    \b
    Example:
        newsarchive delete --run 3 --dry-run
        newsarchive delete --source-prefix scrapes/2024-bad/ --yes
        newsarchive delete 12 15
    """
    prefix = None
    if source_prefix:
        prefix = os.path.abspath(os.path.expanduser(source_prefix))
        if os.path.isdir(prefix):
            prefix = os.path.join(prefix, "")  # a folder: what lies under it, not "folder2/"
    err = stderr_console()
    with open_archive(db_path) as archive:
        filters = make_filters(since, until, lang, site, author)
        rows = archive.select_for_delete(list(ids), filters, prefix, run_id)
        if dry_run or not rows:
            if json_output:
                print_json({"deleted": 0, "would_delete": [r["id"] for r in rows], "dry_run": dry_run})
                return
            for line in render.plain_selection(rows):
                click.echo(line)
            if not rows:
                err.print("No article matches.", markup=False)
            else:
                err.print(f"would delete {len(rows)} article{'s' * (len(rows) != 1)} (--dry-run)", markup=False)
            return
        if not yes and sys.stdin.isatty() and not json_output:
            click.confirm(f"Delete {len(rows)} article{'s' * (len(rows) != 1)}?", abort=True, err=True)
        deleted = archive.delete_articles([int(r["id"]) for r in rows])
        archive.feed_search_index()
    if json_output:
        print_json({"deleted": deleted, "ids": [r["id"] for r in rows], "dry_run": False})
    else:
        err.print(f"deleted {deleted} article{'s' * (deleted != 1)}", markup=False)


@cli.command(context_settings=CONTEXT)
@version_option
@db_option
@click.option("--limit", default=20, show_default=True, type=COUNT, help="Show at most this many (0: all).")
@output_options
@errors_handled
def runs(db_path: str, limit: int, fmt: str | None) -> None:
    """The ingest runs, newest first: when, what, how it ended and what came of it.

    \b
    Example:
        newsarchive runs --limit 5
    """
    with open_archive(db_path) as archive:
        rows = archive.runs(limit or None, newest_first=True)
    print_rows(rows, fmt, lambda r, w: render.runs_table(r), render.plain_runs, empty="No run yet.")


@cli.command(context_settings=CONTEXT)
@version_option
@db_option
@click.option("--run", "run_id", type=ARTICLE_ID, metavar="N", help="Only the files of ingest run N.")
@click.option("--outcome", type=click.Choice(["skipped", "failed"]), help="Only skipped or only failed files.")
@click.option("--limit", default=0, type=COUNT, help="Show at most this many (default 0: all).")
@output_options
@errors_handled
def problems(db_path: str, run_id: int | None, outcome: str | None, limit: int, fmt: str | None) -> None:
    """Files that were skipped or failed, with their reasons, as every run recorded them.

    \b
    Example:
        newsarchive problems --run 3 --outcome failed
    """
    with open_archive(db_path) as archive:
        rows = archive.problems(run_id, outcome, limit or None)
    print_rows(rows, fmt, lambda r, w: render.problems_table(r), render.plain_problems, empty="No problem recorded.")


# ------------------------------------------------------------------ export
@cli.command(context_settings=CONTEXT)
@version_option
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(WRITERS)),
    default=None,
    help="jsonl (default), json (one array), csv, parquet, or txt (a folder); else taken from --output's name.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(),
    help="File, or folder for txt; without it, or with -, the corpus goes to stdout.",
)
@filter_options
@click.option("--query", help="Only articles matching this full-text query.")
@click.option("--limit", default=0, type=COUNT, help="Write at most this many (default 0: all).")
@click.option(
    "--sort",
    type=click.Choice(["id", *(k for k in SORTS if k != "id"), "relevance"]),
    default=None,
    help="Order of the articles (default: id; oldest first with --query).",
)
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@click.option("--allow-formulas", is_flag=True, help="CSV: do not defuse cells that start with = + - @.")
@click.option(
    "--dedupe",
    type=click.Choice(["none", "near"]),
    default="none",
    show_default=True,
    help="near: one article a story, the first dated (then the longest) of its near-copies.",
)
@errors_handled
def export(
    db_path: str,
    fmt: str | None,
    output: str | None,
    since: str | None,
    until: str | None,
    lang: str | None,
    site: str | None,
    author: str | None,
    query: str | None,
    limit: int,
    sort: str | None,
    overwrite: bool,
    allow_formulas: bool,
    dedupe: str,
) -> None:
    """Write the cleaned corpus as JSON Lines, a JSON array, CSV, Parquet, or one text file per article.

    JSONL fields: id, path, url, site, title, author, published, date_source, fetched, lang,
    words, tags, text (the body only, paragraphs separated by a blank line), and a few more.
    Parquet has the same columns, typed (published a timestamp, with published_precision).

    \b
    Example:
        newsarchive export --lang fr > corpus.jsonl
        newsarchive export -o corpus.parquet --since 2025
        newsarchive export --format txt --output corpus/
    """
    if output and output != "-" and is_archive_file(output, db_path):
        raise click.UsageError(f"{output} is the archive (or its journal or search index): export elsewhere.")
    writer = writer_for(fmt, output)
    if writer.folder and (not output or output == "-"):
        raise click.UsageError("--format txt writes a folder: give it with --output FOLDER.")
    filters = make_filters(since, until, lang, site, author, one_per_cluster=dedupe == "near")
    unreadable: list[str] = []

    def note_unreadable(article_id: int | None, reason: str) -> None:
        line = f"cannot read article {article_id}: {reason}" if article_id is not None else reason
        unreadable.append(line)
        stderr_console().print(line, markup=False, highlight=False, soft_wrap=True)

    with open_archive(db_path) as archive:
        rows: Iterable[dict[str, Any]]
        if query:
            order = sort or "oldest"
            if order not in ("oldest", "newest", "relevance"):
                raise click.UsageError("with --query, --sort is oldest, newest or relevance.")
            rows = archive.iter_search(query, filters, limit=limit or None, sort=order, with_text=True)
        elif sort == "relevance":
            raise click.UsageError("--sort relevance ranks the hits of a --query.")
        else:
            rows = archive.iter_articles(filters, sort=sort or "id", limit=limit or None, on_unreadable=note_unreadable)
        count = export_to(rows, writer, output, overwrite, safe=not allow_formulas)
    if output and output != "-":
        stderr_console().print(f"exported {count} articles to {output}", markup=False, highlight=False)
    if unreadable:
        lost = sum(1 for line in unreadable if line.startswith("cannot read article"))
        raise click.ClickException(
            f"the archive is damaged: {count} articles exported, {lost} could not be read "
            "(`newsarchive check` says where)."
        )


# ------------------------------------------------------------------ clean
@cli.command(context_settings=CONTEXT)
@version_option
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@click.option("--explain", is_flag=True, help="Print every line of the input, kept or dropped, with the reason.")
@timeout_option("Seconds the cleaning may take (0: no limit).")
@errors_handled
def clean(file: str, json_output: bool, explain: bool, timeout: float) -> None:
    """Clean one file and print its body, without touching any archive.

    \b
    Example:
        newsarchive clean page.html
        newsarchive clean dump.txt --explain
    """
    try:
        raw = read_input(Path(file))
        with time_limit(timeout or None):
            if explain:
                for line in explain_lines(raw):
                    mark = "keep" if line.keep else "drop"
                    click.echo(f"{line.n:>4} {mark} {line.reason:<44} | {render.safe(line.text)}")
                return
            article = process(raw, os.path.abspath(file))
    except Rejected as rejected:
        raise click.ClickException(f"{file}: {rejected.reason}.") from None
    except RecordTimeout:
        raise click.ClickException(f"{file}: {too_slow(timeout)}.") from None
    if json_output:
        print_json(article.to_dict())
    else:
        click.echo(article.text)


# ------------------------------------------------------------------ reclean
@cli.command("reclean", context_settings=CONTEXT)
@version_option
@db_option
@click.option("--outdated", is_flag=True, help="Only articles made by an older cleaner.")
@click.option("--dry-run", is_flag=True, help="Count what would change, change nothing.")
@click.option("--cluster", metavar="ADDRESS", help="Clean on a Dask cluster (tcp://host:8786, or local[:N]).")
@json_option
@errors_handled
def reclean_command(db_path: str, outdated: bool, dry_run: bool, cluster: str | None, json_output: bool) -> None:
    """Clean the stored inputs again with this version's cleaner, keeping article ids.

    Run it after upgrading newsarchive: the original folder is not needed, the archive keeps
    every input as it was ingested. An input the new cleaner rejects keeps its old article.

    \b
    Example:
        newsarchive reclean --dry-run
        newsarchive reclean
    """
    err = stderr_console()
    with open_archive(db_path) as archive:
        total = archive.count_outdated(CLEANER_VERSION) if outdated else archive.count()
        progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]reclean"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal or json_output,
        )
        task = progress.add_task("reclean", total=total)
        with progress:  # reclean commits in batches: an ingest may write between two
            summary = reclean(archive, outdated, dry_run, lambda _id, _outcome: progress.advance(task), cluster=cluster)
    data = {
        "articles": summary.articles,
        "changed": summary.changed,
        "unchanged": summary.unchanged,
        "kept": summary.kept,
        "changed_fields": dict(summary.changed_fields),
        "reasons": dict(summary.reasons),
        "dry_run": dry_run,
    }
    if json_output:
        print_json(data)
        return
    verb = "would change" if dry_run else "changed"
    err.print(
        f"articles cleaned again: {summary.articles}; {verb}: {summary.changed}; unchanged: {summary.unchanged}; "
        f"kept as they were: {summary.kept}",
        markup=False,
        highlight=False,
        soft_wrap=True,  # one line whatever the width: scripts read it
    )
    for name, count in summary.changed_fields.most_common():
        err.print(f"  {name}: {count}", markup=False, highlight=False, soft_wrap=True)
    for reason, count in summary.reasons.most_common():
        err.print(f"  kept: {count} × {render.safe(reason)}", markup=False, highlight=False, soft_wrap=True)


def main() -> None:
    cli(prog_name="newsarchive")
