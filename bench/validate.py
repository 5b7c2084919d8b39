"""bench/validate: `zonestat validate` of one workbook against a bare Python process that reads the
same workbook with calamine, side by side (alternating, the median of each).

Target: validate at most 50 times the bare read.
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import record, sample

RUNS = 7


def _seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True)
    return time.perf_counter() - started


def run() -> dict:
    workbook = sorted(sample("one-province-month", seed=5, years=(2024, 2024), provinces="01", months=(6,),
                             csv_share=0.0).glob("*.xlsx"))[0]
    zonestat = str(Path(sys.executable).with_name("zonestat"))
    bare = [sys.executable, "-c", "import sys\nfrom python_calamine import CalamineWorkbook\n"
            "book = CalamineWorkbook.from_path(sys.argv[1])\n"
            "rows = [book.get_sheet_by_name(n).to_python() for n in book.sheet_names]", str(workbook)]
    ours = [zonestat, "validate", str(workbook)]
    validate_runs, bare_runs = [], []
    for _ in range(RUNS):
        validate_runs.append(_seconds(ours))
        bare_runs.append(_seconds(bare))
    validate, read = statistics.median(validate_runs), statistics.median(bare_runs)
    outcome = {"file": workbook.name, "runs": RUNS, "validate_seconds": round(validate, 3),
               "bare_calamine_read_seconds": round(read, 3), "validate_vs_bare_read": round(validate / read, 1),
               "target": "<= 50"}
    record("validate", outcome)
    return outcome
