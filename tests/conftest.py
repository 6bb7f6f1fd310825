from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"


@pytest.fixture(autouse=True)
def archive_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own archive through NEWSARCHIVE_DB, never the user's archive.db."""
    db = tmp_path / "test-archive.db"
    monkeypatch.setenv("NEWSARCHIVE_DB", str(db))
    monkeypatch.delenv("NEWSARCHIVE_DEBUG", raising=False)
    return db


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def seeds() -> Path:
    if not (SEEDS / "gold.json").exists():
        pytest.skip("../shared/seeds is not beside the project")
    return SEEDS


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    return path
