"""What a relation between printed figures allows, written once for both sides of the quality
engine, in dbt_project/macros/rules.sql: the rules' models and the set-based detection (quality.py)
write it out as SQL, the suggestion search (suggest.py) evaluates the same text on numbers."""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace

from zonestat import reference
from zonestat.config import DBT_PROJECT_DIR

# The project's macros that the rules' models call: what they share, what engines write differently,
# who a report belongs to across the 2025 merger, and what a fact's columns are made of.
RULE_MACROS = tuple(DBT_PROJECT_DIR / "macros" / f"{name}.sql"
                    for name in ("rules", "portable", "reporters", "fact_table"))


class _DuckDBAdapter:
    """dbt's `adapter` as the macros see it on DuckDB: dispatch('name') is duckdb__name where the
    project writes one, default__name otherwise."""

    def __init__(self, macros: dict):
        self.macros = macros

    def dispatch(self, name: str):
        return self.macros.get(f"duckdb__{name}") or self.macros[f"default__{name}"]


def rule_macros(**names: object) -> SimpleNamespace:
    """The macros of RULE_MACROS (plain jinja), as dbt-duckdb would run them, with the other names
    they call (ref, var) as given."""
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    macros: dict = {}
    # dbt's `return`: a macro that returns a value renders to it
    env.globals.update(names, adapter=_DuckDBAdapter(macros), **{"return": lambda value: value})
    for path in RULE_MACROS:  # each file's macros call those of the files before it
        module = env.from_string(path.read_text(encoding="utf-8")).module
        macros.update((name, macro) for name, macro in vars(module).items() if not name.startswith("_"))
        env.globals.update(macros)
    return SimpleNamespace(**macros)


# dbt's names as the models and macros see them outside dbt, in a build from empty: `ref` names the
# table of that name, every figure is checked (the incremental filter renders to nothing), and no
# configuration is written out.
OUTSIDE_DBT = {"ref": lambda model: model, "var": reference.project_var,
               "only_changed_reporter_years": lambda *_, **__: "", "config": lambda **_: "",
               "reporter_year_config": dict}


@lru_cache(maxsize=1)
def outside_dbt() -> SimpleNamespace:
    """The macros of RULE_MACROS with OUTSIDE_DBT, read once per process: for the rules' models
    rendered without dbt (quality.render_model) and the SQL and numbers the engine takes from them."""
    return rule_macros(**OUTSIDE_DBT)


def percent_tolerance_sql(printed: str, part: str, part_tol: str, whole: str, whole_tol: str) -> str:
    """The SQL of percent_tolerance over these columns (or any SQL)."""
    return str(outside_dbt().percent_tolerance(printed, part, part_tol, whole, whole_tol))


@lru_cache(maxsize=1)
def _percent_tolerance():
    # the macro's arithmetic, written over the argument names, is Python too: compiled once
    parts = ("printed", "part", "part_tol", "whole", "whole_tol")
    return eval(f"lambda {', '.join(parts)}: {percent_tolerance_sql(*parts)}", {"abs": abs})  # noqa: S307


def percent_tolerance(printed: float, part: float, part_tol: float, whole: float, whole_tol: float) -> float:
    """How far a printed percentage of `part` in `whole` (a rate, a share, a growth) may be from the
    one its printed figures give (rules.sql's percent_tolerance), on numbers."""
    return _percent_tolerance()(printed, part, part_tol, whole, whole_tol)
