"""Dagster draws the quality step downstream of every warehouse table its SQL reads
(expectations/engine.py's READS), and of no other."""

import re
from pathlib import Path

from expectations import engine
from expectations.relations import rule_macros
from zonestat import reference
from zonestat.config import DBT_PROJECT_DIR

QUALITY_CODE = [Path(engine.__file__).with_name(name) for name in ("engine.py", "quality.py", "suggest.py")]


def test_the_quality_step_reads_exactly_the_tables_it_names_as_its_upstream():
    built = {p.stem for p in (DBT_PROJECT_DIR / "models").rglob("*.sql")} | \
        {p.stem for p in (DBT_PROJECT_DIR / "seeds").glob("*.csv")}
    named = set()
    for path in QUALITY_CODE:
        named |= {table for table in re.findall(r"\b(?:from|join)\s+(\w+)", path.read_text(encoding="utf-8"))
                  if table in built}
    # and through the macro that tells the suggestion search last year's figures of growth claims
    rule_macros(ref=lambda table: named.add(table) or table, var=reference.project_var).claims_with_last_year("c", "f")
    # the fact tables and the rules' models are read through their lists (quality.FACT_TABLES,
    # quality.RULE_MODELS), not by name
    listed = set(engine.quality.FACT_TABLES) | set(engine.quality.RULE_MODELS)
    assert named == set(engine.READS) - listed, named ^ set(engine.READS)
