"""Parse one received file into a submission: its metadata and its figures as tidy rows.

Parsing never decides whether a figure is acceptable. It reads what is there, normalises
it (NFC text, Vietnamese numbers, canonical units, resolved reporter and period) and records
in `*_problem` columns why a field could not be read. The submission checks
(expectations/submission_checks.py, Great Expectations) turn those into findings, so every
rule at the door lives in one place.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import NamedTuple

import pandas as pd

from ingest import numbers
from ingest.figure_record import FROM_FILE, FigureRow
from ingest.figure_table import FigureTable, figures_frame
from ingest.file_kinds import TEXT, file_kind
from ingest.findings import ERROR, INFO, WARNING, Finding, RejectedFile
from ingest.layout import (
    CSV_METADATA_COLUMNS,
    FOOTER,
    HEADER_NAMES,
    HEADER_SEARCH_ROWS,
    HEADING,
    TOTALS,
    Grid,
    cell_text,
    find_header,
    find_sheet,
    non_figure_row,
    row_span_text,
    searched_rows,
)
from ingest.messages import Message, msg
from ingest.periods import Period, parse_period, parse_prepared_on
from ingest.read_csv import read_csv
from ingest.read_workbook import read_workbook
from ingest.reporters import Reporter, name_mismatch, resolve
from zonestat import reference, units
from zonestat.notation import (
    APPROXIMATE_WORDS,
    TextNumber,
    file_notation,
    is_whole,
    printed_decimals,
    read_text_number,
    rounding_tolerance,
    vn_format,
)
from zonestat.text import clean, fold, key

METADATA_KEYS = {
    "ma_tinh": "ma_tinh", "tinh": "tinh", "ten_tinh": "tinh", "ma_khoi": "ma_khoi",
    "ky_bao_cao": "ky_bao_cao", "ky": "ky_bao_cao", "trang_thai": "trang_thai",
    "ngay_lap": "ngay_lap", "nguoi_lap": "nguoi_lap", "don_vi": "don_vi", "don_vi_bao_cao": "don_vi",
}
# The codes are dbt_project.yml's lists (the build's tests assert the same ones); these are the other
# ways boards write them.
STATUSES = {key(s): s for s in reference.report_statuses()} | {"uoc_tinh": "uoc"}
BREAKDOWNS = {key(b): b for b in reference.breakdowns()} | {
    "": "TONG", "tong_so": "TONG", "trong_nuoc": "TN", "ddi": "TN", "nuoc_ngoai": "NN", "fdi": "NN", "dtnn": "NN",
}
_ZONE_KIND = re.compile(r"^(khu cong nghiep|khu che xuat|khu kinh te|kcn|kcx|kkt)\b\.?\s*")
_ZONE_KINDS = {"khu cong nghiep": "KCN", "kcn": "KCN", "khu che xuat": "KCX", "kcx": "KCX",
               "khu kinh te": "KKT", "kkt": "KKT"}


@dataclass
class ReportMetadata:
    """What a file says about its report (the ThongTin sheet, or a CSV's columns), resolved and
    checked. The ledger keeps the fields it has a column for (ingest/land.py's LEDGER_SCHEMA), the
    door's metadata suite reads the rest: where each was read (`*_cell`) and why it could not be
    (`*_problem`, a catalogue message)."""

    info_sheet: str  # '' in a CSV
    column_refs: dict[str, str]  # each column of the figures table -> where it is ('C' in a workbook)
    reporter_id: str | None
    reporter_kind: str | None
    reporter_code: str | None
    reporter_vintage: int | None
    reporter_name: str | None
    reporter_problem: Message | None
    reporter_cell: str
    period: str | None  # YYYY-MM
    period_text: str  # as typed
    period_year: int | None
    period_month: int | None
    period_is_whole_year: bool | None
    period_start: date | None
    period_problem: Message | None
    period_cell: str
    status: str | None
    status_text: str
    status_problem: Message | None
    status_cell: str
    prepared_on: date | None
    preparer: str
    board: str

    def as_row(self) -> dict[str, object]:
        """Every field by name, the figures' column references apart (they are not the report's):
        a row of the ledger and of the door's metadata suite."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "column_refs"}


@dataclass
class Submission:
    """One received file, parsed. A file that could not be read has an error among its findings (rejected)."""

    submission_id: str  # sha256 of the bytes as received
    file_name: str
    file_kind: str
    received_at: str = ""
    archived: str = ""  # where the archive copy is, once received
    metadata: ReportMetadata | None = None  # None when the file could not be read that far
    reporter: Reporter | None = None  # who the metadata names, resolved for the period
    period: Period | None = None
    figure_table: FigureTable = field(default_factory=FigureTable.empty)
    findings: list[Finding] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    @functools.cached_property
    def figures(self) -> pd.DataFrame:
        """The figures as one pandas frame (the door builds one frame per batch instead)."""
        return figures_frame([self.figure_table])

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "figures"}  # the frame is rebuilt where needed


@lru_cache(maxsize=1 << 14)
def zone_key(zone_name: str, province_key: str) -> tuple[str, str]:
    """('KCN Tiền Hải', '33') -> ('33:tien-hai', 'KCN'); empty means the whole reporter ('')."""
    folded = fold(zone_name)
    if not folded:
        return "", ""
    kind_match = _ZONE_KIND.match(folded)
    kind = _ZONE_KINDS[kind_match.group(1)] if kind_match else ""
    slug = re.sub(r"[^a-z0-9]+", "-", folded[kind_match.end():] if kind_match else folded).strip("-")
    return f"{province_key}:{slug}", kind


def _metadata_from_sheet(grid: Grid) -> dict[str, tuple[object, str]]:
    """ThongTin: key in one column, value in the next; returns key -> (value, cell ref)."""
    out: dict[str, tuple[object, str]] = {}
    for r, row in enumerate(grid.rows):
        for c, cell in enumerate(row[:-1]):
            name = METADATA_KEYS.get(key(cell_text(cell)))
            if name and name not in out:
                out[name] = (row[c + 1], grid.ref(r, c + 1))
                break
    return out


def parse_file(data: bytes, file_name: str, submission_id: str) -> Submission:
    """Parse the bytes of one received file. Unreadable files come back with an error finding."""
    sub = Submission(submission_id, file_name, "unknown")
    try:
        if not data:
            raise RejectedFile(Finding("file.empty", ERROR, msg("file.empty", file=file_name)))
        sub.file_kind = kind = file_kind(data, file_name)
        info_sheet = ""
        if kind == TEXT:
            grid = read_csv(data, file_name)
            header = find_header(grid)
            meta_cells: dict[str, tuple[object, str]] = {}
        else:
            grid, info_grid = _workbook_sheets(read_workbook(data, file_name, kind), file_name)
            info_sheet = info_grid.sheet
            header = find_header(grid)
            meta_cells = _metadata_from_sheet(info_grid)
        if header is None:
            raise RejectedFile(Finding(
                "file.header", ERROR, msg("file.header", file=file_name, rows=HEADER_SEARCH_ROWS),
                sheet=grid.sheet, cell=f"rows 1-{min(HEADER_SEARCH_ROWS, max(len(grid.rows), 1))}",
                expected="a header row naming ma_chi_tieu and gia_tri", found=searched_rows(grid),
            ))
        columns = header.columns
        if kind == TEXT:
            meta_cells = _metadata_from_csv_rows(grid, header.first_data_row, columns, sub)
        sub.metadata = _metadata(meta_cells, sub, info_sheet,
                                 {name: _column_ref(grid, c) for name, c in columns.items()})
        sub.figure_table = _figures(grid, header.first_data_row, columns, sub)
        if header.column_number_row is not None:
            _note_skipped(sub, grid, "layout.column_numbers", [header.column_number_row + 1])
    except RejectedFile as rejected:
        sub.findings.append(rejected.finding)
    return sub


def _workbook_sheets(grids: dict[str, Grid], file_name: str) -> tuple[Grid, Grid]:
    """The figures sheet (SoLieu / Số liệu...) and the metadata sheet (ThongTin / Thông tin...)."""
    figures, figures_alike = find_sheet(grids, "solieu")
    info, info_alike = find_sheet(grids, "thongtin")
    if figures_alike or info_alike:
        alike = figures_alike or info_alike
        raise RejectedFile(Finding(
            "file.sheets", ERROR, msg("file.sheets_ambiguous", file=file_name, sheets=", ".join(alike)),
            expected="one sheet ThongTin and one sheet SoLieu", found=", ".join(grids)))
    if figures is None or info is None:
        missing = [n for n, g in (("ThongTin", info), ("SoLieu", figures)) if g is None]
        raise RejectedFile(Finding(
            "file.sheets", ERROR, msg("file.sheets", file=file_name, missing=", ".join(missing),
                                      present=", ".join(grids) or "-"),
            expected="sheets ThongTin and SoLieu", found=", ".join(grids)))
    return figures, info


def _note_skipped(sub: Submission, grid: Grid, code: str, rows: list[int]) -> None:
    """An info note naming rows of the table that are not figures and were skipped."""
    where = row_span_text(rows)
    noun = "line" if grid.is_csv else "row"
    sub.findings.append(Finding(code, INFO, msg(code), sheet=grid.sheet,
                                cell=f"{noun}{'' if len(rows) == 1 else 's'} {where}"))


def _column_ref(grid: Grid, col: int) -> str:
    """The column part of a cell reference ('C'), or '' for CSV where cells are lines."""
    return "" if grid.is_csv else grid.ref(0, col)[:-1]


def cell_ref(sub_kind: str, column_ref: str, source_row: int) -> str:
    """The reference of a figure's cell in a given column: 'C12', or 'line 12' in a CSV."""
    return f"line {source_row}" if sub_kind == TEXT else f"{column_ref}{source_row}"


def _metadata_from_csv_rows(grid: Grid, first_data_row: int, columns: dict[str, int],
                            sub: Submission) -> dict[str, tuple[object, str]]:
    out: dict[str, tuple[object, str]] = {}
    for name in CSV_METADATA_COLUMNS:
        if name not in columns:
            continue
        c = columns[name]
        values = {}
        for r in range(first_data_row, len(grid.rows)):
            row = grid.rows[r]
            value = cell_text(row[c]) if c < len(row) else ""
            if value:
                values.setdefault(value, grid.ref(r, c))
        if len(values) > 1:
            sub.findings.append(Finding(
                "csv.metadata_disagrees", ERROR,
                msg("csv.metadata_disagrees", file=sub.file_name, column=name, values=", ".join(sorted(values))),
                cell=", ".join(values.values()), expected=f"one value of {name} on every row",
                found=", ".join(sorted(values)),
            ))
        if values:
            value, ref = next(iter(values.items()))
            out[name] = (value, ref)
    return out


def _metadata(cells: dict[str, tuple[object, str]], sub: Submission, info_sheet: str,
              column_refs: dict[str, str]) -> ReportMetadata:
    def get(name: str) -> object:
        return cells.get(name, ("", ""))[0]

    def ref(name: str) -> str:
        return cells.get(name, ("", ""))[1]

    period, period_problem = parse_period(get("ky_bao_cao"))
    reporter, reporter_problem = resolve(cell_text(get("ma_tinh")), cell_text(get("tinh")), cell_text(get("ma_khoi")), period)
    if period_problem is not None and reporter is None and reporter_problem == msg("reporter.needs_period"):
        reporter_problem = None  # the period's own finding says what to fix; this one would only repeat it
    status_text = cell_text(get("trang_thai"))
    status = STATUSES.get(key(status_text)) if status_text else "uoc"
    sub.reporter, sub.period = reporter, period
    if reporter and name_mismatch(reporter, cell_text(get("tinh"))):
        sub.findings.append(Finding(
            "reporter.name_mismatch", WARNING,
            msg("reporter.name_mismatch", code=reporter.code, name=reporter.name, vintage=reporter.vintage,
                typed=cell_text(get("tinh"))), sheet=info_sheet, cell=ref("tinh"),
            expected=reporter.name, found=cell_text(get("tinh")),
        ))
    return ReportMetadata(
        info_sheet=info_sheet,
        column_refs=column_refs,
        reporter_id=reporter.reporter_id if reporter else None,
        reporter_kind=reporter.kind if reporter else None,
        reporter_code=reporter.code if reporter else None,
        reporter_vintage=reporter.vintage if reporter else None,
        reporter_name=reporter.name if reporter else None,
        reporter_problem=reporter_problem,
        reporter_cell=ref("ma_khoi") or ref("ma_tinh") or ref("tinh"),
        period=period.key if period else None,
        period_text=cell_text(get("ky_bao_cao")),
        period_year=period.year if period else None,
        period_month=period.month if period else None,
        period_is_whole_year=period.whole_year if period else None,
        period_start=period.start if period else None,
        period_problem=period_problem,
        period_cell=ref("ky_bao_cao"),
        status=status,
        status_text=status_text,
        status_problem=None if status else msg("status.unknown", text=status_text,
                                               statuses=", ".join(reference.report_statuses())),
        status_cell=ref("trang_thai"),
        prepared_on=parse_prepared_on(get("ngay_lap")),
        preparer=cell_text(get("nguoi_lap")),
        board=cell_text(get("don_vi")),
    )


def _figures(grid: Grid, first_data_row: int, columns: dict[str, int], sub: Submission) -> FigureTable:
    reporter, period = sub.reporter, sub.period
    province_key = _zone_scope(reporter)
    period_year = period.year if period else None
    # Rows are padded to one column past the last named one; absent columns read that empty cell.
    width = max(columns.values()) + 1
    idx = {name: columns.get(name, width) for name in HEADER_NAMES.values()}
    i_value, i_growth, i_share = idx["gia_tri"], idx["tang_truong"], idx["ty_trong"]
    from_file_columns = [(name, idx[name]) for name in FROM_FILE]  # landed as typed

    # First pass: sort out the rows that are not figures, and read every typed text number so
    # that the file's notation can be judged as a whole.
    rows: list[tuple[int, list, str]] = []
    readings: list[TextNumber] = []
    skipped: dict[str, list[int]] = {}
    in_footer = False
    for r in range(first_data_row, len(grid.rows)):
        row = grid.rows[r]
        if all(v is None or v == "" or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        row = row + [""] * (width + 1 - len(row))
        code = cell_text(row[idx["ma_chi_tieu"]])
        # the breakdown's TONG is a figure's breakdown, not a totals row's label: a figure row that
        # lacks its code must stay a figure (an error), not be skipped as totals
        labels = [v for i, v in enumerate(row) if i != idx["phan_to"]]
        kind = non_figure_row(labels, code, lambda: any(_filled(row[i]) for i in (i_value, i_growth, i_share)),
                              in_footer)
        if kind is not None:
            in_footer = in_footer or kind == FOOTER
            skipped.setdefault(kind, []).append(r + 1)
            continue
        for i in (i_value, i_growth, i_share):
            v = row[i]
            if isinstance(v, str) and v.strip():
                reading = read_text_number(v)
                if reading is not None:
                    readings.append(reading)
        rows.append((r, row, code))
    notation = file_notation(readings)
    for kind, code in ((TOTALS, "layout.totals"), (HEADING, "layout.headings"), (FOOTER, "layout.footer")):
        if kind in skipped:
            _note_skipped(sub, grid, code, skipped[kind])

    records = []
    for r, row, code in rows:
        value_ref = grid.ref(r, i_value)
        value_cell = row[i_value]
        unit_text = cell_text(row[idx["don_vi"]])
        percent = grid.percent_cells
        # A percent format means a fraction only where a percentage belongs; elsewhere the stored value stands.
        percent_cell = bool(percent) and value_ref in percent and \
            getattr(units.lookup(unit_text), "canonical", "") == "percent"
        value = _number(value_cell, notation, percent_cell)
        if value_ref in grid.missing_cached_values:
            value = Reading(problem=msg("number.formula_without_value"))
        growth = _number(row[i_growth], notation, bool(percent) and grid.ref(r, i_growth) in percent)
        share = _number(row[i_share], notation, bool(percent) and grid.ref(r, i_share) in percent)
        unit_text = unit_text or value.glued_unit
        unit, unit_problem = _unit(unit_text, value.glued_unit)
        canonical = None if value.value is None or unit is None else value.value * unit.factor
        value_problem = value.problem
        if canonical is not None and not abs(canonical) < MAX_FIGURE:  # infinity and NaN too
            canonical, value_problem = None, msg("number.out_of_range", text=value.as_typed or str(value_cell),
                                                 limit=f"{MAX_FIGURE:.0e}")
        growth, share = _claim(growth), _claim(share)
        zone_name = cell_text(row[idx["khu"]])
        zkey, zkind = zone_key(zone_name, province_key)
        note = cell_text(row[idx["ghi_chu"]])
        percent_unit = unit is not None and unit.canonical == "percent"
        records.append(FigureRow(
            submission_id=sub.submission_id, source_sheet=grid.sheet, source_cell=value_ref, source_row=r + 1,
            indicator=_indicator(code), indicator_label=cell_text(row[idx["chi_tieu"]]),
            zone_name=zone_name, zone_key=zkey, zone_kind=zkind, breakdown=_breakdown(cell_text(row[idx["phan_to"]])),
            value=canonical, unit=unit.canonical if unit else None, value_as_typed=value.value,
            unit_as_typed=unit_text, rounding_tolerance=_tolerance(value, unit, note),
            text_as_typed=value_cell if isinstance(value_cell, str) else value.as_typed,
            growth_pct=growth.value, share_pct=share.value,
            growth_tolerance=growth.tolerance, share_tolerance=share.tolerance,
            note=f"{value.qualifier} {note}".strip() if value.qualifier else note,
            **{name: cell_text(row[i]) or None for name, i in from_file_columns},
            unit_family=unit.family if unit else None, period_year=period_year,
            value_maybe_fraction=percent_unit and value.maybe_fraction,
            growth_maybe_fraction=growth.maybe_fraction, share_maybe_fraction=share.maybe_fraction,
            growth_as_typed=growth.as_typed, share_as_typed=share.as_typed,
            fractional_count=canonical is not None and unit.family in units.WHOLE_FAMILIES and not is_whole(canonical),
            value_problem=value_problem, unit_problem=unit_problem,
            growth_problem=growth.problem, share_problem=share.problem,
        ))
    return FigureTable.from_records(records)


@lru_cache(maxsize=4096)
def _indicator(text: str) -> str:
    return text.upper().replace(" ", "")


@lru_cache(maxsize=4096)
def _breakdown(text: str) -> str:
    return BREAKDOWNS.get(key(text), text.upper())


@lru_cache(maxsize=4096)
def _unit(unit_text: str, glued_unit: str) -> tuple[units.Unit | None, Message | None]:
    """The canonical unit of a figure, or why it has none."""
    if not unit_text:
        return None, msg("unit.missing")
    unit = units.lookup(unit_text)
    if unit is None:
        return None, msg("unit.unknown", unit=unit_text)
    if glued_unit and units.lookup(glued_unit) not in (None, unit):
        return unit, msg("unit.glued_contradicts", glued=glued_unit, unit=unit_text)
    return unit, None


def _zone_scope(reporter: Reporter | None) -> str:
    """Zones are keyed within the 2025 province, so a zone keeps its key across the merger."""
    if reporter is None:
        return "?"
    if reporter.kind == "bloc":
        return reporter.code
    if reporter.vintage == 2008:
        return reference.succession().get(reporter.code, reporter.code)
    return reporter.code


class Reading(NamedTuple):  # a tuple: built for every cell of every file
    """One cell read as a number: the value (None when empty or unreadable) and what goes with it."""

    value: float | None = None
    problem: Message | None = None
    glued_unit: str = ""
    qualifier: str = ""
    tolerance: float | None = None  # half the last printed digit, in the typed unit
    as_typed: str = ""  # the cell as the board saw it
    maybe_fraction: bool = False  # a percentage that looks typed as a fraction (0,185 for 18,5%)


EMPTY = Reading()


def _number(raw: object, notation: str, percent_format: bool = False) -> Reading:
    """One cell as a number. A percent-formatted numeric cell holds a fraction: 18,5% is 0.185."""
    if raw is None or raw == "":
        return EMPTY
    if isinstance(raw, str):
        return _text_number(raw, notation) if raw.strip() else EMPTY
    if isinstance(raw, bool):
        return Reading(problem=msg("number.not_a_number", text=str(raw)))
    if isinstance(raw, (int, float)):
        value = float(raw)
        if not math.isfinite(value):
            return Reading(problem=msg("number.not_finite", text=str(raw)))
        if percent_format:
            value = float(f"{value * 100:.12g}")  # 0.185 * 100 is 18.500000000000004 in binary
            shown = f"{vn_format(value, printed_decimals(None, value, 'vn'), trim=True)}%"
        else:
            shown = cell_text(raw)
        decimals = printed_decimals(None, value, notation)
        return Reading(value, tolerance=rounding_tolerance(decimals), as_typed=shown,
                       maybe_fraction=not percent_format and _looks_like_fraction(value, decimals))
    if isinstance(raw, (dt.date, dt.datetime)):
        return Reading(problem=msg("number.date_cell", shown=cell_text(raw)), as_typed=cell_text(raw))
    if isinstance(raw, (dt.time, dt.timedelta)):
        return Reading(problem=msg("number.time_cell", shown=str(raw)), as_typed=str(raw))
    return Reading(problem=msg("number.not_a_number", text=str(raw)))


# No figure of a zone statistic comes near this in its canonical unit (all of Vietnam's registered FDI
# is about 5e5 million USD): a larger one is a slip or an attack, and the warehouse never sees it.
MAX_FIGURE = 1e12
MAX_CLAIM_PCT = 1e6


# A note that marks its figure as approximate: the cell's qualifier words, or these.
_APPROXIMATE = re.compile(r"\b(" + "|".join(APPROXIMATE_WORDS + ("xap xi", "du kien")) + r")\b")


def _tolerance(value: Reading, unit: units.Unit | None, note: str) -> float | None:
    """How far the figure may be from the true one, in the canonical unit: half its last printed digit,
    except that a count typed whole (182 projects, 72.015 workers) is exact, not rounded, unless the
    board marks it approximate ('trên 180', 'khoảng', 'ước' in the note)."""
    if value.tolerance is None or unit is None:
        return None
    if unit.family in units.WHOLE_FAMILIES and unit.factor == 1 and value.value is not None and is_whole(value.value) \
            and not value.qualifier and not _APPROXIMATE.search(fold(note)):
        return 0.0
    return value.tolerance * unit.factor


def _claim(reading: Reading) -> Reading:
    """A growth or share claim: beyond any real rate it is an error of the cell, and ignored."""
    if reading.value is not None and not abs(reading.value) < MAX_CLAIM_PCT:
        return Reading(problem=msg("number.out_of_range", text=reading.as_typed, limit=f"{MAX_CLAIM_PCT:.0e}"),
                       as_typed=reading.as_typed)
    return reading


def _filled(cell: object) -> bool:
    return cell is not None and (not isinstance(cell, str) or bool(cell.strip()))


def _looks_like_fraction(value: float, decimals: int) -> bool:
    """0,185 or 0,07 where a percentage belongs: boards print rates with a decimal or two."""
    return value != 0 and abs(value) < 1 and decimals >= 2


@lru_cache(maxsize=1 << 16)
def _text_number(raw: str, notation: str) -> Reading:
    reading = read_text_number(raw)
    if reading is None:
        return Reading(problem=msg("number.not_a_number", text=clean(raw)), as_typed=raw)
    value, problem = numbers.resolve(reading, notation)
    if value is None:
        return Reading(problem=problem, as_typed=raw)
    decimals = printed_decimals(reading, value, notation)
    return Reading(value, problem, reading.glued_unit, reading.qualifier, rounding_tolerance(decimals),
                   raw, maybe_fraction=reading.glued_unit != "%" and _looks_like_fraction(value, decimals))
