import csv
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsarchive import __version__
from newsarchive.cli import cli

SAMPLE_LIST = """\
6	2025-03-12	À Lyon, les vélos-cargos gagnent les livraisons du centre-ville	Le Courrier du Rhône	Juliette Ferrand	fr	240	1
4	2025-02-04	Un marché de producteurs s'installe sous les nefs de l'île de Nantes		Claire Martin	fr	207	1
5	2025-01-15	Les médiathèques de Toulouse testent l'ouverture jusqu'à 22 heures			fr	111	1
1	2024-11-18	Rennes : le budget de la culture en hausse de 4 %			fr	148	1
2	2024-10-08	Harbour authority approves new ferry terminal	The Coastal Gazette	Tom Ashworth	en	159	1
7	2024-08-28	Vendanges précoces dans le Bordelais : la chaleur avance le calendrier d’une semaine		Marc Delorme	fr	190	1
3	undated	La deuxième ligne de tramway de Brest entre dans sa dernière phase de travaux			fr	214	1
"""


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def folder(tmp_path: Path, samples: Path) -> Path:
    target = tmp_path / "in"
    shutil.copytree(samples, target)
    return target


@pytest.fixture
def ingested(folder: Path) -> Path:
    result = invoke("ingest", str(folder), "--quiet")
    assert result.exit_code == 0, result.output
    return folder


def test_version_and_help() -> None:
    assert invoke("--version").stdout == f"newsarchive, version {__version__}\n"
    assert set(cli.commands) == {  # type: ignore[attr-defined]
        "ingest", "list", "search", "show", "stats", "export", "clean", "reclean", "reindex", "delete", "runs", "problems", "check",
    }  # fmt: skip
    for command in cli.commands:  # type: ignore[attr-defined]
        result = invoke(command, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.stdout and "--help" in result.stdout, command
        assert invoke(command, "--version").stdout == f"newsarchive, version {__version__}\n"


def test_ingest_report_and_rerun(folder: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.jsonl"
    result = invoke("ingest", str(folder), "--report", str(report), "--json")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["counts"] == {"new": 7, "updated": 0, "unchanged": 0, "duplicate": 1, "skipped": 0, "failed": 0}
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert lines[-1] == {
        "path": str(folder / "miroir" / "velo-cargo-lyon-copie.html"),
        "outcome": "duplicate",
        "reason": "duplicate of article 6",
        "id": 6,
    }
    again = json.loads(invoke("ingest", str(folder), "--json").stdout)
    assert again["counts"]["unchanged"] == 8 and sum(again["counts"].values()) == 8


def test_ingest_summary_and_bad_inputs(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "photo.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    result = CliRunner().invoke(cli, ["ingest", str(bad), str(tmp_path / "nowhere")])
    assert result.exit_code == 126  # something failed (the missing path) and nothing could be ingested
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    err = result.stderr
    assert f"skipped: {bad / 'empty.txt'}: empty file\n" in err
    assert f"skipped: {bad / 'photo.html'}: not a text or HTML file: looks like a PNG image\n" in err
    assert f"failed: {tmp_path / 'nowhere'}: no such file or folder\n" in err
    assert "ingest summary" in err


def test_ingest_only_missing_paths_is_an_error(tmp_path: Path) -> None:
    result = invoke("ingest", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert result.stderr == f"Error: nothing to ingest: {tmp_path / 'nowhere'}: no such file or folder.\n"


def test_list_plain_and_json(ingested: Path) -> None:
    assert invoke("list").stdout == SAMPLE_LIST
    assert invoke("list", "--lang", "en").stdout.splitlines() == [SAMPLE_LIST.splitlines()[4]]
    assert [r["id"] for r in json.loads(invoke("list", "--json", "--since", "2025").stdout)] == [6, 4, 5]
    assert [r["id"] for r in json.loads(invoke("list", "--json", "--limit", "2", "--offset", "1").stdout)] == [4, 5]
    assert [r["id"] for r in json.loads(invoke("list", "--json", "--site", "courrier-du-rhone.example").stdout)] == [6]
    assert [r["id"] for r in json.loads(invoke("list", "--json", "--site", "the coastal gazette").stdout)] == [2]
    rows = json.loads(invoke("list", "--json", "--sort", "oldest", "--until", "2024-10").stdout)
    assert [r["id"] for r in rows] == [7, 2]


def test_list_without_archive(tmp_path: Path) -> None:
    result = invoke("list", "--db", str(tmp_path / "none.db"))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: there is no archive at {tmp_path / 'none.db'}.\n")
    assert not (tmp_path / "none.db").exists()


def test_search(ingested: Path) -> None:
    result = invoke("search", "vendanges")
    assert result.stdout.splitlines()[0] == (
        "7\t2024-08-28\tVendanges précoces dans le Bordelais : la chaleur avance le calendrier d’une semaine"
        "\t\tMarc Delorme\t1"
    )
    hits = json.loads(invoke("search", "securite OR recolte", "--json").stdout)
    assert [h["id"] for h in hits] == [7]
    assert "**récolte**" in hits[0]["snippet"]
    assert json.loads(invoke("search", "tramway", "--json", "--lang", "en").stdout) == []


@pytest.mark.parametrize("query", ['"open', "AND", "foo:bar", "NEAR(", "title:"])
def test_search_never_fails_on_syntax(ingested: Path, query: str) -> None:
    result = invoke("search", query, "--json")
    assert result.exit_code == 0
    assert isinstance(json.loads(result.stdout), list)


def test_search_with_nothing_to_find_is_one_clear_message(ingested: Path) -> None:
    result = invoke("search", "le la")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: the query has no word to search for")
    assert lines[1] == 'Search words, "a phrase", a OR b, -word or NOT word, prefix*, title:word, author:name.'


def test_show(ingested: Path) -> None:
    out = invoke("show", "5").stdout
    assert out.startswith(
        "title: Les médiathèques de Toulouse testent l'ouverture jusqu'à 22 heures\n"
        "date: 2025-01-15 (from byline)\n"
        "language: fr\n"
        "words: 111\n"
        f"source: {ingested / 'mediatheques-toulouse.txt.gz'}\n"
        "encoding: utf-8\n\n"
        "Trois médiathèques de Toulouse resteront ouvertes"
    )
    data = json.loads(invoke("show", "6", "--json").stdout)
    assert data["duplicates"] == [str(ingested / "miroir" / "velo-cargo-lyon-copie.html")]
    assert data["tags"] == ["mobilité", "logistique", "Lyon"]
    raw = invoke("show", "7", "--raw").stdout
    assert raw == (ingested / "vendanges-bordelais-cp1252.txt").read_bytes().decode("cp1252")
    missing = invoke("show", "99")
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: there is no article 99")


def test_stats(ingested: Path) -> None:
    data = json.loads(invoke("stats", "--json").stdout)
    assert data["articles"] == 7 and data["undated"] == 1
    assert data["languages"] == {"fr": 6, "en": 1}
    assert data["months"]["2025-03"] == 1
    plain = invoke("stats").stdout
    assert plain.startswith("articles\t7\nwithout a date\t1\nstories\t7\nstories with near-copies\t0\nwords\t1269\n")
    # piped: numbers only, the bars are the terminal table's
    assert plain.endswith(
        "language fr\t6\nlanguage en\t1\nsite unknown\t5\nsite Le Courrier du Rhône\t1\nsite The Coastal Gazette\t1\n"
        "month 2024-08\t1\nmonth 2024-10\t1\nmonth 2024-11\t1\nmonth 2025-01\t1\nmonth 2025-02\t1\nmonth 2025-03\t1\n"
    )


def test_export_jsonl_csv_txt(ingested: Path, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in invoke("export").stdout.splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    first = rows[5]
    for field in ("id", "path", "url", "site", "title", "author", "published", "date_source", "lang", "words", "tags"):
        assert field in first
    assert first["text"].startswith("Depuis l'ouverture de trois plateformes")
    assert "\n\n" in first["text"] and first["title"] not in first["text"].split("\n\n")
    undated = rows[2]
    assert (undated["published"], undated["date_source"]) == (None, None)

    table = list(csv.DictReader(io.StringIO(invoke("export", "--format", "csv", "--lang", "en").stdout)))
    assert [r["title"] for r in table] == ["Harbour authority approves new ferry terminal"]

    out = tmp_path / "txt"
    result = invoke("export", "--format", "txt", "--output", str(out), "--query", "vendanges")
    assert result.exit_code == 0
    assert [p.name for p in out.iterdir()] == [
        "2024-08-28_vendanges-precoces-dans-le-bordelais-la-chaleur-avance-le_7.txt"
    ]
    again = invoke("export", "--format", "txt", "--output", str(out), "--query", "vendanges")
    assert again.exit_code == 0  # same content: nothing to overwrite

    target = tmp_path / "corpus.jsonl"
    assert invoke("export", "--output", str(target)).exit_code == 0
    refused = invoke("export", "--output", str(target))
    assert refused.exit_code == 1 and "already exists" in refused.stderr


def test_export_txt_needs_a_folder(ingested: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "--format", "txt"])
    assert result.exit_code == 2
    assert "--format txt writes a folder" in result.stderr


def test_clean_command(samples: Path) -> None:
    out = invoke("clean", str(samples / "ligne-tram-brest.txt")).stdout
    assert out.startswith("Les rails sont posés") and "Articles liés" not in out
    data = json.loads(invoke("clean", str(samples / "velo-cargo-lyon.html"), "--json").stdout)
    assert data["published"] == "2025-03-12T07:45" and data["lang"] == "fr"  # the byline has the time
    explain = invoke("clean", str(samples / "ligne-tram-brest.txt"), "--explain").stdout.splitlines()
    assert explain[0] == "   1 drop before the article's first paragraph         | Brest Métropole Infos"


def test_python_dash_m(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "newsarchive", "--version"], capture_output=True, text=True)
    assert result.stdout == f"newsarchive, version {__version__}\n"


def test_reclean_keeps_ids_and_counts_changes(ingested: Path) -> None:
    import sqlite3

    before = json.loads(invoke("export", "--format", "jsonl").stdout.splitlines()[2])
    db = sqlite3.connect(os.environ["NEWSARCHIVE_DB"])
    db.execute("UPDATE articles SET text = 'texte abîmé', cleaner_version = '0.0.1' WHERE id = 3")
    db.commit()
    db.close()
    from newsarchive.archive import Archive
    from newsarchive.model import CLEANER_VERSION

    with Archive(os.environ["NEWSARCHIVE_DB"]) as archive:
        assert archive.count_outdated(CLEANER_VERSION) == 1  # what sizes reclean --outdated's progress bar
    dry = json.loads(invoke("reclean", "--dry-run", "--json").stdout)
    assert (dry["articles"], dry["changed"], dry["unchanged"], dry["kept"]) == (7, 1, 6, 0)
    assert invoke("show", "3", "--json").stdout.count("texte abîmé") == 1  # a dry run changes nothing
    narrow = CliRunner().invoke(cli, ["reclean", "--dry-run"], env={"COLUMNS": "60"})
    assert (
        narrow.stderr == "articles cleaned again: 7; would change: 1; unchanged: 6; kept as they were: 0\n  text: 1\n"
    )
    done = json.loads(invoke("reclean", "--outdated", "--json").stdout)
    assert (done["articles"], done["changed"], done["changed_fields"]) == (1, 1, {"text": 1})
    after = json.loads(invoke("export", "--format", "jsonl").stdout.splitlines()[2])
    assert after["id"] == 3 and after["text"] == before["text"]
    assert after["ingested_at"] == before["ingested_at"]


def test_clean_explain_html(samples: Path) -> None:
    lines = invoke("clean", str(samples / "velo-cargo-lyon.html"), "--explain").stdout.splitlines()
    assert any(line.endswith("| Accueil") and " drop page furniture" in line for line in lines)
    assert any(" keep in trafilatura's extraction" in line and "Des tournées plus courtes" in line for line in lines)
    assert any(" drop headline (kept as the title)" in line for line in lines)


def test_search_options(ingested: Path) -> None:
    assert invoke("search", "vendanges", "--count").stdout == "1\n"
    assert json.loads(invoke("search", "vendanges", "--count", "--json").stdout) == {"count": 1}
    hits = json.loads(invoke("search", "producteurs", "--author", 'Claire "Martin"', "--json").stdout)
    assert [h["id"] for h in hits] == [4]
    dated = json.loads(invoke("search", "ville", "--sort", "date", "--json").stdout)
    days = [h["published"] or "" for h in dated]
    assert days == sorted(days, reverse=True)
    similar = json.loads(invoke("search", "--similar", "6", "--json").stdout)
    assert 6 not in [h["id"] for h in similar]
    missing = CliRunner().invoke(cli, ["search"])
    assert missing.exit_code == 2 and "give a QUERY" in missing.stderr


def test_search_takes_queries_as_people_type_them(ingested: Path) -> None:
    plain = invoke("search", "vendanges").stdout
    assert plain.startswith("7\t2024-08-28\tVendanges précoces")
    assert invoke("search", "-Lyon vendanges").stdout == plain  # a query may start with -word
    assert invoke("search", "-Lyon", "vendanges").stdout == plain  # and need not be quoted
    assert invoke("search", "vendanges", "-Lyon", "--count").stdout == "1\n"
    assert invoke("search", "vendanges", "-Bordelais", "--count").stdout == "0\n"
    assert invoke("search", "vendanges NOT Bordelais", "--count").stdout == "0\n"
    assert invoke("search", "--count", "vendanges AND Bordelais").stdout == "1\n"
    assert invoke("search", "oenologues", "--count").stdout == invoke("search", "œnologues", "--count").stdout == "1\n"
    mixed = CliRunner().invoke(cli, ["search", "marché", "--similar", "6"])
    assert mixed.exit_code == 2
    assert mixed.stderr.endswith("Error: give either a QUERY or --similar ID, not both.\n")
    typo = CliRunner().invoke(cli, ["search", "--limt", "3", "vendanges"])
    assert typo.exit_code == 2 and "No such option '--limt'" in typo.stderr


def test_ingest_exit_status_quiet_failures_and_sizes_as_written(folder: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    partial = CliRunner().invoke(cli, ["ingest", str(folder), str(missing), "-q"])
    assert partial.exit_code == 1  # some files failed, the others are stored
    assert partial.stderr == f"failed: {missing}: no such file or folder\n"  # -q hides all but failures
    assert partial.stdout == ""
    big = tmp_path / "big"
    big.mkdir()
    (big / "long.txt").write_text("Un paragraphe assez long pour dépasser la limite. " * 100, encoding="utf-8")
    skipped = CliRunner().invoke(cli, ["ingest", str(big), "--max-size", "3KB", "--db", str(tmp_path / "b.db")])
    assert skipped.exit_code == 0  # a skipped file is not a failure
    assert f"skipped: {big / 'long.txt'}: larger than the 3 KB limit (see --max-size)\n" in skipped.stderr
    quiet = CliRunner().invoke(cli, ["ingest", str(big), "--max-size", "3KB", "--db", str(tmp_path / "b.db"), "-q"])
    assert (quiet.exit_code, quiet.stderr) == (0, "")
    only_failures = CliRunner().invoke(cli, ["ingest", str(missing), str(big / "nope.txt"), "-q"])
    assert only_failures.exit_code == 1  # no path exists: one "Error: nothing to ingest" sentence, before any file


TERMINAL = {"TTY_COMPATIBLE": "1", "COLUMNS": "120", "NO_COLOR": "1"}


def test_list_says_what_it_left_out_and_filters_read_lists(ingested: Path) -> None:
    shown = CliRunner().invoke(cli, ["list", "--limit", "3"], env=TERMINAL)
    assert shown.stderr == "3 of 7 (--limit, --offset)\n"
    page = CliRunner().invoke(cli, ["list", "--limit", "3", "--offset", "3"], env=TERMINAL)
    assert page.stderr == "4-6 of 7 (--limit, --offset)\n"
    assert CliRunner().invoke(cli, ["list"], env=TERMINAL).stderr == ""  # all 7 shown
    empty = CliRunner().invoke(cli, ["list", "--lang", "de"], env=TERMINAL)
    assert (empty.stdout, empty.stderr) == ("", "No article matches.\n")  # as search says it
    assert invoke("list", "--limit", "0").stdout == SAMPLE_LIST  # 0: no limit
    assert invoke("list", "--lang", "fr,en").stdout == SAMPLE_LIST
    assert [line.split("\t")[0] for line in invoke("list", "--lang", "en").stdout.splitlines()] == ["2"]
    assert [line.split("\t")[0] for line in invoke("list", "--site", "courrier").stdout.splitlines()] == ["6"]
    assert invoke("list", "--site", "Le Courrier du Rhône").stdout == invoke("list", "--site", "courrier").stdout
    both = invoke("list", "--site", "courrier,gazette").stdout.splitlines()
    assert [line.split("\t")[0] for line in both] == ["6", "2"]
    assert invoke("list", "--site", "cour").stdout == ""  # a word, not a part of one
    assert invoke("search", "ville", "--lang", "fr,en", "--count").stdout == invoke("search", "ville", "--count").stdout


def test_list_table_fits_80_columns_and_cuts_no_word(ingested: Path) -> None:
    fields = [line.split("\t") for line in SAMPLE_LIST.splitlines()]
    words = {w for f in fields for cell in f for w in cell.split()} | {"undated"}
    for columns, header in ((120, ["id", "date", "title", "site", "author", "lang", "words"]),
                            (80, ["id", "date", "title", "site"]), (60, ["id", "date", "title"])):  # fmt: skip
        out = CliRunner().invoke(cli, ["list"], env={**TERMINAL, "COLUMNS": str(columns)}).stdout
        lines = re.sub(r"\x1b\[[0-9;]*m", "", out).splitlines()
        assert max(len(line) for line in lines) <= columns
        assert lines[1].split() == header
        shown = {w for line in lines[3:] for w in line.split()}
        assert shown <= words, (columns, shown - words)  # every word whole: none cut or hyphen-split


def test_search_table_highlights_title_matches_and_keeps_paragraph_breaks(ingested: Path) -> None:
    hit = json.loads(invoke("search", "producteurs", "--json").stdout)[0]
    assert hit["title_snippet"] == "Un marché de **producteurs** s'installe sous les nefs de l'île de Nantes"
    assert "**producteurs** ¶ Contrairement" in hit["snippet"]  # a subheading ends before the next paragraph
    out = (
        CliRunner().invoke(cli, ["search", "producteurs"], env={**TERMINAL, "NO_COLOR": "", "FORCE_COLOR": "1"}).stdout
    )
    assert "\x1b[1;33mproducteurs\x1b[0m" in out  # in the title: bold and yellow
    assert "\x1b[33mproducteurs\x1b[0m" in out  # in the snippet: yellow, not bold


def test_nothing_but_the_archive_and_its_index_folder_lies_beside_it(folder: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert invoke("ingest", str(folder), "--db", str(home / "a.db"), "-q").exit_code == 0
    assert invoke("search", "vendanges", "--db", str(home / "a.db"), "--count").stdout == "1\n"
    assert sorted(os.listdir(home)) == ["a.db", "a.db-search"]


def test_rows_print_as_sqlite_utils_prints_them(ingested: Path) -> None:
    rows = json.loads(invoke("list", "--json").stdout)
    assert invoke("list", "--json").stdout == json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    assert [json.loads(line) for line in invoke("list", "--nl").stdout.splitlines()] == rows
    table = list(csv.reader(io.StringIO(invoke("list", "--csv").stdout)))
    assert table[0] == list(rows[0]) and [int(r[0]) for r in table[1:]] == [r["id"] for r in rows]
    tsv = invoke("list", "--tsv", "--limit", "1").stdout.splitlines()
    assert tsv[0].split("\t") == list(rows[0]) and tsv[1].split("\t")[0] == "6"
    assert invoke("list", "--json", "--lang", "de").stdout == "[]\n"
    assert invoke("list", "--nl", "--lang", "de").stdout == invoke("list", "--csv", "--lang", "de").stdout == ""
    hits = list(csv.DictReader(io.StringIO(invoke("search", "producteurs", "--csv").stdout)))
    assert hits[0]["title_snippet"] == "Un marché de **producteurs** s'installe sous les nefs de l'île de Nantes"
    assert [json.loads(line)["id"] for line in invoke("search", "producteurs", "--nl").stdout.splitlines()] == [4]


def test_every_filter_on_every_command_and_export_limits(ingested: Path) -> None:
    assert [r["id"] for r in json.loads(invoke("list", "--author", "claire", "--json").stdout)] == [4]
    assert [r["id"] for r in json.loads(invoke("search", "ville", "--author", "claire", "--json").stdout)] == [4]
    exported = [json.loads(line) for line in invoke("export", "--author", "MARC").stdout.splitlines()]
    assert [r["id"] for r in exported] == [7]
    newest = [
        json.loads(line)["id"] for line in invoke("export", "--sort", "newest", "--limit", "2").stdout.splitlines()
    ]
    assert newest == [6, 4]
    assert [json.loads(line)["id"] for line in invoke("export", "--limit", "3").stdout.splitlines()] == [1, 2, 3]
    refused = CliRunner().invoke(cli, ["export", "--sort", "relevance"])
    assert refused.exit_code == 2 and refused.stderr.endswith("Error: --sort relevance ranks the hits of a --query.\n")


def test_runs_problems_and_delete_take_back_a_wrong_ingest(ingested: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "note.txt").write_text("Bonjour.", encoding="utf-8")
    shutil.copy(ingested / "marche-producteurs-nantes.txt", wrong / "copie.txt")  # a duplicate
    (wrong / "autre.txt").write_text(
        "Titre d'un article de trop\n\n" + "Ce paragraphe est long, il parle de la ville et du conseil municipal. " * 4,
        encoding="utf-8",
    )
    assert invoke("ingest", str(wrong), "-q").exit_code == 0
    runs = json.loads(invoke("runs", "--json").stdout)
    assert [(r["id"], r["status"], r["new"], r["duplicate"], r["skipped"]) for r in runs] == [
        (2, "completed", 1, 1, 1),
        (1, "completed", 7, 1, 0),
    ]
    assert invoke("runs", "--limit", "1").stdout.split("\t")[:4] == [
        "2",
        runs[0]["started_at"],
        runs[0]["ended_at"],
        "completed",
    ]
    assert invoke("problems", "--run", "2").stdout.split("\t")[:4] == [
        "2", "skipped", str(wrong / "note.txt"), "too short to be an article: 7 letters or digits, fewer than 20",
    ]  # fmt: skip
    assert invoke("problems", "--outcome", "failed", "--json").stdout == "[]\n"
    assert CliRunner().invoke(cli, ["problems", "--outcome", "failed"], env=TERMINAL).stderr == "No problem recorded.\n"

    dry = invoke("delete", "--run", "2", "--dry-run")
    assert dry.stdout == f"8\tundated\tTitre d'un article de trop\t{wrong / 'autre.txt'}\n"
    assert dry.stderr == "would delete 1 article (--dry-run)\n"
    assert invoke("list", "--limit", "0", "--json").stdout.count('"id"') == 8  # a dry run deletes nothing
    assert invoke("search", "title:trop", "--count").stdout == "1\n"
    done = invoke("delete", "--source-prefix", str(wrong), "--json")  # not article 4, which copie.txt repeats
    assert json.loads(done.stdout) == {"deleted": 1, "ids": [8], "dry_run": False}
    assert invoke("search", "title:trop", "--count").stdout == "0\n"  # the index follows
    assert invoke("show", "8").exit_code == 1
    again = json.loads(invoke("ingest", str(wrong), "--json").stdout)  # the files are forgotten: back it comes
    assert again["counts"]["new"] == 1
    nothing = CliRunner().invoke(cli, ["delete"])
    assert nothing.exit_code == 1
    assert nothing.stderr == (
        "Error: delete needs something to select articles by.\n"
        "Give article ids, or filters such as --site, --source-prefix PATH or --run N (see --help).\n"
    )
    assert invoke("delete", "--site", "nowhere.example").stderr == "No article matches.\n"
    assert invoke("delete", "4", "6").stderr == "deleted 2 articles\n"  # not a terminal: no question asked
