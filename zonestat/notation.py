"""Numbers as boards type them: shared by the door (ingest/numbers.py decides a file's cells),
the suggestion search (corrections written as the board would type them) and the messages.

Vietnamese notation is the default for text cells: '.' groups thousands and ',' is the decimal
mark ('1.162,79' = 1162.79, '3.300' = 3300, '5,890' = 5.89). A typed (numeric) cell is taken as
it is. Each text figure is read under both notations; the file's other cells decide which
notation the file uses, and a cell whose meaning still depends on that choice (or that fits
neither) is reported with its cell reference instead of guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from zonestat import units

# sign, digits with separators, then whatever was glued after (a unit, '%').
_NUMBER = re.compile(r"^(?P<sign>[-+\u2212]?)(?P<num>\d[\d.,]*)(?P<rest>.*)$")
# Stray spaces next to a separator ('4.466, 777') are tolerated; between two digits ('5 1') they are not.
_STRAY_SPACES = re.compile(r"(?<=[.,])\s+(?=\d)|(?<=\d)\s+(?=[.,])")
_NUMBER_STARTS = frozenset("0123456789-+\u2212")
# Words (folded) by which a board marks a figure as approximate: more than, about, nearly, estimated.
APPROXIMATE_WORDS = ("tren", "hon", "khoang", "gan", "uoc")
_QUALIFIERS = APPROXIMATE_WORDS + ("~", ">", "<", "≈")

_VN_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+$")  # 3.300 / 1.095.829
_VN_GROUPED_DECIMAL = re.compile(r"^\d{1,3}(\.\d{3})+,\d+$")  # 1.162,79
_EN_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+$")  # 1,095,829
_EN_GROUPED_DECIMAL = re.compile(r"^\d{1,3}(,\d{3})+\.\d+$")  # 1,162.79
_ONE_COMMA = re.compile(r"^\d+,\d+$")
_ONE_DOT = re.compile(r"^\d+\.\d+$")


@dataclass(frozen=True)
class TextNumber:
    """A number typed as text, with its reading under each notation (None: not valid there)."""

    text: str
    vn: float | None
    en: float | None
    glued_unit: str
    qualifier: str

    @property
    def evidence(self) -> str | None:
        """Which notation this cell proves, if only one reads it."""
        if self.vn is not None and self.en is None:
            return "vn"
        if self.en is not None and self.vn is None:
            return "en"
        return None


def _readings(num: str) -> tuple[float | None, float | None]:
    if num.isdigit():
        return float(num), float(num)
    if "," in num and "." in num:
        vn = float(num.replace(".", "").replace(",", ".")) if _VN_GROUPED_DECIMAL.match(num) else None
        en = float(num.replace(",", "")) if _EN_GROUPED_DECIMAL.match(num) else None
        return vn, en
    if _VN_GROUPED.match(num):
        en = float(num) if num.count(".") == 1 else None
        return float(num.replace(".", "")), en
    if _ONE_COMMA.match(num):
        en = float(num.replace(",", "")) if _EN_GROUPED.match(num) else None
        return float(num.replace(",", ".")), en
    if _EN_GROUPED.match(num):
        return None, float(num.replace(",", ""))
    if _ONE_DOT.match(num):
        return None, float(num)
    return None, None


@lru_cache(maxsize=1 << 16)
def read_text_number(text: str) -> TextNumber | None:
    """Split a typed figure into its readings, glued unit and qualifier; None if not a number."""
    from zonestat.text import clean, fold

    cleaned = clean(text)
    qualifier = ""
    if cleaned[:1] not in _NUMBER_STARTS:  # folding costs more than the rest: only a word needs it
        folded = fold(cleaned)
        for word in _QUALIFIERS:
            if folded.startswith(word):
                qualifier = cleaned[: len(word)]
                cleaned = cleaned[len(word):].strip()
                break
    compact = _STRAY_SPACES.sub("", cleaned)
    match = _NUMBER.match(compact)
    if not match:
        return None
    num = match.group("num").rstrip(".,")
    rest = compact[match.start("num") + len(num):].strip()
    if match.group("num") != num and not rest:
        return None  # a trailing separator ('3.300,') is a typing slip we do not guess about
    if rest and units.lookup(rest) is None:
        return None  # '21abc', '5 1', '1e6': only a known unit may follow the number
    vn, en = _readings(num)
    sign = -1.0 if match.group("sign") in ("-", "\u2212") else 1.0
    return TextNumber(
        text=text,
        vn=None if vn is None else sign * vn,
        en=None if en is None else sign * en,
        glued_unit=rest,
        qualifier=qualifier,
    )


def file_notation(readings: list[TextNumber]) -> str:
    """'en' only when some cells can only be English and none can only be Vietnamese."""
    evidence = {r.evidence for r in readings}
    return "en" if "en" in evidence and "vn" not in evidence else "vn"


def printed_decimals(reading: TextNumber | None, value: float | None, notation: str) -> int:
    """How many decimals the figure was printed with: the rounding its checks must tolerate."""
    if value is None:
        return 0
    if reading is None:  # a typed numeric cell: its own digits
        text = format(value, ".10g")
        return len(text.split(".")[1]) if "." in text and "e" not in text else 0
    num = _NUMBER.match(_STRAY_SPACES.sub("", reading.text.strip()))
    digits = num.group("num").rstrip(".,") if num else ""
    mark = "," if notation == "vn" else "."
    if notation == "vn" and "," not in digits:
        return 0
    return len(digits.rsplit(mark, 1)[1]) if mark in digits else 0


def is_whole(x: float) -> bool:
    """A whole number, as far as binary floating point tells (72.015 * 1000 is 72015.00000000001)."""
    return abs(x - round(x)) <= 1e-9 * max(1.0, abs(x))


def rounding_tolerance(decimals: int) -> float:
    """Half a unit of the last printed digit: '68' stands for anything in [67.5, 68.5)."""
    return 0.5 * 10.0 ** (-decimals)


def en_format(x: float, decimals: int, trim: bool = False) -> str:
    """Write a number in English notation (',' groups thousands, '.' is the decimal mark):
    en_format(1162.79, 2) -> '1,162.79'; with trim, padding zeros go: en_format(549.9580, 4, True) -> '549.958'."""
    text = f"{x:,.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def vn_format(x: float, decimals: int, trim: bool = False) -> str:
    """Write a number in Vietnamese notation ('.' groups thousands, ',' is the decimal mark):
    vn_format(1162.79, 2) -> '1.162,79'; with trim, padding zeros go: vn_format(549.9580, 4, True) -> '549,958'."""
    return en_format(x, decimals, trim).replace(",", "\x00").replace(".", ",").replace("\x00", ".")
