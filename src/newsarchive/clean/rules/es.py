"""Spanish ("4 de marzo de 2024", "Publicado el"): full month names only."""

MONTHS = {
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}  # fmt: skip
PUBLISHED_CUES = (r"publicado", r"publicada")
CUE_LINKS = (r"el",)
UPDATED_CUES = (r"actualizado",)
