"""German ("27. März 2020", "Veröffentlicht am"): the third language of the date set."""

NOTICE = (
    r"dsgvo",
    r"datenschutz\w*",
    r"personenbezogen\w*",
    r"impressum",
    r"nutzungsbedingungen",
    r"rechte vorbehalten",
    r"abonnier\w*",
    r"anmeld\w+",
    r"registrier\w*",
    r"werbung",
)

MONTHS = {
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "mär": 3, "mrz": 3, "april": 4,
    "mai": 5, "juni": 6, "juli": 7, "august": 8, "september": 9, "oktober": 10, "okt": 10,
    "november": 11, "dezember": 12, "dez": 12,
}  # fmt: skip
WEEKDAYS = (r"montag", r"dienstag", r"mittwoch", r"donnerstag", r"freitag", r"samstag", r"sonnabend", r"sonntag")
TIME_LINKS = (r"um",)
PUBLISHED_CUES = (r"veröffentlicht", r"erschienen", r"erstellt", r"datum")
CUE_LINKS = (r"am",)
BYLINE_WORDS = (r"von",)
UPDATED_CUES = (r"aktualisiert", r"geändert", r"druckdatum")
NOT_PUBLICATION = (r"termin", r"veranstaltung")
