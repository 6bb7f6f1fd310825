import csv
import io
from pathlib import Path

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
