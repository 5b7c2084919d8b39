"""Read a workbook (.xlsx, .xls or .ods) into grids of typed cells, after checking it is safe.

The container is checked before any cell is read: size limits (file and uncompressed parts,
against zip bombs), macro-enabled workbooks refused (macros are never run, and we do not accept
files that carry them). Then calamine reads the cells, and the file's own parts say what the
values alone do not (ingest/cell_formats.py): which cells have a percent format, and which
formulas have no cached value.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from xml.parsers.expat import ExpatError

import python_calamine

from ingest import cell_formats
from ingest.file_kinds import XLS, XLSX
from ingest.findings import ERROR, Finding, RejectedFile
from ingest.layout import Grid, column_letter
from ingest.messages import msg
from zonestat.settings import setting


def max_file_bytes() -> int:
    return int(float(setting("ZONESTAT_MAX_FILE_MB")) * 1024 * 1024)


def max_unzipped_bytes() -> int:
    return int(float(setting("ZONESTAT_MAX_UNZIPPED_MB")) * 1024 * 1024)


def max_sheet_cells() -> int:
    """Cells from A1 to a sheet's farthest cell: a submission has a few thousand. Never below what
    a sheet within Z9999 may hold, which the xlsx scan does not count cell by cell."""
    rows, cols = cell_formats.SMALL_SHEET
    return max(rows * cols, int(setting("ZONESTAT_MAX_SHEET_CELLS")))


def _check_extents(formats: dict[str, cell_formats.SheetFormats], file_name: str) -> None:
    """Refuse a sheet whose dense grid would be too large, before any reader builds it."""
    for sheet, found in formats.items():
        rows, cols = found.extent
        if rows * cols > max_sheet_cells():
            farthest = f"{column_letter(cols - 1)}{rows}"
            raise RejectedFile(Finding(
                "file.too_large", ERROR, msg("file.sheet_too_large", file=file_name, sheet=sheet, cell=farthest,
                                             cells=f"{rows * cols:,}", limit=f"{max_sheet_cells():,}"),
                sheet=sheet, cell=farthest, expected=f"<= {max_sheet_cells()} cells", found=str(rows * cols)))


def _corrupt(file_name: str, kind: str, reason: object) -> RejectedFile:
    return RejectedFile(Finding("file.corrupt", ERROR, msg("file.corrupt", file=file_name, kind=kind,
                                                           reason=str(reason)[:300])))


def _check_zip(data: bytes, file_name: str, kind: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _corrupt(file_name, kind, exc) from exc
    unzipped = sum(info.file_size for info in infos)
    if unzipped > max_unzipped_bytes():
        raise RejectedFile(Finding(
            "file.zip_bomb", ERROR, msg("file.zip_bomb", file=file_name, size=f"{unzipped:,}",
                                        limit=f"{max_unzipped_bytes():,}"),
            expected=f"<= {max_unzipped_bytes()} bytes uncompressed", found=str(unzipped)))
    names = {info.filename for info in infos}
    content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    if "xl/vbaProject.bin" in names or b"macroEnabled" in content_types or "Basic/script-lc.xml" in names:
        raise RejectedFile(Finding("file.macros", ERROR, msg("kind.xlsm", file=file_name)))
    required = "xl/workbook.xml" if kind == XLSX else "content.xml"
    if required not in names:
        raise RejectedFile(Finding("file.corrupt", ERROR, msg("file.zip_not_workbook", file=file_name)))
    try:
        bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _corrupt(file_name, kind, exc) from exc
    if bad:
        raise _corrupt(file_name, kind, f"part {bad}")
    return archive


def _formats(data: bytes, file_name: str, kind: str) -> dict[str, cell_formats.SheetFormats]:
    if kind == XLS:
        try:
            extents = cell_formats.xls_extents(data)
        except ValueError as exc:
            raise _corrupt(file_name, kind, exc) from exc
        _check_extents(extents, file_name)  # before xlrd, which builds every sheet's grid
        return cell_formats.xls_formats(data) or extents
    archive = _check_zip(data, file_name, kind)
    try:
        return cell_formats.xlsx_formats(archive) if kind == XLSX else cell_formats.ods_formats(archive)
    except (KeyError, SyntaxError, ValueError, ExpatError) as exc:  # a missing part, or XML that does not parse
        raise _corrupt(file_name, kind, exc) from exc


def _stored_numbers(rows: list[list[object]], formats: cell_formats.SheetFormats) -> None:
    """Put back the stored number of number-formatted cells that calamine read as a date or a time."""
    for (r, c), value in formats.stored_numbers.items():
        if r < len(rows) and c < len(rows[r]) and isinstance(rows[r][c], (dt.date, dt.time, dt.timedelta)):
            rows[r][c] = value


def read_workbook(data: bytes, file_name: str, kind: str = XLSX) -> dict[str, Grid]:
    """All sheets of a workbook, keyed by sheet name, cells as typed (numbers stay numbers)."""
    formats = _formats(data, file_name, kind)
    _check_extents(formats, file_name)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        grids = {}
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            sheet_formats = formats.get(name, cell_formats.SheetFormats())
            _stored_numbers(rows, sheet_formats)
            grids[name] = Grid(name, rows, missing_cached_values=sheet_formats.formulas_without_value,
                               percent_cells=sheet_formats.percent)
        return grids
    except Exception as exc:  # calamine raises its own error types for damaged parts
        raise _corrupt(file_name, kind, exc) from exc
