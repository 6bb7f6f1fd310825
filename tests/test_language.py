from newsarchive.clean.language import detect_language

from pages import DUMP, ENGLISH


def test_languages() -> None:
    assert detect_language(DUMP) == "fr"
    assert detect_language(ENGLISH) == "en"
    assert detect_language("") is None
    assert detect_language("12 34 -- !!") is None


def test_detection_is_reproducible() -> None:
    short = "Le festival commence demain soir dans le parc."
    assert len({detect_language(short) for _ in range(20)}) == 1
