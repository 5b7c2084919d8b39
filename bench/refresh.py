"""bench/refresh: `zonestat refresh` from empty, a nightly refresh with nothing new, and a refresh
after one province resubmits one month; each with its peak memory (dbt's process included).

On the full sample history: `zonestat sample`'s default range, 2019-01 to this month, every
province (63 before July 2025, 34 after) and bloc, monthly.

Targets: nothing new <= 1/10 of from-empty; one resubmission <= 1/5; peak memory < 2 GiB.
"""

import shutil
from pathlib import Path

from bench.common import BENCH_DIR, measure, record, sample


def refresh(home: str) -> dict:
    return measure(f"""
import os, subprocess, sys
from pathlib import Path
env = dict(os.environ, ZONESTAT_HOME={home!r}, DAGSTER_HOME={home!r} + "/dagster")
zonestat = Path(sys.executable).with_name("zonestat")
done = subprocess.run([str(zonestat), "refresh"], env=env, capture_output=True, text=True)
assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
""")


def full_history() -> list[Path]:
    files = sample("history-full", seed=5, csv_share=0.1)  # zonestat sample's defaults: 2019 to today
    return sorted(p for p in files.iterdir() if p.suffix in (".xlsx", ".csv"))


def run() -> dict:
    home = BENCH_DIR / "refresh-home"
    shutil.rmtree(home, ignore_errors=True)
    (home / "inbox").mkdir(parents=True)
    history = full_history()
    for path in history:
        shutil.copy(path, home / "inbox")
    empty = refresh(str(home))
    nothing = refresh(str(home))
    resubmitted = sorted((home / "inbox").glob("34_2008_2019-06.*"))[0]
    from zonestat.submission_files import another_version  # the official version of one month
    another_version(resubmitted, home / "inbox" / "34_2019-06_official.xlsx", "chinh_thuc")
    one = refresh(str(home))
    periods = sorted({p.stem.split("_")[2] for p in history})
    outcome = {
        "history": f"{periods[0]} to {periods[-1]}", "files": len(history),
        "from_empty_seconds": round(empty["seconds"], 1), "nothing_new_seconds": round(nothing["seconds"], 1),
        "one_resubmission_seconds": round(one["seconds"], 1),
        "nothing_new_vs_empty": round(nothing["seconds"] / empty["seconds"], 3),
        "one_resubmission_vs_empty": round(one["seconds"] / empty["seconds"], 3),
        "peak_mib": {"from_empty": round(empty["peak_mib"]), "nothing_new": round(nothing["peak_mib"]),
                     "one_resubmission": round(one["peak_mib"])},
        "targets": {"nothing_new_vs_empty": "<= 0.1", "one_resubmission_vs_empty": "<= 0.2", "peak_mib": "< 2048"},
    }
    record("refresh", outcome)
    return outcome
