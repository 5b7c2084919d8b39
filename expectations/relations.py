"""What a relation between printed figures allows, written once for both sides of the quality
engine, in dbt_project/macros/rules.sql: the rules' models and the set-based detection (quality.py)
write it out as SQL, the suggestion search (suggest.py) evaluates the same text on numbers."""

from __future__ import annotations

from functools import lru_cache

from zonestat.config import DBT_PROJECT_DIR

RULE_MACROS = DBT_PROJECT_DIR / "macros" / "rules.sql"


def rule_macros(**names: object):
    """The macros of rules.sql (plain jinja), with the names they call (ref, var) as given."""
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.globals.update(names)
    return env.from_string(RULE_MACROS.read_text(encoding="utf-8")).module


def percent_tolerance_sql(printed: str, part: str, part_tol: str, whole: str, whole_tol: str) -> str:
    """The SQL of percent_tolerance over these columns (or any SQL)."""
    return str(rule_macros().percent_tolerance(printed, part, part_tol, whole, whole_tol))


@lru_cache(maxsize=1)
def _percent_tolerance():
    # the macro's arithmetic, written over the argument names, is Python too: compiled once
    parts = ("printed", "part", "part_tol", "whole", "whole_tol")
    return eval(f"lambda {', '.join(parts)}: {percent_tolerance_sql(*parts)}", {"abs": abs})  # noqa: S307


def percent_tolerance(printed: float, part: float, part_tol: float, whole: float, whole_tol: float) -> float:
    """How far a printed percentage of `part` in `whole` (a rate, a share, a growth) may be from the
    one its printed figures give (rules.sql's percent_tolerance), on numbers."""
    return _percent_tolerance()(printed, part, part_tol, whole, whole_tol)
