"""The ingest run: receive new files, parse, check them at the door in one batch, land or quarantine.

Idempotent: a file whose bytes are already in the ledger is skipped, and every output is
content-addressed, so running it again, or receiving the same file twice, changes nothing.
One bad file never stops the others: whatever goes wrong with it becomes its finding.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from ingest import isolation, land
from ingest.findings import ERROR, Finding
from ingest.messages import Message, msg
from ingest.parse import Submission, parse_file
from ingest.read_workbook import max_file_bytes
from ingest.receive import archive_path, arrived_at, inbox_listing, name_finding, safe_name, settle_seconds, sha256, write_once
from zonestat.config import Home, worker_processes
from zonestat.progress import Progress

log = logging.getLogger(__name__)


@dataclass
class IngestSummary:
    received: int = 0
    already_known: int = 0
    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    figures_landed: int = 0
    findings_by_rule: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # inbox files not taken this time, each with why


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


def read_files(files: list[tuple[Path, str]], start_method: str = "forkserver") -> list[Submission]:
    """Parse (path, digest) pairs as `zonestat validate` does, each in a worker process under the
    reading limits; a file that cannot be opened gets a finding that says so."""
    items = [(path, path.name, digest, None) for path, digest in files]
    return isolation.read_all(items, _read_path, _reader_failed, _item_name, worker_processes(),
                              start_method=start_method)


def _read_path(item: tuple[Path, str, str, None]) -> Submission:
    path, name, digest, _ = item
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Submission(digest, safe_name(name), "unknown", findings=[Finding(
            "file.unreadable", ERROR, msg("inbox.cannot_open", file=safe_name(name), reason=exc.strerror or str(exc)))])
    return read_submission(data, name, digest)


def check_submissions(subs: list[Submission], today: date | None = None, data_docs: Path | None = None) -> None:
    """Run the door checks (GX) on a batch of parsed submissions; render Data Docs into `data_docs`."""
    from expectations.submission_checks import DoorValidator

    if any(s.metadata for s in subs):
        DoorValidator(data_docs).validate(subs, today=today)


def ingest_inbox(home: Home, today: date | None = None, say: Callable[[str], object] | None = None) -> IngestSummary:
    """Ingest every new file in the inbox: links are refused unread, files still being written wait.
    `say` writes the progress lines (a run's logger; standard error when None)."""
    listing = inbox_listing(home.inbox, settle_seconds())
    summary = ingest_paths(home, listing.files, today=today, links=listing.links, say=say)
    summary.skipped = [f"{path.relative_to(home.inbox)}: {why.en}" for path, why in listing.skipped]
    for line in summary.skipped:
        log.info("inbox: %s", line)
    return summary


def ingest_paths(home: Home, paths: list[Path], today: date | None = None, links: list[Path] = (),
                 say: Callable[[str], object] | None = None) -> IngestSummary:
    home.ensure()
    land.ensure_layout(home.landing)
    known = land.landed_ids(home.landing)
    summary = IngestSummary()
    seen: set[str] = set()
    new: list[tuple[Path, str, str, Path]] = []
    arrived: dict[str, str] = {}
    for link in links:
        try:
            target = os.readlink(link)
        except OSError:  # gone since it was listed
            continue
        _refuse_unread(home, link, f"link\0{link}\0{target}", msg("inbox.link", file=link.name, target=target),
                       "file.link", known, summary)
    for path in paths:
        try:
            data = path.read_bytes()
            arrived_at = _arrival(path)
        except OSError as exc:  # removed since listed, or not readable by this process
            _refuse_unread(home, path, f"unreadable\0{path}\0{_stat_key(path)}",
                           msg("inbox.cannot_open", file=path.name, reason=exc.strerror or type(exc).__name__),
                           "file.unreadable", known, summary)
            continue
        digest = sha256(data)
        summary.received += 1
        if digest in known or digest in seen:
            summary.already_known += 1
            continue
        seen.add(digest)
        arrived[digest] = arrived_at
        archived = archive_path(home.archive, digest, path.name)
        write_once(archived, data)
        new.append((archived, path.name, digest, home.landing))
    if not new:
        return summary
    # Chunks bound memory: a chunk is checked at the door as one GX batch and landed while the
    # workers read the next one. The door's process builds its suites (GX takes seconds to import)
    # while the workers read the first chunk.
    from expectations.door_process import door_process
    from expectations.submission_checks import add_door_findings

    data_docs = home.gx / "data_docs"
    door = functools.partial(door_process(data_docs).unexpected, data_docs=data_docs)
    parsed = isolation.read_stream(new, _parse_archived, _reader_failed, _item_name, worker_processes(),
                                   ahead=2 * CHUNK_FILES)
    with contextlib.closing(parsed):  # on an error, the workers stop reading
        progress = Progress("reading new files", len(new), "files", say=say)
        for _ in range(0, len(new), CHUNK_FILES):
            subs = []
            for sub in itertools.islice(parsed, CHUNK_FILES):
                subs.append(sub)
                progress.advance()
            if any(s.metadata for s in subs):
                add_door_findings(subs, door, today)
            for sub in subs:
                sub.received_at = arrived[sub.submission_id]
                archived = Path(sub.archived)
                # The bytes are needed only to keep a rejected file in quarantine.
                _land(home, sub, archived.read_bytes() if sub.rejected else None, archived, summary,
                      size=archived.stat().st_size)
            # The door's checks leave reference cycles that hold the batch's Arrow buffers; Python's
            # collector counts objects, not their buffers, and would run too rarely: without this the
            # memory would grow with every batch (bench ingest measures the peak).
            del subs
            gc.collect()
        progress.finish()
    return summary


CHUNK_FILES = 400


def _item_name(item: tuple[Path, str, str, Path | None]) -> str:
    return safe_name(item[1])


def _reader_failed(item: tuple[Path, str, str, Path | None], what: Message) -> Submission:
    """The file whose reader crashed or hung: quarantined (or, in validate, reported) with what happened."""
    path, name, digest, _landing = item
    return Submission(digest, safe_name(name), "unknown", archived=str(path),
                      findings=[Finding("file.unreadable", ERROR, what)])


def _parse_archived(item: tuple[Path, str, str, Path]) -> Submission:
    archived, name, digest, landing = item
    sub = read_submission(archived.read_bytes(), name, digest)
    sub.archived = str(archived)
    if len(sub.figure_table) and not sub.rejected:
        land.stage_figures(landing, digest, sub.figure_table.landed())  # the Parquet write, on this worker's core
    return sub


def _arrival(path: Path) -> str:
    return arrived_at(path).isoformat()


def _stat_key(path: Path) -> str:
    try:
        info = path.lstat()
        return f"{info.st_size}:{info.st_mtime_ns}"
    except OSError:
        return "gone"


def _refuse_unread(home: Home, path: Path, identity: str, what: Message, rule: str, known: set[str],
                   summary: IngestSummary) -> None:
    """A file refused without reading it (a link, a file that cannot be opened): in the ledger and in
    quarantine with its finding, once; there are no bytes to archive."""
    digest = sha256(identity.encode("utf-8", "surrogateescape"))
    summary.received += 1
    if digest in known:
        summary.already_known += 1
        return
    known.add(digest)
    sub = Submission(digest, safe_name(path.name), rule.removeprefix("file."),
                     received_at=datetime.now(timezone.utc).isoformat(), findings=[Finding(rule, ERROR, what)])
    _land(home, sub, None, None, summary)


def _land(home: Home, sub: Submission, data: bytes | None, archived: Path | None, summary: IngestSummary,
          size: int = 0) -> None:
    """Land an accepted submission, or quarantine a rejected one with its bytes (`data`; None for a
    file never read); `size` is the file's size in bytes."""
    findings = [f.as_dict() | {"submission_id": sub.submission_id, "file_name": sub.file_name}
                for f in sub.findings]
    for f in sub.findings:
        summary.findings_by_rule[f.rule] = summary.findings_by_rule.get(f.rule, 0) + 1
    outcome = "rejected" if sub.rejected else "accepted"
    if outcome == "accepted":
        land.write(home.landing, "figures", sub.submission_id, sub.figure_table.landed())
        summary.figures_landed += len(sub.figure_table)
        summary.accepted.append(sub.submission_id)
    else:
        land.discard_staged(home.landing, sub.submission_id)
        _quarantine(home, sub, data)
        summary.rejected.append(sub.submission_id)
    if len(findings):
        land.write(home.landing, "findings", sub.submission_id, findings)
    land.write(home.landing, "submissions", sub.submission_id, ledger_row(sub, outcome, size, archived, home))


def ledger_row(sub: Submission, outcome: str, size: int, archived: Path | None, home: Home) -> list[dict]:
    meta = {k: v for k, v in sub.metadata.as_row().items() if k in land.LEDGER_SCHEMA.names} if sub.metadata else {}
    return [meta | {
        "submission_id": sub.submission_id, "file_name": sub.file_name, "file_kind": sub.file_kind,
        "received_at": datetime.fromisoformat(sub.received_at), "size_bytes": size,
        "archive_path": str(archived.relative_to(home.root)) if archived else "", "outcome": outcome,
        "n_figures": len(sub.figure_table),
        "n_errors": sum(f.severity == ERROR for f in sub.findings),
        "n_warnings": sum(f.severity != ERROR for f in sub.findings),
    }]


def _quarantine(home: Home, sub: Submission, data: bytes | None) -> None:
    """A rejected file is kept with its findings beside it, never dropped (a file never read has only its findings)."""
    folder = home.quarantine / sub.submission_id
    if data is not None:
        write_once(folder / sub.file_name, data)
    write_once(folder / "findings.json", json.dumps({
        "submission_id": sub.submission_id, "file_name": sub.file_name, "status": "rejected",
        "findings": [f.as_dict() for f in sub.findings],
    }, ensure_ascii=False, indent=2).encode("utf-8"))
