"""The real published reports (seed_facts.csv) through the whole pipeline: a real Dagster
materialize of every asset into a temporary home, then the figures and findings in the
published warehouse."""

import pandas as pd
import pytest

from tests.fixtures.homes import module_home, query, run_refresh
from tests.fixtures.published_reports import seed_facts, write_published_reports
from zonestat import reference, units
from zonestat.notation import read_text_number

pytestmark = pytest.mark.slow  # builds a warehouse with dbt and Dagster (or drives a browser)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    with module_home(tmp_path_factory, "published") as home:
        write_published_reports(home.inbox)
        _zones_one_project_short(home.inbox / "ha_noi_2019_06.xlsx")
        _quarterly_exports_falling(home.inbox)
        assert run_refresh(home), "the refresh job failed"
        yield home


# Reports written by this module beside the published ones (not in seed_facts.csv).
OWN_FILES = "'ha_noi_2019_06.xlsx', 'dong_nai_2019-03.xlsx', 'dong_nai_2019-06.xlsx', 'dong_nai_2019-09.xlsx'"


def _zones_one_project_short(path):
    """Hà Nội, June 2019: 182 valid projects, while its four zones' add up to 181 (typed whole)."""
    from tests.fixtures.workbooks import row, workbook

    zones = [("KCN Thăng Long", "50"), ("KCN Nội Bài", "45"), ("KCN Quang Minh", "46"), ("KCN Phú Nghĩa", "40")]
    workbook(path, [row("INV_VALID_PROJ", "182")] + [row("INV_VALID_PROJ", v, zone=z) for z, v in zones],
             meta=[("ma_tinh", "01"), ("ky_bao_cao", "2019-06"), ("trang_thai", "chinh_thuc")])


def _quarterly_exports_falling(inbox):
    """Đồng Nai reports quarterly: exports year to date 2.500 in June, then 2.450 in September."""
    from tests.fixtures.workbooks import row, workbook

    for period, value in (("2019-03", "1.200"), ("2019-06", "2.500"), ("2019-09", "2.450")):
        workbook(inbox / f"dong_nai_{period}.xlsx", [row("TRD_EXPORT", value, unit="triệu USD")],
                 meta=[("ma_tinh", "75"), ("ky_bao_cao", period), ("trang_thai", "chinh_thuc")])


def test_a_year_to_date_figure_below_the_previous_quarter_is_flagged(warehouse):
    fell = findings(warehouse, "reporter_id = 'province:2008:75' and rule_id = 'monotonic.year_to_date_flow'")
    assert fell["period_key"].tolist() == ["2019-09"], fell.to_string()
    assert fell["message"].iloc[0] == "TRD_EXPORT TONG: the year-to-date figure fell from 2,500 (2019-06) to 2,450"
    assert fell["message_vi"].iloc[0] == "TRD_EXPORT TONG: số lũy kế từ đầu năm giảm từ 2.500 (2019-06) xuống 2.450"


def test_no_message_leaves_a_placeholder_unfilled(warehouse):
    found = findings(warehouse, "true")
    for rule, en, vi in zip(found["rule_id"], found["message"], found["message_vi"]):
        assert "?" not in en and "?" not in vi, (rule, en, vi)


def test_a_province_count_one_more_than_its_zones_is_flagged(warehouse):
    flagged = findings(warehouse, "reporter_id = 'province:2008:01' and period_key = '2019-06'")
    assert flagged["rule_id"].tolist() == ["hierarchy.zones_sum_to_province"], flagged.to_string()
    finding = flagged.iloc[0]
    assert finding["severity"] == "error" and finding["expected"] == 181 and finding["found"] == 182
    assert "SoLieu!F2" in finding["source_cells"]  # the province's cell, then its zones'


def findings(home, where: str):
    return query(home.published_db, f"select * from dq_findings where {where}")


def test_every_printed_figure_is_in_the_warehouse_as_printed(warehouse):
    facts = query(warehouse.published_db, f"""
        select reporter_code, period_key, indicator_code, breakdown, value, unit, text_as_typed from (
            {" union all by name ".join(f"select * from {fact}" for fact in reference.fact_tables())})
        where submission_id in (select submission_id from fct_submissions where file_name not in ({OWN_FILES}))""")
    assert len(facts) == len(seed_facts())
    for fact in seed_facts():
        period = fact["period"] if "-" in fact["period"] else f"{fact['period']}-12"
        row = facts[(facts.reporter_code == fact["reporter_code"]) & (facts.period_key == period)
                    & (facts.indicator_code == fact["indicator"]) & (facts.breakdown == fact["breakdown"])]
        assert len(row) == 1, fact
        unit = units.lookup(fact["unit_as_printed"])
        expected = read_text_number(fact["value_as_printed"]).vn * unit.factor
        assert row.iloc[0]["value"] == pytest.approx(expected), fact
        assert row.iloc[0]["unit"] == unit.canonical
        assert row.iloc[0]["text_as_typed"] == fact["value_as_printed"]


def test_thai_binh_2019_rolls_into_hung_yen_under_2025_boundaries(warehouse):
    exports = query(warehouse.published_db, """
        select value from agg_province_2025
        where province_2025_code = '33' and period_key = '2019-12' and indicator_code = 'TRD_EXPORT'
          and breakdown = 'TONG'""")
    assert exports["value"].tolist() == [pytest.approx(1162.79)]


TB = "reporter_id = 'province:2008:34' and period_key = '2019-11'"


def test_thai_binh_registered_capital_is_a_magnitude_error_on_all_three_cells(warehouse):
    magnitude = findings(warehouse, f"{TB} and kind = 'magnitude'")
    assert sorted(magnitude["breakdowns"]) == ["NN", "TN", "TONG"]
    assert set(magnitude["indicators"]) == {"INV_VALID_CAP"}
    suggestion = magnitude["suggested_values"].iloc[0]
    assert sorted(suggestion.split(", ")) == sorted(["81.770,544", "70.527,829", "11.242,715"])


def test_thai_binh_rules_that_hold_are_not_flagged(warehouse):
    flagged = findings(warehouse, f"{TB} and kind in ('balance', 'bound', 'share')")
    assert flagged.empty, flagged[["rule_id", "source_cells", "message"]].to_string()


def test_thai_binh_rates_fail_and_the_suggestion_points_at_the_capital(warehouse):
    rates = findings(warehouse, f"{TB} and rule_id = 'ratio.implementation_rate'")
    assert sorted(rates["breakdowns"]) == sorted(["TONG,TONG,TONG", "TN,TN,TN", "NN,NN,NN"])
    capital_cells = set(query(warehouse.published_db, """
        select source_sheet || '!' || source_cell as cell from fct_investment
        where reporter_code = '34' and period_key = '2019-11' and indicator_code = 'INV_VALID_CAP'""")["cell"])
    for cells in rates["suggested_cells"]:
        assert set(cells.split(", ")) == capital_cells


def test_red_river_delta_disbursement_rate_is_a_ratio_mismatch(warehouse):
    rate = findings(warehouse, "reporter_id = 'bloc:DBSH' and rule_id = 'ratio.disbursement_rate'")
    assert len(rate) == 1 and rate.iloc[0]["severity"] == "error"
    assert rate.iloc[0]["found"] == 54 and rate.iloc[0]["expected"] == pytest.approx(100 * 3156 / 56615, rel=1e-3)


def test_red_river_delta_rate_is_explained_by_the_years_licensed_capital_not_a_typing_slip(warehouse):
    # 3.156 of the 5.890 million USD licensed in 2019 is 53,6%: the report's base, not 56.615 registered.
    rate = findings(warehouse, "reporter_id = 'bloc:DBSH' and rule_id = 'ratio.disbursement_rate'").iloc[0]
    assert "capital licensed in the year" in rate["message"] and "= 53.582%" in rate["message"], rate["message"]
    assert "vốn cấp mới và tăng thêm trong năm" in rate["message_vi"]
    assert rate["suggestion"] is None or pd.isna(rate["suggestion"])  # no '3.156 -> 3,156', no '54 -> 0,054'
    assert "INV_LICENSED_CAP" in rate["source_cells"] or len(rate["source_cells"].split(", ")) == 4


def test_red_river_delta_aggregates_name_the_missing_members_not_an_imbalance(warehouse):
    bloc = findings(warehouse, "reporter_id = 'bloc:DBSH' and kind = 'hierarchy'")
    assert len(bloc) > 0 and set(bloc["severity"]) == {"info"}
    assert all("Hà Nội" in m and "have not reported" in m for m in bloc["message"])
    exports = bloc[bloc["indicators"] == "TRD_EXPORT"].iloc[0]["message"]
    assert "10 of 11 known members" in exports and "Thái Bình" not in exports  # Thái Bình did report its exports


def test_growth_claims_without_last_year_say_so(warehouse):
    growth = findings(warehouse, "reporter_id = 'province:2008:34' and kind = 'growth'")
    assert len(growth) == 10 and set(growth["severity"]) == {"info"}
    assert all("2018-12 is not in the warehouse" in m for m in growth["message"])


def test_fact_rows_carry_the_worst_severity_of_their_findings(warehouse):
    flags = query(warehouse.published_db, """
        select indicator_code, breakdown, worst_finding_severity from fct_investment
        where reporter_code = '34' and period_key = '2019-11' and indicator_code in ('INV_VALID_CAP', 'INV_NEW_PROJ')""")
    by_cell = {(r.indicator_code, r.breakdown): r.worst_finding_severity for r in flags.itertuples()}
    assert by_cell[("INV_VALID_CAP", "TONG")] == "error" and pd.isna(by_cell[("INV_NEW_PROJ", "TONG")])


def test_feedback_workbook_for_the_board_in_vietnamese(warehouse):
    import openpyxl

    [path] = list(warehouse.reports.glob("province-2008-34_2019-11_*.xlsx"))
    sheet = openpyxl.load_workbook(path).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "PHẢN HỒI KIỂM TRA SỐ LIỆU BÁO CÁO"
    assert ["Đơn vị báo cáo", None, "Thái Bình"] == list(rows[2][:3])
    assert rows[5][2].startswith("Tệp đã được tiếp nhận, nhưng có")  # accepted, with errors to check
    header = rows.index(["Mức độ", "Loại kiểm tra", "Ô", "Nội dung", "Giá trị đúng ra", "Giá trị trong báo cáo",
                         "Đề xuất sửa", "Mã quy tắc"])
    findings = rows[header + 1:]
    magnitude = [r for r in findings if r[7] == "magnitude.capital_per_project"]
    assert len(magnitude) == 3 and all(r[0] == "Lỗi" and r[1] == "Độ lớn bất thường" for r in magnitude)
    assert all("81.770,544" in r[6] and r[6].startswith("Có thể:") for r in magnitude)
    rows_named = [int(r[2].split(", ")[0].rsplit("!", 1)[-1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ$")) for r in findings
                  if r[2] and r[2].split(", ")[0].rsplit("!", 1)[-1][:1].isalpha()]
    assert rows_named == sorted(rows_named)  # in the order of the sheet's rows
    assert sheet.freeze_panes == f"A{header + 2}" and sheet.page_setup.orientation == "landscape"
    bloc = [p for p in warehouse.reports.glob("bloc-DBSH_*.xlsx")]
    assert bloc and openpyxl.load_workbook(bloc[0]).active["C3"].value.startswith("Khối thi đua")  # a name, not DBSH


def test_feedback_workbook_prints_on_a4_with_every_column_on_each_page(warehouse, tmp_path):
    """As a board officer prints it: LibreOffice renders it to PDF, and each page holds whole rows."""
    import shutil
    import subprocess

    import openpyxl

    if not (shutil.which("soffice") and shutil.which("pdftotext")):
        pytest.skip("needs soffice and pdftotext (apt-get install libreoffice-calc-nogui poppler-utils)")
    [path] = list(warehouse.reports.glob("province-2008-34_2019-11_*.xlsx"))
    subprocess.run(["soffice", "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / path.with_suffix(".pdf").name
    # -raw: the text in the order the page draws it, so a wrapped cell's lines stay together
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert "841.89 x 595.3" in info  # A4, landscape
    pages = [p for p in text.split("\f") if p.strip()]
    assert pages and all("Mức độ" in p and "Đề xuất sửa" in p and "Mã quy tắc" in p for p in pages)  # headings, every page
    assert "Thái Bình" in pages[0] and "Tệp đã được tiếp nhận" in pages[0]
    # every column on the page's width: no rule id cut, and every suggestion printed
    sheet = openpyxl.load_workbook(path).active
    rules = [r[7] for r in sheet.iter_rows(values_only=True) if r[7] and "." in str(r[7])]
    suggestions = [r[6] for r in sheet.iter_rows(values_only=True) if r[6] and str(r[6]).startswith("Có thể:")]
    assert all(text.count(rule) == rules.count(rule) for rule in rules)
    assert text.count("Có thể:") == len(suggestions) > 0


def test_dbt_docs_generate_and_every_mart_column_is_described(warehouse):
    import json
    import subprocess

    from orchestration.dbt import dbt_command

    done = subprocess.run(dbt_command(warehouse, "docs", "generate", "--target-path", str(warehouse.dbt_target)),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert (warehouse.dbt_target / "index.html").exists()
    catalog = json.loads((warehouse.dbt_target / "catalog.json").read_text())
    manifest = json.loads((warehouse.dbt_target / "manifest.json").read_text())
    marts = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and "marts" in n["fqn"]]
    assert len(marts) >= 15
    # the history carries the columns of the boards' files as the facts do, and says they are described there
    facts = manifest["nodes"]["model.zonestat.fct_investment"]["columns"]
    for node in marts:
        assert node["description"], f"{node['name']} has no description"
        built = catalog["nodes"][node["unique_id"]]["columns"]
        for column in built:
            documented = node["columns"].get(column, {}).get("description") or (
                node["name"] == "fct_figure_revisions" and facts.get(column, {}).get("description"))
            assert documented, f"{node['name']}.{column} has no description"


def test_findings_command(warehouse):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    zonestat = Path(sys.executable).with_name("zonestat")
    env = dict(os.environ, ZONESTAT_HOME=str(warehouse.root))
    done = subprocess.run([str(zonestat), "findings", "--json", "--reporter", "34", "--period", "2019-11",
                           "--kind", "magnitude"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert len(found) == 3 and {f["rule_id"] for f in found} == {"magnitude.capital_per_project"}
    assert all("81.770,544" in f["suggestion"] for f in found)
    # as text, each finding with the first characters of its file's id (what `zonestat withdraw` takes)
    said = subprocess.run([str(zonestat), "findings", "--reporter", "34", "--period", "2019-11", "--kind", "magnitude",
                           "--lang", "en"], capture_output=True, text=True, env=env)
    assert said.returncode == 0 and found[0]["submission_id"][:12] in said.stdout, said.stdout


@pytest.mark.parametrize("arguments, says", [
    (["--reporter", "99"], "'99' is no province or bloc of the warehouse"),
    (["--reporter", "bloc:XYZ"], "'bloc:XYZ' is no province or bloc"),
    (["--period", "2019-13"], "'2019-13' is not a period: write YYYY (a year) or YYYY-MM"),
    (["--period", "11/2019"], "'11/2019' is not a period"),
    (["--period", "1990-01"], "no file was received for '1990-01': the warehouse's reports run from "),
    (["--period", "2031"], "no file was received for '2031'"),
    (["--kind", "balanse"], "invalid choice: 'balanse'"),
])
def test_findings_refuses_what_names_nothing_instead_of_printing_no_findings(warehouse, monkeypatch, capsys,
                                                                             arguments, says):
    from zonestat import cli

    monkeypatch.setenv("ZONESTAT_HOME", str(warehouse.root))
    try:
        code = cli.main(["findings", *arguments])
    except SystemExit as exit:  # argparse's own refusal
        code = exit.code
    out, err = capsys.readouterr()
    assert code == 2 and says in err, err
    assert "findings" not in out and "phát hiện" not in out


def test_findings_speak_vietnamese_by_default_and_count_in_the_singular(warehouse, monkeypatch, capsys):
    from zonestat import cli

    monkeypatch.setenv("ZONESTAT_HOME", str(warehouse.root))
    one = query(warehouse.published_db, "select reporter_id, period_key, kind from dq_findings "
                "group by all having count(*) = 1 and reporter_id like 'province:%' limit 1").iloc[0]
    args = ["--reporter", one.reporter_id, "--period", one.period_key, "--kind", one.kind]
    assert cli.main(["findings", *args]) == 0
    vi = capsys.readouterr().out
    assert cli.main(["findings", "--lang", "en", *args]) == 0
    en = capsys.readouterr().out
    assert vi.splitlines()[-1] == "1 phát hiện" and en.splitlines()[-1] == "1 finding"
    message_vi, message_en = query(warehouse.published_db, "select message_vi, message from dq_findings where "
                                   f"reporter_id = '{one.reporter_id}' and period_key = '{one.period_key}' "
                                   f"and kind = '{one.kind}'").iloc[0]
    assert message_vi in vi and message_en in en


def test_the_published_file_opens_in_duckdb_1_and_holds_only_what_analysts_use(warehouse, tmp_path_factory):
    """DBeaver and most drivers ship a DuckDB 1.x engine: the published file must open there."""
    import subprocess
    import sys

    old = tmp_path_factory.mktemp("duckdb1") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(old)], check=True)
    subprocess.run([str(old / "bin" / "pip"), "install", "--quiet", "duckdb==1.1.3"], check=True)
    shown = subprocess.run([str(old / "bin" / "python"), "-c", f"""
import duckdb
con = duckdb.connect({str(warehouse.published_db)!r}, read_only=True)
print(duckdb.__version__)
for name, kind in con.execute("select table_name, table_type from information_schema.tables order by 1").fetchall():
    print(name, kind, con.execute(f'select count(*) from "{{name}}"').fetchone()[0])
"""], capture_output=True, text=True, check=True).stdout.splitlines()
    assert shown[0] == "1.1.3"
    tables = {line.split()[0]: (line.split()[1], int(line.split()[-1])) for line in shown[1:]}
    assert {"fct_investment", "dim_province", "agg_bloc", "dq_findings", "provinces", "indicators"} <= set(tables)
    assert not [t for t in tables if t.startswith(("stg_", "int_"))] and {k for k, _ in tables.values()} == {"BASE"}
    assert tables["fct_investment"][1] == len(query(warehouse.published_db, "select * from fct_investment"))


def test_findings_name_their_reporter_and_2025_province_and_sums_print_without_float_noise(warehouse):
    who = query(warehouse.published_db, """
        select distinct reporter_id, reporter_kind, reporter_code, reporter_vintage, reporter_name,
            province_2025_code, province_2025_name
        from dq_findings where reporter_id in ('province:2008:34', 'bloc:DBSH') order by reporter_id""")
    assert [tuple(None if pd.isna(v) else v for v in r) for r in who.itertuples(index=False)] == [
        ("bloc:DBSH", "bloc", "DBSH", None, "Khối thi đua Ban Quản lý KCN/KCX/KKT các tỉnh đồng bằng sông Hồng", None, None),
        ("province:2008:34", "province", "34", 2008, "Thái Bình", "33", "Hưng Yên")]
    noisy = query(warehouse.published_db, """
        select (select count(*) from dq_findings where expected <> round(expected, 9) or imbalance <> round(imbalance, 9)
                    or tolerance <> round(tolerance, 9)) as findings,
               (select count(*) from agg_region where value <> round(value, 6) or value_vnd_bn <> round(value_vnd_bn, 6)) as regions,
               (select count(*) from agg_bloc where members_value <> round(members_value, 6)) as blocs""")
    assert noisy.iloc[0].tolist() == [0, 0, 0]
    regions = query(warehouse.published_db, "select distinct region, region_name_vi, region_name_en from agg_region")
    assert ("RRD", "Đồng bằng sông Hồng", "Red River Delta") in [tuple(r) for r in regions.itertuples(index=False)]


def test_docs_command_writes_one_page_of_the_published_warehouse_that_opens_offline(warehouse, monkeypatch):
    import os
    import re

    from zonestat import cli

    monkeypatch.setenv("ZONESTAT_HOME", str(warehouse.root))
    monkeypatch.setenv("DAGSTER_HOME", os.environ.get("DAGSTER_HOME", str(warehouse.dagster_home)))
    assert cli.main(["docs"]) == 0
    page = (warehouse.root / "docs" / "index.html").read_text(encoding="utf-8")
    assert "fct_investment" in page and "region_name_vi" in page  # the models, their columns
    assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="https?://', page)  # nothing fetched from the internet
    # nor by dbt's own script, which loads its usage tracker unless one is defined before it
    assert page.index(cli.DOCS_NO_TRACKER) < page.index("GlobalSnowplowNamespace")
    assert [p.name for p in (warehouse.root / "docs").iterdir()] == ["index.html"]  # one page, nothing beside it


def _validate(*args: str) -> list[dict]:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    zonestat = Path(sys.executable).with_name("zonestat")
    done = subprocess.run([str(zonestat), "validate", "--json", *args], capture_output=True, text=True,
                          env=dict(os.environ))
    assert done.returncode in (0, 1), done.stderr[-3000:]
    return json.loads(done.stdout)


def test_validate_finds_in_a_file_what_the_warehouse_finds_in_it(warehouse):
    """`zonestat validate` runs the warehouse's rules on the files alone (the rules within one
    report), and with --against the published warehouse also those that compare a report with
    others (growth, history, year-to-date): the same findings on the same cells, the same
    suggestions, as the refresh put in dq_findings for each of these files."""
    from expectations.catalogue import load
    from expectations.file_rules import AGAINST_HISTORY, WITHIN_ONE_REPORT

    files = [str(p) for p in sorted(warehouse.inbox.iterdir())]
    published = query(warehouse.published_db, """
        select submission_id, rule_id, source_cells, suggestion from dq_findings where kind <> 'submission'""")
    current = set(query(warehouse.published_db, "select submission_id from fct_submissions where is_current")
                  ["submission_id"])
    compared = []
    for args, models in (((), WITHIN_ONE_REPORT),
                         (("--against", str(warehouse.published_db)), WITHIN_ONE_REPORT + AGAINST_HISTORY)):
        rules = {r.id for r in load() if r.model in models}
        compared.append(0)
        for report in _validate(*files, *args):
            if report["submission_id"] not in current:
                continue
            found = {(f["rule"], f["cell"], f.get("suggestion")) for f in report["findings"] if f["rule"] in rules}
            mine = published[(published["submission_id"] == report["submission_id"]) & published["rule_id"].isin(rules)]
            suggestions = [None if pd.isna(x) else x for x in mine["suggestion"]]
            assert found == set(zip(mine["rule_id"], mine["source_cells"], suggestions)), report["file"]
            compared[-1] += len(found)
    assert compared[0] >= 5 and compared[1] > compared[0], compared  # growth claims too, against the warehouse
    # Thái Bình's registered capital, 1000 times too large in the published report: found in the
    # file alone, with the correction.
    thai_binh = next(r for r in _validate(*files) if r["reporter"]["code"] == "34" and r["period"] == "2019-11")
    magnitude = [f for f in thai_binh["findings"] if f["rule"].startswith("magnitude.")]
    assert len(magnitude) == 3 and "81.770,544" in magnitude[0]["suggested_values"]


def test_a_files_keys_are_the_warehouses(warehouse):
    """The keys and the money in dong `zonestat validate` gives a file's figures (file_rules'
    FILE_FACTS_SQL, with fact_table.sql's macros rendered outside dbt) are the ones dbt gave the
    same figures in the warehouse: history rules join on them."""
    import duckdb

    from expectations.file_rules import load_file_facts
    from ingest.pipeline import read_files

    archived = sorted(p for p in warehouse.archive.rglob("*") if p.is_file())
    subs = [s for s in read_files([(p, p.stem) for p in archived], start_method="fork") if not s.rejected]
    keys = ("figure_key", "figure_hash", "report_key", "series_key", "series_2025_key", "value_vnd_bn")
    con = duckdb.connect()
    load_file_facts(con, subs)
    con.execute("attach ? as published (read_only)", [str(warehouse.published_db)])
    for table in reference.fact_tables():
        n, differ = con.execute(f"""
            select count(*), count(*) filter (where {" or ".join(f"f.{k} is distinct from p.{k}" for k in keys)})
            from {table} f join published.main.{table} p using (submission_id, source_sheet, source_cell, breakdown)
            """).fetchall()[0]
        assert n > 0 and differ == 0, (table, n, differ)
    con.close()


def test_the_readme_lists_every_published_table(warehouse):
    import re
    from pathlib import Path

    import duckdb

    from orchestration.publish import table_names

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("Tables (schema `main`):"):readme.index("dbt's staging and")]
    listed = set(re.findall(r"`([a-z][a-z0-9_]*)`", paragraph)) - {"main"}
    with duckdb.connect(str(warehouse.published_db), read_only=True) as con:
        assert listed == set(table_names(con))


def test_the_ui_names_the_boards_whose_reports_are_wrong_with_their_corrections(warehouse):
    """What the README's "Where to look in the UI" says the metadata shows: dq_findings' table of
    reporters and periods, newest first with the top correction; the facts' checks, with the worst
    findings and their corrections; and numbers Dagster plots (integers) for the findings and for
    the landing's accepted and rejected files."""
    from dagster import AssetCheckKey, AssetKey, DagsterInstance

    from tests.fixtures.homes import latest_metadata

    meta = latest_metadata(warehouse, "dq_findings")
    lines = [line for line in meta["findings_by_reporter"].splitlines()[2:]]  # under the markdown header
    periods = [line.split("|")[1].strip() for line in lines]
    assert periods == sorted(periods, reverse=True) and len(set(periods)) > 1
    thai_binh = next(line for line in lines if "2019-11" in line and "Thái Bình" in line)
    assert " → " in thai_binh.rsplit("|", 2)[1]  # its top suggested correction, on the board's row
    errors = query(warehouse.published_db, f"""select count(*) as n from dq_findings
        where severity = 'error' and period_key = '{meta["latest_period"]}'""")["n"][0]
    assert meta["latest_period_errors"] == errors and isinstance(meta["latest_period_errors"], int)
    landing = latest_metadata(warehouse, "landing", "submissions")
    outcomes = query(warehouse.published_db, "select outcome, count(*) as n from fct_submissions group by outcome")
    counts = dict(zip(outcomes["outcome"], outcomes["n"]))  # one refresh took in every file
    assert (landing["submissions_accepted"], landing["submissions_rejected"]) == \
        (counts.get("accepted", 0), counts.get("rejected", 0))
    assert isinstance(landing["submissions_accepted"], int) and landing["submissions_accepted"] > 0
    with DagsterInstance.from_config(str(warehouse.dagster_home)) as instance:
        [record] = instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(AssetKey("fct_investment"), "fct_investment_reported_figures_consistent"), limit=1)
        check = record.event.dagster_event.event_specific_data.metadata
    assert check["rows_flagged_error"].value > 0 and "81.770,544" in check["worst_findings"].value
