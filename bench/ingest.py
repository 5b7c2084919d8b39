"""bench/ingest: the whole ingest (parse, normalise, GX door checks, landing) against bare reads.

Files: `zonestat sample` for every province, 2019-2021, monthly (~2,270 reports of ~400
figures, 10% CSV). Baselines in the same run: `pandas.read_excel(engine="calamine")` of every
workbook, `duckdb.read_csv` of every CSV. Target: ingest at least half the bare speed, peak
memory under 1 GiB.
"""

from bench.common import BENCH_DIR, measure, record, sample


def run() -> dict:
    files = sample("ingest", seed=3, years=(2019, 2021), csv_share=0.1)
    bare = measure(f"""
import duckdb, pandas as pd
from pathlib import Path
files = sorted(Path({str(files)!r}).iterdir())
rows = 0
for p in files:
    if p.suffix == ".xlsx":
        rows += sum(len(f) for f in pd.read_excel(p, sheet_name=None, engine="calamine", header=None).values())
    elif p.suffix == ".csv":
        rows += len(duckdb.read_csv(str(p), header=True, all_varchar=True).fetchall())
result["files"] = len(files)
result["rows_read"] = rows
""")
    home = BENCH_DIR / "ingest-home"
    ours = measure(f"""
import os, shutil
from pathlib import Path
shutil.rmtree({str(home)!r}, ignore_errors=True)
os.environ["ZONESTAT_HOME"] = {str(home)!r}
from zonestat.config import home
from ingest.pipeline import ingest_paths
summary = ingest_paths(home(), sorted(Path({str(files)!r}).iterdir()))
result["files"] = summary.received
result["accepted"] = len(summary.accepted)
result["rejected"] = len(summary.rejected)
result["figures"] = summary.figures_landed
""")
    figures = ours["figures"]
    outcome = {
        "files": ours["files"], "figures": figures,
        "bare_read_seconds": round(bare["seconds"], 2), "ingest_seconds": round(ours["seconds"], 2),
        "bare_figures_per_second": round(figures / bare["seconds"]),
        "ingest_figures_per_second": round(figures / ours["seconds"]),
        "ingest_speed_vs_bare_read": round(bare["seconds"] / ours["seconds"], 2),
        "ingest_peak_mib": round(ours["peak_mib"]), "bare_peak_mib": round(bare["peak_mib"]),
        "targets": {"speed_vs_bare_read": ">= 0.5", "peak_mib": "< 1024"},
    }
    record("ingest", outcome)
    return outcome
