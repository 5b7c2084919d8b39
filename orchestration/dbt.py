"""The dbt project as Dagster sees it: one DbtProject, its manifest kept under ZONESTAT_HOME."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from zonestat.config import DBT_PROJECT_DIR, Home


def dbt_project(h: Home) -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=h.dbt_target)


def dbt_executable() -> str:
    """The dbt installed beside this Python (it works without the virtual environment on PATH),
    through `zonestat-dbt`, which dies with the process that starts it (orchestration/child_process.py)."""
    return str(Path(sys.executable).with_name("zonestat-dbt"))


def dbt_resource(h: Home) -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(h), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable())


def _newest_source_mtime() -> float:
    return max(p.stat().st_mtime for p in DBT_PROJECT_DIR.rglob("*") if p.is_file() and p.suffix in
               (".sql", ".yml", ".yaml", ".csv"))


def ensure_manifest(h: Home) -> Path:
    """`dbt parse` when the manifest is missing or older than the project's files.

    Two refreshes started at once on a new home both parsed, and one read the manifest while the
    other was writing it (a JSON error, one run lost): the parse is serialised by a lock, and its
    files are put in place whole."""
    manifest = h.dbt_target / "manifest.json"
    h.dbt_target.mkdir(parents=True, exist_ok=True)
    with open(h.dbt_target / ".parse.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime():
            return manifest
        scratch = h.dbt_target / f".parse-{os.getpid()}"
        result = subprocess.run(
            [dbt_executable(), "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
             "--target-path", str(scratch), "--log-path", str(h.dbt_logs), "--quiet"],
            capture_output=True, text=True,  # zonestat-dbt dies with this process by itself
        )
        if result.returncode != 0:
            shutil.rmtree(scratch, ignore_errors=True)
            raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")
        for name in ("partial_parse.msgpack", "manifest.json"):  # the manifest last: its time says "parsed"
            if (scratch / name).exists():
                os.replace(scratch / name, h.dbt_target / name)
        shutil.rmtree(scratch, ignore_errors=True)
    return manifest
