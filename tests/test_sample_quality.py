"""Sample data end to end: consistent reports raise no error; every injected error is found,
by a rule of the right kind, and the suggestion restores the original figure."""

import csv
from datetime import date

import pytest

from expectations.quality import CELL_KEY_SEPARATOR
from tests.fixtures.homes import module_home, query, run_refresh
from zonestat.notation import read_text_number
from zonestat.sample import generate

pytestmark = pytest.mark.slow  # builds a warehouse with dbt and Dagster (or drives a browser)

# Thái Bình and Hưng Yên merge into Hưng Yên (33) in July 2025; Hải Dương into Hải Phòng (31).
PROVINCES = "30,31,33,34,01,10,15"


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory):
    with module_home(tmp_path_factory, "sample") as home:
        manifest = home.root / "manifest.csv"
        stats = generate(home.inbox, seed=7, years=(2024, 2025), provinces=PROVINCES, months=(3, 6, 9, 12),
                         inject_errors=0.5, manifest=manifest, today=date(2026, 11, 22))
        assert run_refresh(home)
        yield home, list(csv.DictReader(open(manifest, encoding="utf-8"))), stats


def test_consistent_reports_raise_no_error(sample_warehouse):
    home, manifest, _ = sample_warehouse
    corrupted = {m["file"] for m in manifest}
    errors = query(home.published_db, """
        select f.rule_id, s.file_name, f.source_cells, f.message from dq_findings f
        join fct_submissions s using (submission_id) where f.severity = 'error'""")
    clean = errors[~errors["file_name"].isin(corrupted)]
    assert clean.empty, clean.to_string()


def test_every_injected_error_is_found_by_the_right_kind_and_mostly_restored(sample_warehouse):
    from zonestat.sample import INJECTABLE, score_injected

    home, manifest, stats = sample_warehouse
    assert stats["injected_errors"] >= 10 and {m["error_kind"] for m in manifest} == set(INJECTABLE)
    findings = query(home.published_db, """
        select f.kind, f.source_cells, f.suggested_cells, f.suggested_values, s.file_name
        from dq_findings f join fct_submissions s using (submission_id) where f.severity = 'error'""")
    scores = score_injected(manifest, findings)
    assert all(s["found"] == s["injected"] for s in scores.values()), scores
    restored = sum(s["restored"] for s in scores.values())
    assert restored / len(manifest) >= 0.9, scores
    assert all(s["restored"] / s["injected"] >= 0.75 for s in scores.values()), scores


def test_missing_exchange_rates_are_findings_and_never_zero(sample_warehouse):
    home, _, _ = sample_warehouse
    missing = query(home.published_db, "select period_key from dq_findings where rule_id = 'reference.exchange_rate_missing'")
    assert sorted(missing["period_key"]) == ["2024", "2025"]
    converted = query(home.published_db, """select count(*) filter (where value_vnd_bn = 0) as zeros,
        count(*) filter (where value_vnd_bn is null) as nulls from fct_investment where unit = 'USD_mn'""")
    assert converted["zeros"][0] == 0 and converted["nulls"][0] > 0


def test_mart_figures_equal_the_input_files(sample_warehouse):
    """Every figure of a few whole files, read back from the marts, equals the file as typed."""
    import csv as csvmodule

    import openpyxl

    from zonestat import units

    home, manifest, _ = sample_warehouse
    corrupted = {m["file"] for m in manifest}
    files = [p for p in sorted(home.inbox.iterdir()) if p.name not in corrupted]
    checked = 0
    for path in [f for f in files if f.suffix == ".xlsx"][:3] + [f for f in files if f.suffix == ".csv"][:2]:
        if path.suffix == ".xlsx":
            rows = list(openpyxl.load_workbook(path, read_only=True)["SoLieu"].iter_rows(values_only=True))
            header = rows.index(next(r for r in rows if r and r[0] == "ma_chi_tieu"))
            table = [dict(zip(rows[header], r)) for r in rows[header + 1:]]
        else:
            text = path.read_text(encoding="utf-8")
            table = list(csvmodule.DictReader(text.splitlines(), delimiter=";" if text.count(";") > text.count(",")
                                              else ","))
        marts = query(home.published_db, """
            select r.indicator_code, r.breakdown, r.zone_key, r.value from fct_figure_revisions r
            join fct_submissions s using (submission_id) where s.file_name = ?""", [path.name])
        assert len(marts) == len(table), path.name
        got = {(r.indicator_code, r.breakdown, r.zone_key != ""): [] for r in marts.itertuples()}
        for r in marts.itertuples():
            got[(r.indicator_code, r.breakdown, r.zone_key != "")].append(r.value)
        for row in table:
            expected = read_text_number(str(row["gia_tri"])).vn * units.lookup(row["don_vi"]).factor
            values = got[(row["ma_chi_tieu"], row["phan_to"], bool(row.get("khu")))]
            assert any(v == pytest.approx(expected) for v in values), (path.name, row)
            checked += 1
    assert checked > 1000


def _reports_with_errors(home) -> dict[str, list]:
    """The cells of every published report with an error finding, report by report."""
    import duckdb

    from expectations import quality, suggest

    with duckdb.connect(str(home.published_db), read_only=True) as con:
        quality.create_cells_view(con)
        return suggest.by_report(suggest.report_cells(con.execute(f"""
            select {", ".join(suggest.CELL_COLUMNS)} from {quality.CELLS_VIEW}
            where submission_id in (select submission_id from dq_findings where severity = 'error')""").fetchall()))


def test_search_on_worker_processes_proposes_what_one_process_does(sample_warehouse, monkeypatch):
    """Many reports are searched on worker processes; the proposals must not depend on it."""
    from expectations import suggest

    home, _, _ = sample_warehouse
    reports = [(sid, cells, {}, None) for sid, cells in _reports_with_errors(home).items()]
    one_process = dict(map(suggest._search_report, reports))
    monkeypatch.setattr(suggest, "PARALLEL_FROM", 1)
    monkeypatch.setenv("ZONESTAT_WORKERS", "2")
    assert suggest.search_reports(reports) == one_process
    assert sum(found is not None for found in one_process.values()) >= 5


def test_search_from_the_findings_cells_proposes_what_the_whole_report_does(sample_warehouse):
    """The search builds only the relations on the findings' cells (and around the broken ones);
    on every report of the sample it must propose the same correction as with every relation."""
    import duckdb

    from expectations import suggest

    home, _, _ = sample_warehouse
    focus: dict[str, set[str]] = {}
    with duckdb.connect(str(home.published_db), read_only=True) as con:
        for sid, keys in con.execute("""select submission_id, cell_keys from dq_findings
                                        where severity in ('error', 'warning') and cell_keys is not null""").fetchall():
            focus.setdefault(sid, set()).update(keys.split(CELL_KEY_SEPARATOR))
    by_report = _reports_with_errors(home)
    whole = {sid: suggest.search(cells, suggest.build_constraints(cells, {})) for sid, cells in by_report.items()}
    focused = {sid: suggest.search(cells, suggest.build_constraints(cells, {}, focus.get(sid, set())))
               for sid, cells in by_report.items()}
    assert focused == whole
    assert sum(found is not None for found in whole.values()) >= 5


def test_every_message_fills_every_placeholder_in_both_languages(sample_warehouse):
    # An unfilled placeholder renders as '?' ("LAB_WORKERS TN: ? is about 929 times its usual level").
    home, _, _ = sample_warehouse
    found = query(home.published_db, "select rule_id, message, message_vi from dq_findings")
    assert found["rule_id"].nunique() >= 6
    for rule, *texts in found.itertuples(index=False):
        for text in texts:
            assert "?" not in text, (rule, text)


def test_growth_across_the_2025_merger_is_checked_against_the_predecessors(sample_warehouse):
    # Every province of the sample reported in 2024, so no claim of 2025 lacks last year's figures:
    # unchanged provinces compare with themselves, merged ones with the sum of their predecessors
    # where the figure adds up (an average of merged provinces is not compared at all).
    home, _, _ = sample_warehouse
    compared = query(home.published_db, """
        select count(*) filter (where f.message like '%cannot be checked%') as unchecked,
               count(*) filter (where c.reporter_vintage = 2025) as claims_2025
        from (select * from fct_labour union all by name select * from fct_investment) c
        left join dq_findings f on f.rule_id = 'growth.claimed_growth' and f.cell_keys = c.figure_key
        where c.growth_pct_claimed is not null and c.period_year = 2025""")
    assert compared["claims_2025"][0] > 0 and compared["unchecked"][0] == 0


def test_blocs_keep_their_members_after_the_2025_merger(sample_warehouse):
    home, _, _ = sample_warehouse
    members_2025 = set(query(home.published_db, "select member_gso_code from dim_bloc_member "
                                                "where bloc_code = 'DBSH' and member_vintage = 2025")["member_gso_code"])
    # Hà Nội; Hải Dương + Hải Phòng -> Hải Phòng (31); Thái Bình + Hưng Yên -> Hưng Yên (33): all of DBSH before
    assert {"01", "31", "33"} <= members_2025 and "24" not in members_2025  # Bắc Giang was in no listed bloc
    after = query(home.published_db, """
        select n_members_known, n_members_reported, members_value from agg_bloc
        where bloc_code = 'DBSH' and period_key = '2025-09' and indicator_code = 'INV_NEW_PROJ' and breakdown = 'TONG'""")
    assert after["n_members_known"][0] == len(members_2025) and after["n_members_reported"][0] >= 3
    unclear = query(home.published_db, "select message, message_vi from dq_findings "
                                       "where rule_id = 'reference.bloc_membership_2025' and reporter_id = 'province:2025:24'")
    assert unclear["message"].tolist() == [
        "Bắc Ninh (24): in no emulation bloc from July 2025: it was formed from Bắc Giang (-), Bắc Ninh (DBSH), "
        "not all of one bloc; its figures are in no bloc's sum until blocs.csv lists it"]


def test_no_suggestion_makes_a_count_fractional(sample_warehouse):
    home, _, _ = sample_warehouse
    proposals = query(home.published_db, """
        with proposed as (
            select distinct f.submission_id, unnest(string_split(f.suggested_cells, ', ')) as cell,
                unnest(string_split(f.suggested_values, ', ')) as text
            from dq_findings f where f.suggested_cells is not null),
        cells as (
            select submission_id, case when source_sheet = '' then source_cell else source_sheet || '!' || source_cell end
                as cell, unit from (select * from fct_investment union all by name select * from fct_labour
                union all by name select * from fct_output union all by name select * from fct_trade
                union all by name select * from fct_infrastructure))
        select p.text, c.unit from proposed p join cells c using (submission_id, cell)""")
    counts = proposals[proposals["unit"].isin(["count", "persons"])]
    assert len(counts) > 0  # the sample's slips in counts get suggestions too
    for text in counts["text"]:
        assert read_text_number(text).vn == int(read_text_number(text).vn), text


def test_every_sql_example_of_the_readme_returns_rows(sample_warehouse):
    import re
    from pathlib import Path

    home, _, _ = sample_warehouse
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    examples = re.findall(r"```sql\n(.*?)```", readme, flags=re.S)
    assert len(examples) >= 3
    for sql in examples:
        assert len(query(home.published_db, sql)), sql


def test_the_rule_models_dbt_built_hold_what_they_find_rendered_without_dbt(sample_warehouse):
    """`zonestat validate` runs the rules' models rendered without dbt (expectations/quality.py's
    render_model): over the same facts, they find what the models dbt built hold."""
    import duckdb

    from expectations import quality
    from expectations.catalogue import load

    home, _, _ = sample_warehouse
    with duckdb.connect(str(home.work_db)) as con:
        built, rendered = (quality.detect(con, load(), built=read)[0] for read in (True, False))
    assert {rule_id.split(".")[0] for rule_id in built["rule_id"]} >= {"balance", "bound", "ratio", "reference"}
    # a finding about no figure (a province without a bloc) has no figure found: -1 here, as NaN is no NaN
    assert sorted(zip(built["rule_id"], built["cell_keys"], built["found"].fillna(-1))) == \
        sorted(zip(rendered["rule_id"], rendered["cell_keys"], rendered["found"].fillna(-1)))
