"""Text normalisation for hand-typed Vietnamese: NFC for storage, folded keys for matching."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
_NON_KEY = re.compile(r"[^a-z0-9]+")
# Text a spreadsheet program takes for a formula: a board's text written back into a workbook
# (the feedback workbook, the sample's files) is stored as text, never run.
FORMULA_STARTS = ("=", "+", "-", "@")


def nfc(text: str) -> str:
    """Compose decomposed (NFD) text, as files from some systems and cp1258 decoding produce."""
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=1 << 16)  # hand-typed files repeat the same strings row after row
def clean(text: str) -> str:
    """NFC, non-breaking spaces to spaces, runs of white space folded, ends trimmed."""
    return _SPACES.sub(" ", nfc(text).replace("\u00a0", " ")).strip()


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lower case without diacritics ('Thái Bình' -> 'thai binh'); đ is a letter, not a mark."""
    decomposed = unicodedata.normalize("NFD", clean(text).lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1 << 16)
def key(text: str) -> str:
    """A matching key for headers and metadata keys: 'Mã chỉ tiêu ' -> 'ma_chi_tieu'."""
    return _NON_KEY.sub("_", fold(text)).strip("_")


_ROWS = re.compile(r"\b(?:rows?|lines?) (?=\d)")


def location_vi(cells: str) -> str:
    """Where a finding is, for a Vietnamese reader: 'line 105, line 104' -> 'dòng 105, dòng 104'
    (a CSV's lines, a figure's rows); 'F12' and 'SoLieu!F12' stay as they are."""
    return _ROWS.sub("dòng ", cells)
