from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsarchive.clean.dates import after_published_cue, date_dominated, find_dates, parse_date

NOW = datetime(2026, 11, 24, 12, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-09", "2026-03-09"),
        ("date 2026-03-09 TENDANCES", "2026-03-09"),
        ("2024-05-01T08:30:00+02:00", "2024-05-01T08:30"),
        ("9 mars 2026", "2026-03-09"),
        ("1er mars 2021", "2021-03-01"),
        ("lundi 1er mars 2021 à 19h36", "2021-03-01T19:36"),
        ("9 Mar. 2026 • 19:36", "2026-03-09T19:36"),
        ("12 févr. 2024", "2024-02-12"),
        ("3 AOÛT 2023", "2023-08-03"),
        ("15 decembre 2019", "2019-12-15"),
        ("March 9, 2026", "2026-03-09"),
        ("09/03/2026", "2026-03-09"),  # day first, as in French
        ("19/02/25", "2025-02-19"),
        ("3.4.2022", "2022-04-03"),
        # other languages of the web, as pages in them write dates
        ("27. März 2020", "2020-03-27"),
        ("Dienstag, 2. November 2021", "2021-11-02"),
        ("Mi, 18. Oktober 2023 um 12:50 Uhr", "2023-10-18T12:50"),
        ("January 13, 2020 at 08:45 PM", "2020-01-13T20:45"),
        ("Nov 2, 2023 at 12:05 am", "2023-11-02T00:05"),
        ("3 mars 2021 à 15:20 pm", "2021-03-03"),  # no such time: the day alone
        ("4 de marzo de 2024", "2024-03-04"),
        ("4 marzo 2024", "2024-03-04"),
        ("4 de março de 2024", "2024-03-04"),
        ("12 maart 2021", "2021-03-12"),
        # a year run into the next word, as a dump glues inline elements
        ("15. April 2016Samstag", "2016-04-15"),
        ("November 3, 2023Updated", "2023-11-03"),
    ],
)
def test_parse_date_forms(text: str, expected: str) -> None:
    assert parse_date(text, NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024",  # a year alone is not a date
        "en octobre 2023",  # nor a month and year
        "31/02/2020",  # no such day
        "13/13/2020",
        "2027-01-01",  # after the moment of ingestion
        "1 janvier 1850",  # before the web
        "",
    ],
)
def test_parse_date_refuses(text: str) -> None:
    assert parse_date(text, NOW) is None


def test_date_inside_a_sentence_is_not_a_dateline() -> None:
    assert date_dominated("Le 17 novembre 2023, Sam Altman était au sommet de sa carrière.", NOW) is None
    found = date_dominated("Publié le 3 avril 2024", NOW)
    assert found is not None and found.value == "2024-04-03"


def test_updated_dates_are_never_datelines() -> None:
    assert date_dominated("Mis à jour le 4 avril 2024", NOW) is None


def test_published_cue() -> None:
    found = after_published_cue("Publié le 3 janvier 2024 à 10h05, mis à jour le 4 janvier 2024", NOW)
    assert not isinstance(found, bool) and found is not None and found.value == "2024-01-03T10:05"
    assert after_published_cue("Publié le:", NOW) is False  # the cue with nothing after it
    assert after_published_cue("Le conseil a publié un rapport", NOW) is None


@given(st.text(max_size=300))
def test_find_dates_never_fails_and_never_returns_the_future(text: str) -> None:
    for found in find_dates(text, NOW):
        assert found.day <= NOW.date()
        assert 0 <= found.start < found.end <= len(text)


@given(st.dates(min_value=datetime(1990, 1, 1).date(), max_value=NOW.date()))
def test_round_trip_french_long_form(day) -> None:  # type: ignore[no-untyped-def]
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre"]  # fmt: skip
    assert parse_date(f"{day.day} {months[day.month - 1]} {day.year}", NOW) == day.isoformat()
    assert parse_date(f"{day.day:02d}/{day.month:02d}/{day.year}", NOW) == day.isoformat()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("par Florence Martin , le 15 septembre 2009", "2009-09-15"),
        ("Accueil | Par Loïc Durand | 30 septembre 2018", "2018-09-30"),
        ("Date 23.05.2011", "2011-05-23"),
        ("Written by Ana Sandoiu on July 27, 2017", "2017-07-27"),
        ("von Stefan Beiersmann am 29. Mai 2017 , 14:14 Uhr", "2017-05-29T14:14"),
        ("Nov 23, 2020 at 5:02 AM Nov 23, 2020 at 5:02 AM", "2020-11-23T05:02"),  # one date, twice
    ],
)
def test_bylines_with_a_name_are_datelines(line: str, expected: str) -> None:
    found = date_dominated(line, NOW) or after_published_cue(line, NOW)
    assert found and not isinstance(found, bool) and found.value == expected


def test_cue_inside_a_short_line() -> None:
    found = after_published_cue("Le Quotidien Recueilli par Jean DUPONT. Publié le 02/11/2023 à 14h49", NOW)
    assert not isinstance(found, bool) and found is not None and found.value == "2023-11-02T14:49"
    assert after_published_cue("Cet article, initialement publié en avril 2017, a été mis à jour.", NOW) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Veröffentlicht am 13. März 2019 von Michael M.", "2019-03-13"),
        ("Veröffentlicht von Redaktion am 23. Februar 2020", "2020-02-23"),
        ("Publicado el 4 de marzo de 2024", "2024-03-04"),
        ("Pubblicato il 4 marzo 2024", "2024-03-04"),
        ("Gepubliceerd op 12 maart 2021", "2021-03-12"),
    ],
)
def test_published_cues_in_other_languages(line: str, expected: str) -> None:
    found = after_published_cue(line, NOW)
    assert found and not isinstance(found, bool) and found.value == expected


def test_two_different_dates_make_no_dateline() -> None:
    assert date_dominated("Nov 23, 2020 - Nov 24, 2020", NOW) is None


def test_a_year_followed_by_digits_is_no_date() -> None:
    assert parse_date("1. November 20161", NOW) is None


@given(st.text(alphabet=st.sampled_from("0123456789 .,:/-amp\u00e4rzMaiJuniOktoberNovUhrvonby"), max_size=80))
def test_a_dateline_is_always_one_of_the_dates_in_its_line(line: str) -> None:
    found = date_dominated(line, NOW)
    if found is not None:
        assert found in find_dates(line, NOW)
        assert len({d.value[:10] for d in find_dates(line, NOW)}) == 1
