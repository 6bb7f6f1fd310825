from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.clean.text import clean_text, is_prose

from pages import DUMP, ENGLISH

NOW = datetime(2026, 11, 24)


def test_dump_keeps_the_article_and_drops_the_page_around_it() -> None:
    result = clean_text(DUMP, NOW)
    paragraphs = result.text.split("\n\n")
    assert paragraphs[0].startswith("La ressourcerie installée dans l'ancienne gare")
    assert "Un projet porté par les habitants" in paragraphs  # a subheading inside the body
    assert paragraphs[-1].startswith("Six salariés en insertion")
    for dropped in [
        "Se connecter",
        "Par Odile Lambert",
        "Publié le",
        "Mis à jour",
        "Partager",
        "Léon Marchal",  # a name alone between paragraphs: a caption
        "je suis passionnée",  # the author's bio
        "À lire aussi",
        "piste cyclable",
        "#testville",
        "Laisser un commentaire",
        "ne sera pas publiée",
        "ActualitésSociété",
    ]:
        assert dropped not in result.text, dropped
    assert result.title not in paragraphs


def test_dump_metadata() -> None:
    result = clean_text(DUMP, NOW)
    assert result.title == "La commune de Testville ouvre une ressourcerie dans l'ancienne gare"
    assert result.author == "Odile Lambert"
    assert (result.published, result.date_source) == ("2024-04-03T09:10", "byline")
    assert result.tags == ["testville", "ressourcerie", "recyclage"]


def test_date_inside_the_body_is_not_the_publication_date() -> None:
    dump = DUMP.replace("Publié le 3 avril 2024 à 09h10\n", "")
    result = clean_text(dump, NOW)
    assert result.published is None and result.date_source is None


def test_empty_cue_means_no_date() -> None:
    dump = "Titre de l'article sur la commune\nPublié le:\n5 min de lecture\n" + DUMP.split("Partager\n")[1]
    assert clean_text(dump, NOW).published is None


def test_lone_trailing_date_is_a_footer_date() -> None:
    body = DUMP.split("Partager\nFacebook\n")[1].split("Léon")[0]
    result = clean_text("Le titre de cet article de test\n" + body + "\n19/02/24\n", NOW)
    assert (result.published, result.date_source) == ("2024-02-19", "footer")
    assert "19/02/24" not in result.text


def test_truncated_headline_only() -> None:
    body = DUMP.split("Partager\nFacebook\n")[1].split("Léon")[0]
    result = clean_text("la commune ouvre une ressourcerie dans l'anc …\n\n" + body, NOW)
    assert result.title == "la commune ouvre une ressourcerie dans l'anc…"
    assert not any(p.startswith("la commune ouvre") for p in result.text.split("\n\n"))


def test_prose_detection() -> None:
    assert is_prose("Le conseil municipal a voté lundi une subvention pour la nouvelle salle.")
    assert not is_prose("Le conseil municipal vote une subvention")  # a headline
    assert not is_prose("Accueil")
    assert not is_prose("Le secteur crypto indien, longtemps boudé, connaît un revirement...")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=120), st.sampled_from(DUMP.splitlines())), max_size=40))
def test_cleaner_never_fails_and_only_keeps_input_lines(lines: list[str]) -> None:
    raw = "\n".join(lines)
    result = clean_text(raw, NOW)
    kept = [p for p in result.text.split("\n\n") if p]
    normalised = {ln.text for ln in result.lines}
    assert all(p in normalised for p in kept)
    assert result.published is None or result.published[:10] <= "2026-11-24"


def test_a_lone_prose_line_among_menus_does_not_start_the_article() -> None:
    cookie = "Nous utilisons des cookies pour vous offrir la meilleure expérience sur notre site."
    dump = DUMP.replace("Se connecter\n", f"Se connecter\n{cookie}\nRecherche\nNewsletter\nContact\nBoutique\n")
    result = clean_text(dump, NOW)
    assert cookie not in result.text
    assert result.title == "La commune de Testville ouvre une ressourcerie dans l'ancienne gare"
    assert result.published == "2024-04-03T09:10"


def test_dumps_in_other_languages_keep_their_article() -> None:
    english = clean_text(ENGLISH, NOW)
    assert english.text.startswith("The town council voted on Monday evening")
    assert english.title == "Town council approves the new library"
    german = (
        "Startseite\nPolitik\nNeue Regeln für den Stadtpark\n"
        "Der Stadtrat hat am Dienstag neue Regeln für den Stadtpark beschlossen, die ab dem Sommer gelten.\n"
        "Neue Öffnungszeiten\n"
        "Der Park wird künftig um Mitternacht geschlossen, damit die Anwohner in der Nacht mehr Ruhe haben.\n"
        "Impressum\n"
    )
    result = clean_text(german, NOW)
    assert result.text.split("\n\n") == [
        "Der Stadtrat hat am Dienstag neue Regeln für den Stadtpark beschlossen, die ab dem Sommer gelten.",
        "Neue Öffnungszeiten",  # a German subheading, not a name: nouns are capitalised there
        "Der Park wird künftig um Mitternacht geschlossen, damit die Anwohner in der Nacht mehr Ruhe haben.",
    ]


P1 = "La municipalité a présenté mardi soir son plan pour rénover les écoles du centre, un chantier attendu depuis des années par les parents d'élèves."
P2 = "Les travaux commenceront par le groupe scolaire Jean-Moulin, dont la toiture fuit depuis l'hiver dernier, et se poursuivront pendant trois ans."
P3 = "Le coût total est estimé à douze millions d'euros, financés pour moitié par la commune et pour le reste par le département et la région."
P4 = "Les associations de parents saluent un projet ambitieux mais demandent à être consultées avant chaque étape, notamment pour les cantines."


def test_an_article_split_by_an_advert_is_kept_whole() -> None:
    ads = "\n".join(["Publicité", "Offres du moment", "Voyages", "Immobilier", "Emploi", "Annonces", "Jeux"])
    dump = f"Les écoles du centre seront rénovées\n{P1}\n{P2}\n{ads}\n{P3}\n{P4}\n"
    assert clean_text(dump, NOW).text.split("\n\n") == [P1, P2, P3, P4]


def test_teasers_and_comments_after_the_article_are_dropped() -> None:
    teasers = "\n".join(
        [
            "À lire aussi",
            "Le marché de Noël s'installe place de la République",
            "Les commerçants du centre-ville espèrent une saison meilleure que l'an dernier, malgré les travaux.",
            "Une nouvelle ligne de bus pour desservir la zone industrielle",
            "La ligne 12 reliera la gare à la zone industrielle toutes les vingt minutes à partir de janvier.",
        ]
    )
    comments = "\n".join(
        [
            "3 commentaires",
            "Marcel",
            "Il était temps que la mairie s'occupe enfin de nos écoles, mes enfants ont eu froid tout l'hiver dernier.",
        ]
    )
    dump = f"Les écoles du centre seront rénovées\n{P1}\n{P2}\n{P3}\n{P4}\n{teasers}\n{comments}\n"
    assert clean_text(dump, NOW).text.split("\n\n") == [P1, P2, P3, P4]


def test_calls_to_action_and_glued_inline_links() -> None:
    newsletter = "Recevez chaque matin l'essentiel de l'actualité en vous inscrivant gratuitement à notre newsletter."
    glued = (
        "À LIRE AUSSI Le budget voté hier soirLa mairie rappelle que les travaux seront menés pendant les vacances "
        "scolaires pour ne pas gêner les cours, et que les familles seront prévenues un mois avant chaque fermeture."
    )
    dump = f"Les écoles du centre seront rénovées\n{P1}\n{newsletter}\n{P2}\n{glued}\n{P3}\n"
    paragraphs = clean_text(dump, NOW).text.split("\n\n")
    assert newsletter not in paragraphs
    assert glued in paragraphs  # the link ran into the next paragraph: the paragraph must stay


def test_standfirst_between_headline_and_body_is_kept() -> None:
    standfirst = "Le chantier, évalué à douze millions d'euros, durera trois ans."
    furniture = "\n".join(
        ["Par Anne Dubois", "Publié le 3 mars 2024", "Partager", "Facebook", "Twitter", "Copier le lien", "Imprimer"]
    )
    menu = "\n".join(["Accueil", "Politique", "Société", "Sport", "Culture", "Météo", "Jeux", "Annonces"])
    dump = f"{menu}\nLes écoles du centre seront rénovées\n{standfirst}\n{furniture}\n{P1}\n{P2}\n{P3}\n"
    result = clean_text(dump, NOW)
    assert result.text.split("\n\n") == [standfirst, P1, P2, P3]
    assert (result.published, result.date_source) == ("2024-03-03", "byline")


def test_dates_that_are_not_the_publication_date() -> None:
    body = f"{P1}\n{P2}\n{P3}\n"
    widget = "Jeudi 9 novembre 2023\n" + "\n".join(
        ["Accueil", "Politique", "Société", "Sport", "Culture", "Météo", "Jeux", "Annonces"]
    )
    assert clean_text(f"{widget}\nLes écoles du centre seront rénovées\n{body}", NOW).published is None
    tweet = "— Marie Martin (@mariemartin) March 3, 2024"
    assert clean_text(f"Les écoles du centre seront rénovées\n{tweet}\n{body}", NOW).published is None
    english = ENGLISH.replace(
        "Town council approves the new library\n", "Town council approves the new library\n06/01/2020\n"
    )
    assert clean_text(english, NOW).published is None  # June 1st or January 6th: no guess
    agenda = "\n".join(["12/01/2024 Concert", "19/01/2024 Théâtre", "26/01/2024 Cinéma"])
    assert clean_text(f"Les écoles du centre seront rénovées\n{agenda}\n{body}", NOW).published is None


def test_a_list_of_teasers_with_their_publication_dates_gives_no_date() -> None:
    # Each teaser says when it was published; none of them says when this article was.
    paragraph = (
        "Le conseil municipal a voté mardi soir un budget en hausse pour les écoles de la ville, "
        "après un long débat sur le prix des cantines et l'entretien des bâtiments. "
    )
    teasers = [
        "Les marchés de Noël ouvrent leurs portes publié le 20 janvier 2022",
        "Un nouveau gymnase pour le quartier nord publié le 1 janvier 2022",
        "La piscine fermée pour travaux publié le 24 janvier 2022",
    ]
    page = "\n".join(["Un budget en hausse pour les écoles", "", paragraph * 3, "", paragraph * 2, "", *teasers])
    result = clean_text(page, NOW)
    assert result.published is None
    assert "piscine" not in result.text
    # The same teaser alone, with the article's own byline above: the byline's date.
    byline = "Publié le 3 février 2022"
    page = "\n".join(["Un budget en hausse pour les écoles", byline, paragraph * 3, "", *teasers])
    assert clean_text(page, NOW).published == "2022-02-03"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=40) | st.text(max_size=40))
def test_fold_by_its_lookup_tuple_is_the_fold_of_its_mapping(text: str) -> None:
    # The fold table is a tuple indexed by code point (a quicker look-up than the dict it is made
    # from); any text, in or past the table's range, folds as the mapping would fold it.
    import unicodedata

    from newsarchive.textutil import _FOLD_MAP, fold

    folded = text.casefold().translate(_FOLD_MAP)
    if any(ord(c) > 0x24F and not 0x2000 <= ord(c) <= 0x206F and c != "€" for c in folded):
        folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    assert fold(text) == folded
    assert fold("Cœur ÉTÉ Łódź") == "coeur ete lodz"
