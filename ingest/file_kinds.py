"""What a received file is, decided from its bytes, never from its name.

Boards rename files, save workbooks with the wrong suffix, and some systems export an HTML page
or an Excel 2003 XML file named `.xls`. The bytes say what a file is: a workbook we read
(.xlsx, .xls, .ods), a text table (CSV or Excel's Unicode Text), or something we name exactly
and refuse with what to do instead.
"""

from __future__ import annotations

import io
import zipfile

from ingest.findings import ERROR, Finding, RejectedFile
from ingest.messages import msg

XLSX, XLS, ODS, TEXT = "xlsx", "xls", "ods", "csv"

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound-file header of .xls (and .doc, encrypted .xlsx)
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _refuse(file_name: str, what: str, rule: str = "file.format") -> RejectedFile:
    return RejectedFile(Finding(rule, ERROR, msg(what, file=file_name), found=what.rsplit(".", 1)[-1]))


def file_kind(data: bytes, file_name: str) -> str:
    """XLSX, XLS, ODS or TEXT; raises RejectedFile saying what the bytes are when we cannot read them."""
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data, file_name)
    if data.startswith(_OLE2):
        return _compound_kind(data, file_name)
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf-"):
        raise _refuse(file_name, "kind.pdf")
    if head.startswith((b"<html", b"<!doctype html", b"<table", b"<meta")) or b"<html" in head[:200]:
        raise _refuse(file_name, "kind.html")
    if head.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in data[:4096]:
        raise _refuse(file_name, "kind.excel_2003_xml")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return TEXT  # UTF-16 with a BOM: Excel's "Unicode Text" and UTF-16 CSV
    if b"\x00" in data[:4096]:
        raise _refuse(file_name, "kind.binary")
    return TEXT


def _zip_kind(data: bytes, file_name: str) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return XLSX  # a damaged zip: the workbook reader says how it is damaged
    if "mimetype" in names:
        mimetype = zipfile.ZipFile(io.BytesIO(data)).read("mimetype")[:100]
        if mimetype.startswith(_ODS_MIMETYPE):
            return ODS
        if mimetype.startswith(b"application/vnd.oasis.opendocument"):
            raise _refuse(file_name, "kind.opendocument_other")
    if "xl/workbook.bin" in names:
        raise _refuse(file_name, "kind.xlsb")
    if "word/document.xml" in names:
        raise _refuse(file_name, "kind.docx")
    return XLSX  # a zip that is no workbook at all is refused by the workbook reader, which checks its parts


def _compound_kind(data: bytes, file_name: str) -> str:
    if _utf16("EncryptedPackage") in data:  # stream names are UTF-16 in the compound file's directory
        raise _refuse(file_name, "kind.encrypted", rule="file.encrypted")
    if _utf16("_VBA_PROJECT") in data:
        raise _refuse(file_name, "kind.xls_macros", rule="file.macros")
    if _utf16("WordDocument") in data:
        raise _refuse(file_name, "kind.doc")
    return XLS
