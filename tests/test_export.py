import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsarchive.export import ExportError, txt_name, write_csv, write_jsonl, write_txt

ROW = {
    "id": 3,
    "path": "/in/a.txt",
    "url": None,
    "site": None,
    "title": '=HYPERLINK("http://x") ../../etc/passwd',
    "author": "@auteur",
    "published": "2024-03-09T10:00",
    "date_source": "byline",
    "lang": "fr",
    "words": 2,
    "tags": ["a", "b"],
    "text": "-2+3\n\nDeux.",
}


def test_csv_defuses_formulas_unless_asked() -> None:
    out = io.StringIO()
    write_csv([ROW], out)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["title"].startswith("'=HYPERLINK")
    assert row["author"] == "'@auteur" and row["text"].startswith("'-2+3")
    assert row["tags"] == "a; b"
    raw = io.StringIO()
    write_csv([ROW], raw, safe=False)
    assert next(csv.DictReader(io.StringIO(raw.getvalue())))["title"].startswith("=HYPERLINK")


def test_jsonl_keeps_the_contract_fields() -> None:
    out = io.StringIO()
    assert write_jsonl([ROW], out) == 1
    assert out.getvalue().startswith('{"id": 3, "path": "/in/a.txt", "url": null, "site": null, "title": ')


@given(st.text(max_size=300))
def test_txt_names_are_safe_whatever_the_title(title: str) -> None:
    name = txt_name({**ROW, "title": title})
    assert "/" not in name and "\x00" not in name and not name.startswith(".")
    assert len(name) < 100 and name.endswith("_3.txt")


def test_txt_never_overwrites_silently(tmp_path: Path) -> None:
    assert write_txt([ROW], tmp_path) == 1
    (written,) = tmp_path.iterdir()
    assert written.name == "2024-03-09_hyperlink-http-x-etc-passwd_3.txt"
    assert written.read_text() == f"{ROW['title']}\n\n-2+3\n\nDeux.\n"
    assert write_txt([ROW], tmp_path) == 1  # same content: fine
    with pytest.raises(ExportError, match="already exists"):
        write_txt([{**ROW, "text": "Autre."}], tmp_path)
    assert write_txt([{**ROW, "text": "Autre."}], tmp_path, overwrite=True) == 1


# ---------------------------------------------------------------- json, parquet, the format from the name
def _cli(*args: str) -> Any:
    from click.testing import CliRunner

    from newsarchive.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds when ../shared is beside the project, else data/samples, ingested once."""
    from conftest import SAMPLES, SEEDS

    db = tmp_path_factory.mktemp("corpus") / "a.db"
    source = SEEDS if (SEEDS / "gold.json").exists() else SAMPLES
    assert _cli("ingest", str(source), "--db", str(db), "--workers", "1", "-q").exit_code == 0
    return db


def _jsonl_rows(db: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in _cli("export", "--db", str(db)).stdout.splitlines()]


def _as_jsonl(row: dict[str, Any]) -> dict[str, Any]:
    """A Parquet row as the JSONL export writes it: `published` back to its ISO text."""
    row = dict(row)
    moment, precision = row.pop("published"), row.pop("published_precision")
    if moment is not None and not isinstance(moment, datetime):
        moment = moment.to_pydatetime()  # pandas' Timestamp
    width = {"day": 10, "minute": 16, "second": 19}
    row["published"] = None if moment is None else moment.isoformat()[: width[precision.split()[0]]]
    return row


def test_parquet_loads_in_duckdb_and_datasets_with_the_jsonl_rows(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    duckdb = pytest.importorskip("duckdb")
    datasets = pytest.importorskip("datasets")
    target = tmp_path / "corpus.parquet"
    done = _cli("export", "--db", str(corpus), "-o", str(target))  # the format from the name
    said = "".join(done.stderr.split())  # the console wraps a long path
    assert done.exit_code == 0 and said == f"exported{len(_jsonl_rows(corpus))}articlesto{target}"
    expected = _jsonl_rows(corpus)
    con = duckdb.connect()
    cursor = con.execute(f"SELECT * FROM read_parquet('{target}') ORDER BY id")
    names = [d[0] for d in cursor.description]
    from_duckdb = [_as_jsonl(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]
    assert from_duckdb == expected
    types = dict(con.execute(f"DESCRIBE SELECT * FROM read_parquet('{target}')").fetchall()[i][:2] for i in range(3))
    assert types["id"] == "BIGINT"
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # no cache in the user's home, no network
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    loaded = datasets.load_dataset("parquet", data_files=str(target), split="train")
    assert [_as_jsonl(row) for row in loaded] == expected
    assert loaded.features["tags"].feature.dtype == "string" and loaded.features["words"].dtype == "int64"


def test_json_is_one_array_of_the_jsonl_rows_and_dash_is_stdout(corpus: Path, tmp_path: Path) -> None:
    as_array = _cli("export", "--db", str(corpus), "--format", "json", "-o", "-")
    assert as_array.exit_code == 0 and json.loads(as_array.stdout) == _jsonl_rows(corpus)
    named = tmp_path / "corpus.json"
    assert _cli("export", "--db", str(corpus), "-o", str(named)).exit_code == 0
    assert json.loads(named.read_text()) == _jsonl_rows(corpus)
    again = _cli("export", "--db", str(corpus), "-o", str(named))
    assert again.exit_code == 1 and again.stderr == f"Error: {named} already exists.\nAdd --overwrite to replace it.\n"
    unknown = _cli("export", "--db", str(corpus), "-o", str(tmp_path / "corpus.xyz"))
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith(f"Error: cannot tell the format from the name {tmp_path / 'corpus.xyz'}.\n")
    assert not (tmp_path / "corpus.xyz").exists()


def test_parquet_without_pyarrow_says_what_to_install(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    done = _cli("export", "--db", str(corpus), "-o", str(tmp_path / "c.parquet"))
    assert done.exit_code == 1
    assert (
        done.stderr
        == "Error: Parquet export needs pyarrow, which is not installed.\npip install 'newsarchive[parquet]'\n"
    )
    assert list(tmp_path.iterdir()) == []  # no partial file left
