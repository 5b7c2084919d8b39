"""The ingest run: receive new files, parse, check them at the door in one batch, land or quarantine.

Idempotent: a file whose bytes are already in the ledger is skipped, and every output is
content-addressed, so running it again, or receiving the same file twice, changes nothing.
One bad file never stops the others: whatever goes wrong with it becomes its finding.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from ingest import land
from ingest.findings import ERROR, Finding
from ingest.messages import msg
from ingest.parse import Submission, parse_file
from ingest.read_workbook import max_file_bytes
from ingest.receive import archive_path, inbox_files, name_finding, safe_name, sha256, write_once
from zonestat.config import Home, worker_processes

log = logging.getLogger(__name__)


@dataclass
class IngestSummary:
    received: int = 0
    already_known: int = 0
    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    figures_landed: int = 0
    findings_by_rule: dict[str, int] = field(default_factory=dict)


def read_submission(data: bytes, name: str, digest: str) -> Submission:
    """Parse one file's bytes, turning a refused name, type or size into the file's finding."""
    refusal = name_finding(name)
    if refusal:
        return Submission(digest, safe_name(name), "unknown", findings=[refusal])
    if len(data) > max_file_bytes():
        return Submission(digest, safe_name(name), "unknown", findings=[Finding(
            "file.too_large", ERROR,
            msg("file.too_large", file=safe_name(name), size=f"{len(data):,}", limit=f"{max_file_bytes():,}"),
            expected=f"<= {max_file_bytes()} bytes", found=str(len(data)))])
    try:
        return parse_file(data, safe_name(name), digest)
    except Exception as exc:  # a parser bug must not stop the other files; keep the file and say so
        log.exception("parsing %s failed", name)
        return Submission(digest, safe_name(name), "unknown", findings=[Finding(
            "file.unreadable", ERROR,
            msg("file.unreadable", file=safe_name(name), reason=f"{type(exc).__name__}: {str(exc)[:300]}"))])


def check_submissions(subs: list[Submission], today: date | None = None, data_docs: Path | None = None) -> None:
    """Run the door checks (GX) on a batch of parsed submissions; render Data Docs into `data_docs`."""
    from expectations.submission_checks import DoorValidator

    if any(s.metadata for s in subs):
        DoorValidator(data_docs).validate(subs, today=today)


def ingest_inbox(home: Home, today: date | None = None) -> IngestSummary:
    """Ingest every new file in the inbox."""
    return ingest_paths(home, inbox_files(home.inbox), today=today)


def ingest_paths(home: Home, paths: list[Path], today: date | None = None) -> IngestSummary:
    home.ensure()
    land.ensure_layout(home.landing)
    known = land.landed_ids(home.landing)
    summary = IngestSummary()
    seen: set[str] = set()
    new: list[tuple[Path, str, str, Path]] = []
    for path in paths:
        data = path.read_bytes()
        digest = sha256(data)
        summary.received += 1
        if digest in known or digest in seen:
            summary.already_known += 1
            continue
        seen.add(digest)
        archived = archive_path(home.archive, digest, path.name)
        write_once(archived, data)
        new.append((archived, path.name, digest, home.landing))
    received_at = datetime.now(timezone.utc).isoformat()
    validator = None
    with _parser_pool(len(new)) as pool:
        # Chunks bound memory: a chunk is parsed, checked at the door as one GX batch, and landed.
        for start in range(0, len(new), CHUNK_FILES):
            chunk = new[start:start + CHUNK_FILES]
            subs = list(pool.map(_parse_archived, chunk, chunksize=8)) if pool else [_parse_archived(i) for i in chunk]
            if validator is None and any(s.metadata for s in subs):
                from expectations.submission_checks import DoorValidator

                validator = DoorValidator(home.gx / "data_docs")
            if validator is not None and any(s.metadata for s in subs):
                validator.validate(subs, today=today)
            for sub in subs:
                sub.received_at = received_at
                archived = Path(sub.archived)
                _land(home, sub, archived.read_bytes(), archived, summary)
    return summary


PARALLEL_FROM = 64  # below this many files, starting worker processes costs more than it saves
CHUNK_FILES = 400


@contextmanager
def _parser_pool(n_files: int):
    """Worker processes for parsing when there are many files (files are independent), else None."""
    workers = worker_processes()
    if n_files < PARALLEL_FROM or workers < 2:
        yield None
        return
    context = multiprocessing.get_context("spawn")  # no fork of a threaded (Dagster) parent
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield pool


def _parse_archived(item: tuple[Path, str, str, Path]) -> Submission:
    archived, name, digest, landing = item
    sub = read_submission(archived.read_bytes(), name, digest)
    sub.archived = str(archived)
    if len(sub.figures) and not sub.rejected:
        land.stage_figures(landing, digest, sub.figures)  # the Arrow conversion, on this worker's core
    return sub


def _land(home: Home, sub: Submission, data: bytes, archived: Path, summary: IngestSummary) -> None:
    findings = [f.as_dict() | {"submission_id": sub.submission_id, "file_name": sub.file_name}
                for f in sub.findings]
    for f in sub.findings:
        summary.findings_by_rule[f.rule] = summary.findings_by_rule.get(f.rule, 0) + 1
    outcome = "rejected" if sub.rejected else "accepted"
    if outcome == "accepted":
        land.write(home.landing, "figures", sub.submission_id, sub.figures)
        summary.figures_landed += len(sub.figures)
        summary.accepted.append(sub.submission_id)
    else:
        land.discard_staged(home.landing, sub.submission_id)
        _quarantine(home, sub, data)
        summary.rejected.append(sub.submission_id)
    if len(findings):
        land.write(home.landing, "findings", sub.submission_id, findings)
    land.write(home.landing, "submissions", sub.submission_id, ledger_row(sub, outcome, len(data), archived, home))


def ledger_row(sub: Submission, outcome: str, size: int, archived: Path, home: Home) -> list[dict]:
    meta = {k: v for k, v in sub.metadata.items() if not k.startswith("_") and k in land.LEDGER_SCHEMA.names}
    return [meta | {
        "submission_id": sub.submission_id, "file_name": sub.file_name, "file_kind": sub.file_kind,
        "received_at": datetime.fromisoformat(sub.received_at), "size_bytes": size,
        "archive_path": str(archived.relative_to(home.root)), "outcome": outcome,
        "n_figures": len(sub.figures),
        "n_errors": sum(f.severity == ERROR for f in sub.findings),
        "n_warnings": sum(f.severity != ERROR for f in sub.findings),
    }]


def _quarantine(home: Home, sub: Submission, data: bytes) -> None:
    """A rejected file is kept with its findings beside it, never dropped."""
    folder = home.quarantine / sub.submission_id
    write_once(folder / sub.file_name, data)
    write_once(folder / "findings.json", json.dumps({
        "submission_id": sub.submission_id, "file_name": sub.file_name, "status": "rejected",
        "findings": [f.as_dict() for f in sub.findings],
    }, ensure_ascii=False, indent=2).encode("utf-8"))
