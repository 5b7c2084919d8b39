"""bench/warehouse: `dbt build` of the whole project against one GROUP BY over the same landed
Parquet, for 1, 2 and 4 years of full history (all provinces, monthly, with zones).

Target: the build grows no faster than the data (the ratio to the scan stays flat or falls).
"""

import shutil

from bench.common import BENCH_DIR, measure, record, sample


def history_files(years: int) -> list[str]:
    """The reports of the first `years` years (from 2019) of one generated 4-year history."""
    files = sample("history-4y", seed=5, years=(2019, 2022), csv_share=0.1)
    last = 2018 + years
    return [str(p) for p in sorted(files.iterdir()) if p.suffix in (".xlsx", ".csv")
            and int(p.stem.split("_")[2][:4]) <= last]


def landed_history(years: int) -> str:
    """ZONESTAT_HOME with `years` years of history ingested; built once and cached."""
    home = BENCH_DIR / f"history-{years}y"
    if not (home / ".ingested").exists():
        shutil.rmtree(home, ignore_errors=True)
        files = history_files(years)
        measure(f"""
import os
from pathlib import Path
os.environ["ZONESTAT_HOME"] = {str(home)!r}
from zonestat.config import home
from ingest.pipeline import ingest_paths
ingest_paths(home(), [Path(p) for p in {files!r}])
""")
        (home / ".ingested").write_text("ok")
    return str(home)


def build(home: str) -> dict:
    return measure(f"""
import os, subprocess, sys
from pathlib import Path
os.environ["ZONESTAT_HOME"] = {home!r}
from orchestration import environment
h = environment.prepare()
h.work_db.unlink(missing_ok=True)
from ingest import land
land.ensure_layout(h.landing)  # the landing's folders, as a refresh's ingest leaves them
from orchestration.dbt import dbt_command
from expectations.quality import write_catalogue
from zonestat import warehouse
with warehouse.work(h) as w:  # the catalogue's relations, which the rules' models read, as a refresh writes them
    write_catalogue(w)
# dq_findings reads what the quality engine writes after this build (bench/quality runs it)
subprocess.run(dbt_command(h, "build", "--quiet", "--exclude", "dq_findings", "--target-path", str(h.dbt_target)),
               check=True)
import duckdb
with duckdb.connect(str(h.work_db), read_only=True) as con:
    result["figures"] = con.execute("select count(*) from fct_figure_revisions").fetchone()[0]
""")


def scan(home: str) -> dict:
    return measure(f"""
import duckdb
con = duckdb.connect()
result["groups"] = con.execute('''
    select count(*) from (
        select s.reporter_id, s.period, f.indicator, sum(f.value)
        from read_parquet('{home}/landing/figures/*.parquet') f
        join read_parquet('{home}/landing/submissions/*.parquet') s using (submission_id)
        group by all)''').fetchone()[0]
""")


def run(years_list=(1, 2, 4)) -> dict:
    rows = []
    for years in years_list:
        home = landed_history(years)
        built, scanned = build(home), scan(home)
        rows.append({"years": years, "figures": built["figures"], "dbt_build_seconds": round(built["seconds"], 1),
                     "dbt_build_peak_mib": round(built["peak_mib"]), "scan_seconds": round(scanned["seconds"], 2),
                     "build_to_scan_ratio": round(built["seconds"] / scanned["seconds"], 1),
                     "build_seconds_per_million_figures": round(built["seconds"] / built["figures"] * 1e6, 1)})
        print(rows[-1], flush=True)
    outcome = {"runs": rows, "target": "build time grows no faster than the figures"}
    record("warehouse", outcome)
    return outcome
