"""bench/quality: the whole rule catalogue against one GROUP BY scan of the same fact rows, and
the suggestion search's speed and how it grows with the number of broken rules in a report.

Target: the catalogue at most 10 times the scan.
"""

from bench.common import measure, record
from bench.warehouse import build, landed_history


def run(years: int = 2) -> dict:
    home = landed_history(years)
    build(home)
    timed = measure(f"""
import os, shutil, time
from pathlib import Path
import duckdb
os.environ["ZONESTAT_HOME"] = {home!r}
from orchestration import environment
h = environment.prepare()
from expectations import engine, quality, suggest
with duckdb.connect(str(h.work_db)) as con:
    quality.create_cells_view(con)
    t = time.perf_counter()
    rows = con.execute("select count(*) from (select reporter_id, period_key, indicator_code, sum(value) "
                       "from dq_cells group by all)").fetchone()[0]
    result["scan_seconds"] = time.perf_counter() - t
summary = engine.run_quality(h.work_db)
result["detect_seconds"] = summary.seconds_detect
result["suggest_seconds"] = summary.seconds_suggest
result["findings"] = summary.findings
result["reports_searched"] = summary.reports_searched
result["suggestions"] = summary.suggestions
result["detect_seconds_by_kind"] = summary.seconds_by_kind
# The search alone, per report, by how many relations the report breaks.
with duckdb.connect(str(h.work_db)) as con:
    quality.create_cells_view(con)
    flagged = [r[0] for r in con.execute("select distinct submission_id from dq_findings "
                                         "where severity in ('error', 'warning') and kind <> 'submission'").fetchall()]
    by_broken = {{}}
    for sid in flagged[:300]:
        cells = con.execute(f"select * from {{quality.CELLS_VIEW}} where submission_id = ?", [sid]).df()
        constraints = suggest.build_constraints(cells, {{}})
        values = {{r.figure_key: float(r.value) for r in cells.itertuples() if r.value == r.value}}
        broken = sum(1 for c in constraints if all(k in values for k in c.cells) and not c.check(values))
        t = time.perf_counter()
        suggest.search(cells, constraints)
        by_broken.setdefault(broken, []).append(time.perf_counter() - t)
result["search_ms_by_broken_relations"] = {{str(k): round(1000 * sum(v) / len(v), 1) for k, v in sorted(by_broken.items())}}
result["reports_by_broken_relations"] = {{str(k): len(v) for k, v in sorted(by_broken.items())}}
""")
    catalogue = timed["detect_seconds"] + timed["suggest_seconds"]
    outcome = {
        "years": years, "findings": timed["findings"], "scan_seconds": round(timed["scan_seconds"], 3),
        "detect_seconds": round(timed["detect_seconds"], 2), "suggest_seconds": round(timed["suggest_seconds"], 2),
        "catalogue_to_scan_ratio": round(catalogue / timed["scan_seconds"], 1),
        "detect_to_scan_ratio": round(timed["detect_seconds"] / timed["scan_seconds"], 1),
        "findings_per_second_suggest": round(timed["findings"] / max(timed["suggest_seconds"], 1e-9)),
        "reports_searched": timed["reports_searched"], "suggestions": timed["suggestions"],
        "search_ms_by_broken_relations": timed["search_ms_by_broken_relations"],
        "reports_by_broken_relations": timed["reports_by_broken_relations"],
        "detect_seconds_by_kind": {k: round(v, 3) for k, v in timed["detect_seconds_by_kind"].items()},
        "peak_mib": round(timed["peak_mib"]), "target": "catalogue <= 10 x scan",
    }
    record("quality", outcome)
    return outcome
