"""Publication dates: French and numeric date parsing, and the rules that keep wrong dates out.

A date is only ever returned with the place it was found. No date beats a wrong one: a year
alone, a month and year, a date inside a sentence of the body, an update date, or a date after
the moment of ingestion are never taken as the publication date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from newsarchive.clean import rules

MIN_YEAR = 1990

MONTHS = rules.months()  # every language module's month names and abbreviations (clean/rules/)
_MONTH_RE = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
_DAYS = rules.alternation("WEEKDAYS")
_TIME = (
    r"(?:\s*(?:" + "|".join(rules.fragments("TIME_LINKS")) + r"|,|-|–|•|\|)?\s*"
    r"(?P<hh>[01]?\d|2[0-3])\s*[:hH]\s*(?P<mm>[0-5]\d)\b"
    r"(?:\s*(?P<ampm>[ap])\.?m\b\.?)?)?"
)

_PATTERNS = [
    # 2026-03-09, 2026-03-09T19:36
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[T ](?P<hh>\d{2}):(?P<mm>\d{2}))?"),
    # 9 mars 2026, 1er mars 2026, lundi 9 mars 2026 à 19h36, 9 Mar. 2026 • 19:36; 9. März 2026;
    # 9 de marzo de 2026
    re.compile(
        rf"(?:\b{_DAYS}\.?,?\s+)?\b(?P<d>\d{{1,2}})(?:er|re|\.)?\s+(?:de\s+)?(?P<mon>{_MONTH_RE})\.?,?\s+(?:de\s+)?"
        rf"(?P<y>\d{{4}})(?!\d){_TIME}",
        re.IGNORECASE,
    ),
    # March 9, 2026
    re.compile(
        rf"(?:\b{_DAYS},?\s+)?\b(?P<mon>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})(?!\d){_TIME}",
        re.IGNORECASE,
    ),
    # 09/03/2026, 9.3.2026, 19/02/25: day first, as in French
    re.compile(rf"\b(?P<d>\d{{1,2}})[/.](?P<m>\d{{1,2}})[/.](?P<y>\d{{4}}(?!\d)|\d{{2}}\b){_TIME}"),
]

_CUE_WORDS = rules.alternation("PUBLISHED_CUES")
# "Publié le", "Published on", "Veröffentlicht am", "Publicado el", "Pubblicato il", "Gepubliceerd op"
_CUE_LINK = rules.alternation("CUE_LINKS")
PUBLISHED_CUE = re.compile(rf"^\W*{_CUE_WORDS}(?:\s+(?:{_CUE_LINK}|:))?\s*:?", re.IGNORECASE)
_NOT_BEFORE = "".join(f"(?<!{word} )" for word in rules.fragments("NOT_BEFORE_CUE"))
# The same cue inside a short line: "Recueilli par X. Publié le 02/11/2023 à 14h49".
_CUE_INSIDE = re.compile(rf"(?:^|[\s.|•,;–—-]){_NOT_BEFORE}{_CUE_WORDS}(?:\s+{_CUE_LINK})?\s*:?\s*", re.IGNORECASE)
BYLINE = re.compile(
    r"^(?:[^|•]{0,40}[|•]\s*)?(?:"
    + rules.alternation("BYLINE_PREFIXES")
    + r"\s+)?"
    + rules.alternation("BYLINE_WORDS")
    + r"\s+\S",
    re.IGNORECASE,
)
UPDATED_CUE = re.compile(r"\b" + rules.alternation("UPDATED_CUES") + r"\b", re.IGNORECASE)


_DIGIT = re.compile(r"\d")
_WEEKDAY = re.compile(_DAYS, re.IGNORECASE)


# Labels of dates that are not when the article was published: events, releases, deadlines.
NOT_PUBLICATION = re.compile(r"^\W*" + rules.alternation("NOT_PUBLICATION") + r"\b", re.IGNORECASE)


@dataclass(frozen=True)
class FoundDate:
    value: str  # ISO 8601: YYYY-MM-DD or YYYY-MM-DDTHH:MM
    start: int
    end: int
    ambiguous: bool = False  # all digits, and day and month could be swapped (03/04/2024)
    weekday: bool = False  # written with its day name ("jeudi 9 novembre 2023")

    @property
    def day(self) -> date:
        return date.fromisoformat(self.value[:10])


# After an explicit publication cue, a month name with a two-digit year is a date too
# ("Publié le 27 Mar 20 à 9:21"); elsewhere "27 mars 20" may be anything.
_SHORT_YEAR = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:er)?\s+(?P<mon>{_MONTH_RE})\.?\s+(?P<y>\d{{2}})\b(?!\s*[hH:]){_TIME}",
    re.IGNORECASE,
)


_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/_-]?(0[1-9]|1[0-2])[/_-]?(0[1-9]|[12]\d|3[01])(?=[/_.-]|$)")


def date_from_url(url: str, now: datetime | None = None) -> str | None:
    """A full date in a URL's path (`/2024/06/21/`, `/2024-06-21-titre`), never a year or month alone."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    match = _URL_DATE.search(path)
    if not match:
        return None
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return None if day > (now or datetime.now()).date() else day.isoformat()


def find_dates(text: str, now: datetime | None = None, after_cue: bool = False) -> list[FoundDate]:
    """Every full calendar date (day, month, year) in `text` that is not in the future."""
    if not _DIGIT.search(text):
        return []  # every date form has digits: most lines of a page are done here
    limit = (now or datetime.now()).date()
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for pattern in [*_PATTERNS, _SHORT_YEAR] if after_cue else _PATTERNS:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            value = _to_iso(match.groupdict())
            if value is None or date.fromisoformat(value[:10]) > limit:
                continue
            taken.append((match.start(), match.end()))
            groups = match.groupdict()
            day, month = groups.get("d"), groups.get("m")
            ambiguous = bool(month and day and int(day) <= 12 and int(month) <= 12 and int(day) != int(month))
            weekday = bool(_WEEKDAY.search(match.group(0)))
            found.append(FoundDate(value, match.start(), match.end(), ambiguous, weekday))
    found.sort(key=lambda f: f.start)
    return found


def parse_date(text: str, now: datetime | None = None) -> str | None:
    """The first date in `text` as ISO 8601, or None. For user input and tests."""
    dates = find_dates(text, now)
    return dates[0].value if dates else None


def _to_iso(groups: dict[str, str | None]) -> str | None:
    try:
        year = int(groups["y"] or "")
        name = groups.get("mon")
        month = MONTHS[name.lower().rstrip(".")] if name else int(groups.get("m") or "")
        day = int(groups["d"] or "")
    except (KeyError, ValueError):
        return None
    if year < 100:
        year += 2000 if year < 70 else 1900
    if year < MIN_YEAR:
        return None
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    hh, mm = groups.get("hh"), groups.get("mm")
    if hh is not None and mm is not None:
        hour, ampm = int(hh), (groups.get("ampm") or "").lower()
        if ampm and not 1 <= hour <= 12:
            return value.isoformat()  # "15:20 pm": not a time we can trust
        if ampm:
            hour = hour % 12 + (12 if ampm == "p" else 0)
        return f"{value.isoformat()}T{hour:02d}:{int(mm):02d}"
    return value.isoformat()


def date_dominated(line: str, now: datetime | None = None, max_other_words: int = 3) -> FoundDate | None:
    """The date of a line that is mostly a date (a dateline, a byline stamp), else None.

    A date inside a sentence ("Le 17 novembre 2023, Sam Altman était...") leaves too many other
    words and is refused: it is an event date, not a publication date.
    """
    if len(line) > 120 or UPDATED_CUE.search(line) or NOT_PUBLICATION.match(line):
        return None
    dates = find_dates(line, now)
    if not dates or len({found.value[:10] for found in dates}) != 1:
        return None  # one date, possibly repeated ("Nov 23, 2020 at 5:02 AM Nov 23, 2020 at 5:02 AM")
    found = dates[0]
    rest, end = "", 0
    for each in dates:
        rest, end = rest + line[end : each.start] + " ", each.end
    rest += line[end:]
    other_words = re.findall(r"[^\W\d_]{2,}", rest)
    if max_other_words and BYLINE.match(line):
        max_other_words += 5  # "Par Prénom Nom, le 15 septembre 2009": the author's name is allowed
    return found if len(other_words) <= max_other_words else None


def after_published_cue(line: str, now: datetime | None = None) -> FoundDate | bool | None:
    """For a "Publié le ..." line: its date, or False when the cue has nothing after it.

    Returns None when the line is not a publication cue at all.
    """
    if not _DIGIT.search(line):
        return False if PUBLISHED_CUE.match(line) else None
    cue = PUBLISHED_CUE.match(line)
    if not cue and len(line) <= 160:
        inside = [m for m in _CUE_INSIDE.finditer(line) if m.start() > 0]
        cue = next((m for m in inside if find_dates(line[m.end() : m.end() + 40], now)), None)
    if not cue or UPDATED_CUE.search(line[: cue.end()]):
        return None
    rest = line[cue.end() :]
    updated = UPDATED_CUE.search(rest)
    if updated:
        rest = rest[: updated.start()]
    dates = find_dates(rest, now, after_cue=True)
    if dates and dates[0].start < 40:
        return dates[0]
    return False
