"""Parse one received file into a submission: its metadata and its figures as tidy rows.

Parsing never decides whether a figure is acceptable. It reads what is there, normalises
it (NFC text, Vietnamese numbers, canonical units, resolved reporter and period) and records
in `*_problem` columns why a field could not be read. The submission checks
(expectations/submission_checks.py, Great Expectations) turn those into findings, so every
rule at the door lives in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import pandas as pd

from ingest import numbers, units
from ingest.findings import ERROR, Finding, RejectedFile
from ingest.periods import Period, parse_period, parse_prepared_on
from ingest.read_csv import read_csv
from ingest.read_workbook import Grid, read_workbook
from ingest.reporters import Reporter, name_mismatch, resolve
from ingest.text import clean, fold, key

# Header names as folded keys -> our column names. Boards type these by hand.
FIGURE_COLUMNS = {
    "ma_chi_tieu": "ma_chi_tieu", "ma_ct": "ma_chi_tieu", "ma_chitieu": "ma_chi_tieu",
    "chi_tieu": "chi_tieu", "ten_chi_tieu": "chi_tieu",
    "khu": "khu", "khu_cong_nghiep": "khu", "ten_khu": "khu", "kcn_kkt": "khu",
    "phan_to": "phan_to",
    "don_vi": "don_vi", "don_vi_tinh": "don_vi", "dvt": "don_vi",
    "gia_tri": "gia_tri", "so_lieu": "gia_tri",
    "tang_truong": "tang_truong", "tang_truong_pct": "tang_truong",
    "ty_trong": "ty_trong", "ti_trong": "ty_trong",
    "ghi_chu": "ghi_chu",
    # CSV files carry the metadata on every row.
    "ma_tinh": "ma_tinh", "tinh": "tinh", "ma_khoi": "ma_khoi",
    "ky_bao_cao": "ky_bao_cao", "trang_thai": "trang_thai",
}
METADATA_KEYS = {
    "ma_tinh": "ma_tinh", "tinh": "tinh", "ten_tinh": "tinh", "ma_khoi": "ma_khoi",
    "ky_bao_cao": "ky_bao_cao", "ky": "ky_bao_cao", "trang_thai": "trang_thai",
    "ngay_lap": "ngay_lap", "nguoi_lap": "nguoi_lap", "don_vi": "don_vi", "don_vi_bao_cao": "don_vi",
}
STATUSES = {"uoc": "uoc", "uoc_tinh": "uoc", "so_bo": "so_bo", "chinh_thuc": "chinh_thuc"}
BREAKDOWNS = {
    "": "TONG", "tong": "TONG", "tong_so": "TONG", "tn": "TN", "trong_nuoc": "TN", "ddi": "TN",
    "nn": "NN", "nuoc_ngoai": "NN", "fdi": "NN", "dtnn": "NN", "ldvn": "LDVN", "ldnn": "LDNN",
}
_ZONE_KIND = re.compile(r"^(khu cong nghiep|khu che xuat|khu kinh te|kcn|kcx|kkt)\b\.?\s*")
_ZONE_KINDS = {"khu cong nghiep": "KCN", "kcn": "KCN", "khu che xuat": "KCX", "kcx": "KCX",
               "khu kinh te": "KKT", "kkt": "KKT"}
HEADER_SEARCH_ROWS = 30


@dataclass
class Submission:
    """One received file, parsed. `rejected_reason` is set when the file could not be read."""

    submission_id: str  # sha256 of the bytes as received
    file_name: str
    file_kind: str
    received_at: str = ""
    archived: str = ""  # where the archive copy is, once received
    metadata: dict = field(default_factory=dict)
    figures: pd.DataFrame = field(default_factory=pd.DataFrame)
    findings: list[Finding] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return clean(str(cell))


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


def _find_sheet(grids: dict[str, Grid], wanted: str) -> Grid | None:
    for name, grid in grids.items():
        if key(name).replace("_", "") == wanted:
            return grid
    return None


def _find_header(grid: Grid) -> tuple[int, dict[str, int]] | None:
    for r, row in enumerate(grid.rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for c, cell in enumerate(row):
            name = FIGURE_COLUMNS.get(key(_text(cell)))
            if name and name not in columns:
                columns[name] = c
        if "ma_chi_tieu" in columns and "gia_tri" in columns:
            return r, columns
    return None


def _metadata_from_sheet(grid: Grid) -> dict[str, tuple[object, str]]:
    """ThongTin: key in one column, value in the next; returns key -> (value, cell ref)."""
    out: dict[str, tuple[object, str]] = {}
    for r, row in enumerate(grid.rows):
        for c, cell in enumerate(row[:-1]):
            name = METADATA_KEYS.get(key(_text(cell)))
            if name and name not in out:
                out[name] = (row[c + 1], grid.ref(r, c + 1))
                break
    return out


def parse_file(data: bytes, file_name: str, submission_id: str, today: date | None = None) -> Submission:
    """Parse the bytes of one received file. Unreadable files come back with an error finding."""
    kind = "csv" if file_name.lower().endswith((".csv", ".txt")) else "xlsx"
    sub = Submission(submission_id, file_name, kind)
    try:
        if not data:
            raise RejectedFile(Finding("file.empty", ERROR, f"{file_name}: the file is empty"))
        if kind == "csv":
            grid = read_csv(data, file_name)
            header = _find_header(grid)
            meta_cells: dict[str, tuple[object, str]] = {}
        else:
            grids = read_workbook(data, file_name)
            figures_grid = _find_sheet(grids, "solieu")
            info_grid = _find_sheet(grids, "thongtin")
            if figures_grid is None or info_grid is None:
                missing = [n for n, g in (("ThongTin", info_grid), ("SoLieu", figures_grid)) if g is None]
                raise RejectedFile(Finding(
                    "file.sheets", ERROR,
                    f"{file_name}: the workbook lacks the sheet(s) {', '.join(missing)}",
                    expected="sheets ThongTin and SoLieu", found=", ".join(grids) or "no sheets",
                ))
            grid = figures_grid
            header = _find_header(grid)
            meta_cells = _metadata_from_sheet(info_grid)
        if header is None:
            raise RejectedFile(Finding(
                "file.header", ERROR,
                f"{file_name}: no header row with ma_chi_tieu and gia_tri in the first "
                f"{HEADER_SEARCH_ROWS} rows", sheet=grid.sheet,
                expected="a header row naming ma_chi_tieu and gia_tri",
            ))
        header_row, columns = header
        sub.metadata = {"column_refs": {name: _column_ref(grid, c) for name, c in columns.items()}}
        if kind == "csv":
            meta_cells = _metadata_from_csv_rows(grid, header_row, columns, sub)
        sub.metadata.update(_metadata(meta_cells, sub))
        sub.figures = _figures(grid, header_row, columns, sub)
    except RejectedFile as rejected:
        sub.findings.append(rejected.finding)
    return sub


def _column_ref(grid: Grid, col: int) -> str:
    """The column part of a cell reference ('C'), or '' for CSV where cells are lines."""
    return "" if grid.is_csv else grid.ref(0, col)[:-1]


def cell_ref(sub_kind: str, column_ref: str, source_row: int) -> str:
    """The reference of a figure's cell in a given column: 'C12', or 'line 12' in a CSV."""
    return f"line {source_row}" if sub_kind == "csv" else f"{column_ref}{source_row}"


def _metadata_from_csv_rows(grid: Grid, header_row: int, columns: dict[str, int],
                            sub: Submission) -> dict[str, tuple[object, str]]:
    out: dict[str, tuple[object, str]] = {}
    for name in ("ma_tinh", "tinh", "ma_khoi", "ky_bao_cao", "trang_thai"):
        if name not in columns:
            continue
        c = columns[name]
        values = {}
        for r in range(header_row + 1, len(grid.rows)):
            row = grid.rows[r]
            value = _text(row[c]) if c < len(row) else ""
            if value:
                values.setdefault(value, grid.ref(r, c))
        if len(values) > 1:
            sub.findings.append(Finding(
                "csv.metadata_disagrees", ERROR,
                f"{sub.file_name}: the rows disagree on {name}: {', '.join(sorted(values))}",
                cell=", ".join(values.values()), expected=f"one value of {name} on every row",
                found=", ".join(sorted(values)),
            ))
        if values:
            value, ref = next(iter(values.items()))
            out[name] = (value, ref)
    return out


def _metadata(cells: dict[str, tuple[object, str]], sub: Submission) -> dict:
    def get(name: str) -> object:
        return cells.get(name, ("", ""))[0]

    def ref(name: str) -> str:
        return cells.get(name, ("", ""))[1]

    period, period_problem = parse_period(get("ky_bao_cao"))
    reporter, reporter_problem = resolve(_text(get("ma_tinh")), _text(get("tinh")), _text(get("ma_khoi")), period)
    status_text = _text(get("trang_thai"))
    status = STATUSES.get(key(status_text)) if status_text else "uoc"
    if reporter and name_mismatch(reporter, _text(get("tinh"))):
        sub.findings.append(Finding(
            "reporter.name_mismatch", "warning",
            f"ma_tinh {reporter.code} is {reporter.name} in vintage {reporter.vintage}, but tinh says "
            f"'{_text(get('tinh'))}'; the code is used", cell=ref("tinh"),
            expected=reporter.name, found=_text(get("tinh")),
        ))
    return {
        "reporter_id": reporter.reporter_id if reporter else None,
        "reporter_kind": reporter.kind if reporter else None,
        "reporter_code": reporter.code if reporter else None,
        "reporter_vintage": reporter.vintage if reporter else None,
        "reporter_name": reporter.name if reporter else None,
        "reporter_problem": reporter_problem,
        "reporter_cell": ref("ma_khoi") or ref("ma_tinh") or ref("tinh"),
        "period": period.key if period else None,
        "period_text": _text(get("ky_bao_cao")),
        "period_year": period.year if period else None,
        "period_month": period.month if period else None,
        "period_is_whole_year": period.whole_year if period else None,
        "period_start": period.start if period else None,
        "period_problem": period_problem,
        "period_cell": ref("ky_bao_cao"),
        "status": status,
        "status_text": status_text,
        "status_problem": None if status else f"trang_thai '{status_text}' is not uoc, so_bo or chinh_thuc",
        "status_cell": ref("trang_thai"),
        "prepared_on": parse_prepared_on(get("ngay_lap")),
        "preparer": _text(get("nguoi_lap")),
        "board": _text(get("don_vi")),
        "_reporter": reporter,
        "_period": period,
    }


def _figures(grid: Grid, header_row: int, columns: dict[str, int], sub: Submission) -> pd.DataFrame:
    reporter: Reporter | None = sub.metadata["_reporter"]
    period: Period | None = sub.metadata["_period"]
    province_key = _zone_scope(reporter)
    period_year = period.year if period else None
    # Rows are padded to one column past the last named one; absent columns read that empty cell.
    width = max(columns.values()) + 1
    idx = {name: columns.get(name, width) for name in FIGURE_COLUMNS.values()}
    i_value, i_growth, i_share = idx["gia_tri"], idx["tang_truong"], idx["ty_trong"]
    value_column = "" if grid.is_csv else grid.ref(0, columns["gia_tri"])[:-1]

    # First pass: read every typed text number so the file's notation can be judged as a whole.
    rows: list[tuple[int, list]] = []
    readings: list[numbers.TextNumber] = []
    for r in range(header_row + 1, len(grid.rows)):
        row = grid.rows[r]
        if all(v is None or v == "" or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        row = row + [""] * (width + 1 - len(row))
        for i in (i_value, i_growth, i_share):
            v = row[i]
            if isinstance(v, str) and v.strip():
                reading = numbers.read_text_number(v)
                if reading is not None:
                    readings.append(reading)
        rows.append((r, row))
    notation = numbers.file_notation(readings)

    records = []
    for r, row in rows:
        value_cell = row[i_value]
        value_ref = f"line {r + 1}" if grid.is_csv else f"{value_column}{r + 1}"
        value, value_problem, glued_unit, qualifier, value_tolerance = _number(value_cell, notation)
        if value_ref in grid.missing_cached_values:
            value, value_problem = None, "a formula without a cached value (open and save the file in Excel)"
        growth, growth_problem, _, _, growth_tolerance = _number(row[i_growth], notation)
        share, share_problem, _, _, share_tolerance = _number(row[i_share], notation)
        unit_text = _text(row[idx["don_vi"]]) or glued_unit
        unit, unit_problem = _unit(unit_text, glued_unit)
        zone_name = _text(row[idx["khu"]])
        zkey, zkind = zone_key(zone_name, province_key)
        note = _text(row[idx["ghi_chu"]])
        records.append((
            sub.submission_id, grid.sheet, value_ref, r + 1, _indicator(_text(row[idx["ma_chi_tieu"]])),
            _text(row[idx["chi_tieu"]]), zone_name, zkey, zkind, _breakdown(_text(row[idx["phan_to"]])),
            None if value is None or unit is None else value * unit.factor,
            unit.canonical if unit else None, unit.family if unit else None, value, unit_text,
            None if value_tolerance is None or unit is None else value_tolerance * unit.factor,
            value_cell if isinstance(value_cell, str) else _text(value_cell),
            growth, share, growth_tolerance, share_tolerance,
            f"{qualifier} {note}".strip() if qualifier else note,
            value_problem, unit_problem, growth_problem, share_problem, period_year,
        ))
    return pd.DataFrame.from_records(records, columns=FIGURE_FRAME_COLUMNS)


@lru_cache(maxsize=4096)
def _indicator(text: str) -> str:
    return text.upper().replace(" ", "")


@lru_cache(maxsize=4096)
def _breakdown(text: str) -> str:
    return BREAKDOWNS.get(key(text), text.upper())


@lru_cache(maxsize=4096)
def _unit(unit_text: str, glued_unit: str) -> tuple[units.Unit | None, str | None]:
    """The canonical unit of a figure, or why it has none."""
    if not unit_text:
        return None, "don_vi is missing"
    unit = units.lookup(unit_text)
    if unit is None:
        return None, f"unit '{unit_text}' is not one we know"
    if glued_unit and units.lookup(glued_unit) not in (None, unit):
        return unit, f"the unit glued to the figure ('{glued_unit}') contradicts don_vi ('{unit_text}')"
    return unit, None


FIGURE_FRAME_COLUMNS = [
    "submission_id", "source_sheet", "source_cell", "source_row", "indicator", "indicator_label",
    "zone_name", "zone_key", "zone_kind", "breakdown", "value", "unit", "unit_family",
    "value_as_typed", "unit_as_typed", "rounding_tolerance", "text_as_typed", "growth_pct", "share_pct",
    "growth_tolerance", "share_tolerance", "note",
    "value_problem", "unit_problem", "growth_problem", "share_problem", "period_year",
]


def _zone_scope(reporter: Reporter | None) -> str:
    """Zones are keyed within the 2025 province, so a zone keeps its key across the merger."""
    from zonestat import reference

    if reporter is None:
        return "?"
    if reporter.kind == "bloc":
        return reporter.code
    if reporter.vintage == 2008:
        return reference.succession().get(reporter.code, reporter.code)
    return reporter.code


def _number(raw: object, notation: str) -> tuple[float | None, str | None, str, str, float | None]:
    """(value, problem, glued unit, qualifier, rounding tolerance in the typed unit) for one cell."""
    if isinstance(raw, bool):
        return None, f"'{raw}' is not a number", "", "", None
    if isinstance(raw, (int, float)):
        value = float(raw)
        return value, None, "", "", numbers.rounding_tolerance(numbers.printed_decimals(None, value, notation))
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None, "", "", None
    if not isinstance(raw, str):
        return None, f"'{raw}' is not a number", "", "", None
    return _text_number(raw, notation)


@lru_cache(maxsize=1 << 16)
def _text_number(raw: str, notation: str) -> tuple[float | None, str | None, str, str, float | None]:
    reading = numbers.read_text_number(raw)
    if reading is None:
        return None, f"'{clean(raw)}' is not a number", "", "", None
    value, problem = numbers.resolve(reading, notation)
    tolerance = None if value is None else numbers.rounding_tolerance(
        numbers.printed_decimals(reading, value, notation))
    return value, problem, reading.glued_unit, reading.qualifier, tolerance
