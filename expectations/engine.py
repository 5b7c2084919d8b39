"""The quality step on the work database: detect, explain and suggest; the rules' findings for dbt."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from expectations import quality, suggest
from expectations.catalogue import by_id
from zonestat import warehouse
from zonestat.config import Home
from zonestat.text import location_vi
from zonestat.warehouse import Warehouse, as_warehouse

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
    reporters: int = 0  # reporters with figures in the warehouse
    reporters_checked: int = 0  # of them, those whose reports the rules ran over (all, or the changed ones')


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
        imbalance = r.get("imbalance")
        figures = {  # said in each message's own notation (quality.NUMBER_IN)
            "total": r.get("found"), "parts": r.get("expected"), "lhs": r.get("found"), "rhs": r.get("expected"),
            "rate": r.get("found"), "computed": r.get("expected"), "claimed": r.get("found"), "found": r.get("found"),
            "value": r["cell_value"] if pd.notna(r.get("cell_value")) else r.get("found"),
            "per_unit": r.get("found"), "low": r.get("low"), "high": r.get("high"), "previous": r.get("expected"),
            "last_value": r.get("last_value"), "typical": r.get("expected"), "other_rate": r.get("other_rate"),
            "factor": None if pd.isna(imbalance) or not imbalance else
            round(imbalance) if abs(imbalance) >= 1 else 1 / imbalance,
        }
        words = {
            "indicator": indicators[0], "breakdown": breakdowns[0],
            "previous_period": r.get("previous_period") or "?", "last_period": r.get("last_period") or "?",
            "missing": r.get("missing_members") or "", "n_missing": _count(r.get("n_missing")),
            "n_known": _count(r.get("n_members_known")), "period": r.get("period_key") or "?",
            "reporter": r.get("reporter_name") or "?", "predecessor_blocs": r.get("predecessor_blocs") or "?",
        }
        params, params_vi = (_Params(None, words | {k: quality.NUMBER_IN[lang](v) for k, v in figures.items()})
                             for lang in ("en", "vi"))
        severity, en, vi = rule.severity, rule.message_en, rule.message_vi
        if _true(r.get("other_rate_holds")):  # the printed rate is that of another base of the report
            en, vi = rule.spec["other_base_message_en"], rule.spec["other_base_message_vi"]
            params["other_base"], params_vi["other_base"] = rule.spec["other_base_en"], rule.spec["other_base_vi"]
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


def _suggest(w: Warehouse, findings: pd.DataFrame, summary: QualitySummary) -> pd.DataFrame:
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
    w.temp_table("dq_flagged", "select unnest(?::varchar[]) as submission_id", [submissions])
    # Tuples straight from the database: the fastest way to half a million cells on a bad night.
    fetched = w.rows(f"""
        select {", ".join(suggest.CELL_COLUMNS)}, cell_ref
        from {quality.CELLS_VIEW} join dq_flagged using (submission_id)""")
    cells = suggest.report_cells([row[:-1] for row in fetched])
    cell_ref = {row[0]: row[-1] for row in fetched}  # figure_key comes first
    claims = w.df(f"""
        with g as ({quality.claims_with_last_year_sql(submissions="dq_flagged")})
        select c.figure_key, g.last_value as value, g.last_tol as tolerance
        from g join {quality.CELLS_VIEW} c on c.figure_hash = g.figure_hash
        where g.last_value is not null""")
    history = findings[findings["rule_id"] == suggest.HISTORY.id]
    last_year = dict(zip(claims["figure_key"], zip(claims["value"], claims["tolerance"])))  # key -> (value, tolerance)
    typical = dict(zip(history["cell_keys"], history["expected"]))
    # The levels a correction must stay near, for the cells a correction may change: those of the findings.
    suspects = sorted({key for keys in repairable["cell_keys"].dropna() for key in keys.split(quality.CELL_KEY_SEPARATOR)})
    w.temp_table("dq_suspect_cells", "select unnest(?::varchar[]) as figure_key", [suspects])
    usual = dict(w.rows(quality.usual_level_sql(suggest.HISTORY, cells="dq_suspect_cells")))
    peers = {key: (low, high) for key, low, high in w.rows(quality.peer_range_sql("dq_suspect_cells"))}
    typed = {c.figure_key: c.text_as_typed for c in cells}
    # Each report's findings, found once, and read as plain lists: pandas indexing per report
    # cost more than the search itself on a night with a thousand reports to correct.
    repairable_row = (findings["kind"].isin(REPAIRABLE) & ~explained).tolist()
    blocking_row = findings["severity"].isin(["error", "warning"]).tolist()
    rule_of = findings["rule_id"].tolist()
    explained_row = explained.tolist()
    cells_of = [set(keys.split(quality.CELL_KEY_SEPARATOR)) if isinstance(keys, str) else set() for keys in findings["cell_keys"]]
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
        locate = location_vi if language == "vi" else str
        return "; ".join(f"{locate(cell_ref[k])}: {typed[k]} → {c.text} ({getattr(c, 'reason_' + language)})"
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


# The rules' findings, where the dbt model dq_findings reads them (a source): it adds the door's
# findings, names each finding's reporter and flags the facts (models/marts/dq_findings.sql).
RULE_FINDINGS_TABLE = "dq_rule_findings"
RULE_FINDINGS_COLUMNS = ", ".join(f"{name} {kind}" + (" primary key" if name == "finding_id" else "")
                                  for name, kind in quality.FINDING_COLUMN_TYPES.items())


def _without_falls_from_flagged_figures(findings: pd.DataFrame) -> pd.DataFrame:
    """A year-to-date figure 'falls' after an earlier report's figure 1000 times too large: when that
    earlier figure already has an error of its own report, the fall says nothing more about it, and
    would blame the later report, which is right."""
    fall = findings["kind"] == "monotonic"
    if not fall.any():
        return findings
    flagged = {key for keys in findings.loc[~fall & (findings["severity"] == "error"), "cell_keys"].dropna()
               for key in keys.split(quality.CELL_KEY_SEPARATOR)}
    earlier = findings["cell_keys"].map(lambda keys: keys.split(quality.CELL_KEY_SEPARATOR)[-1] if isinstance(keys, str) else None)
    return findings[~(fall & earlier.isin(flagged))].reset_index(drop=True)


def find(con: Warehouse | object, summary: QualitySummary, rules: list | None = None,
         reporters: str | None = None, rewritten=None, built: bool = False) -> pd.DataFrame:
    """The findings of the catalogue's `rules` (all by default) over the facts `con` holds (a
    Warehouse, or a DuckDB connection), of the reporters in the table `reporters` (all by
    default: quality.create_cells_view): detected,
    explained and with their suggested corrections; of them only those `rewritten` selects (a
    function of the findings' frame), when given; `built`: the rules' dbt models are built in it
    (quality.detect). The warehouse's run and `zonestat validate`'s (expectations/file_rules.py)
    are this one function."""
    w = as_warehouse(con)
    started = time.perf_counter()
    raw, _ = quality.detect(w, rules, reporters, built)  # and the seconds by rule kind, which bench quality reports
    summary.seconds_detect = time.perf_counter() - started
    findings = _explain(raw) if len(raw) else pd.DataFrame(columns=quality.FINDING_COLUMNS)
    findings = _without_falls_from_flagged_figures(findings)
    if rewritten is not None and len(findings):  # the others' corrections are not sought again
        findings = findings[rewritten(findings)].reset_index(drop=True)
    started = time.perf_counter()
    if len(findings):
        findings = _suggest(w, findings, summary)
    summary.seconds_suggest = time.perf_counter() - started
    if len(findings):
        findings["finding_id"] = [quality.finding_id(r, k) for r, k in zip(findings["rule_id"], findings["cell_keys"])]
        findings = findings.drop_duplicates("finding_id")
    return findings


# What the findings were found over, kept beside them: the current version of each report
# (CHECKED_TABLE) and the basis of the run (BASIS_TABLE: the code, reference data and withdrawals
# that made the facts, and the rules' own code; orchestration/fingerprint.py's rules_basis). A
# run on the same basis checks again only the reporters whose versions changed since, with the
# reports that depend on theirs (their reporters' groups (quality.REPORTER_GROUP), the blocs, and the
# reports searched against the same periods' peers); everything else keeps its findings.
CHECKED_TABLE, BASIS_TABLE = "dq_checked_versions", "dq_rules_basis"
CURRENT_VERSIONS = """select reporter_id, period_key, submission_id, n_revisions from fct_submissions
    where is_current and reporter_id is not null"""
# The warehouse's tables the quality step reads: what Dagster draws upstream of its findings
# (orchestration/assets.py), with the seeds that the suggestion search's last year of a growth
# claim reads (macros/rules.sql's claims_with_last_year). tests/test_quality_reads.py checks that
# its SQL names no other.
READS = (*quality.FACT_TABLES, *quality.RULE_MODELS, "fct_submissions", "province_succession", "indicators")


def run_quality(h: Home, basis: str | None = None) -> QualitySummary:
    """Detect, explain and suggest over the work state's facts, in the warehouse itself (DuckDB or
    PostgreSQL); writes dq_rule_findings there. `basis`: what the facts and rules are made of
    (orchestration/fingerprint.py's rules_basis); with the basis of the last run, only the changed
    reporters' reports and their dependants are checked again. Without one, every report is."""
    summary = QualitySummary()
    with warehouse.work(h) as w:
        w.temp_table("dq_current_versions", CURRENT_VERSIONS)
        _find_and_keep(w, summary, _findings_can_be_kept(w, basis), basis)
    return summary


def _findings_can_be_kept(w: Warehouse, basis: str | None) -> bool:
    """Whether the last run's findings can be kept for the reports that did not change; if so, the
    versions that changed since (either side) are in the temporary table dq_changed_versions."""
    present = set(w.tables())
    if basis is None or not {RULE_FINDINGS_TABLE, CHECKED_TABLE, BASIS_TABLE} <= present:
        return False
    if w.rows(f"select basis from {BASIS_TABLE}") != [(basis,)]:
        return False
    w.temp_table("dq_changed_versions", f"""
        (select * from dq_current_versions except select * from {CHECKED_TABLE})
        union all
        (select * from {CHECKED_TABLE} except select * from dq_current_versions)""")
    return True


def _find_and_keep(w: Warehouse, summary: QualitySummary, incremental: bool, basis: str | None) -> None:
    """Find, and write the findings into RULE_FINDINGS_TABLE: all of them, or, `incremental`, those
    that the changed versions (dq_changed_versions) can change, in place of their earlier ones; then
    record what they stand for (CHECKED_TABLE, BASIS_TABLE), in the same transaction.

    What a changed version can change: every finding of its reporter's group (in every year: next
    year's growth, the series' history) and of the blocs (their totals are their members'), and the
    corrections of the other reports of its periods, which are weighed against their peers. The
    rules run over those reports' whole groups, which the corrections' context needs."""
    quality.create_cells_view(w)
    # Each reporter with figures, and its group (quality.REPORTER_GROUP): one pass over the facts
    # for everything the scope below needs to know of them.
    w.temp_table("dq_reporter_groups", f"""select reporter_id, min(reporter_kind) as reporter_kind,
        min({quality.REPORTER_GROUP}) as reporter_group from {quality.ALL_CELLS_VIEW} group by reporter_id""")
    summary.reporters = w.rows("select count(*) from dq_reporter_groups")[0][0]
    if incremental and not w.rows("select count(*) from dq_changed_versions")[0][0]:
        _tally(w, summary)  # no report changed: every finding stands
        return
    scope, rewritten = None, None
    if incremental:
        repairable = ", ".join(f"'{k}'" for k in sorted(REPAIRABLE))

        def with_their_groups(reporters: str) -> str:
            """The reporters of the same groups as those of the condition `reporters`, and every bloc
            (a bloc's aggregate depends on any member's report)."""
            return f"""select reporter_id from dq_reporter_groups where reporter_kind = 'bloc' or reporter_group in (
                select reporter_group from dq_reporter_groups where {reporters})"""
        w.temp_table("dq_rewritten_reporters", "select reporter_id from dq_changed_versions union "
                     + with_their_groups("reporter_id in (select reporter_id from dq_changed_versions)"))
        w.temp_table("dq_changed_periods", "select distinct period_key from dq_changed_versions")
        w.temp_table("dq_scope_reporters", with_their_groups(f"""
            reporter_id in (select reporter_id from dq_rewritten_reporters)
            or reporter_id in (select reporter_id from {RULE_FINDINGS_TABLE}
                               where period_key in (select period_key from dq_changed_periods)
                               and kind in ({repairable}) and severity in ('error', 'warning'))"""))
        scope = "dq_scope_reporters"
        reporters = {r for (r,) in w.rows("select reporter_id from dq_rewritten_reporters")}
        periods = {p for (p,) in w.rows("select period_key from dq_changed_periods")}

        def rewritten(found: pd.DataFrame) -> pd.Series:
            return found["reporter_id"].isin(reporters) | found["period_key"].isin(periods) \
                | (found["kind"] == "reference")
    findings = find(w, summary, reporters=scope, rewritten=rewritten, built=True)
    summary.reporters_checked = w.rows(f"select count(*) from {scope or 'dq_reporter_groups'}")[0][0]
    for column in quality.FINDING_COLUMNS:
        if column not in findings.columns:
            findings[column] = None
    findings = findings[quality.FINDING_COLUMNS].copy()
    # the figures a finding compares, without the noise of float arithmetic (0.5009999999999999)
    for column in ("expected", "found", "imbalance", "tolerance"):
        findings[column] = pd.to_numeric(findings[column], errors="coerce").round(9)
    with w.transaction():
        if incremental:
            # the earlier findings this run wrote again go (see above), and the catalogue-wide ones
            # (a year without a rate, a province without a bloc), which every run finds again
            w.temp_table("dq_new_finding_ids", "select unnest(?::varchar[]) as finding_id",
                         [findings["finding_id"].tolist()])
            w.execute(f"""delete from {RULE_FINDINGS_TABLE}
                where kind = 'reference' or reporter_id in (select reporter_id from dq_rewritten_reporters)
                    or (period_key in (select period_key from dq_changed_periods)
                        and reporter_id in (select reporter_id from dq_scope_reporters))
                    or finding_id in (select finding_id from dq_new_finding_ids)""")
        else:
            w.execute(f"drop table if exists {RULE_FINDINGS_TABLE}")
            w.execute(f"create table {RULE_FINDINGS_TABLE} ({RULE_FINDINGS_COLUMNS})")
        w.insert_frame(RULE_FINDINGS_TABLE, findings)
        w.execute(f"drop table if exists {CHECKED_TABLE}")
        w.execute(f"create table {CHECKED_TABLE} as select * from dq_current_versions")
        w.execute(f"drop table if exists {BASIS_TABLE}")
        w.execute(f"create table {BASIS_TABLE} as select cast(? as varchar) as basis", [basis])
    _tally(w, summary)


def _tally(w: Warehouse, summary: QualitySummary) -> None:
    counts = w.rows(f"select severity, kind, count(*) from {RULE_FINDINGS_TABLE} group by severity, kind")
    for severity, kind, n in counts:
        summary.findings += n
        summary.by_severity[severity] = summary.by_severity.get(severity, 0) + n
        summary.by_kind[kind] = summary.by_kind.get(kind, 0) + n
