"""Reporting periods: 'YYYY' (whole year) or 'YYYY-MM' (year to date, January through MM)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

_YEAR = re.compile(r"^(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/.](\d{4})$")


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


def parse_period(raw: object) -> tuple[Period | None, str | None]:
    """The period of a ky_bao_cao cell, or why it cannot be read."""
    if isinstance(raw, (datetime, date)):
        return Period(raw.year, raw.month, False), None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    if not text:
        return None, "ky_bao_cao is missing"
    if m := _YEAR.match(text):
        return _checked(int(m.group(1)), 12, True, text)
    if m := _YEAR_MONTH.match(text):
        return _checked(int(m.group(1)), int(m.group(2)), False, text)
    if m := _MONTH_YEAR.match(text):
        return _checked(int(m.group(2)), int(m.group(1)), False, text)
    return None, f"ky_bao_cao '{text}' is neither YYYY nor YYYY-MM"


def _checked(year: int, month: int, whole_year: bool, text: str) -> tuple[Period | None, str | None]:
    if not 1 <= month <= 12:
        return None, f"ky_bao_cao '{text}': month {month} is not 1..12"
    if year < 2000:
        return None, f"ky_bao_cao '{text}': year {year} is before 2000"
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
