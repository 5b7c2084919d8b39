"""Feedback workbooks for boards, in Vietnamese: every finding of a submission with its cell,
what was expected, what was found, and the suggested correction; ready to send back.

Written from the published warehouse into ZONESTAT_HOME/reports/. A report's name carries a
digest of its findings, so a refresh that changes nothing rewrites nothing.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import NamedTuple

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ingest.messages import msg
from ingest.receive import write_whole
from zonestat import reference, warehouse
from zonestat.config import Home
from zonestat.text import FORMULA_STARTS, location_vi

# (heading, width in characters): a board officer reads and prints these on A4, landscape.
COLUMNS = [("Mức độ", 10), ("Loại kiểm tra", 18), ("Ô", 16), ("Nội dung", 60), ("Giá trị đúng ra", 14),
           ("Giá trị trong báo cáo", 14), ("Đề xuất sửa", 48), ("Mã quy tắc", 34)]
SEVERITY_ORDER = {severity: rank for rank, severity in enumerate(reference.severities())}


class Finding(NamedTuple):
    severity: str
    kind: str
    rule_id: str
    source_cells: str | None
    message_vi: str
    expected: float | None
    found: float | None
    suggestion_vi: str | None


class Report(NamedTuple):
    file_name: str
    reporter_id: str | None
    reporter_name: str | None
    period_key: str | None
    status: str | None
    outcome: str
    findings: list[Finding]


def _reports(w: warehouse.Warehouse) -> dict[str, Report]:
    rows = w.rows("""
        select f.submission_id, s.file_name, s.reporter_id, coalesce(f.reporter_name, s.reporter_name),
               s.period_key, s.status, s.outcome,
               f.severity, f.kind, f.rule_id, f.source_cells, f.message_vi, f.expected, f.found, f.suggestion_vi
        from dq_findings f join fct_submissions s using (submission_id)
        order by f.submission_id""")
    out: dict[str, Report] = {}
    for submission_id, *about, severity, kind, rule_id, cells, message, expected, found, suggestion in rows:
        report = out.setdefault(submission_id, Report(*about, []))
        report.findings.append(Finding(severity, kind, rule_id, cells, message, expected, found, suggestion))
    for report in out.values():
        report.findings.sort(key=_reading_order)
    return out


_CELL = re.compile(r"(?:(.*)!)?\$?([A-Z]{1,3})\$?(\d+)$")


def _reading_order(finding: Finding) -> tuple:
    """By the first cell named, as the sheet shows it (sheet, row, column), then the worst first."""
    first = (finding.source_cells or "").split(", ")[0]
    match = _CELL.match(first)
    if match:
        sheet, column, row = match.groups()
        place = (sheet or "", int(row), len(column), column)
    else:
        place = (first, 0, 0, "")
    return (*place, SEVERITY_ORDER.get(finding.severity, len(SEVERITY_ORDER)), finding.rule_id)


def _conclusion(report: Report) -> str:
    errors = sum(f.severity == "error" for f in report.findings)
    if report.outcome == "rejected":
        return "Tệp bị từ chối, chưa được đưa vào cơ sở dữ liệu: hãy sửa các lỗi dưới đây và gửi lại."
    if errors:
        return (f"Tệp đã được tiếp nhận, nhưng có {errors} lỗi số liệu: hãy kiểm tra các ô dưới đây và gửi bản "
                "báo cáo đã sửa.")
    return "Tệp đã được tiếp nhận; các lưu ý dưới đây không cần gửi lại nếu số liệu đúng."


def _number(x: object) -> str:
    from expectations.quality import vn_number

    return "" if x is None else vn_number(x)


def write_reports(h: Home) -> dict[str, int]:
    """Write one workbook per submission with findings of the published warehouse into
    ZONESTAT_HOME/reports; returns counts of written and unchanged."""
    reports_dir = h.reports
    reports_dir.mkdir(parents=True, exist_ok=True)
    with warehouse.published(h) as w:
        reports = _reports(w) if w is not None else {}
    written = unchanged = 0
    keep: set[str] = set()
    for submission_id, report in reports.items():
        digest = hashlib.sha256(repr(report).encode()).hexdigest()[:10]
        reporter = (report.reporter_id or "unknown").replace(":", "-")
        name = f"{reporter}_{report.period_key or 'no-period'}_{submission_id[:12]}_{digest}.xlsx"
        keep.add(name)
        path = reports_dir / name
        if path.exists():
            unchanged += 1
            continue
        _write(path, report)
        written += 1
    for stale in reports_dir.glob("*.xlsx"):
        if stale.name not in keep:
            stale.unlink()
    return {"written": written, "unchanged": unchanged, "reports": len(keep)}


def _write(path: Path, report: Report) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "PhanHoi"
    sheet.append(["PHẢN HỒI KIỂM TRA SỐ LIỆU BÁO CÁO"])
    sheet["A1"].font = Font(bold=True, size=13)
    for label, value in (("Tệp", report.file_name), ("Đơn vị báo cáo", report.reporter_name),
                         ("Kỳ báo cáo", report.period_key), ("Trạng thái", report.status),
                         ("Kết luận", _conclusion(report))):
        sheet.append([label, None, value or ""])
        row = sheet.max_row
        _as_text(sheet[row])
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        sheet.merge_cells(start_row=row, start_column=3, end_row=row, end_column=len(COLUMNS))
        sheet.cell(row, 1).font = Font(bold=True)
    sheet.append([])
    sheet.append([heading for heading, _ in COLUMNS])
    header = sheet.max_row
    for cell in sheet[header]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for f in report.findings:
        sheet.append([msg(f"severity.{f.severity}").vi, msg(f"kind.{f.kind}").vi, location_vi(f.source_cells or ""),
                      f.message_vi or "", _number(f.expected), _number(f.found), f.suggestion_vi or "", f.rule_id])
        _as_text(sheet[sheet.max_row])
        for cell in sheet[sheet.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = sheet.cell(header + 1, 1)
    sheet.print_title_rows = f"{header}:{header}"  # the column headings on every printed page
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.sheet_properties.pageSetUpPr.fitToPage = True  # every column on the page's width
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.print_options.gridLines = True
    write_whole(path, book.save)


def _as_text(row) -> None:
    """Text a board typed or a file names ('=HYPERLINK(...)' in a file name) stays text, never a formula."""
    for cell in row:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            cell.data_type = "s"
