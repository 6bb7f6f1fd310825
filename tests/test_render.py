"""Article contents are strangers' strings: they must never style or move the terminal."""

import io
import subprocess
import sys

from rich.console import Console

from newsarchive import render

HOSTILE = {
    "id": 1,
    "title": "[bold red]Alerte[/] \x1b[2J\x1b]0;pwned\x07 [link=https://evil.example]clic[/link]",
    "published": "2024-01-01",
    "date_source": "byline",
    "site": "[blink]site[/blink]",
    "author": None,
    "lang": "fr",
    "words": 3,
    "tags": ["[red]x"],
    "text": "Texte \x1b[31mrouge\x1b[0m [i]italique[/i]",
    "path": "/in/x.txt",
    "url": None,
    "snippet": "\x02mot\x03 [bold]pas gras[/bold] \x1b[1m",
}


def rendered(renderable: object) -> str:
    out = io.StringIO()
    Console(file=out, force_terminal=True, width=200, color_system="standard").print(renderable)
    return out.getvalue()


def test_markup_and_escapes_in_articles_are_shown_literally() -> None:
    for renderable in (
        render.articles_table([HOSTILE]),
        render.search_table([HOSTILE]),
        render.article_panel(HOSTILE, []),
    ):
        text = rendered(renderable)
        assert "[bold red]Alerte[/]" in text or "[bold red]" in text
        assert "\x1b[2J" not in text and "\x1b]0;" not in text and "\x07" not in text
        assert "\x1b]8;" not in text  # no hyperlink escape was produced from [link=...]
    assert "\x1b[31m" not in render.plain_article(HOSTILE, [])
    assert render.visible_controls("a\x1b[2Jb") == "a\\x1b[2Jb"


def test_library_modules_do_not_import_click_or_rich() -> None:
    code = "import sys, newsarchive.archive, newsarchive.pipeline, newsarchive.export;print('rich' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
