"""Faults tried for real: a hostile folder, kill -9 and Ctrl-C mid-ingest, two ingests at once.

docs/reliability.md lists each fault, what happens, and the test here that proves it.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from click.testing import CliRunner

from newsarchive.archive import Archive
from newsarchive.cli import cli

from conftest import write

SENTENCES = (
    "Le conseil municipal a voté mardi soir un budget en hausse pour les écoles de la ville.",
    "Les parents d’élèves réclamaient depuis longtemps des travaux dans les cantines.",
    "L’opposition juge la dépense trop lourde et demande un audit des comptes publics.",
    "Le maire assure que les impôts locaux ne bougeront pas cette année, malgré l’inflation.",
    "Les premiers chantiers commenceront au printemps, pendant les vacances scolaires.",
)


def article(n: int, title: str | None = None) -> str:
    """A distinct text dump: a headline, then five sentences that name the article's number."""
    body = " ".join(f"{s[:-1]}, selon le document numéro {n}." for s in SENTENCES)
    return f"{title or f'Budget des écoles, épisode {n}'}\n\n{body}\n\n{SENTENCES[n % 5]}\n"


def run_cli(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def stored(db: Path) -> list[dict[str, Any]]:
    """The archive's articles as an export shows them, without the times of storing."""
    result = run_cli("export", "--db", str(db), "--format", "jsonl")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    for row in rows:
        for volatile in ("ingested_at", "updated_at"):
            row.pop(volatile, None)
    return rows


# ---------------------------------------------------------------- a hostile folder
def test_a_hostile_folder_ends_as_articles_and_one_line_reasons(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    good = {
        "ok-utf8.txt": article(1),
        "ok-bom.txt": "\ufeff" + article(2),
        "ok-utf16.txt": article(3),
        "ok-cp1252.txt": article(4),
        "ok-latin1.html": "<html><head><title>Épisode 5</title></head><body><h1>Épisode 5</h1><p>"
        + article(5).replace("’", "'")
        + "</p>"
        "</body></html>",
        "ok-mojibake.txt": article(6),
        "ok-malformed.html": "<html><body><div><p>" + article(7).replace("\n\n", "<p><b>") + "</span></td></html",
    }
    write(folder / "ok-utf8.txt", good["ok-utf8.txt"])
    write(folder / "ok-bom.txt", good["ok-bom.txt"].encode("utf-8"))
    write(folder / "ok-utf16.txt", good["ok-utf16.txt"], "utf-16")
    write(folder / "ok-cp1252.txt", good["ok-cp1252.txt"], "cp1252")
    write(folder / "ok-latin1.html", good["ok-latin1.html"], "latin-1")
    write(folder / "ok-mojibake.txt", good["ok-mojibake.txt"].encode("utf-8").decode("cp1252").encode("utf-8"))
    write(folder / "ok-malformed.html", good["ok-malformed.html"])
    write(folder / "empty.txt", b"")
    write(folder / "report.html", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    write(folder / "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(folder / "noise.txt", bytes((n * 7919) % 256 for n in range(4096)))
    write(folder / "nul.html", b"<html>\x00\x00\x00\x00" * 300)
    write(folder / "cut.txt.gz", gzip.compress(article(8).encode())[:30])
    write(folder / "huge.txt", article(9) * 4000)  # about 2 MB, over the 1 MB cap below
    write(folder / "deep.html", "<html><body>" + "<div>" * 50_000 + "<p>Tout au fond.</p>" + "</div>" * 50_000)
    os.symlink(folder / "gone.txt", folder / "dangling.txt")  # a file that is not there when read
    os.symlink(folder, folder / "loop")  # a link loop
    bad_name = os.fsencode(folder) + b"/caf\xe9-" + b"\xff.txt"  # not UTF-8
    with open(bad_name, "wb") as fh:
        fh.write(article(10).encode())
    write(folder / "new\nline.txt", article(11))
    os.mkfifo(folder / "pipe.txt")  # reading it would wait forever

    db = tmp_path / "a.db"
    result = CliRunner().invoke(cli, ["ingest", str(folder), "--db", str(db), "--max-size", "1MB"])
    assert result.exit_code == 1, result.output  # a file failed to read: exit 1, no traceback
    assert "Traceback" not in result.output

    lines = [line for line in result.stderr.splitlines() if line.startswith(("skipped:", "failed:"))]
    reasons = {line.split(": ")[1].rsplit("/", 1)[-1]: line.split(": ", 2)[2] for line in lines}
    assert reasons == {
        "empty.txt": "empty file",
        "report.html": "not a text or HTML file: looks like a PDF document",
        "photo.txt": "not a text or HTML file: looks like a PNG image",
        "noise.txt": "not a text or HTML file: binary data (NUL bytes)",
        "nul.html": "not a text or HTML file: binary data (NUL bytes)",
        "cut.txt.gz": "truncated or corrupt gzip file",
        "huge.txt": "larger than the 1 MB limit (see --max-size)",
        "deep.html": "HTML nested over 256 levels deep: the parser stops there, and no article text was found above",
        "dangling.txt": "a broken symbolic link (its target does not exist)",
        "pipe.txt": "not a regular file: a named pipe",
    }
    assert len(lines) == len(reasons)  # one line each

    with Archive(db) as archive:
        rows = {Path(r["path"]).name: r for r in archive.list_articles(limit=None, with_text=True)}
        problems = {Path(p["path"]).name: p["reason"] for p in archive.problems()}
    assert problems == reasons
    assert set(rows) == set(good) | {"caf\\xe9-\\xff.txt", "new\nline.txt"}
    numbers = {"ok-utf8.txt": 1, "ok-bom.txt": 2, "ok-utf16.txt": 3, "ok-cp1252.txt": 4, "ok-latin1.html": 5}
    numbers |= {"ok-mojibake.txt": 6, "ok-malformed.html": 7, "caf\\xe9-\\xff.txt": 10, "new\nline.txt": 11}
    for name, row in rows.items():  # every good file stored intact, whatever its encoding
        for sentence in SENTENCES:
            assert f"{sentence[:-1]}, selon le document numéro {numbers[name]}." in row["text"].replace("'", "’"), name
        assert "Ã" not in row["text"] and "â€" not in row["text"]
    assert rows["ok-mojibake.txt"]["encoding"] == "utf-8; mojibake repaired by ftfy"
    assert rows["ok-cp1252.txt"]["encoding"] == "cp1252"
    assert "new\\x0aline.txt" in result.stderr or "new\nline.txt" not in result.stderr

    again = CliRunner().invoke(cli, ["ingest", str(folder), "--db", str(db), "--max-size", "1MB", "--json"])
    counts = json.loads(again.stdout)["counts"]
    # settled skips are not read again; a corrupt gzip, a missing file, a file over the cap are
    assert counts["new"] == counts["updated"] == 0 and counts["unchanged"] == len(rows) + 6
    assert (counts["failed"], counts["skipped"]) == (3, 1)


# ---------------------------------------------------------------- interruptions
def make_folder(folder: Path, before: int, after: int) -> None:
    """Articles, with empty files as markers: one early (before the first commit), one after
    the first `before` (past the first commit)."""
    for n in range(before + after):
        write(folder / f"{n:04d}.txt", article(n))
    write(folder / "0005-early.txt", b"")
    write(folder / f"{before:04d}-marker.txt", b"")


def start_ingest(folder: Path, db: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "ingest", str(folder), "--db", str(db)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def wait_for_line(stream: IO[str], needle: str) -> None:
    for line in stream:
        if needle in line:
            return
    raise AssertionError(f"the ingest ended before printing {needle!r}")


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """A folder and what an uninterrupted ingest stores from it."""
    base = tmp_path_factory.mktemp("reference")
    make_folder(base / "in", before=230, after=220)
    db = base / "ref.db"
    result = run_cli("ingest", str(base / "in"), "--db", str(db))
    assert result.exit_code == 0
    return base / "in", stored(db)


@pytest.mark.parametrize("moment", ["-early.txt", "-marker.txt"])  # before / after a commit
def test_kill_9_mid_ingest_loses_nothing_committed_and_a_rerun_completes(
    tmp_path: Path, reference: tuple[Path, list[dict[str, Any]]], moment: str
) -> None:
    folder, expected = reference
    db = tmp_path / "a.db"
    process = start_ingest(folder, db)
    assert process.stderr is not None
    wait_for_line(process.stderr, moment)
    process.kill()
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert integrity(db) == "ok"
    with Archive(db) as archive:
        kept = archive.count()
        assert kept < len(expected)  # the rest was not stored
        assert kept > 0 if moment == "-marker.txt" else kept <= 5  # only whole transactions land
        assert archive.runs()[-1]["status"] == "running"  # what a killed run leaves
    result = run_cli("ingest", str(folder), "--db", str(db), "--json")
    assert result.exit_code == 0
    counts = json.loads(result.stdout)["counts"]
    assert counts["unchanged"] >= kept and counts["new"] == len(expected) - kept
    assert stored(db) == expected  # the same archive as an uninterrupted run
    assert integrity(db) == "ok"
    with Archive(db) as archive:  # and the search index has every article, once
        assert archive.count_search("budget") == len(expected)


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_mid_ingest_stops_cleanly_and_a_rerun_finishes(
    tmp_path: Path, reference: tuple[Path, list[dict[str, Any]]], sent: signal.Signals
) -> None:
    folder, expected = reference
    db = tmp_path / "a.db"
    process = start_ingest(folder, db)
    assert process.stderr is not None
    wait_for_line(process.stderr, "-marker.txt")
    process.send_signal(sent)
    rest = process.stderr.read()
    process.wait(timeout=10)
    assert process.returncode == (130 if sent == signal.SIGINT else 143), rest  # 128 + the signal
    assert "Interrupted: what was stored so far is kept" in rest and "Traceback" not in rest
    assert integrity(db) == "ok"
    with Archive(db) as archive:
        kept = archive.count()
        assert archive.runs()[-1]["status"] == "interrupted"
    assert 0 < kept < len(expected)
    result = run_cli("ingest", str(folder), "--db", str(db), "--json")
    counts = json.loads(result.stdout)["counts"]
    assert counts["new"] == len(expected) - kept and counts["unchanged"] >= kept
    assert stored(db) == expected


def test_two_ingests_at_once_store_each_article_once(
    tmp_path: Path, reference: tuple[Path, list[dict[str, Any]]]
) -> None:
    folder, expected = reference
    db = tmp_path / "a.db"
    first, second = start_ingest(folder, db), start_ingest(folder, db)
    outputs = [p.communicate(timeout=120)[1] for p in (first, second)]
    assert first.returncode == second.returncode == 0, outputs
    assert integrity(db) == "ok"
    assert sorted(r["text"] for r in stored(db)) == sorted(r["text"] for r in expected)
    with Archive(db) as archive:
        assert archive.count_search("budget") == len(expected)


def test_reading_while_an_ingest_writes(tmp_path: Path, reference: tuple[Path, list[dict[str, Any]]]) -> None:
    folder, expected = reference
    db = tmp_path / "a.db"
    process = start_ingest(folder, db)
    assert process.stderr is not None
    wait_for_line(process.stderr, "-marker.txt")
    try:
        listed = run_cli("list", "--db", str(db), "--json", "--limit", "5", "--all-copies")
        found = run_cli("search", "budget", "--db", str(db), "--count")
        shown = run_cli("show", "1", "--db", str(db), "--json")
    finally:
        process.communicate(timeout=120)
    assert listed.exit_code == found.exit_code == shown.exit_code == 0
    assert len(json.loads(listed.stdout)) == 5
    assert int(found.stdout) > 0
    assert json.loads(shown.stdout)["id"] == 1
    assert process.returncode == 0
    assert len(stored(db)) == len(expected)


# ---------------------------------------------------------------- data loss and safety (issue 17)
def test_no_output_may_be_the_archive_or_its_index(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    folder = tmp_path / "in"
    write(folder / "a.txt", article(1))
    assert run_cli("ingest", str(folder), "--db", str(db), "-q").exit_code == 0
    before = db.read_bytes()
    for args in (
        ["ingest", str(folder), "--db", str(db), "--report", str(db)],
        ["ingest", str(folder), "--db", str(db), "--report", f"{db}-wal"],
        ["export", "--db", str(db), "-o", str(db), "--overwrite"],
        ["export", "--db", str(db), "-o", str(tmp_path / "a.db-search" / "x.jsonl")],
        ["export", "--db", str(db), "--format", "txt", "-o", str(tmp_path / "a.db-search")],
    ):
        result = run_cli(*args)
        assert result.exit_code == 2, args
        assert "is the archive (or its journal or search index)" in result.stderr
    assert db.read_bytes() == before and stored(db)[0]["id"] == 1


def test_a_planted_part_file_is_never_written_through(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    write(tmp_path / "in" / "a.txt", article(1))
    assert run_cli("ingest", str(tmp_path / "in"), "--db", str(db), "-q").exit_code == 0
    out = tmp_path / "out"
    out.mkdir()
    victim = write(tmp_path / "victim.txt", "do not touch")
    name = "undated_budget-des-ecoles-episode-1_1.txt"
    for planted in (f"{name}.part", f".{name}.part"):
        os.symlink(victim, out / planted)
    assert run_cli("export", "--db", str(db), "--format", "txt", "-o", str(out)).exit_code == 0
    assert victim.read_text() == "do not touch"
    assert (out / name).is_file() and not (out / name).is_symlink()
    assert oct((out / name).stat().st_mode & 0o777) == oct(0o666 & ~_umask())  # not mkstemp's 0600


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_huge_numbers_give_results_or_one_sentence(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    write(tmp_path / "in" / "a.txt", article(1))
    assert run_cli("ingest", str(tmp_path / "in"), "--db", str(db), "-q").exit_code == 0
    big = run_cli("search", "budget", "--db", str(db), "--limit", "2147483647", "--json")
    assert big.exit_code == 0 and [h["id"] for h in json.loads(big.stdout)] == [1]
    far = run_cli("search", "budget", "--db", str(db), "--offset", "9223372036854775807", "--json")
    assert (far.exit_code, far.stdout) == (0, "[]\n")
    assert run_cli("list", "--db", str(db), "--limit", "9223372036854775807", "--json").exit_code == 0
    for args in (["show", "99999999999999999999"], ["list", "--limit", "99999999999999999999"],
                 ["search", "--similar", "99999999999999999999"]):  # fmt: skip
        result = run_cli(*args, "--db", str(db))
        assert result.exit_code == 2 and "is not in the range" in result.stderr, args
        assert "Traceback" not in result.output


def test_only_a_regular_file_can_be_an_archive(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "a named pipe"), (Path("/dev/null"), "a character device")):
        result = run_cli("list", "--db", str(path))  # the FIFO would block forever if it were opened
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: {path} is not a regular file ({kind}): an archive is a file.\n")
    assert not Path("/dev/null-journal").exists()


def test_a_full_disk_is_one_sentence_and_leaves_nothing_behind(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    write(tmp_path / "in" / "a.txt", article(1))
    assert run_cli("ingest", str(tmp_path / "in"), "--db", str(db), "-q").exit_code == 0
    with open("/dev/full", "w") as full:  # every write fails with ENOSPC
        done = subprocess.run(
            [sys.executable, "-m", "newsarchive", "export", "--db", str(db), "--format", "csv"],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 1
    assert (
        done.stderr
        == "Error: the disk is full: free some space and run the same command again (what was stored is kept).\n"
    )


def test_an_input_accepted_once_stays_usable(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    bomb = gzip.compress((article(1) + "\n" + "Un mot de plus. " * 600_000).encode())  # ~ 10 MB, ratio ~ 1000
    write(tmp_path / "in" / "a.txt.gz", bomb)
    assert run_cli("ingest", str(tmp_path / "in"), "--db", str(db), "-q").exit_code == 0
    raw = run_cli("show", "1", "--raw", "--db", str(db))
    assert raw.exit_code == 0 and raw.stdout.startswith("Budget des écoles, épisode 1")
    again = json.loads(run_cli("reclean", "--db", str(db), "--json").stdout)
    assert (again["kept"], again["reasons"]) == (0, {})


def test_bidirectional_overrides_and_huge_queries(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    write(tmp_path / "in" / "a.txt", article(1, title="Budget \u202eseloce\u202c des écoles"))
    assert run_cli("ingest", str(tmp_path / "in"), "--db", str(db), "-q").exit_code == 0
    assert "\u202e" not in run_cli("list", "--db", str(db)).stdout
    assert "\u202e" not in run_cli("show", "1", "--db", str(db)).stdout
    huge = run_cli("search", "budget " * 200, "--db", str(db))
    assert huge.exit_code == 1
    assert huge.stderr.startswith("Error: the query is 1,400 characters long; a query has at most 1,000.\n")


# ---------------------------------------------------------------- slow pages, dying workers (issue 17)
def slow_page(n: int = 0) -> str:
    """An article above 8,000 short hidden promo blocks: about 14 s to clean here.

    Under the 10,000 elements from which a page is pruned and extracted without fallbacks
    (newsarchive.clean.html.LARGE_TREE), so jusText compares every block with its neighbours.
    """
    body = "<p>" + " ".join(f"{s[:-1]}, page {n}." for s in SENTENCES) + "</p>"
    promo = '<div style="display:none" class="promo">Abonnez-vous</div>'
    head = f"<html><head><title>Budget {n}</title></head><body><article><h1>Budget {n}</h1>"
    return f"{head}{body * 4}</article>{promo * 8000}</body></html>"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_page_over_the_time_limit_fails_with_its_reason_and_the_run_goes_on(tmp_path: Path, workers: str) -> None:
    folder = tmp_path / "in"
    write(folder / "a-slow.html", slow_page())
    write(folder / "b.txt", article(1))
    db = tmp_path / "a.db"
    result = run_cli("ingest", str(folder), "--db", str(db), "--timeout", "2", "--workers", workers, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["counts"]["new"], data["reasons"]["failed"]) == (1, {"took longer than 2 s to clean": 1})
    with Archive(db) as archive:
        assert [p["reason"] for p in archive.problems()] == ["took longer than 2 s to clean"]


def test_a_second_ingest_is_not_kept_waiting_by_a_slow_page(tmp_path: Path) -> None:
    slow = tmp_path / "slow"
    write(slow / "a.pdf", b"%PDF-1.4 not an article")  # skipped at once: its line says the run is on
    for n in range(2):
        write(slow / f"b{n}.html", slow_page(n))
    db = tmp_path / "a.db"
    first = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "ingest", str(slow), "--db", str(db), "--workers", "1", "--timeout", "4"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert first.stderr is not None
    wait_for_line(first.stderr, "a.pdf")
    other = tmp_path / "other"
    write(other / "c.txt", article(2))
    second = run_cli("ingest", str(other), "--db", str(db), "--workers", "1", "--json")  # waits 30 s if locked out
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["counts"]["new"] == 1
    first.wait(120)
    assert first.returncode == 126  # nothing of its own stored: both slow pages over their 4 s
    with Archive(db) as archive:
        assert archive.count() == 1
        reasons = sorted(p["reason"] for p in archive.problems())
        assert reasons == ["not a text or HTML file: looks like a PDF document"] + ["took longer than 4 s to clean"] * 2


def test_check_names_the_damage_of_a_corrupted_archive(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for n in range(30):
        write(folder / f"{n:02d}.txt", article(n))
    db = tmp_path / "a.db"
    assert run_cli("ingest", str(folder), "--db", str(db), "-q").exit_code == 0
    healthy = run_cli("check", "--db", str(db))
    assert (healthy.exit_code, healthy.stderr) == (0, f"{db}: no problem found.\n")
    with open(db, "r+b") as fh:  # pages overwritten with random bytes
        for page in (3, 5):
            fh.seek(page * 4096)
            fh.write(os.urandom(4096))
    damaged = run_cli("check", "--db", str(db), "--json")
    assert damaged.exit_code == 1
    problems = json.loads(damaged.stdout)["problems"]
    assert any(p.startswith("SQLite") for p in problems), problems  # the damaged pages are named
    assert "Traceback" not in damaged.output


def small_disk(tmp_path: Path, size: str) -> Iterator[Path]:
    """A small tmpfs; skipped where mounting is not allowed."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    mounting = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True)
    if mounting.returncode:
        pytest.skip("needs permission to mount a file system (root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[Path]:
    """Remounted read-only by the test once filled."""
    yield from small_disk(tmp_path, "20m")


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """3 MB: about 44 of the test's articles fit."""
    yield from small_disk(tmp_path, "3m")


def test_a_disk_that_fills_during_an_ingest_is_one_sentence_with_true_counts(full_disk: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for n in range(300):
        extra = " ".join(f"{s} ({n}, {k})" for k in range(20) for s in SENTENCES)
        write(folder / f"{n:03d}.txt", article(n) + "\n" + extra)  # 8 kB each
    db = full_disk / "a.db"
    full = run_cli("ingest", str(folder), "--db", str(db), "--workers", "1", "-q")
    assert full.exit_code == 1 and "Traceback" not in full.output
    said = re.fullmatch(
        rf"Error: the disk holding {re.escape(str(db))} is full: (\d+) articles of this run were stored and (\d+) "
        r"files settled before it filled; free some space and run the same command again to finish.\n",
        full.stderr,
    )
    assert said, full.stderr
    stored_before = int(said.group(1))
    assert 0 < stored_before < 300 and said.group(2) == said.group(1)
    with Archive(db) as archive:
        assert archive.count() == stored_before  # the batch the disk refused was not counted
        (run,) = archive.runs()
        assert (run["status"], run["new"], run["failed"]) == ("interrupted", stored_before, 0)
    searched = run_cli("search", "budget", "--count", "--db", str(db))  # its index cannot be brought up to date
    assert searched.exit_code == 1
    assert searched.stderr.startswith(f"Error: the disk holding {db}-search is full: free some space")
    subprocess.run(["mount", "-o", "remount,size=40m", str(full_disk)], check=True)
    again = run_cli("ingest", str(folder), "--db", str(db), "--json")
    assert again.exit_code == 0
    counts = json.loads(again.stdout)["counts"]
    assert (counts["new"], counts["unchanged"]) == (300 - stored_before, stored_before)
    assert run_cli("search", "budget", "--count", "--db", str(db)).stdout == "300\n"


def test_a_read_only_archive_can_be_read_and_says_it_cannot_be_written(read_only_mount: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for n in range(3):
        write(folder / f"{n}.txt", article(n))
    db = read_only_mount / "a.db"
    assert run_cli("ingest", str(folder), "--db", str(db), "-q").exit_code == 0
    before = stored(db)
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_mount)], check=True)
    assert stored(db) == before  # export
    assert run_cli("list", "--db", str(db), "--all-copies").stdout.count("\n") == 3
    assert run_cli("search", "budget", "--db", str(db), "--count").stdout == "3\n"
    assert run_cli("show", "1", "--db", str(db)).exit_code == 0
    assert run_cli("check", "--db", str(db)).exit_code == 0
    for args in (["ingest", str(folder)], ["delete", "1", "--yes"]):
        refused = run_cli(*args, "--db", str(db))
        assert refused.exit_code == 1, args
        assert refused.stderr.startswith(
            f"Error: {db} is read-only: it can be read (list, search, show, stats, export), not written.\n"
        )


def test_export_of_a_damaged_archive_writes_every_readable_article_and_names_the_others(tmp_path: Path) -> None:
    import random

    folder = tmp_path / "in"
    for n in range(40):
        write(folder / f"{n:02d}.txt", article(n) + "\n" + " ".join(SENTENCES) * 20)  # a few kB each
    db = tmp_path / "a.db"
    assert run_cli("ingest", str(folder), "--db", str(db), "-q", "--workers", "1").exit_code == 0
    whole = {r["id"]: r for r in stored(db)}
    noise = random.Random(17)
    with open(db, "r+b") as fh:
        for page in (6, 12, 18):
            fh.seek(page * 4096 + 200)
            fh.write(noise.randbytes(3000))
    result = run_cli("export", "--db", str(db))
    assert result.exit_code == 1 and "Traceback" not in result.output
    exported = [json.loads(line) for line in result.stdout.splitlines()]
    for row in exported:  # what is written is the article as it was, never a damaged copy
        for volatile in ("ingested_at", "updated_at"):
            row.pop(volatile, None)
        assert row == whole[row["id"]]
    named = [line for line in result.stderr.splitlines() if line.startswith("cannot read article ")]
    last = result.stderr.splitlines()[-1]
    assert last == (
        f"Error: the archive is damaged: {len(exported)} articles exported, {len(named)} could not be read "
        "(`newsarchive check` says where)."
    )
    assert 0 < len(exported) < len(whole) and len(exported) + len(named) <= len(whole)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_a_worker_killed_mid_ingest_loses_nothing(tmp_path: Path, reference: tuple[Path, list[dict[str, Any]]]) -> None:
    # SIGKILL, as the OOM killer sends it, to a worker forked by the worker server while it
    # cleans: the run ends by itself, every file with one outcome, the same archive as without.
    folder, expected = reference
    db = tmp_path / "a.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "ingest", str(folder), "--db", str(db), "--workers", "2", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    wait_for_line(process.stderr, "-early.txt")  # the run is under way
    victims: list[int] = []
    while not victims and process.poll() is None:  # the workers forked from the worker server
        victims = [w for child in _children(process.pid) for w in _children(child)]
    assert victims, "the ingest ended before a worker could be killed"
    os.kill(victims[0], signal.SIGKILL)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    counts = json.loads(out)["counts"]
    assert sum(counts.values()) == len(list(folder.iterdir()))  # one outcome per file
    assert stored(db) == expected


def test_a_reader_that_leaves_early_ends_the_export_quietly(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for n in range(40):
        write(folder / f"{n:02d}.txt", article(n) + "\n" + " ".join(SENTENCES) * 30)  # more than a pipe holds
    db = tmp_path / "a.db"
    assert run_cli("ingest", str(folder), "--db", str(db), "-q", "--workers", "1").exit_code == 0
    export = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "export", "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert export.stdout is not None and export.stderr is not None
    assert json.loads(export.stdout.readline())["id"] == 1
    export.stdout.close()  # as `| head -1` does
    assert export.wait(60) == 0
    assert export.stderr.read() == ""
