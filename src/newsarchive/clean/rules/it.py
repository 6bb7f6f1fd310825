"""Italian ("4 marzo 2024", "Pubblicato il"): full month names only."""

MONTHS = {
    "gennaio": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7,
    "agosto": 8, "settembre": 9, "ottobre": 10, "novembre": 11, "dicembre": 12,
}  # fmt: skip
PUBLISHED_CUES = (r"pubblicato",)
CUE_LINKS = (r"il",)
UPDATED_CUES = (r"aggiornato",)
