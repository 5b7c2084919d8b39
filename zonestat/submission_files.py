"""Write submissions in the v1.1 format (ingest/submission-format.md): xlsx with ThongTin and SoLieu, or CSV.

Used by `zonestat sample` and by the test fixtures. Text that a spreadsheet would take for a
formula (starting with = + - @) is written as text, never as a formula.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell

from zonestat.text import FORMULA_STARTS

FIGURE_HEADER = ["ma_chi_tieu", "chi_tieu", "khu", "phan_to", "don_vi", "gia_tri", "tang_truong", "ty_trong",
                 "ghi_chu"]


def excel_cell(sheet, value: object) -> object:
    """A value for a write-only sheet; formula-like text is stored as an inline string, never run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_xlsx(path: Path, metadata: dict[str, object], figures: list[dict[str, object]],
               title: str | None = None) -> Path:
    """One submission workbook. `figures` rows use the SoLieu column names."""
    book = openpyxl.Workbook(write_only=True)
    info = book.create_sheet("ThongTin")
    for name, value in metadata.items():
        if value not in (None, ""):
            info.append([name, excel_cell(info, value)])
    sheet = book.create_sheet("SoLieu")
    if title:
        sheet.append([title])
        sheet.append([])
    sheet.append(FIGURE_HEADER)
    for row in figures:
        sheet.append([excel_cell(sheet, row.get(col)) for col in FIGURE_HEADER])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def write_csv(path: Path, metadata: dict[str, object], figures: list[dict[str, object]],
              delimiter: str = ",", encoding: str = "utf-8") -> Path:
    """One submission as CSV: the SoLieu columns plus the metadata columns on every row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    from ingest.layout import CSV_METADATA_COLUMNS

    columns = [c for c in CSV_METADATA_COLUMNS if metadata.get(c) not in (None, "")] + FIGURE_HEADER
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(columns)
        for row in figures:
            merged = {**metadata, **row}
            writer.writerow(["" if merged.get(c) is None else merged.get(c) for c in columns])
    return path


def another_version(source: Path, target: Path, status: str, factor: float = 1.0,
                    leave_out: tuple[str, ...] = ()) -> None:
    """The report in `source` sent again as `target` (xlsx) with status `status`: each figure as
    typed, or times `factor` in Vietnamese notation (percentages stay as typed), without the
    figures of the domains in `leave_out`. A resubmission for benchmarks and tests of superseding."""
    from ingest.parse import parse_file
    from zonestat.notation import vn_format
    from zonestat.reference import indicators

    sub = parse_file(source.read_bytes(), source.name, "x")
    rows = [{"ma_chi_tieu": r.indicator, "khu": r.zone_name, "phan_to": r.breakdown, "don_vi": r.unit_as_typed,
             "gia_tri": r.text_as_typed if factor == 1 or r.unit_family == "percent"
             else vn_format(float(r.value_as_typed) * factor, 3, trim=True)}
            for r in sub.figures.itertuples()
            if indicators()[r.indicator].domain not in leave_out]
    write_xlsx(target, {"ma_tinh": sub.metadata.reporter_code, "ky_bao_cao": sub.metadata.period_text,
                        "trang_thai": status}, rows)
