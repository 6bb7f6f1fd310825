"""English: common on bilingual and international sites, and the second language of the date set."""

INTERFACE = (r"source link",)
RELATED = (r"related (?:posts|articles)", r"read more", r"you may also like")
PREV_NEXT = (r"previous", r"next")
PREV_NEXT_PREFIX = (r"post ",)
AUTHOR_CUES = (r"by", r"author")
AUTHOR_PREFIXES = (r"by",)
LABELS = (r"keywords", r"by")
NOTICE = (
    r"consent\w*",
    r"gdpr",
    r"privacy",
    r"personal data",
    r"tracking",
    r"partners?",
    r"terms of (?:use|service)",
    r"rights reserved",
    r"copyright",
    r"subscri\w+",
    r"advertis\w+",
    r"browser",
)

MONTHS = {
    "january": 1, "february": 2, "feb": 2, "march": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "october": 10, "november": 11, "december": 12,
}  # fmt: skip
WEEKDAYS = (r"monday", r"tuesday", r"wednesday", r"thursday", r"friday", r"saturday", r"sunday")
TIME_LINKS = (r"at",)
PUBLISHED_CUES = (r"posted", r"published", r"date")
CUE_LINKS = (r"on",)
BYLINE_WORDS = (r"by",)
BYLINE_PREFIXES = (r"written", r"posted")
UPDATED_CUES = (r"updated", r"last modified", r"print date")
NOT_PUBLICATION = (r"event", r"release", r"deadline", r"version", r"copyright")
