"""Feedback workbooks for boards, in Vietnamese: every finding of a submission with its cell,
what was expected, what was found, and the suggested correction; ready to send back.

Written from the published warehouse into ZONESTAT_HOME/reports/. A report's name carries a
digest of its findings, so a refresh that changes nothing rewrites nothing.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
import openpyxl

from ingest.messages import msg
from zonestat.submission_files import excel_cell

COLUMNS = ["Mức độ", "Quy tắc", "Ô", "Nội dung", "Giá trị đúng ra", "Giá trị trong báo cáo", "Đề xuất sửa"]


def _rows(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    frame = con.execute("""
        select f.submission_id, f.severity, f.rule_id, f.source_cells, f.message_vi, f.expected, f.found,
               f.suggestion_vi, s.file_name, s.reporter_name, s.reporter_id, s.period_key, s.status
        from dq_findings f join fct_submissions s using (submission_id)
        order by f.submission_id, case f.severity when 'error' then 0 when 'warning' then 1 else 2 end,
                 f.source_cells, f.rule_id""").fetchall()
    out: dict[str, list[tuple]] = {}
    for row in frame:
        out.setdefault(row[0], []).append(row[1:])
    return out


def _number(x: object) -> str:
    from expectations.quality import vn_number

    return "" if x is None else vn_number(x)


def write_reports(published_db: Path, reports_dir: Path) -> dict[str, int]:
    """Write one workbook per submission with findings; returns counts of written and unchanged."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(published_db), read_only=True) as con:
        by_submission = _rows(con)
    written = unchanged = 0
    keep: set[str] = set()
    for submission_id, rows in by_submission.items():
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()[:10]
        first = rows[0]
        reporter = (first[9] or "unknown").replace(":", "-")
        name = f"{reporter}_{first[10] or 'no-period'}_{submission_id[:12]}_{digest}.xlsx"
        keep.add(name)
        path = reports_dir / name
        if path.exists():
            unchanged += 1
            continue
        _write(path, rows)
        written += 1
    for stale in reports_dir.glob("*.xlsx"):
        if stale.name not in keep:
            stale.unlink()
    return {"written": written, "unchanged": unchanged, "reports": len(keep)}


def _write(path: Path, rows: list[tuple]) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("PhanHoi")
    first = rows[0]
    file_name, reporter_name, _, period, status = first[7], first[8], first[9], first[10], first[11]
    sheet.append([excel_cell(sheet, "PHẢN HỒI KIỂM TRA SỐ LIỆU BÁO CÁO")])
    for label, value in (("Tệp", file_name), ("Đơn vị báo cáo", reporter_name), ("Kỳ báo cáo", period),
                         ("Trạng thái", status)):
        sheet.append([label, excel_cell(sheet, value or "")])
    errors = sum(r[0] == "error" for r in rows)
    sheet.append(["Kết luận", "Bị từ chối hoặc cần sửa: có lỗi" if errors else "Được chấp nhận, có lưu ý"])
    sheet.append([])
    sheet.append(COLUMNS)
    for severity, rule, cells, message, expected, found, suggestion, *_ in rows:
        sheet.append([msg(f"severity.{severity}").vi, rule, excel_cell(sheet, cells or ""),
                      excel_cell(sheet, message or ""), _number(expected), _number(found),
                      excel_cell(sheet, suggestion or "")])
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    book.save(tmp)
    os.replace(tmp, path)
