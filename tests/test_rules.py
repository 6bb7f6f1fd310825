"""The per-language rule modules: what each may set, and that the rules read them."""

import re
from datetime import datetime

import pytest

from newsarchive.clean import rules
from newsarchive.clean.dates import find_dates
from newsarchive.clean.text import clean_text


def test_languages_are_found_by_file_name_french_first() -> None:
    langs = rules.languages()
    assert langs[:2] == ("fr", "en")
    assert {"de", "es", "it", "nl", "pt"} <= set(langs)
    assert list(langs[2:]) == sorted(langs[2:])


@pytest.mark.parametrize("module", rules.modules(), ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_a_module_sets_only_known_fields_and_every_fragment_compiles(module: object) -> None:
    names = {n for n in vars(module) if n.isupper()}
    assert names <= set(rules.FIELDS), f"unknown rules field: {sorted(names - set(rules.FIELDS))}"
    for name in names:
        value = getattr(module, name)
        if name == "MONTHS":
            assert all(isinstance(k, str) and 1 <= v <= 12 for k, v in value.items())
        else:
            assert isinstance(value, tuple) and value, name
            for fragment in value:
                re.compile(fragment)


def test_fragments_merge_in_module_order_once_each() -> None:
    cues = rules.fragments("PUBLISHED_CUES")
    assert cues.index("publié") < cues.index("published") < cues.index("veröffentlicht")
    assert cues.count("publicado") == 1  # Spanish and Portuguese both give it
    with pytest.raises(KeyError):
        rules.fragments("NO_SUCH_FIELD")


def test_every_language_month_parses() -> None:
    now = datetime(2026, 11, 24)
    # Portuguese November was missing when the months were one dict in dates.py.
    assert [f.value for f in find_dates("Publicado em 4 de novembro de 2024", now)] == ["2024-11-04"]
    for name, number in rules.months().items():
        assert [f.value for f in find_dates(f"3 {name} 2021", now)] == [f"2021-{number:02d}-03"], name


def test_the_cleaner_reads_its_words_from_the_rules() -> None:
    # A line of the French INTERFACE list goes; the same line is kept if the list lacked it.
    body = "Le conseil municipal a voté hier soir le budget de la ville pour la prochaine année scolaire."
    raw = "\n".join(["Titre de l'article du jour", body, body.replace("hier", "lundi"), "Mentions légales"])
    result = clean_text(raw, datetime(2026, 11, 24), scorer=False)
    assert "Mentions légales" not in result.text
    assert any(re.fullmatch(fragment, "mentions legales") for fragment in rules.fragments("INTERFACE"))
