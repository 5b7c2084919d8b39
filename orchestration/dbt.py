"""The dbt project as Dagster sees it: one DbtProject, its manifest kept under ZONESTAT_HOME."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import uuid
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


def dbt_vars(h: Home, work_db: Path | None = None) -> list[str]:
    """Where a build of this home reads and writes, as dbt variables (profiles.yml, _sources.yml and
    macros/landing_files.sql read them), not through the process's environment. The same for every
    command of a home, so dbt's partial parse stays valid from one command to the next."""
    paths = {"zonestat_work_db": str(work_db or h.work_db), "zonestat_landing": str(h.landing)}
    return ["--vars", json.dumps(paths)]


def dbt_command(h: Home, *args: str, work_db: Path | None = None) -> list[str]:
    """A dbt command line on this home's data (`work_db`: another DuckDB file instead of its own),
    its log in the home's dbt log folder. Callers give the `--target-path` for its artifacts."""
    return [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--log-path", str(h.dbt_logs), *dbt_vars(h, work_db)]


def run_dbt(dbt: DbtCliResource, h: Home, context, args: list[str]):
    """`dbt <args>` on this home's data, as a step of a run (its events streamed to Dagster). Without
    dbt's JSON artifacts (manifest.json, written before the first node and again after the last, and
    run_results.json): nothing reads them, and the run folder's dbt.log keeps each node's timing and
    result."""
    return dbt.cli([*args, "--no-write-json", *dbt_vars(h)], context=context,
                   target_path=dbt_run_folder(h, context)).stream()


def dbt_run_folder(h: Home, context) -> Path:
    """Where one dbt command of a run writes its artifacts and log: a folder of its own in the home
    (orchestration/disk.py keeps the newest few), never in the project's source folder. It starts
    with the home's parse (ensure_manifest), which spares dbt a full parse of the project."""
    folder = h.dbt_target / f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    folder.mkdir(parents=True)
    parsed = h.dbt_target / "partial_parse.msgpack"
    if parsed.exists():
        shutil.copyfile(parsed, folder / parsed.name)
    return folder


def _newest_source_mtime() -> float:
    from orchestration.fingerprint import code_files

    return max(p.stat().st_mtime for p in code_files(DBT_PROJECT_DIR))


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
            dbt_command(h, "parse", "--target-path", str(scratch), "--quiet"),
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
