"""Read an .xlsx workbook into grids of typed cells, after checking the container is safe.

The container is checked before any cell is read: size limits (file and uncompressed parts,
against zip bombs), macro-enabled workbooks refused (macros are never run, and we do not accept
files that carry them), and formula cells without a cached value found from the sheet XML,
because a reader would otherwise see them as empty cells.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass, field

import python_calamine

from ingest.findings import ERROR, Finding, RejectedFile


def max_file_bytes() -> int:
    return int(float(os.environ.get("ZONESTAT_MAX_FILE_MB", "20")) * 1024 * 1024)


def max_unzipped_bytes() -> int:
    return int(float(os.environ.get("ZONESTAT_MAX_UNZIPPED_MB", "200")) * 1024 * 1024)


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
    """One sheet (or one CSV) as rows of cells, with the reference of each cell."""

    sheet: str
    rows: list[list[object]]
    is_csv: bool = False
    missing_cached_values: set[str] = field(default_factory=set)

    def ref(self, row: int, col: int) -> str:
        return f"line {row + 1}" if self.is_csv else f"{column_letter(col)}{row + 1}"


def _reject(rule: str, message: str, **kw: str) -> RejectedFile:
    return RejectedFile(Finding(rule=rule, severity=ERROR, message=message, **kw))


def _check_container(data: bytes, file_name: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _reject("file.corrupt", f"{file_name}: not a readable .xlsx workbook ({exc})") from exc
    unzipped = sum(info.file_size for info in infos)
    if unzipped > max_unzipped_bytes():
        raise _reject(
            "file.zip_bomb",
            f"{file_name}: its parts expand to {unzipped:,} bytes, above the limit of "
            f"{max_unzipped_bytes():,}",
            expected=f"<= {max_unzipped_bytes()} bytes uncompressed", found=str(unzipped),
        )
    names = {info.filename for info in infos}
    content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    if "xl/vbaProject.bin" in names or b"macroEnabled" in content_types:
        raise _reject(
            "file.macros",
            f"{file_name}: a macro-enabled workbook (.xlsm); macros are never run and such files "
            "are not accepted: save it as .xlsx and send it again",
        )
    if "xl/workbook.xml" not in names:
        raise _reject("file.corrupt", f"{file_name}: a zip file, but not an Excel workbook")
    try:
        bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _reject("file.corrupt", f"{file_name}: truncated or corrupt workbook ({exc})") from exc
    if bad:
        raise _reject("file.corrupt", f"{file_name}: corrupt part {bad} in the workbook")
    return archive


_SHEET_ENTRY = re.compile(rb'<sheet\b[^>]*\bname="([^"]*)"[^>]*\br:id="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*\bId="([^"]*)"[^>]*\bTarget="([^"]*)"')
_REL_ALT = re.compile(rb'<Relationship\b[^>]*\bTarget="([^"]*)"[^>]*\bId="([^"]*)"')
_CELL = re.compile(rb'<c\b[^>]*\br="([A-Z]+[0-9]+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)


def _formulas_without_cache(archive: zipfile.ZipFile) -> dict[str, set[str]]:
    """sheet name -> cells holding a formula with no cached value."""
    import html

    workbook = archive.read("xl/workbook.xml")
    rels = archive.read("xl/_rels/workbook.xml.rels")
    targets = {rid: tgt for rid, tgt in _REL.findall(rels)}
    targets.update({rid: tgt for tgt, rid in _REL_ALT.findall(rels)})
    out: dict[str, set[str]] = {}
    for name, rid in _SHEET_ENTRY.findall(workbook):
        target = targets.get(rid, b"").decode()
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        try:
            xml = archive.read(path)
        except KeyError:
            continue
        if b"<f" not in xml:
            continue
        missing = {
            ref.decode()
            for ref, inner in _CELL.findall(xml)
            if inner and b"<f" in inner and not re.search(rb"<v>[^<]+</v>", inner)
        }
        if missing:
            out[html.unescape(name.decode())] = missing
    return out


def read_workbook(data: bytes, file_name: str) -> dict[str, Grid]:
    """All sheets of a workbook, keyed by sheet name, cells as typed (numbers stay numbers)."""
    archive = _check_container(data, file_name)
    try:
        uncached = _formulas_without_cache(archive)
    except KeyError as exc:
        raise _reject("file.corrupt", f"{file_name}: the workbook lacks a required part ({exc})") from exc
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        grids = {}
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            grids[name] = Grid(name, rows, missing_cached_values=uncached.get(name, set()))
        return grids
    except Exception as exc:  # calamine raises its own error types for damaged parts
        raise _reject("file.corrupt", f"{file_name}: the workbook cannot be read ({exc})") from exc
