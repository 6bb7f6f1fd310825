"""Dutch ("4 maart 2024", "Gepubliceerd op"): full month names only."""

MONTHS = {
    "januari": 1, "februari": 2, "maart": 3, "april": 4, "mei": 5, "juni": 6, "juli": 7,
    "augustus": 8, "september": 9, "oktober": 10, "november": 11, "december": 12,
}  # fmt: skip
PUBLISHED_CUES = (r"gepubliceerd",)
CUE_LINKS = (r"op",)
UPDATED_CUES = (r"bijgewerkt",)
