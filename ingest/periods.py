"""Reporting periods: 'YYYY' (whole year) or 'YYYY-MM' (year to date, January through MM)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

from ingest.messages import Message, msg
from zonestat import reference

_YEAR = re.compile(r"^(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
# Day 0 of the serial numbers spreadsheets store dates as (Excel, LibreOffice, gnumeric).
_SPREADSHEET_EPOCH = date(1899, 12, 30)
_YEAR_SERIALS = (1990, 2100)  # serials that are years a board typed, not dates it meant


@dataclass(frozen=True)
class Period:
    year: int
    month: int  # a whole-year report is year to date through December
    whole_year: bool

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])


def parse_period(raw: object) -> tuple[Period | None, Message | None]:
    """The period of a ky_bao_cao cell, or why it cannot be read."""
    if isinstance(raw, date):  # a date cell (datetime is a date too)
        return _period_of_date(raw if not isinstance(raw, datetime) else raw.date())
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    if not text:
        return None, msg("period.missing")
    if m := _YEAR.match(text):
        return _checked(int(m.group(1)), 12, True, text)
    if m := _YEAR_MONTH.match(text):
        return _checked(int(m.group(1)), int(m.group(2)), False, text)
    if m := _MONTH_YEAR.match(text):
        return _checked(int(m.group(2)), int(m.group(1)), False, text)
    if m := _DAY_MONTH_YEAR.match(text):
        try:
            return _period_of_date(date(int(m.group(3)), int(m.group(2)), int(m.group(1))))
        except ValueError:
            pass
    return None, msg("period.unreadable", text=text)


def _period_of_date(day: date) -> tuple[Period | None, Message | None]:
    """A period typed as a date: the month it falls in, year to date ('31/12/2020' is the year 2020).

    A year typed into a date-formatted cell is stored as the day that many days after Excel's
    epoch: 2020 becomes 12/07/1905. That is what the board meant to say, and what it must retype.
    """
    serial = (day - _SPREADSHEET_EPOCH).days
    shown = day.strftime("%d/%m/%Y")
    if day.year < reference.period_years()[0] and _YEAR_SERIALS[0] <= serial <= _YEAR_SERIALS[1]:
        return None, msg("period.year_in_date_cell", year=serial, shown=shown)
    return _checked(day.year, day.month, day.month == 12, shown)


def _checked(year: int, month: int, whole_year: bool, text: str) -> tuple[Period | None, Message | None]:
    if not 1 <= month <= 12:
        return None, msg("period.month_range", text=text, month=month)
    first, last = reference.period_years()
    if not first <= year <= last:
        return None, msg("period.out_of_range", text=text, year=year, first=first, last=last)
    return Period(year, month, whole_year), None


def parse_prepared_on(raw: object) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
