"""Who reported: a province board as (code, vintage) for the period, or a bloc's head board."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.messages import Message, msg
from ingest.periods import Period
from zonestat import reference
from zonestat.text import fold

_NAME_PREFIXES = re.compile(r"^(ban quan ly (cac )?(kcn|khu cong nghiep|khu kinh te)[^,]* )?"
                            r"(tinh |thanh pho |tp\.? ?|t\. )?")


@dataclass(frozen=True)
class Reporter:
    kind: str  # province | bloc
    code: str
    vintage: int | None
    name: str

    @property
    def reporter_id(self) -> str:
        return f"{self.kind}:{self.vintage}:{self.code}" if self.kind == "province" else f"bloc:{self.code}"


def _vintage_note(vintage: int) -> Message:
    return msg("reporter.vintage_2008" if vintage == 2008 else "reporter.vintage_2025")


def _name_key(name: str) -> str:
    return _NAME_PREFIXES.sub("", fold(name)).replace("-", " ").strip()


def resolve(code: str, name: str, bloc: str, period: Period | None) -> tuple[Reporter | None, Message | None]:
    """The reporter named by ma_tinh / tinh / ma_khoi, or why it cannot be resolved."""
    if bloc:
        bloc_code = bloc.strip().upper()
        if bloc_code in reference.blocs():
            return Reporter("bloc", bloc_code, None, bloc_code), None
        return None, msg("reporter.bloc_unknown", bloc=bloc, blocs=", ".join(sorted(reference.blocs())))
    if period is None:
        return None, msg("reporter.needs_period")
    vintage = reference.vintage_for(period.end)
    provinces = reference.provinces()
    if code:
        digits = code.strip()
        if digits.endswith(".0"):
            digits = digits[:-2]
        if not digits.isdigit():
            return None, msg("reporter.code_not_gso", code=code)
        gso = digits.zfill(2)
        province = provinces.get((vintage, gso))
        if province is None:
            return None, msg("reporter.code_not_in_vintage", code=gso, vintage=_vintage_note(vintage))
        return Reporter("province", gso, vintage, province.name_vi), None
    if name:
        wanted = _name_key(name)
        for (v, gso), province in provinces.items():
            if v == vintage and wanted in (_name_key(province.name_vi), _name_key(province.name_en)):
                return Reporter("province", gso, vintage, province.name_vi), None
        return None, msg("reporter.name_not_in_vintage", name=name, vintage=_vintage_note(vintage))
    return None, msg("reporter.missing")


def name_mismatch(reporter: Reporter, name: str) -> bool:
    """True when both a code and a name were given and they name different provinces."""
    if not name or reporter.kind != "province":
        return False
    province = reference.provinces()[(reporter.vintage, reporter.code)]
    return _name_key(name) not in (_name_key(province.name_vi), _name_key(province.name_en))
