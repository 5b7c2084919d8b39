"""What a build is made of: the landed submissions and the code that turns them into the warehouse.

The dbt step records the fingerprint of its inputs; publishing records the fingerprint of
what it published. A nightly run whose inputs equal the last publication's has nothing to do:
the dbt step yields no materialization and the steps after it are skipped. Only a successful
publication records its fingerprint, so a failed one is retried the next night.

The code part is kept apart: the facts are built incrementally by reporter-year
(dbt_project/macros/incremental_scope.sql), which is only right while the code and reference
data that built the earlier rows are unchanged. When they change, the build is a full refresh.
"""

import hashlib
from pathlib import Path

from zonestat.config import DBT_PROJECT_DIR, REPO_ROOT, Home

CODE_DIRS = (DBT_PROJECT_DIR, REPO_ROOT / "expectations", REPO_ROOT / "orchestration", REPO_ROOT / "ingest")


def code_fingerprint() -> str:
    digest = hashlib.sha256()
    for folder in CODE_DIRS:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".sql", ".yml", ".yaml", ".csv", ".py"):
                digest.update(f"{path.relative_to(REPO_ROOT)}:".encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def inputs_fingerprint(h: Home) -> str:
    """Landed files and code: `code:<hash>` on the first line, the landing's hash on the second."""
    digest = hashlib.sha256()
    from ingest.land import TABLES

    for table in TABLES:
        folder = h.landing / table
        names = sorted(p.name for p in folder.glob("*.parquet")) if folder.exists() else []
        digest.update(f"{table}:{','.join(names)}\n".encode())
    return f"code:{code_fingerprint()}\nlanding:{digest.hexdigest()}"


def _file(h: Home, name: str) -> Path:
    return h.work_db.parent / f"{name}-fingerprint.txt"


def record_build(h: Home, fingerprint: str) -> None:
    _file(h, "build").write_text(fingerprint)


def record_publication(h: Home) -> None:
    built = _file(h, "build")
    if built.exists():
        _file(h, "published").write_text(built.read_text())


def unchanged_since_publication(h: Home, fingerprint: str) -> bool:
    published = _file(h, "published")
    return h.work_db.exists() and h.last_publication() is not None and published.exists() \
        and published.read_text() == fingerprint


def needs_full_refresh(h: Home, fingerprint: str) -> bool:
    """No earlier build in this work database, or one made by other code: rebuild from scratch."""
    built = _file(h, "build")
    if not (h.work_db.exists() and built.exists()):
        return True
    return built.read_text().splitlines()[0] != fingerprint.splitlines()[0]
