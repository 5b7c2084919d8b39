"""Where zonestat reads and writes, derived from the environment at call time.

Everything the program writes lives under ZONESTAT_HOME (default ./.zonestat), so a test
can point it at a temporary folder and a user can move it with one variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from zonestat.settings import setting

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
REFERENCE_DIR = DBT_PROJECT_DIR / "seeds"
ROOT_DAGSTER_YAML = REPO_ROOT / "dagster.yaml"
# A publication's snapshot is snapshots/warehouse-<stamp>.duckdb, written as .warehouse-<stamp>.duckdb.tmp.
SNAPSHOT_PREFIX = "warehouse-"


@dataclass(frozen=True)
class Home:
    """The folders under ZONESTAT_HOME, named by what they hold."""

    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def rates(self) -> Path:
        """Exchange rates users supply (ingest/rates.py)."""
        return self.root / "rates"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt" / "target"

    @property
    def dbt_logs(self) -> Path:
        return self.root / "dbt" / "logs"

    @property
    def work_db(self) -> Path:
        return self.root / "work" / "warehouse.duckdb"

    @property
    def published_db(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    def snapshot(self, stamp: str) -> Path:
        """The snapshot of the publication made at `stamp` (orchestration/publish.py's publication_stamp)."""
        return self.snapshots / f"{SNAPSHOT_PREFIX}{stamp}.duckdb"

    def snapshots_oldest_first(self) -> list[Path]:
        """The kept publications' snapshots (their stamps sort as their times)."""
        return sorted(self.snapshots.glob(f"{SNAPSHOT_PREFIX}*.duckdb")) if self.snapshots.exists() else []

    def last_publication(self) -> Path | None:
        """The newest snapshot: the same tables as the published file, which zonestat itself never
        opens, because an analyst's program may hold it open read-write (DBeaver does) and lock it."""
        snapshots = self.snapshots_oldest_first()
        return snapshots[-1] if snapshots else None

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def gx(self) -> Path:
        return self.root / "gx"

    def ensure(self) -> "Home":
        for folder in (self.inbox, self.rates, self.archive, self.quarantine, self.landing, self.dagster_home,
                       self.work_db.parent, self.snapshots, self.reports, self.gx):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def home() -> Home:
    """The current ZONESTAT_HOME, read when called (never at import time)."""
    return Home(Path(setting("ZONESTAT_HOME")).resolve())


def duckdb_memory() -> str:
    return setting("ZONESTAT_DUCKDB_MEMORY")


def connect_work_db(path: Path, read_only: bool = False):
    """A connection to a zonestat database with the memory limit set."""
    import duckdb

    return duckdb.connect(str(path), read_only=read_only, config={"memory_limit": duckdb_memory()})


def worker_processes() -> int:
    """How many processes ingest parsing and the suggestion search may use: ZONESTAT_WORKERS,
    never more than the machine's cores."""
    return min(os.cpu_count() or 1, int(setting("ZONESTAT_WORKERS")))
