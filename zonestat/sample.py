"""Synthetic submissions in the v1.1 format (ingest/submission-format.md), realistic in shape and magnitude.

Each zone has a latent monthly history (projects, capital, output, trade, workers). A report is
the year-to-date aggregate of the zones of one province under the province vintage in force
(63 provinces before July 2025, 34 after), so a merged province's figures continue its
predecessors' series. Figures are internally consistent: totals equal their parts, provinces
equal the sum of their zones, rates match, growth claims match last year. With
`inject_errors`, some reports get one corrupted cell, and each corruption is recorded in
`manifest.csv` so tests know what the quality engine must catch.
"""

from __future__ import annotations

import calendar
import csv
import functools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from zonestat import reference
from zonestat.notation import vn_format
from zonestat.progress import Progress
from zonestat.submission_files import write_csv, write_xlsx

ZONE_NAMES = ["Phú Mỹ", "Tân Bình", "Đông Nam", "Hòa Khánh", "Long Hậu", "Quế Võ", "Yên Phong", "Tiền Hải",
              "Gia Lễ", "Phúc Khánh", "Sông Công", "Đình Vũ", "Nam Cầu Kiền", "Vân Trung", "Thăng Long",
              "Nội Bài", "Bắc Thăng Long", "Hiệp Phước", "Tân Thuận", "Mỹ Phước", "Bàu Bàng", "Nhơn Trạch",
              "Amata", "Giang Điền", "Long Đức", "Phố Nối", "Minh Đức", "Đồng Văn", "Châu Sơn", "Hòa Phú"]
MANIFEST_COLUMNS = ["file", "sheet", "cell", "reporter_code", "period", "indicator", "zone", "breakdown",
                    "error_kind", "original_value", "original_text", "corrupted_text", "detected_by"]


@dataclass
class Zone:
    name: str
    province_2008: str
    area_ha: float
    has_wwtp: bool
    scale: float  # relative size
    state: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The zone across the history: its name within its province of 2008."""
        return self.name + self.province_2008


def _zones(rng: np.random.Generator) -> list[Zone]:
    zones = []
    for (vintage, code), _province in sorted(reference.provinces().items()):
        if vintage != 2008:
            continue
        for i in range(int(rng.integers(2, 9))):
            name = f"KCN {ZONE_NAMES[(int(code) * 7 + i * 3) % len(ZONE_NAMES)]} {i + 1}"
            zones.append(Zone(name, code, float(rng.uniform(80, 600)), bool(rng.random() < 0.8),
                              float(rng.lognormal(0, 0.6))))
    return zones


# Indicators generated per zone and month: (code, decimals, breakdowns, unit by breakdown).
VND, USD = "tỷ đồng", "triệu USD"


def _monthly_flows(zone: Zone, rng: np.random.Generator, year: int, month: int) -> dict[tuple[str, str], float]:
    """One month's flows of one zone (not cumulated)."""
    s = zone.scale * (1.06 ** (year - 2019)) * (0.85 + 0.3 * np.sin(month / 12 * 2 * np.pi) ** 2)
    new_tn, new_nn = rng.poisson(0.35 * s), rng.poisson(0.3 * s)
    adj_tn, adj_nn = rng.poisson(0.4 * s), rng.poisson(0.5 * s)
    up_tn, up_nn = rng.binomial(adj_tn, 0.7), rng.binomial(adj_nn, 0.7)
    up_cap_tn, up_cap_nn = up_tn * rng.uniform(20, 80), up_nn * rng.uniform(2, 9)
    # net added = increases - decreases, so it is at most the increases (the Thái Bình case)
    net_tn, net_nn = up_cap_tn * rng.uniform(0.85, 1.0), up_cap_nn * rng.uniform(0.85, 1.0)
    ind_tn, ind_nn = 180 * s * rng.uniform(0.9, 1.1), 420 * s * rng.uniform(0.9, 1.1)
    exp_tn, exp_nn = 4 * s * rng.uniform(0.9, 1.1), 25 * s * rng.uniform(0.9, 1.1)
    return {
        ("INV_NEW_PROJ", "TN"): new_tn, ("INV_NEW_PROJ", "NN"): new_nn,
        ("INV_NEW_CAP", "TN"): new_tn * rng.uniform(60, 250), ("INV_NEW_CAP", "NN"): new_nn * rng.uniform(5, 30),
        ("INV_ADJ_PROJ", "TN"): adj_tn, ("INV_ADJ_PROJ", "NN"): adj_nn,
        ("INV_ADJ_UP_PROJ", "TN"): up_tn, ("INV_ADJ_UP_PROJ", "NN"): up_nn,
        ("INV_ADJ_UP_CAP", "TN"): up_cap_tn, ("INV_ADJ_UP_CAP", "NN"): up_cap_nn,
        ("INV_ADJ_CAP", "TN"): net_tn, ("INV_ADJ_CAP", "NN"): net_nn,
        ("INV_DISB_CAP", "TN"): 40 * s * rng.uniform(0.8, 1.2), ("INV_DISB_CAP", "NN"): 3 * s * rng.uniform(0.8, 1.2),
        ("OUT_IND_VALUE", "TN"): ind_tn, ("OUT_IND_VALUE", "NN"): ind_nn,
        ("OUT_REVENUE", "TN"): ind_tn * 1.05, ("OUT_REVENUE", "NN"): ind_nn * 1.08,
        ("OUT_BUDGET", "TN"): ind_tn * 0.06, ("OUT_BUDGET", "NN"): ind_nn * 0.04,
        ("TRD_EXPORT", "TN"): exp_tn, ("TRD_EXPORT", "NN"): exp_nn,
        ("TRD_IMPORT", "TN"): exp_tn * 0.8, ("TRD_IMPORT", "NN"): exp_nn * 0.85,
        ("LAB_NEW_JOBS", "TN"): rng.poisson(25 * s), ("LAB_NEW_JOBS", "NN"): rng.poisson(60 * s),
        ("LAB_WORK_PERMITS", "TONG"): rng.poisson(2 * s),
    }


def _initial_stocks(zone: Zone, rng: np.random.Generator) -> dict:
    s = zone.scale
    return {
        ("INV_VALID_PROJ", "TN"): float(rng.integers(10, 40) * s // 1 + 1),
        ("INV_VALID_PROJ", "NN"): float(rng.integers(10, 50) * s // 1 + 1),
        ("INV_VALID_CAP", "TN"): 3000 * s * rng.uniform(0.7, 1.3),
        ("INV_VALID_CAP", "NN"): 400 * s * rng.uniform(0.7, 1.3),
        "impl_share_tn": rng.uniform(0.5, 0.8), "impl_share_nn": rng.uniform(0.5, 0.85),
        ("LAB_WORKERS", "TN"): float(rng.integers(800, 3000) * s // 1),
        ("LAB_WORKERS", "NN"): float(rng.integers(2000, 9000) * s // 1),
        "foreign_share": rng.uniform(0.002, 0.01), "income": rng.uniform(5.5, 7.5), "si": rng.uniform(80, 95),
    }


DECIMALS = {"count": 0, "money": 3, "persons": 0, "income": 1, "percent": 0, "area": 1}
UNIT_TEXT = {"count": "dự án", "persons": "người", "income": "triệu đồng/người/tháng", "percent": "%",
             "area": "ha"}
COUNT_UNITS = {"INV_ADJ_PROJ": "lượt", "INV_ADJ_UP_PROJ": "lượt", "INV_LICENSED": "lượt",
               "LAB_WORK_PERMITS": "giấy phép", "INF_ZONES": "khu", "INF_WWTP_ZONES": "khu"}


def _unit(code: str, breakdown: str) -> str:
    family = reference.indicators()[code].unit_family
    if family == "money":
        if code.startswith("TRD_"):
            return USD
        return USD if breakdown == "NN" and code.startswith("INV_") else VND
    return COUNT_UNITS.get(code, UNIT_TEXT[family])


class History:
    """Year-to-date figures per zone and period, built month by month."""

    def __init__(self, seed: int, years: range):
        self.rng = np.random.default_rng(seed)
        self.zones = _zones(self.rng)
        self.ytd: dict[tuple[int, int], dict[str, dict]] = {}
        for zone in self.zones:
            zone.state = _initial_stocks(zone, self.rng)
        for year in years:
            year_to_date = {z.id: {} for z in self.zones}
            for month in range(1, 13):
                snapshot = {}
                for zone in self.zones:
                    flows = _monthly_flows(zone, self.rng, year, month)
                    zone_year_to_date = year_to_date[zone.id]
                    for k, v in flows.items():
                        zone_year_to_date[k] = zone_year_to_date.get(k, 0.0) + float(v)
                    stocks = zone.state
                    for b in ("TN", "NN"):
                        stocks[("INV_VALID_PROJ", b)] += flows[("INV_NEW_PROJ", b)]
                        stocks[("INV_VALID_CAP", b)] += flows[("INV_NEW_CAP", b)] + flows[("INV_ADJ_CAP", b)]
                        stocks[("LAB_WORKERS", b)] += flows[("LAB_NEW_JOBS", b)] * 0.6
                    stocks["income"] *= 1.004
                    snapshot[zone.id] = (dict(zone_year_to_date), dict(stocks))
                self.ytd[(year, month)] = snapshot


def _zone_figures(flows: dict, stocks: dict) -> dict[tuple[str, str], float]:
    """The reported figures of one zone for one period (parts only; totals are added later)."""
    figures: dict[tuple[str, str], float] = {}
    for (code, b), v in flows.items():
        figures[(code, b)] = v
    for b in ("TN", "NN"):
        figures[("INV_VALID_PROJ", b)] = stocks[("INV_VALID_PROJ", b)]
        figures[("INV_VALID_CAP", b)] = stocks[("INV_VALID_CAP", b)]
        figures[("INV_IMPL_CAP", b)] = stocks[("INV_VALID_CAP", b)] * stocks["impl_share_" + b.lower()]
        figures[("LAB_WORKERS", b)] = round(stocks[("LAB_WORKERS", b)])
        figures[("INV_LICENSED", b)] = flows[("INV_NEW_PROJ", b)] + flows[("INV_ADJ_PROJ", b)]
        figures[("INV_LICENSED_CAP", b)] = flows[("INV_NEW_CAP", b)] + flows[("INV_ADJ_CAP", b)]
    workers = figures[("LAB_WORKERS", "TN")] + figures[("LAB_WORKERS", "NN")]
    figures[("LAB_WORKERS", "LDNN")] = round(workers * stocks["foreign_share"])
    figures[("LAB_WORKERS", "LDVN")] = workers - figures[("LAB_WORKERS", "LDNN")]
    figures[("LAB_AVG_INCOME", "TONG")] = stocks["income"]
    figures[("LAB_SI_RATE", "TONG")] = stocks["si"]
    return figures


SUMMED_BREAKDOWNS = ("TN", "NN")
NO_TOTAL = {"INV_NEW_CAP", "INV_ADJ_CAP", "INV_ADJ_UP_CAP", "INV_LICENSED_CAP", "INV_VALID_CAP", "INV_IMPL_CAP",
            "INV_DISB_CAP"}  # domestic in VND, foreign in USD: boards print no mixed-currency total


@functools.cache
def ratio_parts() -> dict[str, tuple[str, str]]:
    """Each printed rate's numerator and denominator, as the catalogue's ratio rules define them."""
    from expectations.catalogue import load

    return {rule.spec["rate"]["indicator"]: (rule.spec["numerator"]["indicator"], rule.spec["denominator"]["indicator"])
            for rule in load() if rule.kind == "ratio"}


def _report_rows(parts: dict[tuple[str, str], float], last_year: dict | None) -> list[dict]:
    """Rounded rows of one reporter's report, totals added, rates and growth claims computed."""
    inds = reference.indicators()
    rounded = {k: round(v, DECIMALS[inds[k[0]].unit_family]) for k, v in parts.items()}
    # Derived totals are computed from the printed parts at every level, as a board does.
    for b in ("TN", "NN"):
        if ("INV_NEW_PROJ", b) in rounded:
            rounded[("INV_LICENSED", b)] = rounded[("INV_NEW_PROJ", b)] + rounded[("INV_ADJ_PROJ", b)]
            rounded[("INV_LICENSED_CAP", b)] = round(rounded[("INV_NEW_CAP", b)] + rounded[("INV_ADJ_CAP", b)], 3)
    for code in {c for c, _ in rounded}:
        if code in NO_TOTAL or (code, "TN") not in rounded:
            continue
        rounded[(code, "TONG")] = round(rounded[(code, "TN")] + rounded[(code, "NN")], 3)
    for rate, (num, den) in ratio_parts().items():
        for b in ("TN", "NN"):
            if rounded.get((den, b)):
                rounded[(rate, b)] = round(100 * rounded[(num, b)] / rounded[(den, b)])
    rows = []
    for (code, b), v in sorted(rounded.items()):
        decimals = DECIMALS[inds[code].unit_family]
        growth = None
        if last_year and last_year.get((code, b)) and inds[code].kind != "ratio" and b in ("TONG", "NN"):
            growth = round(100 * (v / last_year[(code, b)] - 1), 1)
        share = None
        if b == "NN" and (code, "TONG") in rounded and rounded[(code, "TONG")] and inds[code].unit_family == "count":
            share = round(100 * v / rounded[(code, "TONG")])
        rows.append({"ma_chi_tieu": code, "chi_tieu": inds[code].name_vi, "phan_to": b, "don_vi": _unit(code, b),
                     "value": v, "gia_tri": vn_format(v, decimals),
                     "tang_truong": None if growth is None else vn_format(growth, 1),
                     "ty_trong": None if share is None else str(share)})
    return rows


def _rounded(parts: dict) -> dict:
    inds = reference.indicators()
    return {k: round(v, DECIMALS[inds[k[0]].unit_family]) for k, v in parts.items()}


def _aggregate(figures: list[dict]) -> dict:
    out: dict = {}
    for f in figures:
        for k, v in f.items():
            if k[0] in ("LAB_AVG_INCOME", "LAB_SI_RATE"):
                continue
            out[k] = out.get(k, 0.0) + v
    n = len(figures)
    out[("LAB_AVG_INCOME", "TONG")] = sum(f[("LAB_AVG_INCOME", "TONG")] for f in figures) / n
    out[("LAB_SI_RATE", "TONG")] = sum(f[("LAB_SI_RATE", "TONG")] for f in figures) / n
    return out


SYNTHETIC_RATES_SOURCE = "synthetic: zonestat sample, not a published rate"


def synthetic_rates(years: tuple[int, int]) -> dict[int, float]:
    """VND per USD for the sample's years the seed has no rate for: the last published rate moved
    on by 3% a year, so that the demo's money figures convert. Not a forecast."""
    published = reference.fx_rates()
    last = max(published)
    return {y: round(published[last] * 1.03 ** (y - last), 2) for y in range(years[0], years[1] + 1) if y not in published}


def generate(out: Path, seed: int = 1, years: tuple[int, int] = (2019, 2026), provinces: str = "all",
             months: tuple[int, ...] = tuple(range(1, 13)), inject_errors: float = 0.0,
             csv_share: float = 0.1, today: date | None = None, manifest: Path | None = None) -> dict:
    """Write submissions into `out`; returns counts. See the module docstring."""
    today = today or date.today()
    out.mkdir(parents=True, exist_ok=True)
    history = History(seed, range(years[0], years[1] + 1))
    rng = np.random.default_rng(seed + 1)
    wanted = None if provinces == "all" else {c.strip().zfill(2) for c in provinces.split(",")}
    succession = reference.succession()
    injected: list[dict] = []
    files = figures = 0
    periods = [(year, month) for year in range(years[0], years[1] + 1) for month in months
               if date(year, month, 1) <= today]
    progress = Progress("writing sample submissions", len(periods), "periods")
    for year, month in periods:
        vintage = reference.vintage_for(date(year, month, calendar.monthrange(year, month)[1]))  # the period's end
        snapshot = history.ytd[(year, month)]
        last = history.ytd.get((year - 1, month))
        for (v, code), province in sorted(reference.provinces().items()):
            if v != vintage or (wanted and code not in wanted):
                continue
            members = [z for z in history.zones
                       if (z.province_2008 == code if vintage == 2008 else succession[z.province_2008] == code)]
            if not members:
                continue
            zone_rows, zone_parts, last_parts = [], [], []
            for z in members:
                parts = _zone_figures(*snapshot[z.id])
                last_year_parts = _zone_figures(*last[z.id]) if last else None
                zone_parts.append(parts)
                if last_year_parts:
                    last_parts.append(last_year_parts)
                for row in _report_rows(parts, _totals(last_year_parts) if last_year_parts else None):
                    zone_rows.append(row | {"khu": z.name})
            # A board adds up its zones' printed (rounded) figures.
            province_parts = _aggregate([_rounded(p) for p in zone_parts])
            province_parts[("INF_ZONES", "TONG")] = len(members)
            province_parts[("INF_AREA", "TONG")] = round(sum(z.area_ha for z in members), 1)
            province_parts[("INF_WWTP_ZONES", "TONG")] = sum(z.has_wwtp for z in members)
            last_province = _totals(_aggregate([_rounded(p) for p in last_parts])) if last_parts else None
            rows = _report_rows(province_parts, last_province) + zone_rows
            period = str(year) if month == 12 else f"{year}-{month:02d}"
            metadata = {"ma_tinh": code, "tinh": province.name_vi, "ky_bao_cao": period, "trang_thai": "uoc",
                        "ngay_lap": f"{year}-{month:02d}-20", "don_vi": f"Ban Quản lý các KCN {province.name_vi}"}
            as_csv = rng.random() < csv_share
            name = f"{code}_{vintage}_{year}-{month:02d}.{'csv' if as_csv else 'xlsx'}"
            if inject_errors and rng.random() < inject_errors:
                injected.append(_inject(rng, rows, name, code, period, as_csv))
            if as_csv:
                write_csv(out / name, metadata, rows, delimiter=";" if rng.random() < 0.5 else ",")
            else:
                write_xlsx(out / name, metadata, rows, title=f"BÁO CÁO TÌNH HÌNH KCN {province.name_vi.upper()}")
            files += 1
            figures += len(rows)
        progress.advance()
    progress.finish()
    if inject_errors:
        manifest_path = manifest or out / "manifest.csv"
        manifest_path.parent.mkdir(parents=True, exist_ok=True)
        with open(manifest_path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, MANIFEST_COLUMNS)
            writer.writeheader()
            writer.writerows(injected)
    return {"files": files, "figures": figures, "injected_errors": len(injected)}


def _totals(parts: dict) -> dict:
    """The figures a growth claim compares with: parts and their rounded totals."""
    return {r_key: r["value"] for r in _report_rows(parts, None) for r_key in [(r["ma_chi_tieu"], r["phan_to"])]}


# The typing slips the sample injects, each recorded in the manifest with the cell it corrupted.
INJECTABLE = ("x1000", "decimal_mark", "transposition", "digit_dropped", "digit_repeated", "comma_lost",
              "neighbour_swap", "fraction")


def _inject(rng: np.random.Generator, rows: list[dict], name: str, code: str, period: str, as_csv: bool) -> dict:
    """Corrupt one cell of a zone that takes part in a rule: a part of a balance (a zone's TN or NN of a
    summed indicator), or for `fraction` a zone's printed rate."""
    candidates = [i for i, r in enumerate(rows)
                  if r.get("khu") and r["phan_to"] in SUMMED_BREAKDOWNS and r["ma_chi_tieu"] not in ratio_parts()
                  and reference.indicators()[r["ma_chi_tieu"]].kind != "ratio" and r["value"] >= 100]
    kind = INJECTABLE[int(rng.integers(len(INJECTABLE)))]
    rates = [i for i, r in enumerate(rows) if r.get("khu") and r["ma_chi_tieu"] in ratio_parts() and 1 <= r["value"] < 100]
    pairs = [i for i in candidates if i + 1 in candidates and rows[i]["khu"] == rows[i + 1]["khu"]
             and rows[i]["gia_tri"] != rows[i + 1]["gia_tri"]]
    if (kind == "fraction" and not rates) or (kind == "neighbour_swap" and not pairs):
        kind = "x1000"
    i = int(rng.choice(rates if kind == "fraction" else pairs if kind == "neighbour_swap" else candidates))
    row = rows[i]
    original = row["gia_tri"]
    decimals = len(original.split(",")[1]) if "," in original else 0
    digits = [j for j, ch in enumerate(original) if ch.isdigit()]
    number = "".join(original[j] for j in digits)
    if kind == "comma_lost" and decimals == 0:
        kind = "digit_dropped"
    if kind == "x1000":
        corrupted = vn_format(row["value"] * 1000, decimals)
    elif kind == "decimal_mark":
        corrupted = original.replace(",", ".") if "," in original else original + ".000"
    elif kind == "digit_dropped":
        at = int(rng.integers(1, len(number)))  # not the first digit: '0...' is no number a board types
        corrupted = vn_format(int(number[:at] + number[at + 1:]) / 10 ** decimals, decimals)
    elif kind == "digit_repeated":
        at = int(rng.integers(len(number)))
        corrupted = vn_format(int(number[:at + 1] + number[at:]) / 10 ** decimals, decimals)
    elif kind == "comma_lost":
        corrupted = vn_format(int(number), 0)
    elif kind == "neighbour_swap":  # this row's figure typed in the next row, and the next one's here
        corrupted = rows[i + 1]["gia_tri"]
        rows[i + 1]["gia_tri"] = original
    elif kind == "fraction":  # 54% typed as 0,54
        corrupted = vn_format(row["value"] / 100, decimals + 2)
    else:
        pairs = [(a, b) for a, b in zip(digits, digits[1:]) if b == a + 1 and original[a] != original[b]]
        if not pairs:
            corrupted, kind = vn_format(row["value"] * 1000, 0), "x1000"
        else:
            a, b = pairs[int(rng.integers(len(pairs)))]
            corrupted = original[:a] + original[b] + original[a] + original[b + 1:]
    row["gia_tri"] = corrupted
    # xlsx: a title row, an empty row and the header come first; CSV: the header line only.
    line = i + 2 if as_csv else i + 4
    return {"file": name, "sheet": "" if as_csv else "SoLieu", "cell": f"line {line}" if as_csv else f"F{line}",
            "reporter_code": code, "period": period, "indicator": row["ma_chi_tieu"], "zone": row["khu"],
            "breakdown": row["phan_to"], "error_kind": kind, "original_value": row["value"],
            "original_text": original, "corrupted_text": corrupted,
            "detected_by": "ratio" if kind == "fraction" else "balance|hierarchy|magnitude"}


def score_injected(manifest: list[dict], findings) -> dict[str, dict]:
    """How the quality engine did on the injected errors, per class: how many were injected, found by
    a rule of the kind the manifest names, and restored by the first suggestion (the cell proposed
    with the original figure). `findings`: the error findings with file_name, kind, source_cells,
    suggested_cells and suggested_values (dq_findings joined to fct_submissions)."""
    from zonestat.notation import read_text_number

    scores: dict[str, dict] = {}
    by_file = {name: group for name, group in findings.groupby("file_name")}
    for m in manifest:
        ref = m["cell"] if m["sheet"] == "" else f"{m['sheet']}!{m['cell']}"
        score = scores.setdefault(m["error_kind"], {"injected": 0, "found": 0, "restored": 0, "missed": []})
        score["injected"] += 1
        group = by_file.get(m["file"])
        own = group[group["source_cells"].str.split(", ").map(lambda cells: ref in cells)] if group is not None else []
        if len(own) and set(own["kind"]) & set(m["detected_by"].split("|")):
            score["found"] += 1
        proposals = [dict(zip(cells.split(", "), values.split(", "))) for cells, values
                     in zip(own["suggested_cells"], own["suggested_values"]) if isinstance(cells, str)] if len(own) else []
        original = float(m["original_value"])
        if any(ref in p and abs(read_text_number(p[ref]).vn - original) <= 1e-9 * max(1.0, abs(original))
               for p in proposals):
            score["restored"] += 1
        else:
            score["missed"].append(f"{m['file']} {ref}: {m['original_text']} typed {m['corrupted_text']}")
    return scores
