from datetime import datetime

from newsarchive.clean.html import clean_html, html_to_text

from pages import HTML

NOW = datetime(2026, 11, 24)


def test_html_article() -> None:
    result = clean_html(HTML, NOW)
    assert result.title == "Le festival de jazz de Testville affiche complet"
    assert result.author == "Paul Rivière"
    assert result.site == "Info Test"
    assert result.url == "https://info-test.example/culture/festival-jazz"
    assert (result.published, result.date_source) == ("2024-06-21", "html-meta")
    paragraphs = result.text.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("Pour sa dixième édition")
    assert result.title not in result.text
    for dropped in ("Accueil", "Les plus lus", "Tous droits réservés", "parking"):
        assert dropped not in result.text


def test_future_date_in_metadata_is_refused() -> None:
    html = HTML.replace("2024-06-21T10:00:00+02:00", "2031-06-21T10:00:00+02:00")
    result = clean_html(html, NOW)
    assert result.published != "2031-06-21"


def test_page_without_a_body_for_trafilatura_falls_back_to_the_text_cleaner(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import trafilatura

    monkeypatch.setattr(trafilatura, "bare_extraction", lambda *a, **k: None)
    html = (
        "<html><body><div>Accueil</div><div>Le titre d'une brève de la commune de Test</div>"
        "<div>La piscine municipale rouvre lundi après deux mois de travaux.</div></body></html>"
    )
    result = clean_html(html, NOW)
    assert "La piscine municipale rouvre lundi" in result.text
    assert "Accueil" not in result.text
    assert result.fallback and result.title == "Le titre d'une brève de la commune de Test"


def test_html_to_text_puts_blocks_on_lines() -> None:
    text = html_to_text("<p>Un <b>mot</b></p><div>deux</div><script>x()</script><li>trois</li>")
    assert [line for line in text.split("\n") if line] == ["Un mot", "deux", "trois"]


def test_html_to_text_reads_a_page_that_opens_with_an_xml_declaration() -> None:
    # lxml refuses a str that declares its encoding; the page was read as text nonetheless.
    page = '<?xml version="1.0" encoding="iso-8859-1"?>\n<html><body>'
    page += "<p>Publié le 3 mai 2021</p><p>Été</p></body></html>"
    assert [line for line in html_to_text(page).split("\n") if line] == ["Publié le 3 mai 2021", "Été"]
    assert html_to_text("") == ""


def _padded(filler: str) -> str:
    return HTML.replace("</body>", filler + "</body>")


def test_a_page_of_thousands_of_hidden_promos_is_pruned_and_extracted_without_fallbacks(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import trafilatura

    calls: list[dict[str, object]] = []
    real = trafilatura.bare_extraction

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", spy)
    promos = '<div class="promo" style="display: none">Abonnez-vous à Info Test</div>' * 12_000
    copies = "<p>Lire aussi notre dossier</p>" * 12_000
    for filler in (promos, copies):
        result = clean_html(_padded(filler), NOW)
        assert [c["fast"] for c in calls] == [True]  # jusText would compare 12,000 paragraphs with neighbours
        calls.clear()
        assert result.text == clean_html(HTML, NOW).text
        calls.clear()
        assert "Abonnez" not in html_to_text(result.text)
        assert (result.title, result.published) == ("Le festival de jazz de Testville affiche complet", "2024-06-21")


def test_a_page_too_large_even_when_pruned_is_read_as_its_visible_text(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import trafilatura

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("trafilatura was run on a 30,000-element page")

    monkeypatch.setattr(trafilatura, "bare_extraction", refuse)
    result = clean_html(_padded("".join(f"<p>mot {n}</p>" for n in range(30_000))), NOW)
    assert result.fallback
    assert "Pour sa dixième édition" in result.text
    assert "mot 17" not in result.text


class _Doc:
    def __init__(self, text: str) -> None:
        self.text = text


def _spied_extraction(monkeypatch, fast_text: str | None) -> list[bool]:  # type: ignore[no-untyped-def]
    """trafilatura's extraction, its fast mode answering `fast_text` (None: as it would)."""
    import trafilatura

    modes: list[bool] = []
    real = trafilatura.bare_extraction

    def spy(*args: object, **kwargs: object) -> object:
        modes.append(bool(kwargs["fast"]))
        if kwargs["fast"] and fast_text is not None:
            return _Doc(fast_text)
        return real(*args, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", spy)
    return modes


def test_a_fast_extraction_far_shorter_than_the_pages_prose_is_done_again_in_full(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    modes = _spied_extraction(monkeypatch, "Un fragment de l'article, et rien d'autre.")
    result = clean_html(HTML, NOW)
    assert modes == [True, False]
    assert result.text.startswith("Pour sa dixième édition")


def test_a_fast_extraction_the_size_of_the_pages_prose_is_kept(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    modes = _spied_extraction(monkeypatch, None)
    assert clean_html(HTML, NOW).text.startswith("Pour sa dixième édition")
    assert modes == [True]


def test_a_fast_extraction_longer_than_the_pages_prose_is_done_again_in_full(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Short lines (a list of links) taken for text: more text than the page has prose.
    links = "\n".join(f"Lire aussi : le numéro {n} de notre série d'été" for n in range(30))
    modes = _spied_extraction(monkeypatch, links)
    clean_html(HTML, NOW)
    assert modes == [True, False]


def test_htmldate_runs_only_when_the_visible_text_gives_no_date(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import htmldate

    asked: list[object] = []
    real = htmldate.find_date

    def spy(*args: object, **kwargs: object) -> object:
        asked.append(kwargs.get("url"))
        return real(*args, **kwargs)

    monkeypatch.setattr(htmldate, "find_date", spy)
    assert clean_html(HTML, NOW).date_source == "html-meta"
    assert asked == ["https://info-test.example/culture/festival-jazz"]  # with the page's own URL
    asked.clear()
    dated = HTML.replace("<article>", "<article><p>Publié le 20 juin 2024 à 18h00</p>", 1)
    result = clean_html(dated, NOW)
    assert (result.published, asked) == ("2024-06-20T18:00", [])
