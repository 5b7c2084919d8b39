"""Read a text table: CSV or Excel's "Unicode Text" export.

Encodings: UTF-8 with or without BOM, UTF-16 with BOM (Excel's Unicode Text, UTF-16 CSV), or
legacy Windows-1258. Separators: comma, semicolon or tab.
"""

from __future__ import annotations

import csv
import io

from ingest.findings import ERROR, Finding, RejectedFile
from ingest.layout import Grid
from ingest.messages import msg
from zonestat.text import nfc


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with.

    cp1258 stores Vietnamese as a base letter plus a combining tone mark and Python's codec
    does not compose them, so the text is NFC-normalised after decoding.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return nfc(data[3:].decode("utf-8")), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return nfc(data.decode("utf-16", errors="replace")), "utf-16"
    try:
        return nfc(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        return nfc(data.decode("cp1258", errors="replace")), "cp1258"


def read_csv(data: bytes, file_name: str) -> Grid:
    text, _encoding = decode(data)
    if not text.strip():
        raise RejectedFile(Finding("file.empty", ERROR, msg("file.empty", file=file_name)))
    # Title lines may come first: judge the separator on the first lines together.
    head = "\n".join(text.splitlines()[:20])
    delimiter = max((";", ",", "\t"), key=head.count)
    rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return Grid(sheet="", rows=rows, is_csv=True)
