"""bench/ingest: the whole ingest (parse, normalise, GX door checks, landing) against bare reads.

Files: `zonestat sample` for every province, 2019-2021, monthly (~2,270 reports of ~400
figures, 10% CSV). Baselines in the same run: `pandas.read_excel(engine="calamine")` of every
workbook, `duckdb.read_csv` of every CSV. Target: ingest at least half the bare speed, peak
memory under 1 GiB. Each side is the faster of two runs.

Then by format: the same reports saved by LibreOffice as .xlsx, .xls and .ods (a subset, since
LibreOffice converts a few files a second), each ingested and read bare with calamine, in one run.
"""

import shutil
import subprocess

from bench.common import BENCH_DIR, measure, record, sample

FORMAT_FILES = 400  # workbooks converted per format


def fastest(code: str, times: int = 2) -> dict:
    """The faster of `times` measurements, taken in turn: this machine's noise is seconds."""
    return min((measure(code) for _ in range(times)), key=lambda m: m["seconds"])


def run() -> dict:
    files = sample("ingest", seed=3, years=(2019, 2021), csv_share=0.1)
    bare = fastest(f"""
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
    ours = fastest(f"""
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
        "by_format": by_format(files),
    }
    record("ingest", outcome)
    return outcome


def _converted(files) -> dict:
    """FORMAT_FILES sample workbooks as LibreOffice saves them in each format (cached on disk)."""
    folder = BENCH_DIR / "samples" / "formats"
    sources = sorted(p for p in files.iterdir() if p.suffix == ".xlsx")[:FORMAT_FILES]
    out = {}
    for suffix in ("xlsx", "xls", "ods"):
        target = folder / suffix
        if not (target / ".done").exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            # soffice may stop part-way through a long list and still exit 0: convert in batches,
            # and again what is missing, until every file is there.
            for _attempt in range(3):
                missing = [p for p in sources if not (target / f"{p.stem}.{suffix}").exists()]
                for start in range(0, len(missing), 50):
                    subprocess.run(["soffice", "--headless", "--norestore", "--convert-to", suffix, "--outdir",
                                    str(target), *map(str, missing[start:start + 50])],
                                   check=True, capture_output=True, timeout=3600)
            missing = [p.name for p in sources if not (target / f"{p.stem}.{suffix}").exists()]
            if missing:
                raise RuntimeError(f"soffice did not convert {len(missing)} of {len(sources)} files to .{suffix}: "
                                   f"{', '.join(missing[:5])}")
            (target / ".done").write_text("")
        out[suffix] = target
    return out


def by_format(files) -> dict:
    """Figures per second of the ingest and of a bare calamine read, for .xlsx, .xls and .ods."""
    if shutil.which("soffice") is None:
        return {"skipped": "soffice is missing (apt-get install libreoffice-calc-nogui)"}
    results = {}
    for suffix, folder in _converted(files).items():
        bare = measure(f"""
import python_calamine
from pathlib import Path
cells = 0
for p in sorted(Path({str(folder)!r}).glob("*.{suffix}")):
    book = python_calamine.CalamineWorkbook.from_path(str(p))
    for name in book.sheet_names:
        cells += sum(len(r) for r in book.get_sheet_by_name(name).to_python(skip_empty_area=False))
result["cells"] = cells
""")
        home = BENCH_DIR / f"ingest-home-{suffix}"
        ours = measure(f"""
import os, shutil
from pathlib import Path
shutil.rmtree({str(home)!r}, ignore_errors=True)
os.environ["ZONESTAT_HOME"] = {str(home)!r}
from zonestat.config import home
from ingest.pipeline import ingest_paths
summary = ingest_paths(home(), sorted(Path({str(folder)!r}).glob("*.{suffix}")))
result["accepted"] = len(summary.accepted)
result["figures"] = summary.figures_landed
""")
        results[suffix] = {
            "files": ours["accepted"], "figures": ours["figures"],
            "ingest_figures_per_second": round(ours["figures"] / ours["seconds"]),
            "bare_calamine_figures_per_second": round(ours["figures"] / bare["seconds"]),
            "ingest_speed_vs_bare_read": round(bare["seconds"] / ours["seconds"], 2),
        }
    return results
