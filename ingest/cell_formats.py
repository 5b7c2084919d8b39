"""What the cell values alone do not say: percent formats, formulas without a cached value, and
how far a sheet reaches.

A board that types `18,5%` in Excel stores 0.185 in a cell with a percent format; the reader
returns 0.185, and only the format says the board meant 18.5. A formula cell saved by a program
that does not calculate has no cached value, and a reader would see an empty cell. Both are
found here from the file's own parts, with streaming parsers whose work is linear in the size
of the part (no regular expression over untrusted XML).

The extent is checked before any reader builds a sheet's dense grid: one cell at XFD100000 in a
2 KB file would otherwise ask for billions of cells. Each scan returns, per sheet name, what it
found.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from xml.parsers import expat

from ingest.layout import column_letter

_REF = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})$")
_BUILTIN_PERCENT_FORMATS = {9, 10}  # 0% and 0.00%
_QUOTED = re.compile(r'"[^"]*"|\\.')
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass
class SheetFormats:
    extent: tuple[int, int] = (0, 0)  # rows and columns from A1 to the farthest cell: what a dense read allocates
    percent: set[str] = field(default_factory=set)
    formulas_without_value: set[str] = field(default_factory=set)
    # (row, col) -> the number stored, for cells the file formats as numbers, not dates (.xls only)
    stored_numbers: dict[tuple[int, int], float] = field(default_factory=dict)


def is_percent_format(code: str) -> bool:
    """A number format that shows a fraction as a percentage ('0.0%', '#,##0.00%'), quoted text aside."""
    return "%" in _QUOTED.sub("", code)


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def _local(name: str) -> str:
    """'uri c' (expat with a namespace separator) or '{uri}c' (ElementTree) -> 'c'."""
    return name.rsplit(" ", 1)[-1].rsplit("}", 1)[-1]


# ---- .xlsx ---------------------------------------------------------------------------------

def _percent_styles(archive: zipfile.ZipFile) -> set[str]:
    """Indexes (as in a cell's s="") of the cell formats that show numbers as percentages."""
    try:
        root = ET.fromstring(archive.read("xl/styles.xml"))
    except KeyError:
        return set()
    custom = {int(e.get("numFmtId", "-1")): e.get("formatCode", "")
              for e in root.iter() if _local(e.tag) == "numFmt"}
    styles = set()
    for parent in root.iter():
        if _local(parent.tag) != "cellXfs":
            continue
        for index, xf in enumerate(x for x in parent if _local(x.tag) == "xf"):
            fmt = int(xf.get("numFmtId", "0"))
            if fmt in _BUILTIN_PERCENT_FORMATS or (fmt in custom and is_percent_format(custom[fmt])):
                styles.add(str(index))
    return styles


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """sheet name -> the zip part holding its cells."""
    workbook = ET.fromstring(archive.read("xl/workbook.xml"))
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter() if r.tag.endswith("Relationship")}
    parts = {}
    for sheet in workbook.iter():
        if not sheet.tag.endswith("}sheet"):
            continue
        target = targets.get(sheet.get(f"{{{_NS_REL}}}id"), "")
        parts[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


def _scan_xlsx_sheet(xml: bytes, percent_styles: set[str]) -> SheetFormats:
    found = SheetFormats()
    state = {"row": 0, "col": -1, "ref": "", "formula": False, "value": False, "in_value": False, "style": ""}

    def start(name: str, attrs: dict) -> None:
        tag = _local(name)
        if tag == "row":
            state["row"] = int(attrs["r"]) if attrs.get("r", "").isdigit() else state["row"] + 1
            state["col"] = -1
        elif tag == "c":
            match = _REF.match(attrs.get("r", ""))
            if match:
                state["col"] = _column_index(match.group(1))
                state["row"] = int(match.group(2))
            else:  # the reference is optional: the cell follows the previous one
                state["col"] += 1
            state.update(ref=f"{column_letter(state['col'])}{state['row']}", formula=False, value=False,
                         style=attrs.get("s", ""))
        elif tag == "f":
            state["formula"] = True
        elif tag == "v":
            state["in_value"] = True

    def text(data: str) -> None:
        if state["in_value"] and data.strip():
            state["value"] = True

    def end(name: str) -> None:
        tag = _local(name)
        if tag == "v":
            state["in_value"] = False
        elif tag == "c":
            found.extent = (max(found.extent[0], state["row"]), max(found.extent[1], state["col"] + 1))
            if state["formula"] and not state["value"]:
                found.formulas_without_value.add(state["ref"])
            if state["style"] in percent_styles:
                found.percent.add(state["ref"])

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    parser.Parse(xml, True)
    return found




# A cell past column Z or row 9,999. No \b before r: a leading literal lets the search skip ahead fast,
# and an attribute name ending in r (none in a usual sheet) only costs a parse.
_FAR_REF = re.compile(rb'r="(?:[A-Z]{2,3}[0-9]|[A-Z][0-9]{5})')
# A cell without its own reference (allowed: it follows the one before); the look-ahead is bounded.
_CELL_WITHOUT_REF = re.compile(rb'<(?:\w{1,10}:)?c(?=[\s/>])(?![^>]{0,400}\br=")')
SMALL_SHEET = (9_999, 26)  # the extent of a sheet without such a cell, at most


def _xlsx_extent(xml: bytes) -> tuple[int, int] | None:
    """For the usual sheet, which names every cell and none past Z9999, that bound (two searches
    that find nothing); None when only a parse of the sheet can tell how far it reaches."""
    if _FAR_REF.search(xml) or not _every_cell_named(xml):
        return None
    return SMALL_SHEET


def _every_cell_named(xml: bytes) -> bool:
    # Counting is a tenth of the search's cost; it answers for the usual writer, which puts r first
    # in cells without a namespace prefix, and leaves every other sheet to the search.
    cells = xml.count(b"<c ")
    if cells == xml.count(b'<c r="') and b"<c>" not in xml and b"<c/>" not in xml and b":c" not in xml:
        return True
    return _CELL_WITHOUT_REF.search(xml) is None


def xlsx_formats(archive: zipfile.ZipFile) -> dict[str, SheetFormats]:
    """Extent, percent cells and formulas without a cached value, per sheet of an .xlsx workbook."""
    percent_styles = _percent_styles(archive)
    out = {}
    for name, part in _sheet_parts(archive).items():
        try:
            xml = archive.read(part)
        except KeyError:
            continue
        extent = _xlsx_extent(xml)
        # Most sheets have no formula, no percent format and no far cell: no parse then.
        if extent is None or b"<f" in xml or b":f" in xml or percent_styles:
            out[name] = _scan_xlsx_sheet(xml, percent_styles)
        else:
            out[name] = SheetFormats()
        if extent is not None:
            out[name].extent = extent
    return out


# ---- .ods ----------------------------------------------------------------------------------

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def ods_formats(archive: zipfile.ZipFile) -> dict[str, SheetFormats]:
    """Extent and percent cells per sheet of an .ods workbook (cells say office:value-type="percentage")."""
    content = archive.read("content.xml")
    out: dict[str, SheetFormats] = {}
    state = {"sheet": SheetFormats(), "row": 0, "col": 0, "row_repeat": 1, "cell": None}

    def start(name: str, attrs: dict) -> None:
        if name == f"{_TABLE} table":
            state.update(sheet=out.setdefault(attrs.get(f"{_TABLE} name", ""), SheetFormats()), row=0)
        elif name == f"{_TABLE} table-row":
            state.update(col=0, row_repeat=int(attrs.get(f"{_TABLE} number-rows-repeated", "1")))
        elif name in (f"{_TABLE} table-cell", f"{_TABLE} covered-table-cell"):
            repeat = int(attrs.get(f"{_TABLE} number-columns-repeated", "1"))
            value_type = attrs.get(f"{_OFFICE} value-type")
            state["cell"] = (state["col"], repeat)
            if value_type:
                _reach(state, repeat)
            if value_type == "percentage":
                for col in range(state["col"], state["col"] + min(repeat, 1024)):
                    state["sheet"].percent.add(f"{column_letter(col)}{state['row'] + 1}")
            state["col"] += repeat
        elif name == f"{_TEXT} p" and state["cell"] is not None:  # a text cell
            col, repeat = state["cell"]
            _reach(state, repeat, col)

    def end(name: str) -> None:
        if name == f"{_TABLE} table-row":
            state["row"] += state["row_repeat"]
        elif name in (f"{_TABLE} table-cell", f"{_TABLE} covered-table-cell"):
            state["cell"] = None

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.Parse(content, True)
    return out


def _reach(state: dict, repeat: int, col: int | None = None) -> None:
    """Extend the sheet's extent to a cell with content (repeated across columns and rows)."""
    sheet: SheetFormats = state["sheet"]
    first = state["col"] if col is None else col
    sheet.extent = (max(sheet.extent[0], state["row"] + state["row_repeat"]),
                    max(sheet.extent[1], first + repeat))


# ---- .xls ----------------------------------------------------------------------------------

_BIFF_BOF, _BIFF_BOUNDSHEET = 0x0809, 0x0085
# Records that put one cell at (row, col), the first four bytes of their data.
_BIFF_CELLS = {0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E}
_BIFF_CELL_RUNS = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first column, ..., last column


def xls_extents(data: bytes) -> dict[str, SheetFormats]:
    """How far each sheet of an .xls reaches, from its cell records, before any reader builds it.

    xlrd and calamine both build a sheet's whole grid from its farthest cell, and a 6 KB .xls
    with one cell at IV65536 asks for 16.8 million. The records are read one by one (four bytes
    of header each), so the work is linear in the file. Raises ValueError when the compound file
    holds no workbook stream.
    """
    import xlrd.compdoc

    try:
        document = xlrd.compdoc.CompDoc(data, logfile=_Discard())
        stream = document.get_named_stream("Workbook") or document.get_named_stream("Book")  # BIFF8, BIFF5
    except Exception as exc:  # xlrd's reader of untrusted bytes fails in its own ways (IndexError...)
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc
    if not stream:
        raise ValueError("no Workbook stream")
    names: dict[int, str] = {}  # the offset of each sheet's BOF -> its name
    out: dict[str, SheetFormats] = {}
    sheet = SheetFormats()
    at, end = 0, len(stream)
    while at + 4 <= end:
        kind, size = int.from_bytes(stream[at:at + 2], "little"), int.from_bytes(stream[at + 2:at + 4], "little")
        body = stream[at + 4:at + 4 + size]
        if kind == _BIFF_BOUNDSHEET and size >= 8:
            names[int.from_bytes(body[:4], "little")] = _biff_sheet_name(body)
        elif kind == _BIFF_BOF and at in names:
            sheet = out.setdefault(names[at], SheetFormats())
        elif (kind in _BIFF_CELLS or kind in _BIFF_CELL_RUNS) and size >= 4:
            row = int.from_bytes(body[:2], "little")
            col = int.from_bytes(body[size - 2:size] if kind in _BIFF_CELL_RUNS else body[2:4], "little")
            sheet.extent = (max(sheet.extent[0], row + 1), max(sheet.extent[1], col + 1))
        at += 4 + size
    return out


def _biff_sheet_name(body: bytes) -> str:
    length = body[6]
    if len(body) > 7 and body[7] in (0, 1):  # BIFF8: a flag byte, then Latin-1 or UTF-16 characters
        raw = body[8:8 + length * (2 if body[7] else 1)]
        return raw.decode("utf-16-le" if body[7] else "latin-1", errors="replace")
    return body[7:7 + length].decode("cp1258", errors="replace")  # BIFF5: the writer's code page

def xls_formats(data: bytes) -> dict[str, SheetFormats]:
    """Percent cells per sheet of an .xls workbook, and the numbers stored in number-formatted cells.

    The numbers are kept because calamine takes some programs' number formats for date and time
    formats: in gnumeric's .xls, 4466.777 shown as '#,##0.000' comes back as the date 23/03/1912,
    and 0.185 shown as '0.0%' as 04:26:24. The file's own format records say what the cell is.
    """
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, logfile=_Discard())
    except Exception:  # an .xls xlrd cannot read: calamine reads it alone, or says what is wrong with it
        return {}
    kinds = [(getattr(book.format_map.get(xf.format_key), "format_str", ""),
              getattr(book.format_map.get(xf.format_key), "type", xlrd.formatting.FGE)) for xf in book.xf_list]
    out = {}
    for index, name in enumerate(book.sheet_names()):
        sheet = book.get_sheet(index)
        formats = SheetFormats(extent=(sheet.nrows, sheet.ncols))
        for r in range(sheet.nrows):
            for c, cell in enumerate(sheet.row(r)):
                if cell.ctype != xlrd.XL_CELL_NUMBER or cell.xf_index >= len(kinds):
                    continue
                code, kind = kinds[cell.xf_index]
                if kind == xlrd.formatting.FDT:
                    continue
                formats.stored_numbers[(r, c)] = float(cell.value)
                if is_percent_format(code):
                    formats.percent.add(f"{column_letter(c)}{r + 1}")
        out[name] = formats
    return out


class _Discard:
    """xlrd writes warnings about odd records to a log file; the door reports what matters."""

    def write(self, _text: str) -> None:
        pass
