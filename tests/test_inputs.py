import gzip
import os
from pathlib import Path

import ftfy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.inputs import InputFile, Missing, decode_bytes, discover, read_input, repair_mojibake
from newsarchive.model import Rejected

from conftest import write

FRENCH = "L’été déjà ! Les élèves français à l’école, c’est l’œuvre de 100 € et « des garçons ».\n"


def test_discover_walks_sorted_skips_hidden_and_reports_missing(tmp_path: Path) -> None:
    write(tmp_path / "b.html", "<p>b</p>")
    write(tmp_path / "a" / "c.txt", "c")
    write(tmp_path / ".git" / "config", "x")
    write(tmp_path / ".hidden.txt", "x")
    found = list(discover([tmp_path, tmp_path / "nope"]))
    files = [f for f in found if isinstance(f, InputFile)]
    assert [f.path.relative_to(tmp_path).as_posix() for f in files] == [
        "b.html",
        "a/c.txt",
    ]  # files of a folder, then its subfolders
    assert found[-1] == Missing(str(tmp_path / "nope"), "no such file or folder")


def test_discover_glob_and_symlink_loop(tmp_path: Path) -> None:
    write(tmp_path / "x" / "page.html", "<p>x</p>")
    write(tmp_path / "x" / "dump.txt", "x")
    os.symlink(tmp_path, tmp_path / "x" / "loop")
    found = [f for f in discover([tmp_path], "*.html") if isinstance(f, InputFile)]
    assert [f.path.name for f in found] == ["page.html"]


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("utf-8", "a.txt"), ("utf-8-sig", "b.txt"), ("utf-16", "c.txt"), ("cp1252", "d.txt"), ("utf-16-le", "e.txt")],
)
def test_decoding(tmp_path: Path, encoding: str, name: str) -> None:
    raw = read_input(write(tmp_path / name, FRENCH * 3, encoding))
    assert raw.text == FRENCH * 3
    assert raw.kind == "txt"


def test_declared_latin1_is_read_as_windows_1252(tmp_path: Path) -> None:
    html = '<html><head><meta charset="iso-8859-1"></head><body><p>' + FRENCH + "</p></body></html>"
    raw = read_input(write(tmp_path / "page.html", html, "cp1252"))
    assert FRENCH.strip() in raw.text
    assert raw.encoding == "cp1252"


def test_gzip_and_sniffing(tmp_path: Path) -> None:
    page = "<!DOCTYPE html><html><body><p>" + FRENCH + "</p></body></html>"
    raw = read_input(write(tmp_path / "page.gz", gzip.compress(page.encode())))
    assert raw.kind == "html" and FRENCH.strip() in raw.text
    assert read_input(write(tmp_path / "noext", FRENCH)).kind == "txt"


@pytest.mark.parametrize(
    ("name", "content", "outcome", "reason"),
    [
        ("empty.txt", b"", "skipped", "empty file"),
        ("blank.html", b"  \n\n ", "skipped", "empty file"),
        ("doc.html", b"%PDF-1.4\n...", "skipped", "not a text or HTML file: looks like a PDF document"),
        ("img.txt", b"\x89PNG\r\n\x1a\n....", "skipped", "not a text or HTML file: looks like a PNG image"),
        ("nul.txt", b"abc\x00\x01\x02\x03" * 200, "skipped", "not a text or HTML file: binary data (NUL bytes)"),
        ("data.json", b'{"a": 1}', "skipped", "not an article: a .json file"),
        ("cut.txt.gz", gzip.compress(b"x" * 1000)[:20], "failed", "truncated or corrupt gzip file"),
    ],
)
def test_bad_inputs_are_rejected_with_a_reason(
    tmp_path: Path, name: str, content: bytes, outcome: str, reason: str
) -> None:
    with pytest.raises(Rejected) as caught:
        read_input(write(tmp_path / name, content))
    assert (caught.value.outcome, caught.value.reason) == (outcome, reason)


def test_size_cap(tmp_path: Path) -> None:
    with pytest.raises(Rejected) as caught:
        read_input(write(tmp_path / "big.txt", "a" * 2048), max_bytes=1024)
    assert caught.value.reason == "larger than the 1 KB limit (see --max-size)"  # as the user writes it


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(Rejected) as caught:
        read_input(tmp_path / "gone.txt")
    assert (caught.value.outcome, caught.value.reason) == ("failed", "the file disappeared before it could be read")


def test_decode_bytes_falls_back_to_detection() -> None:
    text, encoding = decode_bytes(FRENCH.encode("cp1252") * 3, "txt")
    assert text == FRENCH * 3
    assert encoding == "cp1252"


def test_a_file_that_becomes_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "locked.txt", FRENCH)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)  # as chmod 000 would (tests may run as root)
    with pytest.raises(Rejected) as caught:
        read_input(path)
    monkeypatch.undo()
    assert (caught.value.outcome, caught.value.reason) == ("failed", "cannot read the file: Permission denied")


def test_mojibake_is_repaired_and_recorded(tmp_path: Path) -> None:
    broken = (FRENCH * 3).encode("utf-8").decode("cp1252")  # "L’été" read as Windows-1252 upstream
    assert "Ã©" in broken
    raw = read_input(write(tmp_path / "moji.txt", broken))
    assert raw.text == FRENCH * 3
    assert raw.encoding == "utf-8; mojibake repaired by ftfy"
    clean = read_input(write(tmp_path / "clean.txt", FRENCH * 3))
    assert clean.encoding == "utf-8"  # nothing to repair, nothing recorded


def test_mojibake_repaired_where_it_is_and_nowhere_else() -> None:
    # A long minified page (one line, inline script) with one broken word in its text: the word
    # is repaired, every other character stays as it was (ftfy sees the trace's segment only).
    script = "<script>var s='" + "x = 1; " * 2000 + "';</script>"
    page = f"<html><body>{script}<p>{'Un texte correct. ' * 300}</p><p>La VerÃ¶ffentlichung, l’été</p></body></html>"
    fixed, changed = repair_mojibake(page)
    assert changed
    assert fixed == page.replace("VerÃ¶ffentlichung", "Veröffentlichung")


VOCABULARY = ["l’été", "élèves", "à", "déjà", "français", "où", "garçon", "œuvre", "100 €", "Noël", "le", "mur"]
sentences = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=8).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(sentences, st.booleans()), min_size=1, max_size=12), st.sampled_from(["\n", "<br>"]))
def test_mojibake_repair_is_local(parts: list[tuple[str, bool]], joint: str) -> None:
    # Some lines of a text were decoded as Windows-1252 upstream: each is judged alone, as ftfy
    # judges it, and the others come back as they were.
    broken = [text.encode("utf-8").decode("cp1252") if bad else text for text, bad in parts]
    fixed, changed = repair_mojibake(joint.join(broken))
    expected = joint.join(ftfy.fix_encoding(line) for line in broken)
    assert fixed == expected
    assert changed == (expected != joint.join(broken))
    assert all(ftfy.fix_encoding(b) == t for (t, bad), b in zip(parts, broken, strict=True) if bad and " " not in t)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_text_without_mojibake_is_never_touched(text: str) -> None:
    # Without a UTF-8 lead byte read as Windows-1252 (Ã, Â, Å, â), ftfy is not even asked.
    text = text.translate({ord(c): None for c in "ÃÂÅâ"})
    assert repair_mojibake(text) == (text, False)


def test_a_kernel_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    link = tmp_path / "kmsg.txt"
    os.symlink("/proc/kmsg", link)  # stat says a regular file of size 0; reading it would block
    with pytest.raises(Rejected) as caught:
        read_input(link)
    assert (caught.value.outcome, caught.value.reason) == ("skipped", "a kernel file (/proc/kmsg), not an article")


def test_a_file_that_changes_while_it_is_read_is_read_again_then_reported(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import newsarchive.inputs as inputs

    path = write(tmp_path / "a.txt", "Un texte qui s'écrit encore.")
    real_fstat = os.fstat
    calls = {"n": 0}

    def growing(fd: int) -> os.stat_result:  # each look finds it longer: a scraper still writing
        calls["n"] += 1
        st = real_fstat(fd)
        return os.stat_result((*st[:6], st.st_size + calls["n"], *st[7:]))

    monkeypatch.setattr(inputs.os, "fstat", growing)
    with pytest.raises(Rejected) as caught:
        read_input(path)
    assert (caught.value.outcome, caught.value.reason) == (
        "failed",
        "the file changed while it was read (still being written?)",
    )
    assert calls["n"] == 4  # two reads, each looked at before and after
    steady = {"n": 0}

    def once(fd: int) -> os.stat_result:  # changed during the first read only
        steady["n"] += 1
        st = real_fstat(fd)
        return os.stat_result((*st[:6], st.st_size + (steady["n"] == 2), *st[7:]))

    monkeypatch.setattr(inputs.os, "fstat", once)
    assert read_input(path).text == "Un texte qui s'écrit encore."


def test_a_folder_that_cannot_be_listed_is_a_problem_not_silence(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "in" / "a.txt", "x")
    locked = tmp_path / "in" / "locked"
    write(locked / "b.txt", "y")
    real_scandir = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))  # chmod 000, as root cannot see
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = list(discover([tmp_path / "in"]))
    assert [getattr(f, "reason", None) for f in found] == [None, "cannot read this folder: Permission denied"]
    assert found[1].path == str(locked)
