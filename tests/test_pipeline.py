import shutil
from pathlib import Path

import pytest

from newsarchive.archive import Archive
from newsarchive.inputs import discover, read_input
from newsarchive.model import Rejected
from newsarchive.pipeline import Ingester, IngestOptions, content_hash, process

from conftest import write
from pages import DUMP, ENGLISH, HTML


def run(archive: Archive, folder: Path, **options: object) -> dict[str, tuple[str, str | None, int | None]]:
    results = {}

    def keep(r) -> None:  # type: ignore[no-untyped-def]
        results[Path(r.path).name] = (r.outcome, r.reason, r.id)

    Ingester(archive, IngestOptions(**options)).run(discover([folder]), [str(folder)], keep)  # type: ignore[arg-type]
    return results


def test_outcomes_new_duplicate_unchanged_updated(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "a.txt", DUMP)
    write(folder / "b.html", HTML)
    write(folder / "copy" / "a-copy.txt", DUMP.replace("Se connecter", "Mon compte"))
    with Archive(tmp_path / "a.db") as archive:
        first = run(archive, folder)
        assert first == {
            "a.txt": ("new", None, 1),
            "b.html": ("new", None, 2),
            "a-copy.txt": ("duplicate", "duplicate of article 1", 1),
        }
        assert run(archive, folder) == {name: ("unchanged", None, r[2]) for name, r in first.items()}
        before = archive.get(1)
        write(folder / "a.txt", DUMP.replace("samedi matin", "dimanche matin"))
        again = run(archive, folder)
        assert again["a.txt"] == ("updated", None, 1)
        after = archive.get(1)
        assert "dimanche matin" in after["text"] and after["ingested_at"] == before["ingested_at"]
        assert archive.count() == 2
        runs = archive.runs()
        assert [(r["status"], r["new"], r["unchanged"], r["updated"]) for r in runs] == [
            ("completed", 2, 0, 0),
            ("completed", 0, 3, 0),
            ("completed", 0, 2, 1),
        ]


def test_touched_file_with_same_bytes_is_unchanged(tmp_path: Path) -> None:
    write(tmp_path / "in" / "a.txt", DUMP)
    with Archive(tmp_path / "a.db") as archive:
        run(archive, tmp_path / "in")
        (tmp_path / "in" / "a.txt").touch()
        assert run(archive, tmp_path / "in") == {"a.txt": ("unchanged", None, 1)}


def test_language_filter_and_bad_files(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "fr.txt", DUMP)
    write(folder / "en.txt", ENGLISH)
    write(folder / "empty.txt", "")
    write(folder / "bin.html", b"\x00\x01\x02\x03" * 100)
    with Archive(tmp_path / "a.db") as archive:
        results = run(archive, folder, langs=frozenset({"fr"}))
        assert results == {
            "bin.html": ("skipped", "not a text or HTML file: binary data (NUL bytes)", None),
            "empty.txt": ("skipped", "empty file", None),
            "en.txt": ("skipped", "language is en, not fr", None),
            "fr.txt": ("new", None, 1),
        }
        problems = [(Path(p["path"]).name, p["outcome"], p["reason"]) for p in archive.problems()]
        assert len(problems) == 3
        # without the filter, the English article comes in on the next run; files skipped for
        # what they hold are not looked at again until they change
        assert run(archive, folder) == {
            "bin.html": ("unchanged", None, None),
            "empty.txt": ("unchanged", None, None),
            "en.txt": ("new", None, 2),
            "fr.txt": ("unchanged", None, 1),
        }
        write(folder / "empty.txt", ENGLISH.replace("library", "swimming pool"))
        assert run(archive, folder)["empty.txt"] == ("new", None, 3)


def test_cleaner_crash_on_one_file_does_not_stop_the_batch(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import newsarchive.pipeline as pipeline

    real = pipeline.clean_text

    def flaky(text, now=None):  # type: ignore[no-untyped-def]
        if "BOOM" in text:
            raise ValueError("cleaner exploded")
        return real(text, now)

    monkeypatch.setattr(pipeline, "clean_text", flaky)
    write(tmp_path / "in" / "a.txt", "BOOM\n" + DUMP)
    write(tmp_path / "in" / "b.txt", DUMP)
    with Archive(tmp_path / "a.db") as archive:
        assert run(archive, tmp_path / "in", workers=1) == {  # in this process: the patch applies
            "a.txt": ("failed", "cleaning failed: ValueError: cleaner exploded", None),
            "b.txt": ("new", None, 1),
        }


def test_moved_folder_gives_duplicates_not_new_articles(tmp_path: Path) -> None:
    write(tmp_path / "in" / "a.txt", DUMP)
    with Archive(tmp_path / "a.db") as archive:
        run(archive, tmp_path / "in")
        shutil.copytree(tmp_path / "in", tmp_path / "moved")
        assert run(archive, tmp_path / "moved") == {"a.txt": ("duplicate", "duplicate of article 1", 1)}


def test_content_hash_ignores_spacing_only() -> None:
    assert content_hash("Un  texte.\n\nDeux.") == content_hash("Un texte.\nDeux.\n")
    assert content_hash("Un texte.") != content_hash("Un autre texte.")


def test_interrupted_run_keeps_finished_files_and_resumes(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import newsarchive.pipeline as pipeline

    for n in range(4):
        write(tmp_path / "in" / f"{n}.txt", DUMP.replace("samedi matin", f"samedi matin {n}"))
    real = pipeline.detect_language
    calls = []

    def interrupt_third(text):  # type: ignore[no-untyped-def]
        calls.append(text)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(text)

    monkeypatch.setattr(pipeline, "detect_language", interrupt_third)
    with Archive(tmp_path / "a.db") as archive:
        with pytest.raises(KeyboardInterrupt):
            run(archive, tmp_path / "in", workers=1)
        assert archive.count() == 2
        assert archive.runs()[-1]["status"] == "interrupted"
        assert archive.runs()[-1]["new"] == 2
        assert archive.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        resumed = run(archive, tmp_path / "in")
        assert [resumed[f"{n}.txt"][0] for n in range(4)] == ["unchanged", "unchanged", "new", "new"]
        assert archive.count() == 4


def test_an_archive_inside_the_ingested_folder_is_not_input(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Titre\n\n" + "Une phrase assez longue pour faire un article de presse. " * 8)
    db = folder / "archive.db"
    with Archive(db) as archive:
        first = Ingester(archive).run(discover([folder]), [str(folder)])
        assert archive.search("phrase")  # the index folder now sits in the input folder
        second = Ingester(archive).run(discover([folder]), [str(folder)])
    assert (db.parent / "archive.db-search").is_dir()
    assert first.counts["new"] == 1 and second.counts["new"] == second.counts["failed"] == 0
    seen = [str(item.path) for item in discover([folder]) if hasattr(item, "path")]
    assert seen and not [p for p in seen if "archive.db-search" in p]


def test_one_or_two_workers_give_the_same_archive(tmp_path: Path) -> None:
    for n in range(12):
        write(tmp_path / "in" / f"{n:02d}.txt", DUMP.replace("samedi matin", f"samedi matin {n % 9}"))
    write(tmp_path / "in" / "page.html", HTML)
    write(tmp_path / "in" / "english.txt", ENGLISH)
    write(tmp_path / "in" / "empty.txt", "")
    exports = []
    for workers in (1, 2):
        with Archive(tmp_path / f"{workers}.db") as archive:
            outcomes = run(archive, tmp_path / "in", workers=workers)
            rows = archive.list_articles(sort="id", limit=None, with_text=True)
            raw = [archive.raw(r["id"]) for r in rows]
        for row in rows:
            del row["ingested_at"], row["updated_at"]
        exports.append((outcomes, rows, raw))
    assert exports[0] == exports[1]
    assert [o[0] for o in exports[0][0].values()].count("duplicate") == 3


def test_the_first_files_need_no_cleaner_in_the_writer(tmp_path: Path) -> None:
    # With workers, the writer never loads a cleaner's data: the pool's worker server and workers do.
    import subprocess
    import sys

    for n in range(3):
        write(tmp_path / "in" / f"{n:02d}.txt", DUMP.replace("samedi matin", f"samedi matin {n}"))
    script = (
        "import sys\n"
        "from newsarchive.archive import Archive\n"
        "from newsarchive.inputs import discover\n"
        "from newsarchive.pipeline import Ingester, IngestOptions\n"
        "if __name__ == '__main__':\n"
        "    folder = sys.argv[1]\n"
        "    with Archive(sys.argv[2]) as archive:\n"
        "        summary = Ingester(archive, IngestOptions(workers=2)).run(discover([folder]), [folder])\n"
        "    print(summary.counts['new'], 'langdetect' in sys.modules, 'trafilatura' in sys.modules)\n"
    )
    (tmp_path / "run.py").write_text(script)
    done = subprocess.run(
        [sys.executable, str(tmp_path / "run.py"), str(tmp_path / "in"), str(tmp_path / "a.db")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.split() == ["3", "False", "False"], done.stderr


def test_the_worker_server_loads_what_each_worker_would_load_again() -> None:
    # Workers are forked from this server and replaced every TASKS_PER_WORKER files (newsarchive.run.executor): what it
    # has not loaded, each new worker loads again (time, and memory of its own).
    from justext.core import define_stoplist
    from tld.utils import tld_names
    from trafilatura import external

    from newsarchive.workerinit import warm

    warm()  # every stage the server runs
    assert external.JT_STOPLIST  # trafilatura's jusText fallback: every language's stop words
    before = define_stoplist.cache_info()
    define_stoplist(external.JT_STOPLIST)
    assert define_stoplist.cache_info().hits == before.hits + 1  # and jusText's set made of them
    assert tld_names  # the public-suffix list courlan reads a page's domain with


def test_a_worker_counts_the_words_and_the_count_travels_with_the_article(tmp_path: Path) -> None:
    import pickle
    from datetime import datetime

    from newsarchive.pipeline import Task, work
    from newsarchive.textutil import count_words

    write(tmp_path / "a.txt", DUMP)
    done = work(Task(str(tmp_path / "a.txt"), "a.txt"), 10_000_000, None, datetime(2026, 11, 30))
    assert done.article is not None
    sent = pickle.loads(pickle.dumps(done)).article
    assert sent.__dict__["words"] == count_words(done.article.text) > 50


def test_the_allocator_trim_is_found_without_starting_a_process(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # ctypes.util.find_library runs `ldconfig -p` in a child: a worker forking a copy of itself
    # counted its memory twice while the child ran.
    import platform
    import subprocess
    import sys

    from newsarchive.run import executor

    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("a process was started")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    executor.malloc_trim.cache_clear()
    trim = executor.malloc_trim()
    if sys.platform == "linux" and platform.libc_ver()[0] == "glibc":
        assert trim is not None
    executor.trim_heap()


@pytest.mark.parametrize(
    ("name", "content", "letters"),
    [
        ("b.txt", "Bonjour.", 7),
        ("c.html", "<html><body><p>Bonjour.</p></body></html>", 7),
        ("h.html", "<p>Hello</p>", 5),
    ],
)
def test_one_minimum_article_rule_for_both_shapes(tmp_path: Path, name: str, content: str, letters: int) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(Rejected) as refused:
        process(read_input(path), str(path))
    assert refused.value.outcome == "skipped"
    assert str(refused.value) == f"too short to be an article: {letters} letters or digits, fewer than 20"


def test_a_page_over_the_memory_limit_fails_with_the_limit_named(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    import newsarchive.pipeline as pipeline
    from newsarchive.pipeline import Task, work

    def greedy(*args: object) -> object:
        raise MemoryError  # what RLIMIT_AS makes of an allocation over the limit

    monkeypatch.setattr(pipeline, "process", greedy)
    write(tmp_path / "a.txt", DUMP)
    done = work(Task(str(tmp_path / "a.txt"), "a.txt"), 10_000_000, None, datetime(2026, 11, 30), memory_mb=512)
    assert (done.outcome, done.reason) == ("failed", "needed more than 512 MB of memory")  # not "cleaning failed"


def _processes_asked(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """The number of cleaning processes each run's LocalExecutor is made with."""
    import newsarchive.pipeline as pipeline

    asked: list[int] = []
    real = pipeline.LocalExecutor

    def spy(job, workers, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(workers)
        return real(job, workers, *args, **kwargs)

    monkeypatch.setattr(pipeline, "LocalExecutor", spy)
    return asked


def test_a_small_run_with_the_default_workers_is_cleaned_in_one_process(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import newsarchive.pipeline as pipeline

    asked = _processes_asked(monkeypatch)
    monkeypatch.setattr(pipeline, "usable_cores", lambda: 4)
    for n in range(3):
        write(tmp_path / "in" / f"{n}.txt", DUMP.replace("samedi matin", f"samedi matin {n}"))
    with Archive(tmp_path / "a.db") as archive:
        assert [o for o, _, _ in run(archive, tmp_path / "in").values()] == ["new"] * 3
        monkeypatch.setattr(pipeline, "SMALL_FILES", 2)  # three files to clean: no longer small
        write(tmp_path / "in" / "3.txt", DUMP.replace("samedi matin", "samedi matin 3"))
        assert [o for o, _, _ in run(archive, tmp_path / "in", force=True).values()].count("new") == 1
        monkeypatch.setattr(pipeline, "SMALL_FILES", 300)
        monkeypatch.setattr(pipeline, "SMALL_BYTES", len(DUMP) // 2)  # one file over the bytes bound
        run(archive, tmp_path / "in", force=True)
        run(archive, tmp_path / "in", force=True, workers=3)  # asked for: as asked
    assert asked == [1, 4, 4, 3]


def test_files_touched_but_unchanged_are_settled_by_their_hash_without_a_worker(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os

    import newsarchive.pipeline as pipeline

    write(tmp_path / "in" / "a.txt", DUMP)
    write(tmp_path / "in" / "b.txt", DUMP.replace("samedi matin", "dimanche soir"))
    with Archive(tmp_path / "a.db") as archive:
        first = run(archive, tmp_path / "in", workers=1)
        os.utime(tmp_path / "in" / "a.txt", ns=(1, 1))
        write(tmp_path / "in" / "b.txt", DUMP.replace("samedi matin", "lundi midi"))

        submitted: list[str] = []
        real = pipeline.LocalExecutor.submit

        def spy(self, task):  # type: ignore[no-untyped-def]
            submitted.append(Path(task.path).name)
            return real(self, task)

        monkeypatch.setattr(pipeline.LocalExecutor, "submit", spy)
        second = run(archive, tmp_path / "in", workers=1)
        assert submitted == ["b.txt"]  # a.txt was read and hashed by the writer
        assert second["a.txt"] == ("unchanged", None, first["a.txt"][2])
        assert second["b.txt"][0] == "updated"
        assert archive.file_state(str((tmp_path / "in" / "a.txt").resolve()))["mtime_ns"] == 1


def test_ctrl_c_while_the_run_looks_at_its_first_files_ends_it_as_interrupted(tmp_path: Path) -> None:
    for n in range(3):
        write(tmp_path / "in" / f"{n}.txt", DUMP.replace("samedi matin", f"samedi matin {n}"))

    def walk():  # type: ignore[no-untyped-def]
        found = list(discover([tmp_path / "in"]))
        yield from found[:2]
        raise KeyboardInterrupt

    with Archive(tmp_path / "a.db") as archive:
        with pytest.raises(KeyboardInterrupt):
            Ingester(archive, IngestOptions()).run(walk(), [str(tmp_path / "in")])
        assert archive.runs()[-1]["status"] == "interrupted"
        assert run(archive, tmp_path / "in") == {f"{n}.txt": ("new", None, n + 1) for n in range(3)}
