"""The five real pages this project started from, read from ../shared (skipped when absent)."""

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from newsarchive.cli import cli


def test_seeds_dates_and_languages_match_the_gold(seeds: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(seeds), "--quiet"]).exit_code == 0
    export = runner.invoke(cli, ["export"]).stdout
    rows = {Path(r["path"]).name: r for r in map(json.loads, export.splitlines())}
    gold = json.loads((seeds / "gold.json").read_text(encoding="utf-8"))
    for name, expected in gold.items():
        row = rows[name]
        assert ((row["published"] or "")[:10] or None) == expected["published"], name
        assert row["lang"] == expected["lang"], name
        assert (row["date_source"] is None) == (expected["published"] is None), name
    # and the project's own checker agrees on every check it makes
    path = tmp_path / "seeds.jsonl"
    path.write_text(export, encoding="utf-8")
    checked = subprocess.run([sys.executable, str(seeds / "check_seeds.py"), str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    # a second ingest of the same folder finds everything unchanged
    again = json.loads(runner.invoke(cli, ["ingest", str(seeds), "--json"]).stdout)
    assert again["counts"]["unchanged"] == sum(again["counts"].values()) >= len(gold)
