"""The layout of a received table: which sheet, which rows are the header, which rows are figures.

Official reports are laid out for printing: a letterhead with merged cells above the table, a
header of one or two rows (often followed by a row of column numbers), section headings, a
totals row (`Tổng cộng`, `Cộng`) without an indicator code, and the signature block under the
table. Only figure rows are figures; the others are skipped here and named in an info note.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ingest.figure_record import FROM_FILE
from zonestat.text import clean, fold, key

HEADER_SEARCH_ROWS = 30
# The metadata a CSV file carries on every row, as columns (a workbook has them on its ThongTin sheet).
CSV_METADATA_COLUMNS = ("ma_tinh", "tinh", "ma_khoi", "ky_bao_cao", "trang_thai")

# Header names as folded keys -> our column names. Boards type these by hand.
_LAYOUT_HEADERS = {
    "ma_chi_tieu": "ma_chi_tieu", "ma_ct": "ma_chi_tieu", "ma_chitieu": "ma_chi_tieu",
    "chi_tieu": "chi_tieu", "ten_chi_tieu": "chi_tieu",
    "khu": "khu", "khu_cong_nghiep": "khu", "ten_khu": "khu", "kcn_kkt": "khu",
    "phan_to": "phan_to",
    "don_vi": "don_vi", "don_vi_tinh": "don_vi", "dvt": "don_vi",
    "gia_tri": "gia_tri", "so_lieu": "gia_tri", "thuc_hien": "gia_tri", "uoc_thuc_hien": "gia_tri",
    "tang_truong": "tang_truong", "tang_truong_pct": "tang_truong",
    "ty_trong": "ty_trong", "ti_trong": "ty_trong",
    "ghi_chu": "ghi_chu",
    **{name: name for name in CSV_METADATA_COLUMNS},
}


def with_file_columns(headers: dict[str, str], from_file: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """The layout's header names and those of the columns landed as typed (figure_record.FROM_FILE),
    which must not take over one the layout reads."""
    for name, names in from_file.items():
        for header in (name, *names):
            if header in headers or header in headers.values():
                raise ValueError(f"FigureRow.{name}: {header!r} is already a column of the figures table")
    return headers | {header: name for name, names in from_file.items() for header in names}


HEADER_NAMES = with_file_columns(_LAYOUT_HEADERS, FROM_FILE)

# What boards add to a header name: a year ('Giá trị năm 2020'), a unit ('(%)', folded away),
# or what a growth rate compares with ('Tăng trưởng so với cùng kỳ').
_HEADER_QUALIFIERS = re.compile(r"(_nam)?_\d{4}$|_pct$|_so_voi_cung_ky.*$|_so_cung_ky.*$|_cung_ky.*$")
_COLUMN_NUMBER = re.compile(r"^\(?([0-9]{1,2}|[A-Za-z])\)?$")
_TOTALS = {"tong cong", "cong", "tong so", "tong"}
_INDICATOR_CODE = re.compile(r"^[A-Za-z0-9_]+$")  # what a code looks like, known or not ('INV_NEW_PROJ')
_FOOTER = re.compile(
    r"\bngay\b.*\bthang\b.*\bnam\b|nguoi lap|truong ban|thu truong|giam doc|ky ten|ho ten|noi nhan|"
    r"xac nhan|dong dau")


@functools.lru_cache(maxsize=1024)  # every figure's cell reference asks for one of a few columns
def column_letter(index: int) -> str:
    """0 -> 'A', 27 -> 'AB'."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass
class Grid:
    """One sheet (or one text table) as rows of cells, with the reference of each cell."""

    sheet: str  # the sheet's name as the file names it ('' for a text table)
    rows: list[list[object]]
    is_csv: bool = False
    missing_cached_values: set[str] = field(default_factory=set)
    percent_cells: set[str] = field(default_factory=set)  # cells shown with a percent format

    def ref(self, row: int, col: int) -> str:
        return f"line {row + 1}" if self.is_csv else f"{column_letter(col)}{row + 1}"


def cell_text(cell: object) -> str:
    """A cell as text, as a Vietnamese reader would see it: 2020.0 -> '2020', a date as 31/12/2020."""
    if isinstance(cell, str):
        return clean(cell)
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        return str(int(cell))
    if isinstance(cell, float):
        return repr(cell)  # 1e+308 stays short, as the board's program showed it
    if isinstance(cell, dt.date):
        return cell.strftime("%d/%m/%Y")
    return clean(str(cell))


def sheet_key(name: str) -> str:
    """'Số liệu năm 2020' -> 'solieunam2020': sheet names compared without case, marks or spaces."""
    return key(name).replace("_", "")


def find_sheet(grids: dict[str, Grid], wanted: str) -> tuple[Grid | None, list[str]]:
    """The sheet named `wanted` ('solieu'), exactly or with a suffix ('Số liệu năm 2020').

    Returns (sheet, []) or, when several sheets carry the name with different suffixes and none
    exactly, (None, their names) so that the finding can list them.
    """
    exact = [g for name, g in grids.items() if sheet_key(name) == wanted]
    if exact:
        return exact[0], []
    prefixed = [g for name, g in grids.items() if sheet_key(name).startswith(wanted)]
    if len(prefixed) == 1:
        return prefixed[0], []
    return None, [g.sheet for g in prefixed]


def header_name(cell: object) -> str | None:
    """The column a header cell names ('Giá trị năm 2020' -> 'gia_tri'), or None."""
    folded = key(cell_text(cell))
    return HEADER_NAMES.get(folded) or HEADER_NAMES.get(_HEADER_QUALIFIERS.sub("", folded))


def _names(row: list[object]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for c, cell in enumerate(row):
        name = header_name(cell)
        if name and name not in columns:
            columns[name] = c
    return columns


@dataclass
class Header:
    rows: list[int]  # the header's row indexes (one or two)
    columns: dict[str, int]  # our column name -> column index
    first_data_row: int
    column_number_row: int | None = None  # a row of column numbers '(1) (2) ...' under the header


def find_header(grid: Grid) -> Header | None:
    """The header of the figures table: one row naming ma_chi_tieu and gia_tri, or two rows
    that name them together (a group title such as 'Số liệu' above 'Giá trị', 'Tăng trưởng')."""
    rows = grid.rows[:HEADER_SEARCH_ROWS + 1]
    for r in range(min(HEADER_SEARCH_ROWS, len(rows))):
        first = _names(rows[r])
        if not first:
            continue
        second = _names(rows[r + 1]) if r + 1 < len(rows) else {}
        if second and not _has_number(rows[r + 1]):
            columns = {n: c for n, c in first.items() if c not in second.values()} | second
            if "ma_chi_tieu" in columns and "gia_tri" in columns:
                return _with_column_numbers(grid, Header([r, r + 1], columns, r + 2))
        if "ma_chi_tieu" in first and "gia_tri" in first:
            return _with_column_numbers(grid, Header([r], first, r + 1))
    return None


def _has_number(row: list[object]) -> bool:
    return any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)


def _with_column_numbers(grid: Grid, header: Header) -> Header:
    r = header.first_data_row
    if r < len(grid.rows):
        cells = [cell_text(v) for v in grid.rows[r] if cell_text(v)]
        if len(cells) >= 2 and all(_COLUMN_NUMBER.match(c) for c in cells):
            header.column_number_row = r
            header.first_data_row = r + 1
    return header


def searched_rows(grid: Grid, limit: int = 5) -> str:
    """What the first non-empty rows hold, for a finding that found no header there."""
    shown = []
    for r, row in enumerate(grid.rows[:HEADER_SEARCH_ROWS]):
        cells = [cell_text(v) for v in row if cell_text(v)]
        if cells:
            shown.append(f"{r + 1}: " + " | ".join(c[:30] for c in cells[:4]))
        if len(shown) == limit:
            break
    return "; ".join(shown)


# Kinds of rows in the table that are not figures.
TOTALS, HEADING, FOOTER = "totals", "heading", "footer"


def non_figure_row(cells: list[object], code: str, has_figure: Callable[[], bool], in_footer: bool) -> str | None:
    """TOTALS, HEADING or FOOTER for a row that is not a figure; None for a figure row.

    A row with something shaped like an indicator code is a figure, whatever else it holds (an
    unknown code is then an error). Without one, a row is part of the signature block once that
    has begun (its names and titles often sit in the code column), a totals row, or a heading
    when it holds no figure; a figure without a code stays a figure, and an error."""
    if _INDICATOR_CODE.match(code):
        return None
    texts = [fold(cell_text(v)).strip(" :.") for v in cells if isinstance(v, str) and v.strip()]
    if in_footer or any(_FOOTER.search(t) for t in texts):
        return FOOTER
    if any(t in _TOTALS for t in texts):
        return TOTALS
    if not has_figure():
        return HEADING
    return None


def row_span_text(rows: list[int]) -> str:
    """[12, 13, 14, 20] -> '12-14, 20' (1-based row numbers as the sheet shows them)."""
    spans: list[list[int]] = []
    for r in rows:
        if spans and r == spans[-1][1] + 1:
            spans[-1][1] = r
        else:
            spans.append([r, r])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
