"""The rules' dbt models (dbt_project/models/quality), rendered without dbt as `zonestat validate`
runs them: each kind finds its broken relation on a report, names its cells, and finds nothing on the
same report typed consistently."""

import pytest

from expectations import file_rules
from expectations.catalogue import by_id
from tests.fixtures.workbooks import parse, row, workbook

# Each kind a model detects: a report that breaks one of its rules, the same report made consistent,
# the rule, and the cells its finding names (row 2 of SoLieu is the first figure).
CASES = {
    "balance": ([row("INV_NEW_PROJ", "21"), row("INV_NEW_PROJ", "12", breakdown="TN"),
                 row("INV_NEW_PROJ", "8", breakdown="NN")], {2: "20"},
                "balance.total_domestic_foreign", "SoLieu!F2, SoLieu!F3, SoLieu!F4"),
    "bound": ([row("OUT_REVENUE", "1.200", "tỷ đồng"), row("OUT_REVENUE", "1.500", "tỷ đồng", breakdown="NN")],
              {3: "900"}, "bound.foreign_part_within_total", "SoLieu!F3, SoLieu!F2"),
    "ratio": ([row("INV_VALID_CAP", "2.000", "tỷ đồng"), row("INV_IMPL_CAP", "500", "tỷ đồng"),
               row("INV_IMPL_RATE", "52", "%")], {4: "25"}, "ratio.implementation_rate", "SoLieu!F4, SoLieu!F3, SoLieu!F2"),
    "share": ([row("INV_VALID_CAP", "2.000", "tỷ đồng"), row("INV_VALID_CAP", "500", "tỷ đồng", "NN", share="40")],
              {3: ("500", "25")}, "ratio.claimed_share", "SoLieu!F3, SoLieu!F2"),
    "plausibility": ([row("LAB_AVG_INCOME", "95", "triệu đồng/người/tháng")], {2: "9,5"},
                     "plausibility.average_income", "SoLieu!F2"),
    "magnitude": ([row("INV_VALID_CAP", "5.000.000", "tỷ đồng"), row("INV_VALID_PROJ", "20", "dự án")],
                  {2: "5.000"}, "magnitude.capital_per_project", "SoLieu!F2, SoLieu!F3"),
    "hierarchy": ([row("INV_NEW_PROJ", "21"), row("INV_NEW_PROJ", "12", zone="KCN Phố Nối A"),
                   row("INV_NEW_PROJ", "8", zone="KCN Thăng Long II")], {2: "20"},
                  "hierarchy.zones_sum_to_province", "SoLieu!F2, SoLieu!F3, SoLieu!F4"),
}


def _findings(tmp_path, rows):
    sub = parse(workbook(tmp_path / "report.xlsx", rows))
    assert not sub.rejected, sub.findings
    return file_rules.findings_of_files([sub]).get(sub.submission_id)


@pytest.mark.parametrize("kind", list(CASES))
def test_each_rule_model_finds_what_breaks_its_rule_and_nothing_else(kind, tmp_path):
    rows, mended, rule_id, cells = CASES[kind]
    assert by_id()[rule_id].model in file_rules.WITHIN_ONE_REPORT
    found = _findings(tmp_path, rows)
    [finding] = found[found["rule_id"] == rule_id].to_dict("records")
    assert finding["source_cells"] == cells, finding
    consistent = [list(r) for r in rows]
    for line, value in mended.items():
        value, share = value if isinstance(value, tuple) else (value, None)
        consistent[line - 2][5] = value
        if share:
            consistent[line - 2][7] = share
    found = _findings(tmp_path, consistent)
    assert found is None or rule_id not in set(found["rule_id"]), found


def _year_to_date_findings(tmp_path, october: str, november: str):
    """The monotonic rule's findings over two reports of one province and year (its model,
    dq_year_to_date_falls, rendered over their figures), and the later report."""
    import duckdb

    from expectations import engine

    reports = [parse(workbook(tmp_path / f"{month}.xlsx", [row("INV_NEW_PROJ", value)],
                              meta=[("ma_tinh", "34"), ("ky_bao_cao", f"2019-{month}"), ("trang_thai", "uoc")]))
               for month, value in (("10", october), ("11", november))]
    con = duckdb.connect()
    try:
        file_rules.load_file_facts(con, reports, None)
        found = engine.find(con, engine.QualitySummary(), [by_id()["monotonic.year_to_date_flow"]])
    finally:
        con.close()
    return found, reports[1]


def test_a_year_to_date_flow_below_the_earlier_report_of_the_year_is_found_on_the_later(tmp_path):
    found, november = _year_to_date_findings(tmp_path, "21", "18")
    [finding] = found.to_dict("records")
    assert finding["submission_id"] == november.submission_id
    assert finding["source_cells"] == "SoLieu!F2, 2019-10 SoLieu!F2", finding
    assert (finding["expected"], finding["found"]) == (21, 18) and "2019-10" in finding["message"]
    found, _ = _year_to_date_findings(tmp_path, "21", "21")
    assert not len(found)


def test_a_dependants_value_the_incremental_scope_does_not_know_stops_the_build():
    """A model asks the incremental scope for the reports that depend on a changed one by name
    ('the next year', 'every year'); a misspelt name is an error, not a scope without dependants."""
    import jinja2

    from zonestat.config import DBT_PROJECT_DIR

    class CompilerError(Exception):
        pass

    def raise_compiler_error(message):
        raise CompilerError(message)

    env = jinja2.Environment(extensions=["jinja2.ext.do"])  # dbt's jinja has `do`
    env.globals.update(ref=lambda model: model, is_incremental=lambda: False,
                       exceptions={"raise_compiler_error": raise_compiler_error})
    scope = env.from_string((DBT_PROJECT_DIR / "macros" / "incremental_scope.sql").read_text(encoding="utf-8")).module
    for known in (None, "the next year", "every year"):
        assert str(scope.only_changed_reporter_years("f", "fct_output", dependants=known)).strip() == ""
    with pytest.raises(CompilerError, match="not 'next year'"):
        scope.only_changed_reporter_years("f", "fct_output", dependants="next year")


def test_every_form_of_rule_that_a_model_detects_is_in_the_catalogue_once():
    """Each rule has one model, and each form a model detects (RULE_MODELS) is that of some rule of
    the catalogue and of no other model: a form misspelt or left behind would leave its rules unchecked."""
    from expectations.catalogue import RULE_MODELS, load

    forms = [form for detects in RULE_MODELS.values() for form in detects]
    assert len(forms) == len(set(forms))
    assert set(forms) == {rule.detected_as for rule in load()}
    assert {rule.model for rule in load()} == set(RULE_MODELS)
