"""Units as typed -> canonical units, converting within a currency only.

Canonical units: count, persons, VND_bn (billion VND), USD_mn (million USD),
VND_mn_per_person_month, percent, ha. VND and USD are never converted into each other here:
that needs the year's exchange rate and happens in the warehouse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from zonestat.text import fold


@dataclass(frozen=True)
class Unit:
    canonical: str
    factor: float  # canonical value = typed value * factor
    family: str  # matches indicators.csv unit_family


_FAMILY = {
    "count": "count", "persons": "persons", "VND_bn": "money", "USD_mn": "money",
    "VND_mn_per_person_month": "income", "percent": "percent", "ha": "area",
}
WHOLE_FAMILIES = ("count", "persons")  # projects, licences, zones, permits, workers

# Keys are folded (no diacritics, lower case) with spaces, dots and hyphens removed.
_SPELLINGS: dict[str, tuple[str, float]] = {}


def _add(canonical: str, factor: float, *spellings: str) -> None:
    for s in spellings:
        _SPELLINGS[s] = (canonical, factor)


_add("count", 1, "duan", "luot", "luotduan", "khu", "kcn", "kkt", "giayphep", "gp", "doanhnghiep", "dn",
     "cai", "so")
_add("persons", 1, "nguoi", "laodong", "ld")
_add("persons", 1000, "nghinnguoi", "ngannguoi", "nghinlaodong", "nganlaodong")
_add("VND_bn", 1, "tydong", "tyvnd", "tyd", "tidong", "tivnd", "tid", "ty", "ti", "tydongvn")
_add("VND_bn", 1e-3, "trieudong", "trieuvnd", "trd", "trieud", "trdong")
_add("VND_bn", 1e3, "nghintydong", "ngantydong", "nghinty", "nganty", "nghintyd", "ngantyd")
_add("VND_bn", 1e-9, "dong", "vnd")
_add("USD_mn", 1, "trieuusd", "trusd", "trieudola", "musd", "trieuusdmy", "trieudolamy")
_add("USD_mn", 1e3, "tyusd", "tiusd", "tydola", "tidola", "tyusdmy")
_add("USD_mn", 1e-3, "nghinusd", "nganusd", "nghindola", "ngandola")
_add("USD_mn", 1e-6, "usd", "dola")
_add("VND_mn_per_person_month", 1, "trieudong/nguoi/thang", "trd/nguoi/thang", "trieu/nguoi/thang",
     "trieudong/ld/thang", "trieudong/laodong/thang", "trieuvnd/nguoi/thang")
_add("VND_mn_per_person_month", 1e-3, "nghindong/nguoi/thang", "ngandong/nguoi/thang")
_add("percent", 1, "%", "phantram")
_add("ha", 1, "ha", "hecta", "hectare", "hecta")
_add("ha", 100, "km2")


def unit_key(text: str) -> str:
    return re.sub(r"[\s.\-]+", "", fold(text))


@lru_cache(maxsize=4096)
def lookup(text: str) -> Unit | None:
    """The canonical unit for a typed spelling, or None if we do not know it."""
    found = _SPELLINGS.get(unit_key(text))
    if found is None:
        return None
    canonical, factor = found
    return Unit(canonical, factor, _FAMILY[canonical])


def unit_family(canonical: str | None) -> str | None:
    """The family of a canonical unit ('count' for 'count', 'money' for 'VND_bn'); None if unknown."""
    return _FAMILY.get(canonical) if canonical else None
