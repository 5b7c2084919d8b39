"""Run the whole quality step on the work database: detect, explain, suggest, flag the facts."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from expectations import quality, suggest
from expectations.catalogue import by_id
from ingest.findings import severity_rank_sql
from zonestat.config import connect_work_db

# Kinds whose broken relations the suggestion search can repair by correcting cells.
REPAIRABLE = {"balance", "bound", "ratio", "share", "hierarchy", "magnitude", "growth"}


@dataclass
class QualitySummary:
    findings: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    suggestions: int = 0
    reports_searched: int = 0
    seconds_detect: float = 0.0
    seconds_suggest: float = 0.0
    seconds_by_kind: dict[str, float] = field(default_factory=dict)


class _Params(defaultdict):
    def __missing__(self, key: str) -> str:
        return "?"


def _true(x: object) -> bool:
    return x is not None and not pd.isna(x) and bool(x)


def _count(x: object) -> int:
    return 0 if x is None or pd.isna(x) else int(x)


def _explain(raw: pd.DataFrame) -> pd.DataFrame:
    """Severity and messages (English and Vietnamese) for each broken relation."""
    rules = by_id()
    rows = []
    for r in raw.to_dict("records"):
        rule = rules[r["rule_id"]]
        indicators = str(r.get("indicators") or "").split(",")
        breakdowns = str(r.get("breakdowns") or "").split(",")
        n = quality.vn_number
        params = _Params(None, {
            "indicator": indicators[0], "breakdown": breakdowns[0],
            "total": n(r.get("found")), "parts": n(r.get("expected")), "lhs": n(r.get("found")),
            "rhs": n(r.get("expected")), "rate": n(r.get("found")), "computed": n(r.get("expected")),
            "claimed": n(r.get("found")), "found": n(r.get("found")),
            "value": n(r["cell_value"] if pd.notna(r.get("cell_value")) else r.get("found")),
            "per_unit": n(r.get("found")), "low": n(r.get("low")), "high": n(r.get("high")),
            "previous": n(r.get("expected")), "previous_period": r.get("previous_period") or "?",
            "last_period": r.get("last_period") or "?", "last_value": n(r.get("last_value")),
            "typical": n(r.get("expected")), "factor": n(round(r["imbalance"])) if pd.notna(r.get("imbalance")) and
            r.get("imbalance") and abs(r["imbalance"]) >= 1 else n(1 / r["imbalance"]) if r.get("imbalance") else "?",
            "missing": r.get("missing_members") or "", "n_missing": _count(r.get("n_missing")),
            "n_known": _count(r.get("n_members_known")), "period": r.get("period_key") or "?",
            "reporter": r.get("reporter_name") or "?", "predecessor_blocs": r.get("predecessor_blocs") or "?",
        })
        severity, en, vi = rule.severity, rule.message_en, rule.message_vi
        params_vi = params
        if _true(r.get("other_rate_holds")):  # the printed rate is that of another base of the report
            en, vi = rule.spec["other_base_message_en"], rule.spec["other_base_message_vi"]
            params["other_rate"] = n(r.get("other_rate"))
            params_vi = _Params(None, params | {"other_base": rule.spec["other_base_vi"]})
            params["other_base"] = rule.spec["other_base_en"]
        if r.get("rate_missing"):
            if rule.kind in ("growth", "hierarchy"):
                severity = rule.spec.get("missing_severity", "info")
                en, vi = rule.spec["missing_message_en"], rule.spec["missing_message_vi"]
            else:
                severity = "info"
                en = f"{rule.id}: cannot be checked: money in two currencies and no exchange rate for the year"
                vi = f"{rule.id}: chưa kiểm tra được: số liệu hai loại tiền và chưa có tỷ giá của năm"
        where = f"{r['zone_key']}: " if r.get("zone_key") else ""  # the zone, when not the whole province
        rows.append(r | {"kind": rule.kind, "severity": severity,
                         "message": where + en.format_map(params), "message_vi": where + vi.format_map(params_vi)})
    return pd.DataFrame(rows)


def _suggest(con: duckdb.DuckDBPyConnection, findings: pd.DataFrame, summary: QualitySummary) -> pd.DataFrame:
    """Attach the minimal-change correction to the findings of each report that has one."""
    for column in ("suggestion", "suggestion_vi", "suggested_cells", "suggested_values"):
        findings[column] = None
    # A rate explained by another base of the report is not a typing slip: no correction is sought for it.
    explained = findings["other_rate_holds"].map(_true) if "other_rate_holds" in findings else \
        pd.Series(False, index=findings.index)
    repairable = findings[findings["kind"].isin(REPAIRABLE) & findings["severity"].isin(["error", "warning"])
                          & ~explained]
    submissions = sorted(repairable["submission_id"].dropna().unique())
    if not submissions:
        return findings
    con.execute("create or replace temp table dq_flagged as select unnest(?) as submission_id", [submissions])
    # Tuples straight from DuckDB: the fastest way to half a million cells on a bad night.
    fetched = con.execute(f"""
        select {", ".join(suggest.CELL_COLUMNS)}, cell_ref
        from {quality.CELLS_VIEW} join dq_flagged using (submission_id)""").fetchall()
    cells = suggest.report_cells([row[:-1] for row in fetched])
    cell_ref = {row[0]: row[-1] for row in fetched}  # figure_key comes first
    growth = quality.load_rule("growth.claimed_growth")
    claims = con.execute(f"""
        with g as ({quality.growth_sql(growth, broken_only=False, submissions="dq_flagged")})
        select c.figure_key, g.last_value as value, g.last_tol as tolerance
        from g join {quality.CELLS_VIEW} c on c.figure_hash = g.cells[1]
        where g.last_value is not null""").df()
    history = findings[findings["rule_id"] == "magnitude.against_history"]
    last_year = dict(zip(claims["figure_key"], zip(claims["value"], claims["tolerance"])))  # key -> (value, tolerance)
    typical = dict(zip(history["cell_keys"], history["expected"]))
    # The levels a correction must stay near, for the cells a correction may change: those of the findings.
    suspects = sorted({key for keys in repairable["cell_keys"].dropna() for key in keys.split("¦")})
    con.execute("create or replace temp table dq_suspect_cells as select unnest(?::varchar[]) as figure_key", [suspects])
    usual = dict(con.execute(quality.usual_level_sql(quality.load_rule("magnitude.against_history"),
                                                     cells="dq_suspect_cells")).fetchall())
    peers = {key: (low, high) for key, low, high in con.execute(quality.peer_range_sql("dq_suspect_cells")).fetchall()}
    typed = {c.figure_key: c.text_as_typed for c in cells}
    # Each report's findings, found once, and read as plain lists: pandas indexing per report
    # cost more than the search itself on a night with a thousand reports to correct.
    repairable_row = (findings["kind"].isin(REPAIRABLE) & ~explained).tolist()
    blocking_row = findings["severity"].isin(["error", "warning"]).tolist()
    rule_of = findings["rule_id"].tolist()
    explained_row = explained.tolist()
    cells_of = [set(keys.split("¦")) if isinstance(keys, str) else set() for keys in findings["cell_keys"]]
    of_report = findings.groupby("submission_id").indices
    reports = []
    for submission_id, rows in suggest.by_report(cells).items():
        keys = [row.figure_key for row in rows]  # each report gets only its own context
        context = {"last_year": {k: last_year[k] for k in keys if k in last_year},
                   "typical": {k: typical[k] for k in keys if k in typical},
                   "usual": {k: usual[k] for k in keys if k in usual},
                   "peers": {k: peers[k] for k in keys if k in peers},
                   "explained": {frozenset(cells_of[i]) for i in of_report[submission_id] if explained_row[i]}}
        # the search starts from the cells of the report's findings (suggest.build_constraints)
        focus = set().union(*(cells_of[i] for i in of_report[submission_id] if repairable_row[i] and blocking_row[i]))
        reports.append((submission_id, rows, context, focus))
    suggestions = suggest.search_reports(reports)
    summary.reports_searched += len(reports)
    proposed: dict[int, tuple[str, str, str, str]] = {}  # finding position -> the four suggestion columns

    def said(corrections: dict[str, suggest.Candidate], language: str) -> str:
        """A correction as the board reads it: cell: as typed → proposed (reason)."""
        return "; ".join(f"{cell_ref[k]}: {typed[k]} → {c.text} ({getattr(c, 'reason_' + language)})"
                         for k, c in corrections.items())

    for submission_id, found in suggestions.items():
        if found is None:
            continue
        summary.suggestions += 1
        changed = set(found.cells)
        en, vi = said(found.cells, "en"), said(found.cells, "vi")
        if found.alternatives:
            # as likely as the first: say so, and show them all
            en += "; or as likely: " + " | ".join(said(a, "en") for a in found.alternatives) + \
                " (the figures alone cannot tell which)"
            vi += "; hoặc cũng có thể: " + " | ".join(said(a, "vi") for a in found.alternatives) + \
                " (chỉ từ số liệu không xác định được ô nào)"
        columns = ("Probably: " + en, "Có thể: " + vi, ", ".join(cell_ref[k] for k in found.cells),
                   ", ".join(c.text for c in found.cells.values()))
        for i in of_report[submission_id]:
            # The report's findings on a changed cell, and those the correction repairs even when they
            # name other cells (a rate that fails because its capital is 1000 times off points at the capital).
            if (repairable_row[i] and changed & cells_of[i]) or (blocking_row[i] and any(
                    rule == rule_of[i] and cells_of[i].intersection(keys) for rule, keys in found.fixes)):
                proposed[i] = columns
    for n, column in enumerate(("suggestion", "suggestion_vi", "suggested_cells", "suggested_values")):
        findings[column] = [proposed[i][n] if i in proposed else None for i in range(len(findings))]
    return findings


DQ_TABLE_SQL = """
create or replace table dq_findings (
    finding_id varchar primary key, rule_id varchar, kind varchar, severity varchar, reporter_id varchar,
    period_key varchar, zone_key varchar, submission_id varchar, revision_number bigint, indicators varchar,
    breakdowns varchar, expected double, found double, imbalance double, tolerance double, message varchar,
    message_vi varchar, source_cells varchar, cell_keys varchar, suggestion varchar, suggestion_vi varchar,
    suggested_cells varchar, suggested_values varchar
)"""


def _without_falls_from_flagged_figures(findings: pd.DataFrame) -> pd.DataFrame:
    """A year-to-date figure 'falls' after an earlier report's figure 1000 times too large: when that
    earlier figure already has an error of its own report, the fall says nothing more about it, and
    would blame the later report, which is right."""
    fall = findings["rule_id"] == "monotonic.year_to_date_flow"
    if not fall.any():
        return findings
    flagged = {key for keys in findings.loc[~fall & (findings["severity"] == "error"), "cell_keys"].dropna()
               for key in keys.split("¦")}
    earlier = findings["cell_keys"].map(lambda keys: keys.split("¦")[-1] if isinstance(keys, str) else None)
    return findings[~(fall & earlier.isin(flagged))].reset_index(drop=True)


def find(con: duckdb.DuckDBPyConnection, summary: QualitySummary, rules: list | None = None) -> pd.DataFrame:
    """The findings of the catalogue's `rules` (all by default) over the facts `con` holds: detected,
    explained and with their suggested corrections. The warehouse's run and `zonestat validate`'s
    (expectations/file_rules.py) are this one function."""
    started = time.perf_counter()
    raw, summary.seconds_by_kind = quality.detect(con, rules)
    summary.seconds_detect = time.perf_counter() - started
    findings = _explain(raw) if len(raw) else pd.DataFrame(columns=quality.FINDING_COLUMNS)
    findings = _without_falls_from_flagged_figures(findings)
    started = time.perf_counter()
    if len(findings):
        findings = _suggest(con, findings, summary)
    summary.seconds_suggest = time.perf_counter() - started
    if len(findings):
        findings["finding_id"] = [quality.finding_id(r, k) for r, k in zip(findings["rule_id"], findings["cell_keys"])]
        findings = findings.drop_duplicates("finding_id")
    return findings


def run_quality(database: Path) -> QualitySummary:
    """Detect, explain and suggest over the work database; writes dq_findings and the facts' flags."""
    summary = QualitySummary()
    with connect_work_db(database) as con:
        findings = find(con, summary)
        door = con.execute("""
            select rule_id, 'submission' as kind, severity, s.reporter_id, s.period_key, '' as zone_key,
                f.submission_id, null as revision_number, null as indicators, null as breakdowns,
                null as expected, null as found, null as imbalance, null as tolerance,
                f.message, f.message_vi,
                case when f.sheet = '' then f.cell else f.sheet || '!' || f.cell end as source_cells,
                null as cell_keys, null as suggestion, null as suggestion_vi, null as suggested_cells,
                null as suggested_values, f.expected as door_expected, f.found as door_found
            from stg_landing__findings f left join stg_landing__submissions s using (submission_id)
            union all
            select 'submission.versions_unordered', 'submission', 'warning', k.reporter_id, k.period_key, '',
                k.submission_id, k.revision_number, null, null, null, null, null, null,
                k.file_name || ' is kept as the current version of ' || k.reporter_id || ' ' || k.period_key
                    || ', but ' || string_agg(o.file_name, ', ' order by o.file_name)
                    || ' has the same status, date prepared and arrival time: nothing in the files says which'
                    || ' is later, so the content hash decided. Send the right version again (with ngay_lap).',
                k.file_name || ' được giữ làm bản hiện hành của ' || k.reporter_id || ' ' || k.period_key
                    || ', nhưng ' || string_agg(o.file_name, ', ' order by o.file_name)
                    || ' có cùng trạng thái, ngày lập và thời điểm nhận: không có gì trong tệp cho biết bản nào'
                    || ' mới hơn, nên mã băm nội dung quyết định. Hãy gửi lại bản đúng (có ngay_lap).',
                '', null, null, null, null, null, null, null
            from int_submissions_ranked k
            join int_submissions_ranked o
                on o.reporter_id = k.reporter_id and o.period_key = k.period_key
                and o.status_rank = k.status_rank and o.prepared_on is not distinct from k.prepared_on
                and o.received_at = k.received_at and o.submission_id <> k.submission_id
            where k.is_unordered and k.revision_number = k.n_revisions
            group by k.reporter_id, k.period_key, k.submission_id, k.revision_number, k.file_name""").df()
        if len(door):
            door["finding_id"] = [quality.finding_id(r, f"{s}|{c}|{m}") for r, s, c, m in
                                  zip(door["rule_id"], door["submission_id"], door["source_cells"], door["message"])]
            door = door.drop_duplicates("finding_id")
        con.execute(DQ_TABLE_SQL)
        for frame in (findings, door):
            if len(frame):
                for column in quality.FINDING_COLUMNS:
                    if column not in frame.columns:
                        frame[column] = None
                con.register("new_findings", frame[quality.FINDING_COLUMNS])
                con.execute("insert into dq_findings select * from new_findings")
                con.unregister("new_findings")
        # the figures a finding compares, without the noise of float arithmetic (0.5009999999999999)
        con.execute("update dq_findings set expected = round(expected, 9), found = round(found, 9), "
                    "imbalance = round(imbalance, 9), tolerance = round(tolerance, 9)")
        _name_reporters(con)
        _flag_facts(con)
        counts = con.execute("select severity, kind, count(*) from dq_findings group by all").fetchall()
    for severity, kind, n in counts:
        summary.findings += n
        summary.by_severity[severity] = summary.by_severity.get(severity, 0) + n
        summary.by_kind[kind] = summary.by_kind.get(kind, 0) + n
    return summary


REPORTER_COLUMNS = ("reporter_kind varchar, reporter_code varchar, reporter_vintage integer, reporter_name varchar, "
                    "province_2025_code varchar, province_2025_name varchar")


def _name_reporters(con: duckdb.DuckDBPyConnection) -> None:
    """Who each finding is about, from the ledger and the dimensions: analysts filter and join on
    reporter code, vintage and name, and on the 2025 province, without taking reporter_id apart."""
    for column in REPORTER_COLUMNS.split(", "):
        con.execute(f"alter table dq_findings add column {column}")
    con.execute("""
        update dq_findings set reporter_kind = r.reporter_kind, reporter_code = r.reporter_code,
            reporter_vintage = r.reporter_vintage, reporter_name = r.reporter_name,
            province_2025_code = r.province_2025_code, province_2025_name = r.province_2025_name
        from (
            select s.reporter_id, s.reporter_kind, s.reporter_code, s.reporter_vintage,
                coalesce(p.name_vi, b.bloc_name_vi) as reporter_name,
                p.successor_2025_code as province_2025_code, p25.name_vi as province_2025_name
            from (select reporter_id, any_value(reporter_kind) as reporter_kind, any_value(reporter_code) as reporter_code,
                         any_value(reporter_vintage) as reporter_vintage
                  from fct_submissions where reporter_id is not null group by reporter_id) s
            left join dim_province p
                on s.reporter_kind = 'province' and p.vintage = s.reporter_vintage and p.gso_code = s.reporter_code
            left join dim_province p25 on p25.vintage = 2025 and p25.gso_code = p.successor_2025_code
            left join dim_bloc b on s.reporter_kind = 'bloc' and b.bloc_code = s.reporter_code
        ) r
        where dq_findings.reporter_id = r.reporter_id""")


def _flag_facts(con: duckdb.DuckDBPyConnection) -> None:
    """Each fact row carries the worst severity of the findings that touch it."""
    con.execute(f"""
        create or replace temp table dq_cell_flags as
        select cell_key as figure_key,
            arg_min(severity, {severity_rank_sql()}) as worst
        from (select unnest(string_split(cell_keys, '¦')) as cell_key, severity from dq_findings
              where cell_keys is not null)
        group by cell_key""")
    for table in quality.FACT_TABLES:
        # Facts are built incrementally: rows kept from an earlier build carry earlier flags.
        con.execute(f"update {table} set worst_finding_severity = null where worst_finding_severity is not null")
        con.execute(f"""update {table} set worst_finding_severity = f.worst
                        from dq_cell_flags f where {table}.figure_key = f.figure_key""")
