"""What a build is made of: the landed submissions and the code that turns them into the warehouse.

The dbt step records the fingerprint of its inputs; publishing records the fingerprint of
what it published. When the inputs equal the last publication's there is nothing to do, and
no run is started (nothing_new). Only a successful publication records its fingerprint, so a
failed one is retried the next night.

The build's code is kept apart: the facts are built incrementally by reporter-year
(dbt_project/macros/incremental_scope.sql), which is only right while the dbt project and the
reference data that built the earlier rows are unchanged. When they change, the build is a full
refresh. The rules (RULES_CODE: expectations/ and the domain code it uses) check again the
reports that changed, and every report when their code, the build's or the withdrawals changed
(rules_basis): a change to them needs a new publication and a run of every rule, but not a full
dbt build. The landing's columns are the build's code too (dbt carries the figure columns on to
the facts), and so are the catalogue's relations, which the rules' models (dbt_project/models/quality)
check each report against: both as the data the build reads (build_data_fingerprint), not as the
Python that makes it. A change to the rest of ingest's or orchestration's Python changes neither
what was landed nor what the build and the rules make of it.
"""

import hashlib
import time
from pathlib import Path

from zonestat import target, warehouse
from zonestat.config import DBT_PROJECT_DIR, REPO_ROOT, Home

# models, macros, tests, seeds (what dbt reads that Python makes is build_data_fingerprint's)
BUILD_CODE = (DBT_PROJECT_DIR,)
# the catalogue, the engine, the suggestion search, and the domain code their findings are made
# with (numbers as boards write them, units, text folding, severities and the reference data)
RULES_CODE = (REPO_ROOT / "expectations", *(REPO_ROOT / "zonestat" / f"{domain}.py"
                                            for domain in ("notation", "units", "text", "reference")))
# The parts of a fingerprint that say how the facts were built: other ones, another warehouse.
BUILD_PARTS = ("code", "withdrawals")


# What dbt writes into the project's folder when run there by hand (compiled SQL, logs): output, not code.
DBT_OUTPUT = ("target", "logs", "dbt_packages")


def code_files(folder: Path) -> list[Path]:
    """The files of a code folder that make what it builds, in a stable order."""
    return [path for path in sorted(folder.rglob("*")) if path.relative_to(folder).parts[0] not in DBT_OUTPUT
            and path.is_file() and path.suffix in (".sql", ".yml", ".yaml", ".csv", ".py")]


def code_fingerprint(paths: tuple[Path, ...]) -> str:
    """One digest of code folders and files."""
    digest = hashlib.sha256()
    for code in paths:
        for path in code_files(code) if code.is_dir() else [code]:
            digest.update(f"{path.relative_to(code.parent)}:".encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _names_digest(folder: Path) -> str:
    names = sorted(p.name for p in folder.glob("*.parquet")) if folder.exists() else []
    return hashlib.sha256(",".join(names).encode()).hexdigest()


def build_data_fingerprint() -> str:
    """What the build reads that Python makes, as data: the landing's columns (ingest/land.py's
    TABLES; dbt carries the figure columns on to the facts as they are), and the catalogue's tables
    with their rows (expectations/catalogue.py's CATALOGUE_TABLES, written before each build), which
    the rules' models read. Not the files that make them: a comment or a new way of writing either
    builds nothing differently."""
    from expectations.catalogue import CATALOGUE, CATALOGUE_TABLES, catalogue_rows, load
    from ingest.land import TABLES

    digest = hashlib.sha256("".join(f"landing/{table}: {schema}\n" for table, schema in TABLES.items()).encode())
    try:
        rules = load.__wrapped__()  # as the file is now: a long-lived process keeps load()'s first reading
    except ValueError:  # a malformed catalogue: the build's step stops on it and says why
        digest.update(CATALOGUE.read_bytes())
        return digest.hexdigest()
    for table, columns in CATALOGUE_TABLES.items():
        digest.update(f"{table}: {columns}\n".encode() + catalogue_rows(table, rules).to_csv(index=False).encode())
    return digest.hexdigest()


def inputs_fingerprint(h: Home) -> str:
    """What the published warehouse is made of, a line each: `code:` the build's code and reference
    data, `landing:` the landed files, `withdrawals:`, and `rules:` the quality rules' code."""
    from ingest.land import TABLES

    landing = hashlib.sha256("".join(f"{t}:{_names_digest(h.landing / t)}\n" for t in TABLES).encode())
    # Supplied exchange rates change the conversion of every figure of their years, which the
    # reporter-year increments do not follow: they count as reference data, in the code part.
    # The engine too: a build on another one starts from nothing.
    return (f"code:{code_fingerprint(BUILD_CODE)}+{build_data_fingerprint()}+{_names_digest(h.landing / 'fx_rates')}"
            f"+{target.dbt_target()}\n"
            f"landing:{landing.hexdigest()}\nwithdrawals:{_names_digest(h.landing / 'withdrawals')}\n"
            f"rules:{code_fingerprint(RULES_CODE)}")


def _lines(fingerprint: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in fingerprint.splitlines())


def build_basis(h: Home) -> str:
    """How the work database's facts were built: the BUILD_PARTS of the last build's fingerprint, and
    the last full build. Rows an incremental build kept come from the builds before it, back to the
    last full one; a full build may give rows of an unchanged report that differ from those kept,
    so what was made from the earlier rows (a publication brought up to date, the rules' findings)
    is made again in full."""
    built, full = _file(h, "build"), _file(h, "full-build")
    lines = _lines(built.read_text()) if built.exists() else {}
    return "\n".join([*(f"{part}:{lines.get(part)}" for part in BUILD_PARTS),
                      f"full build:{full.read_text() if full.exists() else None}"])


def rules_basis(h: Home) -> str:
    """What the quality rules' findings stand on besides the reports themselves: how the facts were
    built (as the build recorded it, whatever changed on disk since) and the rules' own code. While
    it stays the same, a run checks again only the reports that changed (expectations/engine.py)."""
    return f"{build_basis(h)}\nrules:{code_fingerprint(RULES_CODE)}"


def _file(h: Home, name: str) -> Path:
    return h.work_db.parent / f"{name}-fingerprint.txt"


def record_build(h: Home, fingerprint: str, full: bool = False) -> None:
    _file(h, "build").write_text(fingerprint)
    if full:
        _file(h, "full-build").write_text(str(time.time_ns()))


def record_publication(h: Home) -> None:
    built = _file(h, "build")
    if built.exists():
        _file(h, "published").write_text(built.read_text())


def unchanged_since_publication(h: Home, fingerprint: str) -> bool:
    published = _file(h, "published")
    return published.exists() and published.read_text() == fingerprint and warehouse.work_exists(h) \
        and warehouse.published_exists(h)


def needs_full_refresh(h: Home, fingerprint: str) -> bool:
    """No earlier build in this work database, one made by other code, or one before a withdrawal or
    restoration: rebuild from scratch. The incremental build follows versions added to a reporter-year
    (dbt_project/macros/incremental_scope.sql), not versions taken out of the ranking, and a
    withdrawn report that was the only version of its period must leave the facts (an operator's
    action, rare enough for a full build)."""
    built = _file(h, "build")
    if not (built.exists() and warehouse.work_exists(h)):
        return True
    before, now = _lines(built.read_text()), _lines(fingerprint)
    return any(before.get(part) != now.get(part) for part in BUILD_PARTS)


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
