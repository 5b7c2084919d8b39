"""The `zonestat` command: refresh, sample, validate, withdraw, restore, findings, docs, ui."""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import NamedTuple

from zonestat import reference, target, warehouse
from zonestat.text import fold, location_vi

PUBLISHED = "published"  # validate --against: the warehouse zonestat publishes, whichever its engine


def _years(text: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    return int(first), int(last or first)


def _months(text: str) -> tuple[int, ...]:
    return tuple(range(1, 13)) if text == "all" else tuple(int(m) for m in text.split(","))


def cmd_sample(args: argparse.Namespace) -> int:
    from zonestat.sample import generate

    out = Path(args.out)
    result = generate(out, seed=args.seed, years=_years(args.years), provinces=args.provinces,
                      months=_months(args.months), inject_errors=args.inject_errors, csv_share=args.csv_share)
    print(f"wrote {result['files']} submissions ({result['figures']:,} figures) to {out}"
          + (f"; {result['injected_errors']} injected errors listed in {out / 'manifest.csv'}"
             if args.inject_errors else ""))
    return 0


DEMO_YEARS = (2024, 2025)


@functools.cache
def zonestat_command() -> str:
    """How to run zonestat again, as the messages say it: `zonestat` when that is on PATH, else the
    path this one was started by (`.venv/bin/zonestat` after `make`)."""
    started = Path(sys.argv[0]).absolute()
    on_path = shutil.which("zonestat")
    if started.name != "zonestat" or (on_path and Path(on_path).absolute() == started):
        return "zonestat"
    return os.path.relpath(started)


def write_demo_sample(h) -> None:
    """`make run` on an empty inbox: sample submissions, and exchange rates for their years."""
    from ingest.rates import write_rates
    from zonestat.sample import SYNTHETIC_RATES_SOURCE, generate, synthetic_rates

    print(f"The inbox {h.inbox} is empty: writing sample submissions ({zonestat_command()} sample) into it ...")
    generate(h.inbox, seed=1, years=DEMO_YEARS, months=(3, 6, 9, 12), inject_errors=0.05,
             manifest=h.root / "sample-manifest.csv")
    rates = write_rates(h.rates / "sample-rates.csv", synthetic_rates(DEMO_YEARS), "synthetic annual average",
                        SYNTHETIC_RATES_SOURCE)
    print(f"... and exchange rates for those years into {rates}, marked synthetic in their source column.")


def cmd_refresh(args: argparse.Namespace) -> int:
    """The main job: ingest the inbox, build with dbt, run the checks, publish; in-process Dagster run."""

    from ingest.receive import inbox_files
    from orchestration import environment

    h = environment.prepare()
    if args.sample_if_empty and not inbox_files(h.inbox):
        write_demo_sample(h)
    from orchestration.fingerprint import NOTHING_NEW, nothing_new

    started, since = time.monotonic(), time.time()
    something_new = not nothing_new(h)
    if something_new:  # GX and dbt load in processes of their own, on the other core, while this one loads Dagster
        from expectations.door_process import start_early
        from orchestration.dbt_server import start_dbt_server

        start_early(h.gx / "data_docs")
        start_dbt_server()
    with warehouse.published(h) as w:  # what stood before, for the summary's "changed since"
        before, known = _published_tables(w), _ledger(w)
    if not something_new:
        print(NOTHING_NEW)
        _summarise(h, before, known, started, since)
        return 0
    from orchestration.runs import in_flight_refreshes, refresh_in_process, step_failures

    with environment.dagster_instance() as instance:
        running = in_flight_refreshes(instance)
        if running:
            print(f"Another refresh is running ({', '.join(running)}): this one waits for its turn at each step "
                  "that writes, and takes in only what that one has not.")
        result = refresh_in_process(instance)
    print()
    if not result.success:
        published = any(e.is_step_success and e.step_key == "published_warehouse" for e in result.all_events)
        print("REFRESH FAILED" + ("" if published else ": the published warehouse was not replaced."))
        for step, reason in step_failures(result).items():
            print(f"  step {step}: {reason[:2000]}")
        if not published:
            print(f"The last good publication stays at {warehouse.published_where(h)}" if warehouse.published_exists(h)
                  else "Nothing has been published yet.")
            _name_new_submissions(h)
        return 1
    _summarise(h, before, known, started, since)
    return 0


def _summarise(h, before: dict[str, PublishedTable], known: dict[str, LedgerEntry], started: float,
               since: float) -> None:
    """What the published warehouse holds now, what this refresh rejected, and what changed."""
    with warehouse.published(h) as w:
        accepted, rejected = w.rows(
            "select count(*) filter (where outcome = 'accepted'), count(*) filter (where outcome = 'rejected') "
            "from fct_submissions")[0]
        findings = w.rows("""
            select kind = 'submission' as at_the_door, severity, count(*) from dq_findings
            group by kind = 'submission', severity""")
        # the files this refresh rejected, each with its first error: one about the whole file first,
        # then by its cells
        newly_rejected = [(name, cells, message) for submission_id, name, cells, message in w.rows("""
            select submission_id, file_name, source_cells, message from (
                select s.submission_id, s.file_name, f.source_cells, f.message,
                    row_number() over (partition by s.submission_id
                                       order by f.source_cells <> '', f.source_cells, f.message) as rank
                from fct_submissions s
                left join dq_findings f on f.submission_id = s.submission_id and f.kind = 'submission'
                    and f.severity = 'error'
                where s.outcome = 'rejected') as ranked
            where rank = 1 order by file_name""") if submission_id not in known]
        where = w.where
        after, replaced = _published_tables(w), _current_versions_changed(known, _ledger(w))
    print(f"Published warehouse: {where}")
    print(f"Submissions: {accepted} accepted, {rejected} rejected (quarantine: {h.quarantine})")
    for file_name, cells, message in newly_rejected[:20]:
        # the file named once: the door's messages begin with it too
        first = (f"{cells}: " if cells else "") + message.removeprefix(f"{file_name}: ") if message else \
            "see its findings.json in the quarantine"
        print(f"  rejected now: {file_name}: {first}")
    if len(newly_rejected) > 20:
        print(f"  ... and {len(newly_rejected) - 20} more rejected now ({zonestat_command()} findings --kind submission)")
    from ingest.rates import refused_since

    for message in refused_since(h, since):
        print(f"  exchange rates refused now ({h.quarantine / 'rates'}): {message}")
    for label, door in (("Door findings (files)", True), ("Warehouse findings (rules)", False)):
        counts = {severity: n for at_door, severity, n in findings if at_door == door}
        print(f"{label}: {sum(counts.values())}"
              + (f" ({', '.join(f'{n} {k}' for k, n in sorted(counts.items()))})" if counts else ""))
    print(f"List them with `{zonestat_command()} findings` (--kind submission for the door's).")
    changes = [f"  {t}: {before[t].rows if t in before else 0:,} -> {table.rows:,}" for t, table in sorted(after.items())
               if t not in before or before[t].rows != table.rows]
    for t, table in sorted(after.items()):
        if t in before:  # a new table is counted above, with its rows
            added = [c for c in table.columns if c not in before[t].columns]
            removed = [c for c in before[t].columns if c not in table.columns]
            changes += [f"  {t}: {what} {', '.join(columns)}" for what, columns in
                        (("new columns", added), ("columns gone", removed)) if columns]
    # rows and columns only: a figure converted at a new rate, or a report standing on another file
    # (said below), changes neither
    print("Changed since the last publication:" if changes
          else "No table's rows or columns changed since the last publication.")
    for line in changes:
        print(line)
    if replaced:
        print(f"Current version changed for {_count(len(replaced), 'report')}:")
    for line in replaced[:20]:
        print(f"  {line}")
    if len(replaced) > 20:
        print(f"  ... and {len(replaced) - 20} more (fct_submissions: is_current)")
    print(f"Dagster UI: `make ui` (or `{zonestat_command()} ui`), then open http://127.0.0.1:3000")
    print(f"Took {time.monotonic() - started:.0f} s.")


class LedgerEntry(NamedTuple):
    """A received file as the published ledger (fct_submissions) has it."""

    reporter_id: str | None
    reporter_name: str | None
    period_key: str | None
    file_name: str
    is_current: bool
    is_withdrawn: bool


def _ledger(w) -> dict[str, LedgerEntry]:
    """The published ledger (`w`, None before the first publication), every file received, by
    submission id."""
    return {} if w is None else {r[0]: LedgerEntry(*r[1:]) for r in w.rows("""
        select submission_id, reporter_id, coalesce(reporter_name, reporter_id), period_key, file_name,
            coalesce(is_current, false), coalesce(is_withdrawn, false)
        from fct_submissions""")}


def _current_versions_changed(before: dict[str, LedgerEntry], after: dict[str, LedgerEntry]) -> list[str]:
    """The reports published before whose current version is another submission now (a new version,
    even under the same file name, a withdrawal, a restoration): what changes figures even where no
    table's row count does. A new report is counted apart, with the rows."""
    def current(ledger: dict[str, LedgerEntry]) -> dict[tuple, str]:
        return {(e.reporter_id, e.period_key): sid for sid, e in ledger.items() if e.is_current}

    def shown(sid: str | None) -> str:
        return "none" if sid is None else f"{after.get(sid, before.get(sid)).file_name} ({sid[:12]})"

    was, now = current(before), current(after)
    reports = {(e.reporter_id, e.period_key): e.reporter_name for e in before.values() if e.reporter_id and e.period_key}
    lines = []
    for report, name in sorted(reports.items(), key=lambda item: (fold(item[1]), item[0][1])):  # alphabetical
        if was.get(report) != now.get(report):
            gone = was.get(report)
            withdrawn = gone is not None and gone in after and after[gone].is_withdrawn and now.get(report) is None
            lines.append(f"{name} {report[1]}: {shown(gone)} -> {shown(now.get(report))}"
                         + (" (withdrawn)" if withdrawn else ""))
    return lines


def _name_new_submissions(h) -> None:
    from orchestration.publish import unpublished_submissions

    new = unpublished_submissions(h)
    if new:
        print(f"Accepted since the last publication ({len(new)}); one of them is what the build refused. "
              "To take one out:")
        for line in new[:20]:
            print(f"  {line}")


class PublishedTable(NamedTuple):
    rows: int
    columns: tuple[str, ...]


def _published_tables(w) -> dict[str, PublishedTable]:
    """Each table of the published warehouse (`w`, None before the first publication): its rows and
    columns."""
    from orchestration.publish import table_row_counts

    if w is None:
        return {}
    columns: dict[str, list[str]] = {}
    for table, column in w.rows(f"""select table_name, column_name from information_schema.columns
                                    where table_schema = '{w.schema}' order by table_name, ordinal_position"""):
        columns.setdefault(table, []).append(column)
    # the tables are those the columns name: one look at the catalogue, not a second for the counts
    return {t: PublishedTable(n, tuple(columns[t])) for t, n in table_row_counts(w, w.schema, names=columns).items()}


def cmd_validate(args: argparse.Namespace) -> int:
    """Check files as the warehouse would, without loading them."""
    from expectations.submission_checks import check_without_gx
    from ingest.messages import msg
    from ingest.pipeline import read_files
    from ingest.receive import sha256

    missing = [name for name in args.files if not os.path.lexists(name)]
    if missing:  # a typo in a path, not a file the inbox would refuse
        print(f"zonestat validate: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    files, first_of = [], {}
    for name in args.files:
        path = Path(name)
        try:
            digest = sha256(path.read_bytes())
        except OSError:  # unreadable (permissions, a folder): the reader says so in the file's finding
            digest = sha256(str(path).encode())
        if digest in first_of:  # the same bytes again: one report, not a second set of findings
            first_of[digest].append(path.name)
            continue
        first_of[digest] = []
        files.append((path, digest))
    if args.against not in (None, PUBLISHED) and not Path(args.against).is_file():
        print(f"zonestat validate: --against {args.against}: no such warehouse file (say `--against {PUBLISHED}` "
              f"for the one zonestat publishes, on either engine)", file=sys.stderr)
        return 2
    subs = read_files(files, start_method="fork")  # no threads here: a forked reader starts without imports
    check_without_gx(subs)
    from expectations.file_rules import findings_of_files

    with _warehouse_to_check_against(args.against) as against:
        if args.against == PUBLISHED and against is None:
            print("zonestat validate: --against published: nothing is published yet (run a refresh first)",
                  file=sys.stderr)
            return 2
        by_rules = findings_of_files(subs, against)
    reports = [_validation_report(s, first_of[s.submission_id], by_rules.get(s.submission_id)) for s in subs]
    if args.json:
        print(json.dumps(reports, ensure_ascii=False, indent=2, default=str))
    else:
        vi = args.lang == "vi"
        for r in reports:
            status = {"accepted": "được chấp nhận", "rejected": "bị từ chối"}[r["status"]] if vi else r["status"]
            counts = (f"{len(r['figures'])} số liệu, {len(r['findings'])} phát hiện" if vi
                      else f"{_count(len(r['figures']), 'figure')}, {_count(len(r['findings']), 'finding')}")
            print(f"{r['file']}: {status} ({counts})")
            for same in r["same_bytes_as"]:
                print(f"  {same}: " + ("cùng nội dung với tệp trên, không kiểm tra lại" if vi
                                       else "the same bytes as the file above, not checked again"))
            for f in r["findings"]:
                # a rule's finding (_rule_findings) names its cells with their sheets, and its figures in
                # its message; a door finding names a cell within its sheet, and may not say what it found
                by_rule = "suggested_cells" in f
                cell = location_vi(f["cell"]) if vi else f["cell"]
                where = cell if by_rule else "!".join(x for x in (f["sheet"], cell) if x)
                severity = msg(f"severity.{f['severity']}").render(args.lang)
                text = f["message_vi"] if vi else f["message"]
                print(f"  {severity:9} {f['rule']:28} {where:12} {text}")
                if f["found"] and f["found"] not in text and not by_rule:
                    print(" " * 53 + msg("finding.found", found=f["found"]).render(args.lang))
                if f.get("suggestion"):
                    print(" " * 53 + (f["suggestion_vi"] if vi else f["suggestion"]))
    return 0 if all(r["status"] == "accepted" for r in reports) else 1


@contextlib.contextmanager
def _warehouse_to_check_against(against: str | None):
    """`validate --against`'s warehouse: a DuckDB file's path, or the published warehouse on the
    engine zonestat builds on (the newest DuckDB snapshot, or PostgreSQL's schema `main`)."""
    from zonestat.config import home

    if against != PUBLISHED:
        yield None if against is None else Path(against)
        return
    h = home()
    if not target.on_postgres():  # the file, which file_rules attaches itself
        yield h.last_publication()
        return
    with warehouse.published(h) as w:
        yield w


def _validation_report(sub, same_bytes_as: list[str], by_rules=None) -> dict:
    """`by_rules`: the findings of the warehouse's rules on the file (expectations/file_rules.py)."""
    from ingest.figure_record import FROM_FILE

    meta = sub.metadata
    figures = []
    if len(sub.figures):
        for row in sub.figures.itertuples(index=False):
            figures.append({"indicator": row.indicator, "zone": row.zone_name, "breakdown": row.breakdown,
                            "value": _number_or_none(row.value), "unit": row.unit,
                            "original_text": row.text_as_typed, "original_unit": row.unit_as_typed,
                            "growth_pct": _number_or_none(row.growth_pct), "growth_as_typed": row.growth_as_typed,
                            "share_pct": _number_or_none(row.share_pct), "share_as_typed": row.share_as_typed,
                            "cell": f"{row.source_sheet}!{row.source_cell}" if row.source_sheet else row.source_cell,
                            "note": row.note, **{name: getattr(row, name) for name in FROM_FILE}})
    return {
        "file": sub.file_name, "submission_id": sub.submission_id, "file_kind": sub.file_kind,
        "same_bytes_as": same_bytes_as,
        "status": "rejected" if sub.rejected else "accepted",
        "reporter": {"kind": meta.reporter_kind, "code": meta.reporter_code, "vintage": meta.reporter_vintage,
                     "name": meta.reporter_name} if meta else dict.fromkeys(("kind", "code", "vintage", "name")),
        "period": meta.period if meta else None, "report_status": meta.status if meta else None,
        "figures": figures,
        "findings": [f.as_dict() for f in sub.findings] + _rule_findings(
            by_rules, set(sub.figures["source_sheet"]) if len(sub.figures) else set()),
    }


def _rule_findings(findings, sheets: set[str]) -> list[dict]:
    """The warehouse rules' findings on one file (whose figures are on `sheets`) as validate reports
    them, worst first, then by cell."""
    from expectations.quality import vn_number

    if findings is None or not len(findings):
        return []
    findings = findings.astype(object).where(findings.notna(), None)  # JSON's null, not NaN
    out = [{"rule": f["rule_id"], "severity": f["severity"], "message": f["message"], "message_vi": f["message_vi"],
            "sheet": _first_sheet(f["source_cells"], sheets), "cell": f["source_cells"] or "", "expected": vn_number(f["expected"]),
            "found": vn_number(f["found"]), "suggestion": f["suggestion"], "suggestion_vi": f["suggestion_vi"],
            "suggested_cells": f["suggested_cells"], "suggested_values": f["suggested_values"]}
           for f in findings.to_dict("records")]
    return sorted(out, key=lambda f: (reference.severities().index(f["severity"]), f["cell"]))


def _first_sheet(cells: str | None, sheets: set[str]) -> str:
    """The sheet of a rule finding's first cell ('Số liệu!G11, Số liệu!G12' -> 'Số liệu'), one of the
    file's `sheets` (a sheet's name may have a comma or a '!'), as a door finding gives its sheet;
    '' for a CSV's lines. The first cell is always of the file's own report, so never prefixed with
    another period."""
    return max((s for s in sheets if s and (cells or "").startswith(f"{s}!")), key=len, default="")


def _count(n: int, noun: str) -> str:
    """'1 figure', '2 figures'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _number_or_none(x: object) -> float | None:
    """A figure for JSON: None for a missing one (pandas' NaN)."""
    return None if x is None or x != x else float(x)


def cmd_withdraw(args: argparse.Namespace) -> int:
    """Take a submission out of the current facts (it stays archived, in the ledger and in the history)."""
    from ingest.withdrawals import WITHDRAW

    return _withdrawal(args, WITHDRAW)


def cmd_restore(args: argparse.Namespace) -> int:
    """Put a withdrawn submission back."""
    from ingest.withdrawals import RESTORE

    return _withdrawal(args, RESTORE)


def _withdrawal(args: argparse.Namespace, action: str) -> int:
    from ingest import withdrawals
    from zonestat.config import home

    h = home()
    try:
        submission_id = withdrawals.resolve(h, args.submission_id)
    except withdrawals.UnknownSubmission as exc:
        print(f"zonestat {action}: {exc}", file=sys.stderr)
        return 2
    standing = withdrawals.standing(h, submission_id)
    if (standing == withdrawals.WITHDRAW) == (action == withdrawals.WITHDRAW):
        print(f"{submission_id[:12]} is already {'withdrawn' if standing == withdrawals.WITHDRAW else 'in'}: nothing to do")
        return 0
    withdrawals.record(h, submission_id, action, getattr(args, "reason", "") or "")
    done = "withdrawn: its figures leave the current facts" if action == withdrawals.WITHDRAW else \
        "restored: its figures count again"
    print(f"{submission_id[:12]} {done} at the next refresh (`{zonestat_command()} refresh`). "
          "The file stays archived and in fct_submissions and fct_figure_revisions.")
    return 0


def cmd_findings(args: argparse.Namespace) -> int:
    from zonestat.config import home

    where, params = [], []
    if args.reporter:
        where.append("(reporter_id = ? or reporter_id like ?)")
        params += [args.reporter, f"%:{args.reporter}"]
    period_key = (args.period if "-" in args.period else f"{args.period}-12") if args.period else None
    if period_key:
        where.append("period_key = ?")
        params.append(period_key)
    if args.kind:
        where.append("kind = ?")
        params.append(args.kind)
    if args.severity:
        where.append("severity = ?")
        params.append(args.severity)
    sql = ("select finding_id, rule_id, kind, severity, reporter_id, period_key, zone_key, submission_id, "
           "source_cells, expected, found, message, message_vi, suggestion, suggestion_vi from dq_findings"
           + (" where " + " and ".join(where) if where else "")
           + f" order by {reference.severity_rank_sql()}, reporter_id, period_key")
    h = home()
    with warehouse.published(h) as w:  # on DuckDB, the newest snapshot: an analyst may hold the file open
        if w is None:
            print(f"No published warehouse at {warehouse.published_where(h)}: run `{zonestat_command()} refresh` first.",
                  file=sys.stderr)
            return 2
        problem = (_unknown_reporter(w, args.reporter) if args.reporter else None) or \
            (_unknown_period(w, args.period, period_key) if period_key else None)
        if problem:
            print(problem, file=sys.stderr)
            return 2
        frame = w.df(sql, params)
    if args.json:
        print(frame.to_json(orient="records", force_ascii=False, indent=2))
    else:
        vi = args.lang == "vi"
        for r in frame.itertuples(index=False):
            where = location_vi(_shown(r.source_cells)) if vi else _shown(r.source_cells)
            print(f"{r.severity:7} {r.rule_id:38} {_shown(r.reporter_id):18} {_shown(r.period_key):8} "
                  f"{_shown(r.submission_id)[:12]:12} {where:24} {r.message_vi if vi else r.message}")
            suggestion = r.suggestion_vi if vi else r.suggestion
            if isinstance(suggestion, str):
                print(f"        {suggestion}")
        print(f"{len(frame)} phát hiện" if vi else _count(len(frame), "finding"))
    return 0


def _period(text: str) -> str:
    """A period as the findings name it: YYYY or YYYY-MM (01-12); argparse says what is wrong otherwise."""
    if not re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a period: write YYYY (a year) or YYYY-MM, e.g. 2019-11")
    return text


def _finding_kinds() -> list[str]:
    from expectations.catalogue import load

    return sorted({rule.kind for rule in load()} | {"submission"})


def _unknown_reporter(w, reporter: str) -> str | None:
    """None when `reporter` names a province (either vintage), a bloc or a reporter id; why not otherwise."""
    known = w.rows("""
        select count(*) from (
            select gso_code as code, 'province:' || vintage || ':' || gso_code as id from dim_province
            union all select bloc_code, 'bloc:' || bloc_code from dim_bloc) as reporters
        where ? in (code, id)""", [reporter])[0][0]
    if known:
        return None
    return (f"{reporter!r} is no province or bloc of the warehouse: give a GSO province code (34), a reporter id "
            "(province:2008:34, province:2025:33) or a bloc (bloc:DBSH); dim_province and dim_bloc list them")


def _unknown_period(w, period: str, period_key: str) -> str | None:
    """None when a file was received for the period (`period` as given, `period_key` as the findings
    name it); why not otherwise."""
    first, last, known = w.rows("select min(period_key), max(period_key), count(*) filter (where period_key = ?) "
                                "from fct_submissions", [period_key])[0]
    if known:
        return None
    return f"no file was received for {period!r}" + (f": the warehouse's reports run from {first} to {last}"
                                                      if first else ": the warehouse has no report yet")


def _shown(value: object) -> str:
    """'-' for a missing value (None or NaN from pandas), the value otherwise."""
    return value if isinstance(value, str) and value else "-"


# dbt's documentation page loads its usage tracker from the internet unless one is defined already
DOCS_NO_TRACKER = "<script>window.snowplow = function () {};</script>"


def cmd_docs(args: argparse.Namespace) -> int:
    """dbt's documentation of the published warehouse, as one page that opens without a server."""
    import shutil
    import subprocess
    import tempfile

    from orchestration import environment
    from orchestration.dbt import dbt_command

    h = environment.prepare()
    if not warehouse.published_exists(h):
        print(f"zonestat docs: nothing is published yet; run `{zonestat_command()} refresh` first", file=sys.stderr)
        return 2
    out = h.root / "docs"
    with tempfile.TemporaryDirectory() as tmp:
        work_db = None
        if not target.on_postgres():
            # dbt reads the tables' columns from a copy of the last publication: the work database may
            # be in use by a refresh, and the published file by an analyst.
            work_db = Path(tmp) / "warehouse.duckdb"
            shutil.copyfile(h.last_publication(), work_db)
        command = dbt_command(h, "docs", "generate", "--static", "--target-path", str(Path(tmp) / "target"),
                              work_db=work_db)
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stdout[-3000:], file=sys.stderr)
            return 1
        page = (Path(tmp) / "target" / "static_index.html").read_text(encoding="utf-8")
    head = re.search(r"<head[^>]*>", page)
    if head is None:  # a page zonestat cannot keep offline is not written
        print("zonestat docs: dbt's page has no <head>; it was not written", file=sys.stderr)
        return 1
    page = page[:head.end()] + DOCS_NO_TRACKER + page[head.end():]  # before dbt's scripts
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.html").write_text(page, encoding="utf-8")
    print(f"dbt docs of the published warehouse: {out / 'index.html'} (open it in a browser; no server needed)")
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    """`dagster dev` on this home, in a process group of its own that is stopped whole: on an
    interrupt or a termination Dagster is asked to stop (an interrupt), and whatever of it still
    runs after UI_STOP_SECONDS (it does not always end by itself) is killed."""
    import signal
    import subprocess

    from orchestration import environment

    environment.prepare()
    dagster = Path(sys.executable).with_name("dagster")
    # From the instance's folder: Dagster warns that a dagster.yaml in the folder it starts from "will
    # not be used", and the repository's is the one the instance's is copied from (environment.py).
    ui = subprocess.Popen([str(dagster), "dev", "-m", "orchestration.definitions", "--host", args.host,
                           "--port", str(args.port)], cwd=os.environ["DAGSTER_HOME"], start_new_session=True)

    def stop(signum: int, frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(ui.pid, signal.SIGINT)  # Dagster's own shutdown
        with contextlib.suppress(subprocess.TimeoutExpired):
            ui.wait(UI_STOP_SECONDS)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(ui.pid, signal.SIGKILL)  # whatever of it still runs: dagster dev, or what it started
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return ui.wait()


UI_STOP_SECONDS = 10


class _WithDefaults(argparse.ArgumentDefaultsHelpFormatter):
    """Help that names an option's default where it has one (not for flags and optional filters)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or action.default is False or action.default == argparse.SUPPRESS:
            return action.help or ""
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zonestat", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    # Every option's help ends with its default.
    sub.add_parser = functools.partial(sub.add_parser, formatter_class=_WithDefaults)

    p = sub.add_parser("refresh", help="ingest the inbox, build the warehouse, run the checks, publish")
    p.add_argument("--sample-if-empty", action="store_true", help="write sample submissions when the inbox is empty")
    p.set_defaults(func=cmd_refresh)

    p = sub.add_parser("sample", help="write realistic synthetic submissions in the v1.1 format (ingest/submission-format.md)")
    p.add_argument("--out", required=True, help="folder to write the files (and manifest.csv) into")
    p.add_argument("--seed", type=int, default=1, help="random seed: the same seed writes the same files")
    p.add_argument("--years", default="2019-2026", help="first-last, e.g. 2019-2026")
    p.add_argument("--provinces", default="all", help="all, or GSO codes separated by commas")
    p.add_argument("--months", default="all", help="all, or months separated by commas (12 = whole year)")
    p.add_argument("--inject-errors", type=float, default=0.0, metavar="RATE",
                   help="share of reports given one corrupted cell, listed in manifest.csv")
    p.add_argument("--csv-share", type=float, default=0.1, help="share of submissions written as CSV")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("validate", help="check files as the warehouse would, without loading them")
    p.add_argument("files", nargs="+", help="workbooks (.xlsx, .xls, .ods) or text tables (.csv, .txt)")
    p.add_argument("--json", action="store_true",
                   help="print a JSON report per file: each figure as read, findings in both languages")
    p.add_argument("--lang", choices=["vi", "en"], default="vi",
                   help="language of the findings in the text output (default: vi, Vietnamese)")
    p.add_argument("--against", metavar="WAREHOUSE", default=None,
                   help=f"`{PUBLISHED}` (the warehouse zonestat publishes, on DuckDB or PostgreSQL) or a DuckDB "
                        "warehouse file, to check growth claims, history and year-to-date flows against "
                        "(default: none, only the rules within the file)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("withdraw", help="take a submission out of the current facts (kept in the history)")
    p.add_argument("submission_id", help="the submission's id or its first characters (fct_submissions, findings)")
    p.add_argument("--reason", required=True, help="why, for the ledger (required)")
    p.set_defaults(func=cmd_withdraw)

    p = sub.add_parser("restore", help="put a withdrawn submission back")
    p.add_argument("submission_id", help="the submission's id or its first characters")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("findings", help="list the quality findings of the published warehouse")
    p.add_argument("--json", action="store_true", help="print the findings as JSON, in both languages")
    p.add_argument("--lang", choices=["vi", "en"], default="vi", help="language of the text output")
    p.add_argument("--reporter", help="province code (34), reporter id (province:2008:34) or bloc (bloc:DBSH)")
    p.add_argument("--period", type=_period, help="YYYY (the year) or YYYY-MM")
    p.add_argument("--kind", choices=_finding_kinds(), help="the kind of rule")
    p.add_argument("--severity", choices=reference.severities(), help="only findings of this severity")
    p.set_defaults(func=cmd_findings)

    p = sub.add_parser("docs", help="write dbt's documentation of the published warehouse to ZONESTAT_HOME/docs/index.html")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("ui", help="start the Dagster UI (dagster dev) for this ZONESTAT_HOME")
    p.add_argument("--host", default="127.0.0.1", help="address the UI listens on")
    p.add_argument("--port", type=int, default=3000, help="port the UI listens on")
    p.set_defaults(func=cmd_ui)

    return parser


def main(argv: list[str] | None = None) -> int:
    from zonestat.target import TargetUnusable

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except TargetUnusable as unusable:
        print(f"zonestat {args.command}: {unusable}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `zonestat findings | head`: the reader has what it wanted
        sys.stderr.close()
        return 0
    finally:
        if argv is None:  # the `zonestat` command, whose process ends now: what a refresh leaves
            # (Dagster's and dbt's objects, by the million) is freed with it; the interpreter's last
            # collections over them cost a second more
            gc.freeze()


if __name__ == "__main__":
    sys.exit(main())
