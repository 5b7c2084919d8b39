"""Exchange rates users supply (ZONESTAT_HOME/rates): checked like a submission, landed, and used
for the years the reference seed has no rate for, or instead of it."""

import json
import time

import pytest

from ingest.rates import read_rates
from tests.fixtures.homes import pointed_at, query
from tests.fixtures.workbooks import row, workbook

HEADER = "year,vnd_per_usd,basis,source\n"


def test_a_rates_file_is_read_in_either_notation():
    rows, findings = read_rates((HEADER + '2024,25.300,annual average,State Bank of Viet Nam\n'
                                 '2025,25980.50,annual average,State Bank of Viet Nam\n').encode(), "ty_gia.csv")
    assert not findings
    assert [(r["year"], r["vnd_per_usd"]) for r in rows] == [(2024, 25300.0), (2025, 25980.5)]


def test_each_bad_cell_of_a_rates_file_is_named_in_both_languages():
    _, findings = read_rates((HEADER + "1990,25300,avg,SBV\n2024,25,avg,SBV\n2025,25300,avg,\n2024,25300,avg,SBV\n")
                             .encode(), "ty_gia.csv")
    assert [(f.rule, f.cell) for f in findings] == [("rates.year", "line 2, year"), ("rates.vnd_per_usd", "line 3, vnd_per_usd"),
                                                    ("rates.source", "line 4, source"), ("rates.year", "line 5, year")]
    assert "already has a rate on line 3" in findings[3].message
    assert "ty_gia.csv, line 3" in findings[1].message and "dòng 3" in findings[1].message_vi
    [missing] = read_rates(b"nam,ty_gia\n2024,25300\n", "x.csv")[1]
    assert missing.rule == "rates.columns" and "year, vnd_per_usd, basis, source" in missing.message_vi


def test_a_source_with_a_comma_is_kept_whole_when_quoted_and_refused_when_not(tmp_path):
    """A source may have a comma, as the sample's own has ("synthetic: zonestat sample, not a
    published rate"); unquoted, its rest would spill into a cell without a column name."""
    from ingest.rates import write_rates

    source = "State Bank of Viet Nam, Hanoi office"
    written = write_rates(tmp_path / "rates.csv", {2024: 25300.0}, "annual average", source)
    rows, findings = read_rates(written.read_bytes(), "rates.csv")
    assert not findings and rows[0]["source"] == source
    rows, findings = read_rates(f"year,vnd_per_usd,basis,source\n2024,25.300,annual average,{source}\n".encode(),
                                "typed.csv")
    [finding] = findings
    assert not rows and finding.cell == "line 2" and "must be in double quotes" in finding.text.en
    assert "ngoặc kép" in finding.text.vi
    # the same when a spreadsheet saved the header with an empty last column
    rows, findings = read_rates(f"year,vnd_per_usd,basis,source,\n2024,25.300,annual average,{source}\n".encode(),
                                "saved.csv")
    [finding] = findings
    assert not rows and "5 cells where the first line names 4 columns" in finding.text.en
    rows, findings = read_rates(b"year,vnd_per_usd,basis,source,\n2024,25.300,annual average,SBV,\n", "saved.csv")
    assert not findings and rows[0]["source"] == "SBV"


def test_a_refused_rates_file_is_named_for_the_refresh_s_summary(zhome):
    from ingest.rates import ingest_rates, refused_since

    before = time.time()
    zhome.rates.mkdir(parents=True, exist_ok=True)
    (zhome.rates / "typo.csv").write_text("year,vnd_per_usd,basis,source\n2024,253,annual average,SBV\n")
    assert list(ingest_rates(zhome).rejected) == ["typo.csv"]
    [said] = refused_since(zhome, before)
    assert said.startswith("typo.csv, line 2: the rate '253'")
    assert refused_since(zhome, time.time() + 60) == []  # a later refresh's summary does not name it again


def test_a_link_in_the_rates_folder_is_refused_without_being_read(zhome):
    from ingest.rates import ingest_rates, refused_since

    zhome.rates.mkdir(parents=True, exist_ok=True)
    (zhome.rates / "ty_gia.csv").symlink_to("/etc/passwd")
    outcome = ingest_rates(zhome)
    assert outcome.rejected["ty_gia.csv"][0].rule == "file.link" and not outcome.accepted
    assert not (zhome.quarantine / "rates").exists()
    # nothing of it is kept, so each refresh's summary names it while it is there
    [said] = refused_since(zhome, time.time())
    assert said.startswith("ty_gia.csv") and "/etc/passwd" in said and "into the rates folder" in said, said


@pytest.mark.slow
def test_supplied_rates_convert_the_years_the_seed_lacks_and_a_bad_file_waits_in_quarantine(zhome, capsys):
    from zonestat import cli

    def refresh_says() -> str:  # the summary `zonestat refresh` prints
        pointed_at(zhome)
        capsys.readouterr()
        assert cli.main(["refresh"]) == 0
        return capsys.readouterr().out

    workbook(zhome.inbox / "ha_noi_2024.xlsx", [row("INV_NEW_CAP", "100", unit="triệu USD", breakdown="NN")],
             meta=[("ma_tinh", "01"), ("ky_bao_cao", "2024-12"), ("trang_thai", "chinh_thuc")])
    zhome.rates.mkdir(parents=True, exist_ok=True)
    (zhome.rates / "bad.csv").write_text(HEADER + "2024,abc,avg,SBV\n", encoding="utf-8")
    said = refresh_says()
    assert f"  exchange rates refused now ({zhome.quarantine / 'rates'}): bad.csv, line 2" in said, said
    converted = "select value_vnd_bn, fx_vnd_per_usd from fct_investment where indicator_code = 'INV_NEW_CAP'"
    assert query(zhome.published_db, converted).iloc[0].isna().all()  # no rate for 2024 yet
    [kept] = (zhome.quarantine / "rates").iterdir()
    assert json.loads((kept / "findings.json").read_text())["findings"][0]["cell"] == "line 2, vnd_per_usd"

    # The year's rate arrives, then a revision of it: the newer file for the year wins, and the figures
    # published without a rate are converted (100 million USD at 25,400).
    (zhome.rates / "sbv.csv").write_text(HEADER + "2024,25.300,annual average,State Bank of Viet Nam\n", encoding="utf-8")
    time.sleep(0.05)  # the file system's clock moves in ticks of a few milliseconds
    (zhome.rates / "sbv-revised.csv").write_text(HEADER + "2024,25.400,annual average,SBV (revised)\n", encoding="utf-8")
    said = refresh_says()
    assert query(zhome.published_db, converted).iloc[0].tolist() == [2540.0, 25400.0]
    assert "  dq_findings: " in said and "refused now" not in said  # the note that 2024 had no rate is gone
    rates = query(zhome.published_db, "select year, vnd_per_usd, source from dim_exchange_rate order by year")
    assert rates.iloc[-1].tolist() == [2024, 25400.0, "SBV (revised)"] and 2019 in set(rates["year"])
    # A later revision converts the figures again, adding and removing no row or column: the summary says which.
    time.sleep(0.05)
    (zhome.rates / "sbv-final.csv").write_text(HEADER + "2024,25.500,annual average,SBV (final)\n", encoding="utf-8")
    said = refresh_says()
    assert query(zhome.published_db, converted).iloc[0].tolist() == [2550.0, 25500.0]
    assert "No table's rows or columns changed since the last publication." in said, said


@pytest.mark.slow
def test_the_demo_sample_comes_with_synthetic_rates_for_its_years(zhome, capfd):
    from ingest.rates import ingest_rates
    from zonestat.cli import DEMO_YEARS, write_demo_sample

    write_demo_sample(zhome)
    assert "writing sample submissions: " in capfd.readouterr().err  # how far it is
    # the sample the README describes: 2024-2025, quarterly, with a few injected errors
    import re

    files = [p.name for p in zhome.inbox.iterdir()]
    assert {re.search(r"(\d{4}-\d{2})\.\w+$", name).group(1) for name in files} \
        == {f"{y}-{m:02d}" for y in (2024, 2025) for m in (3, 6, 9, 12)}
    injected = (zhome.root / "sample-manifest.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert 0 < len(injected) < len(files) / 4
    rows, findings = read_rates((zhome.rates / "sample-rates.csv").read_bytes(), "sample-rates.csv")
    assert not findings and [r["year"] for r in rows] == list(range(DEMO_YEARS[0], DEMO_YEARS[1] + 1))
    assert all(r["source"].startswith("synthetic") for r in rows)
    assert ingest_rates(zhome).accepted == ["sample-rates.csv"]
