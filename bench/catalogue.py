"""bench/catalogue: the whole rule catalogue's detection, this checkout against an earlier commit,
side by side in one run.

On bench/quality's home (the full sample history with slips in 20% of the reports, built once).
The earlier commit (ZONESTAT_BENCH_BASELINE, default HEAD~1) is checked out into a temporary
worktree; the two run in turns, three rounds each, each its best of three in a fresh process over
the same work database opened read-only. Target: no slower than the commit before the change, and
the same broken relations.
"""

import os
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench.common import measure, record
from bench.quality import quality_home
from bench.warehouse import build

REPO = Path(__file__).resolve().parent.parent
ROUNDS = 3


def _detect(tree: Path, work_db: Path) -> dict:
    """The detection of the code in `tree` (first on the path), its best of three."""
    return measure(env={"PYTHONPATH": str(tree)}, code=f"""
import duckdb
from expectations import quality
con = duckdb.connect({str(work_db)!r}, read_only=True)
con.execute("set enable_progress_bar = false")
best, by_kind = None, {{}}
for _ in range(3):
    started = time.perf_counter()
    raw, timings = quality.detect(con)
    seconds = time.perf_counter() - started
    best = seconds if best is None else min(best, seconds)
    by_kind = {{kind: min(by_kind.get(kind, spent), spent) for kind, spent in timings.items()}}
result["best"], result["broken"], result["by_kind"] = best, len(raw), by_kind
""")


def run() -> dict:
    baseline = os.environ.get("ZONESTAT_BENCH_BASELINE", "HEAD~1")
    commit = subprocess.run(["git", "rev-parse", "--short", baseline], capture_output=True, text=True, check=True,
                            cwd=REPO).stdout.strip()
    home = Path(quality_home(0.2))
    work_db = home / "work" / "warehouse.duckdb"
    if not work_db.exists():  # bench/quality builds it too, by this checkout's dbt project
        build(str(home))
    with tempfile.TemporaryDirectory(prefix="zonestat-baseline-") as folder:
        before = Path(folder) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(before), commit], capture_output=True, check=True,
                       cwd=REPO)
        try:
            runs: dict[str, list[dict]] = {"before": [], "after": []}
            for _ in range(ROUNDS):
                runs["before"].append(_detect(before, work_db))
                runs["after"].append(_detect(REPO, work_db))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], capture_output=True, cwd=REPO)
    outcome = {"baseline": commit, "rounds": ROUNDS}
    for side, results in runs.items():
        seconds = [r["best"] for r in results]
        outcome[side] = {"best_seconds": round(min(seconds), 2), "median_seconds": round(statistics.median(seconds), 2),
                         "broken_relations": sorted({r["broken"] for r in results}),
                         # each rule kind's query (and `cells`, looking up the broken relations' cells), its median
                         "median_seconds_by_kind": {kind: round(statistics.median(r["by_kind"][kind] for r in results), 3)
                                                    for kind in results[0]["by_kind"]}}
    outcome["after_vs_before_median"] = round(outcome["after"]["median_seconds"] / outcome["before"]["median_seconds"],
                                              3)
    outcome["same_broken_relations"] = outcome["after"]["broken_relations"] == outcome["before"]["broken_relations"]
    outcome["target"] = "after_vs_before_median <= 1 with the same broken relations"
    record("catalogue", outcome)
    return outcome
