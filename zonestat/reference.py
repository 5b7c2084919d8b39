"""The reference tables (dbt seeds copied from shared/reference), loaded once per process.

The seeds in dbt_project/seeds are the single copy: dbt loads them into the warehouse and
ingest reads the same files to resolve provinces, indicators and units at the door.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from zonestat.config import REFERENCE_DIR


@lru_cache(maxsize=1)
def _project_vars() -> dict:
    """dbt_project.yml's vars: what the door and the build's tests must agree on, written once there."""
    import yaml

    from zonestat.config import DBT_PROJECT_DIR

    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


def period_years() -> tuple[int, int]:
    """The first and last reporting year the warehouse has periods for."""
    return int(_project_vars()["first_period_year"]), int(_project_vars()["last_period_year"])


def report_statuses() -> tuple[str, ...]:
    """The statuses of a report in rising order (a later one supersedes): uoc, so_bo, chinh_thuc."""
    return tuple(_project_vars()["report_statuses"])


def severities() -> tuple[str, ...]:
    """A finding's severities, the worst first (error, warning, info)."""
    return tuple(_project_vars()["severities"])


def severity_rank_sql(column: str = "severity") -> str:
    """A SQL expression that orders findings worst first (0 for an error), as dbt's severity_rank does."""
    ranks = severities()
    return f"case {column} " + " ".join(f"when '{s}' then {i}" for i, s in enumerate(ranks)) + f" else {len(ranks)} end"


def cell_key_separator() -> str:
    """Between the facts' figure_keys in a finding's cell_keys."""
    return _project_vars()["cell_key_separator"]


def breakdowns() -> tuple[str, ...]:
    """The breakdown codes a figure may carry (TONG, TN, NN, LDVN, LDNN)."""
    return tuple(_project_vars()["breakdowns"])


def _rows(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class Province:
    vintage: int
    gso_code: str
    name_vi: str
    name_en: str
    region: str


@dataclass(frozen=True)
class Indicator:
    code: str
    domain: str
    name_vi: str
    name_en: str
    kind: str  # flow | stock | ratio
    unit_family: str  # count | money | persons | income | percent | area
    breakdowns: tuple[str, ...]


@lru_cache(maxsize=1)
def provinces() -> dict[tuple[int, str], Province]:
    """(vintage, gso_code) -> Province. A code alone is not a key: codes are reused in 2025."""
    return {
        (int(r["vintage"]), r["gso_code"]): Province(
            int(r["vintage"]), r["gso_code"], r["name_vi"], r["name_en"], r["region"]
        )
        for r in _rows("provinces")
    }


@lru_cache(maxsize=1)
def succession() -> dict[str, str]:
    """2008-vintage code -> 2025-vintage successor code."""
    return {r["from_gso_code"]: r["to_gso_code"] for r in _rows("province_succession")}


@lru_cache(maxsize=1)
def indicators() -> dict[str, Indicator]:
    return {
        r["code"]: Indicator(
            r["code"], r["domain"], r["name_vi"], r["name_en"], r["kind"], r["unit_family"],
            tuple(r["breakdowns"].split("|")),
        )
        for r in _rows("indicators")
    }


@lru_cache(maxsize=1)
def additive_indicators() -> frozenset[str]:
    """The indicators whose figures add up (dbt_project.yml's var `additive`)."""
    additive = _project_vars()["additive"]
    return frozenset(code for code, i in indicators().items()
                     if i.kind in additive["kinds"] and i.unit_family in additive["unit_families"])


def net_indicators() -> tuple[str, ...]:
    """The indicators printed net of their decreases (dbt_project.yml's var `net_indicators`)."""
    return tuple(_project_vars()["net_indicators"])


def project_var(name: str):
    """One of dbt_project.yml's vars, as dbt's var() gives it to a model."""
    return _project_vars()[name]


@lru_cache(maxsize=1)
def fact_tables() -> tuple[str, ...]:
    """The fact tables: one per domain of the indicators (fct_investment, fct_output, ...), each a
    dbt model of two lines calling macros/fact_table.sql, as dbt_project.yml's var `fact_domains`
    lists them. An indicator of a domain without its fact table would be built into none."""
    domains = tuple(project_var("fact_domains"))
    if unlisted := {i.domain for i in indicators().values()} - set(domains):
        raise ValueError(f"dbt_project.yml's fact_domains lacks {', '.join(sorted(unlisted))}, a domain of "
                         "seeds/indicators.csv: add it, with its model models/marts/fct_<domain>.sql")
    return tuple(f"fct_{domain}" for domain in domains)


@lru_cache(maxsize=1)
def blocs() -> dict[str, list[tuple[str, int]]]:
    """bloc code -> known members as (gso_code, vintage)."""
    out: dict[str, list[tuple[str, int]]] = {}
    for r in _rows("blocs"):
        out.setdefault(r["bloc_code"], []).append((r["member_gso_code"], int(r["member_vintage"])))
    return out



def fx_rates() -> dict[int, float]:
    """The seed's VND per USD by year."""
    return {int(r["year"]): float(r["vnd_per_usd"]) for r in _rows("fx_rates")}


@lru_cache(maxsize=1)
def _vintage_starts() -> list[tuple[date, int]]:
    """Each province vintage with the day it came into force (the earliest valid_from of its rows in
    the seed, as dim_period takes it), the latest first."""
    starts: dict[int, date] = {}
    for row in _rows("provinces"):
        vintage, start = int(row["vintage"]), date.fromisoformat(row["valid_from"])
        starts[vintage] = min(start, starts.get(vintage, start))
    return sorted(((start, vintage) for vintage, start in starts.items()), reverse=True)


def vintage_for(period_end: date) -> int:
    """The province vintage in force at the end of a reporting period (as dim_period says it); the
    oldest one for a period before it (the 63 provinces of 2008 stand for the years before them)."""
    starts = _vintage_starts()
    return next((vintage for start, vintage in starts if start <= period_end), starts[-1][1])
