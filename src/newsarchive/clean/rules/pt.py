"""Portuguese ("4 de março de 2024", "Publicado em"): full month names only."""

MONTHS = {
    "janeiro": 1, "fevereiro": 2, "março": 3, "abril": 4, "maio": 5, "junho": 6, "julho": 7,
    "agosto": 8, "setembro": 9, "outubro": 10, "novembro": 11, "dezembro": 12,
}  # fmt: skip
PUBLISHED_CUES = (r"publicado", r"publicada")
CUE_LINKS = (r"em",)
UPDATED_CUES = (r"atualizado",)
