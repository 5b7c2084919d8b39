"""Disk space: checked before building and publishing, given back when a publish fails, and kept
bounded for what grows with every run (dbt's per-run output, the Dagster run history).

What a publish stopped by a full disk had written is removed at once: left there, a partial
snapshot would keep the disk full, and every later run would fail until someone cleaned by hand.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from zonestat.config import Home
from zonestat.settings import setting


class NotEnoughSpace(RuntimeError):
    """The disk under ZONESTAT_HOME cannot hold what the next step writes."""


def space_factor() -> float:
    """Free space needed, in warehouse sizes: the work database as dbt rewrites it, its snapshot, the
    published copy, and DuckDB's temporary files (ZONESTAT_SPACE_FACTOR)."""
    return float(setting("ZONESTAT_SPACE_FACTOR"))


def _gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**28 else f"{n / 2**20:.1f} MiB"


def warehouse_size(h: Home) -> int:
    last = h.last_publication()
    return max(h.work_db.stat().st_size if h.work_db.exists() else 0, last.stat().st_size if last else 0)


def ensure_free_space(h: Home, step: str) -> None:
    """Raise NotEnoughSpace, saying how much is needed and what to do, before `step` starts writing."""
    size = warehouse_size(h)
    needed = space_factor() * size
    free = shutil.disk_usage(h.root).free
    if free < needed:
        raise NotEnoughSpace(
            f"{step} needs about {_gib(needed)} free under {h.root} ({space_factor():g} times the warehouse's "
            f"{_gib(size)}), but the disk has {_gib(free)}. Free some space (or keep fewer snapshots: "
            "ZONESTAT_KEEP_SNAPSHOTS) and run the refresh again; the last publication stays in place.")


def remove_leftovers(h: Home) -> list[Path]:
    """Files a publish that failed or was killed left behind: its temporary copies (of a snapshot, of
    the snapshots' record, of the published file), and the write-ahead log DuckDB keeps beside a
    snapshot being written (.tmp.wal). Publishes take turns (the warehouse pool): none is under way."""
    leftovers = [*h.snapshots.glob(".*.tmp*"), *h.root.glob(f".{h.published_db.name}.*.tmp")]
    for path in leftovers:
        path.unlink(missing_ok=True)
    return leftovers


def keep_newest(paths: list[Path], keep: int) -> list[Path]:
    """Remove all but the `keep` newest (by modification time) of `paths`; returns what was removed."""
    doomed = sorted(paths, key=lambda p: p.stat().st_mtime, reverse=True)[keep:]
    for path in doomed:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return doomed


def prune(h: Home, instance) -> dict[str, int]:
    """Keep dbt's per-run output (ZONESTAT_KEEP_DBT_RUNS) and Dagster's run history
    (ZONESTAT_KEEP_RUNS) from growing without bound."""
    runs_dirs = [p for p in h.dbt_target.iterdir() if p.is_dir()] if h.dbt_target.exists() else []
    removed_dirs = keep_newest(runs_dirs, int(setting("ZONESTAT_KEEP_DBT_RUNS")))
    keep_runs = int(setting("ZONESTAT_KEEP_RUNS"))
    old_runs = instance.get_run_records()[keep_runs:]  # newest first
    for record in old_runs:
        instance.delete_run(record.dagster_run.run_id)
    return {"dbt_run_folders_removed": len(removed_dirs), "dagster_runs_removed": len(old_runs)}
