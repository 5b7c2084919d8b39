"""What a build is made of: the landed submissions and the code that turns them into the warehouse.

The dbt step records the fingerprint of its inputs; publishing records the fingerprint of
what it published. When the inputs equal the last publication's there is nothing to do, and
no run is started (nothing_new). Only a successful publication records its fingerprint, so a
failed one is retried the next night.

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


def _names_digest(folder: Path) -> str:
    names = sorted(p.name for p in folder.glob("*.parquet")) if folder.exists() else []
    return hashlib.sha256(",".join(names).encode()).hexdigest()


def inputs_fingerprint(h: Home) -> str:
    """Code, landed files and withdrawals, a line each: `code:<hash>`, `landing:<hash>`, `withdrawals:<hash>`."""
    from ingest.land import TABLES

    landing = hashlib.sha256("".join(f"{t}:{_names_digest(h.landing / t)}\n" for t in TABLES).encode())
    # Supplied exchange rates change the conversion of every figure of their years, which the
    # reporter-year increments do not follow: they count as reference data, in the code part.
    return (f"code:{code_fingerprint()}+{_names_digest(h.landing / 'fx_rates')}\nlanding:{landing.hexdigest()}\n"
            f"withdrawals:{_names_digest(h.landing / 'withdrawals')}")


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
    """No earlier build in this work database, one made by other code, or one before a withdrawal or
    restoration: rebuild from scratch. The incremental build only adds rows to a reporter-year, and a
    withdrawn report that was the only version of its period must leave the facts (an operator's
    action, rare enough for a full build)."""
    built = _file(h, "build")
    if not (h.work_db.exists() and built.exists()):
        return True
    before, now = built.read_text().splitlines(), fingerprint.splitlines()
    return before[0] != now[0] or before[2:] != now[2:]


NOTHING_NEW = ("No new file in the inbox and no change since the last publication: no run started; "
               "the published warehouse and the checks' last results stand.")


def nothing_new(h: Home) -> bool:
    """Whether a refresh would change nothing: every file in the inbox is already landed, there is no
    link to refuse, and the code, the landing and the withdrawals are as they were when the last
    publication was built. Then no run is started and the checks' last results stand."""
    from ingest import rates
    from ingest.land import landed_ids
    from ingest.receive import inbox_listing, sha256

    if not unchanged_since_publication(h, inputs_fingerprint(h)):
        return False
    listing = inbox_listing(h.inbox)
    if listing.links:
        return False
    if any(data is not None for _path, data, _id in rates.pending(h)):  # a rates file not taken in yet
        return False
    landed = landed_ids(h.landing)
    for path in listing.files:
        try:
            if sha256(path.read_bytes()) not in landed:
                return False
        except OSError:  # unreadable: the refresh names it
            return False
    return True
