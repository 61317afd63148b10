"""Dates: the forms read without ``--date-format``, the window of real event dates, Excel serials,
and the fast Arrow path for columns already written YYYY-MM-DD.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Dates in this form within 1900-2099 that Arrow accepts as dates are exactly what pandas parses
# and formats back unchanged; anything else takes the pandas path.
ISO_DATE = r"^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}$"


def all_iso_dates(values: pd.Series) -> bool:
    """True when every value is empty or a real calendar date written YYYY-MM-DD, within
    :func:`date_window`.

    pandas would parse and format such dates back to the same text, so they need no work; one
    odd value anywhere sends the column down the exact pandas path.
    """
    dates = _iso_dates(values)
    if dates is None or dates.null_count == len(dates):
        return dates is not None
    first, last = date_window()
    bounds = pc.min_max(dates)
    return bounds["min"].as_py() >= first and bounds["max"].as_py() <= last


def _iso_dates(values: pd.Series) -> pa.Array | None:
    """The values as Arrow dates (null where empty) when every value is empty or a real
    calendar date written YYYY-MM-DD (1900-2099); None otherwise."""
    try:
        array = pa.array(values.array)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    present = pc.not_equal(array, "")
    if pc.all(pc.match_substring_regex(pc.filter(array, present), ISO_DATE)).as_py() is False:
        return None
    try:
        return pc.cast(pc.if_else(present, array, None), pa.date32())
    except pa.ArrowInvalid:
        return None


def date_values(values: pd.Series) -> pd.Series:
    """The dates of a column as pandas reads them (``pd.to_datetime``; empty and unreadable
    values are NaT). A column of YYYY-MM-DD dates, what :func:`read_records` keeps, is parsed
    by Arrow: pandas takes seconds for a million of them."""
    dates = _iso_dates(values)
    if dates is None or dates.null_count == len(dates):
        return pd.to_datetime(values.fillna("").astype(str).replace("", None), errors="coerce")
    return pd.Series(dates.to_numpy(zero_copy_only=False).astype(_parsed_date_type()),
                     index=values.index, name=values.name)


@functools.cache
def _parsed_date_type() -> np.dtype:
    """The dtype pandas gives YYYY-MM-DD dates (its resolution changes between versions)."""
    return pd.to_datetime(pd.Series(["2000-01-01"])).dtype


_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for name in names}
#: a time of day: 24-hour (``22:30``, ``22:30:05.5``), or 12-hour with AM/PM after it
#: (``10:30 PM``, ``10:30 p.m.``) or 上午/下午 before it (``下午3:30``), then a time zone
_CLOCK = (r"(?:(?:0?\d|1[0-2]):\d{2}(?::\d{2}(?:\.\d+)?)?\s*[AP]\.?M\.?"
          r"|(?:上午|下午)\s*(?:0?\d|1[0-2]):\d{2}(?::\d{2}(?:\.\d+)?)?"
          r"|\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|[+-]\d{2}:?\d{2})?")
_TIME = rf"(?:[T ]\s*{_CLOCK})?"
#: a time after a date (stripped before ``--date-format`` is tried a second time)
_TRAILING_TIME = rf"(?:T\s*|\s+){_CLOCK}$"
#: flags of every date pattern: month names in any case; ``\d`` is ASCII 0-9 only (full-width
#: digits are made ASCII first, by NFKC; digits of other scripts are no recognised form)
_DATE_FLAGS = re.IGNORECASE | re.ASCII
#: The date forms read without ``--date-format``: each says which part is the year, the month
#: and the day, so none is ambiguous (docs/input.md). A time after the date is ignored (the
#: date is taken as written, with no time zone conversion).
DATE_FORMS: tuple[tuple[str, re.Pattern], ...] = (
    ("YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD (one-digit month and day too, a time may follow)",
     re.compile(rf"(?P<y>\d{{4}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}}){_TIME}")),
    # a compact time may follow (20200105103000, 20200105T1030: yyyyMMddHHmmss, as Chinese
    # order systems write it; REPORT4 item 5)
    ("YYYYMMDD (a time HHMM or HHMMSS may follow)",
     re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:T?(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d)?)?")),
    ("YYYY年M月D日",
     re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?"
                rf"(?:\s*{_CLOCK})?")),
    ("D Mon YYYY, D-Mon-YYYY, D Month YYYY",
     re.compile(rf"(?P<d>\d{{1,2}})[ -](?P<m>[A-Za-z]{{3,9}})\.?[ -](?P<y>\d{{4}}){_TIME}")),
    ("Mon D, YYYY and Month D YYYY",
     re.compile(rf"(?P<m>[A-Za-z]{{3,9}})\.? (?P<d>\d{{1,2}}),? (?P<y>\d{{4}}){_TIME}")),
)
#: day and month as numbers with the year last: 01/05/2020 is 1 May or 5 January
_AMBIGUOUS = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{4}" + _TIME)


#: No marketplace store opened or was suspended before this day: an earlier date is a
#: placeholder of the export (1900-01-01, 1970-01-01, Excel's 1899-12-30), not an event.
FIRST_DATE = date(1990, 1, 1)


def date_window() -> tuple[date, date]:
    """The dates an export's events can have: from :data:`FIRST_DATE` to tomorrow (UTC, so
    that no time zone's today is in the future). Later dates are placeholders (9999-12-31,
    2099-12-31) or typos; taken as real they would overflow pandas' timestamps (past 2262)
    or score a store as opened decades after a ban."""
    return FIRST_DATE, datetime.now(UTC).date() + timedelta(days=1)


def same_order_formats(date_format: str) -> list[str]:
    """``date_format`` and, when one of ``/ . -`` separates its fields, the same order with
    each of the others: ``--date-format`` gives a column's order, and an export may write
    ``05/03/2024`` beside ``05.03.2024`` (REPORT9 item 9).

    >>> same_order_formats("%d/%m/%Y"), same_order_formats("%Y%m%d")
    (['%d/%m/%Y', '%d.%m.%Y', '%d-%m-%Y'], ['%Y%m%d'])
    """
    separators = set(re.sub(r"%.", "", date_format))
    if len(separators) != 1 or not separators <= set("/.-"):
        return [date_format]
    (written,) = separators
    return [date_format, *(date_format.replace(written, other) for other in "/.-"
                           if other != written)]


def parse_dates(values: pd.Series, date_format: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Read dates written in any form of :data:`DATE_FORMS` (and ``date_format`` first).

    Returns the dates as ``YYYY-MM-DD`` text ("" where empty or unreadable) and, per value, why
    it could not be read ("" where it could, or was empty).

    >>> dates, why = parse_dates(pd.Series(["2020/1/5", "5 Jan 2020", "01/05/2020", ""]))
    >>> dates.tolist(), why.tolist()[2][:30]
    (['2020-01-05', '2020-01-05', '', ''], 'day and month order unknown: g')
    """
    values = values.fillna("").astype(str).str.strip()
    wide = ~values.str.isascii()
    if wide.any():  # full-width digits, separators and spaces (２０２４－０３－０５) as ASCII
        values = values.where(~wide, values[wide].str.normalize("NFKC").str.strip())
    present = values != ""
    result = pd.Series("", index=values.index, dtype=object)
    todo = present.copy()
    if date_format:
        for fmt in same_order_formats(date_format):
            for text in (values, values.str.replace(_TRAILING_TIME, "", regex=True,
                                                    flags=_DATE_FLAGS)):
                parsed = pd.to_datetime(text.where(todo), format=fmt, errors="coerce")
                found = todo & parsed.notna()
                result[found] = parsed[found].dt.strftime("%Y-%m-%d")
                todo &= ~found
    impossible = pd.Series(False, index=values.index)
    for _, pattern in DATE_FORMS:
        if not todo.any():
            break
        parts = values[todo].str.extract(f"^{pattern.pattern}$", flags=_DATE_FLAGS)
        matched = parts["y"].notna()
        if not matched.any():
            continue
        parts = parts[matched]
        months = parts["m"].str.lower().map(lambda m: str(_MONTHS.get(m, m)))
        named = months.str.isdigit()  # "Foo 5, 2020" is not a date form at all
        parts, months = parts[named], months[named]
        text = parts["y"] + "-" + months.str.zfill(2) + "-" + parts["d"].str.zfill(2)
        parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        result[parsed.index[parsed.notna()]] = parsed.dropna().dt.strftime("%Y-%m-%d")
        impossible[parsed.index[parsed.isna()]] = True
        todo[parts.index] = False
    reasons = pd.Series("", index=values.index, dtype=object)
    first, last = (day.isoformat() for day in date_window())
    early, late = (result != "") & (result < first), result > last
    reasons[early] = (f"before {first}, when no marketplace store had opened: a placeholder "
                      "(1900-01-01, 1970-01-01)?")
    reasons[late] = f"after {last}, in the future: a placeholder (9999-12-31)?"
    result[early | late] = ""
    unread = present & (result == "") & ~early & ~late
    if unread.any():
        ambiguous = values.str.fullmatch(_AMBIGUOUS.pattern, flags=_DATE_FLAGS)
        given = f" nor {date_format}" if date_format else ""
        reasons[unread] = f"not a date in a recognised form{given} (docs/input.md)"
        # 13/01/2020 reads only day first; still dropped: a column's order is given, never
        # guessed from some of its values (its 01/02/2020 would be read either way)
        fields = values[unread & ambiguous].str.extract(r"^(\d{1,2})([-/.])(\d{1,2})([-/.])")
        first, second = fields[0].astype(int) > 12, fields[2].astype(int) > 12
        # the formats named are the value's own separators: 5.3.2024 is not read by %d/%m/%Y
        day_first, month_first = (f"%{a}" + fields[1] + f"%{b}" + fields[3] + "%Y"
                                  for a, b in (("d", "m"), ("m", "d")))
        reasons.update("day and month order unknown: give --date-format " + day_first
                       + " or " + month_first)
        guessed = " (graphaudit does not guess a column's order from some of its values)"
        only = ("day and month order unknown: this date reads only {} first, but the column's "
                f"order is not given{guessed}: give --date-format ")
        reasons.update((only.format("day") + day_first)[first & ~second])
        reasons.update((only.format("month") + month_first)[second & ~first])
        reasons[first[first & second].index] = "not a real calendar date"
        reasons[unread & impossible] = "not a real calendar date"
        reasons.update(_excel_serials(values[unread]))
    return result, reasons


def needs_date_format(date_format: str) -> bool:
    """Whether dates written in strftime ``date_format`` are read only with ``--date-format``
    (:func:`parse_dates` leaves them unread by themselves: a day-first order, say).

    >>> needs_date_format("%Y年%m月%d日"), needs_date_format("%d/%m/%Y")
    (False, True)
    """
    written = pd.Series([date(2023, 1, 17).strftime(date_format),
                         date(2023, 5, 3).strftime(date_format)])
    return bool((parse_dates(written)[0] == "").any())


EXCEL_DAY_ZERO = date(1899, 12, 30)  # Excel's 1900 date system: day 1 is 1900-01-01


def _excel_serials(values: pd.Series) -> pd.Series:
    """Why a bare number within the date window's Excel serials (45123, 45123.75) was not read:
    it is what Excel writes for a date cell formatted as a number. Not read as a date: a Mac
    workbook in the 1904 system puts the same number 1,462 days later, and nothing in the file
    says which system wrote it (docs/input.md)."""
    numbers = pd.to_numeric(values[values.str.fullmatch(r"\d{5}(?:\.\d+)?")], errors="coerce")
    days = [(day - EXCEL_DAY_ZERO).days for day in date_window()]
    numbers = numbers[(numbers >= days[0]) & (numbers < days[1] + 1)]
    return pd.Series([
        f"a number, not a date: an Excel date serial? ({text} is "
        f"{EXCEL_DAY_ZERO + timedelta(days=int(number))} in Excel's 1900 date system, 4 years "
        "later in its 1904 system): format the column as dates (yyyy-mm-dd) and export again"
        for text, number in zip(values[numbers.index], numbers, strict=True)],
        index=numbers.index, dtype=object)
