"""The door guarantees the build: whatever the door accepts builds and publishes.

A property test: random mutations of a valid submission (values, periods, codes, units, breakdowns,
zones, date cells, text) go through the door together, and one refresh must build and publish
every accepted one, whatever the rejected ones were.
"""

import contextlib
import os
import random
import signal
import time
import unicodedata
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest

from tests.fixtures.homes import query, run_refresh

VALID = [("INV_NEW_PROJ", "", "TONG", "dự án", "21"), ("INV_NEW_PROJ", "", "TN", "dự án", "12"),
         ("INV_NEW_PROJ", "", "NN", "dự án", "9"), ("INV_NEW_CAP", "KCN Tiền Hải", "TN", "tỷ đồng", "4.466,777"),
         ("LAB_WORKERS", "", "TONG", "người", "72.015"), ("LAB_SI_RATE", "", "TONG", "%", "92,4"),
         ("TRD_EXPORT", "", "TONG", "triệu USD", "1.162,79")]
VALUES = ["", "abc", "1e6", "-5", "0", "1.234,5", "∞", "nan", "inf", "1,2,3", "9" * 40, "3.300,", "12%", "1 000",
          5.5, -0.0, 1e308, 1e-300, 72015, True, datetime(2020, 6, 1), "0,449", "=1+1", "trên 1.000", "18,5%"]
PERIODS = ["2019", "2019-11", "1999", "2045", "2019-13", "11/2019", "2019-00", "", "abc", "31/12/2019", "30/02/2019",
           2019, 2019.5, datetime(1905, 7, 12), datetime(2019, 6, 1), datetime(1899, 12, 31), date(2039, 12, 1)]
CODES = ["INV_NEW_PROJ", "inv_new_proj", "INV NEW PROJ", "UNKNOWN", "", "Tổng cộng", "LAB_WORKERS", "INF_ZONES"]
UNITS = ["dự án", "tỷ đồng", "tỷ USD", "%", "người", "nghìn người", "kg", "", "ha", "khu", "triệu đồng/người/tháng"]
BREAKDOWNS = ["TONG", "TN", "NN", "LDVN", "LDNN", "", "XX", "tổng"]
ZONES = ["", "KCN Tiền Hải", "Khu công nghiệp Tiền Hải", "---", "KKT " + "x" * 300, "KCN Gia Lách"]
PROVINCES = ["34", "33", "42", "15", "99", "", "3 4", 34.0]


def mutated(rng: random.Random, path) -> None:
    """A submission like a board's, with a few fields replaced by what boards (and attackers) type."""
    rows = [list(r) for r in VALID]
    meta = {"ma_tinh": "34", "ky_bao_cao": "2019-11", "trang_thai": rng.choice(["uoc", "so_bo", "chinh_thuc"])}
    for _ in range(rng.randint(1, 4)):
        what = rng.choice(["value", "value", "period", "code", "unit", "breakdown", "zone", "province", "nfd"])
        row = rng.choice(rows)
        if what == "value":
            row[4] = rng.choice(VALUES)
        elif what == "period":
            meta["ky_bao_cao"] = rng.choice(PERIODS)
        elif what == "code":
            row[0] = rng.choice(CODES)
        elif what == "unit":
            row[3] = rng.choice(UNITS)
        elif what == "breakdown":
            row[2] = rng.choice(BREAKDOWNS)
        elif what == "zone":
            row[1] = rng.choice(ZONES)
        elif what == "province":
            meta["ma_tinh"] = rng.choice(PROVINCES)
        else:
            row[1] = unicodedata.normalize("NFD", row[1] or "KCN Tiền Hải")
    book = openpyxl.Workbook()
    info = book.active
    info.title = "ThongTin"
    for key, value in meta.items():
        info.append([key, value])
        if isinstance(value, (date, datetime)):
            info.cell(row=info.max_row, column=2).number_format = "dd/mm/yyyy"
    sheet = book.create_sheet("SoLieu")
    sheet.append(["ma_chi_tieu", "khu", "phan_to", "don_vi", "gia_tri"])
    for code, zone, breakdown, unit, value in rows:
        sheet.append([code, zone, breakdown, unit, value])
    book.save(path)


@pytest.mark.slow
def test_every_submission_the_door_accepts_builds_and_publishes(zhome):
    rng = random.Random(20261201)
    for i in range(60):
        mutated(rng, zhome.inbox / f"mutant-{i:02d}.xlsx")
    assert run_refresh(zhome), "a submission the door accepted broke the build"
    ledger = query(zhome.published_db, "select outcome, count(*) as n from fct_submissions group by 1")
    outcomes = dict(zip(ledger.outcome, ledger.n))
    assert outcomes.get("accepted", 0) >= 10 and outcomes.get("rejected", 0) >= 10, outcomes  # both kinds were tried
    landed = query(zhome.published_db, "select count(*) as n from fct_figure_revisions")["n"][0]
    assert landed > 0
    from zonestat import reference

    years = query(zhome.published_db, "select min(period_year) as a, max(period_year) as b from dim_period")
    assert (years.a[0], years.b[0]) == reference.period_years()  # one definition of the years, door and build


def test_the_door_takes_the_years_dim_period_has_and_no_other():
    from ingest.periods import parse_period
    from zonestat import reference

    first, last = reference.period_years()
    assert parse_period(str(first))[0] is not None and parse_period(f"{last}-06")[0] is not None
    for outside in (str(first - 1), f"{last + 1}-01", datetime(1905, 7, 12)):
        period, problem = parse_period(outside)
        assert period is None and problem is not None



def test_the_codes_the_door_accepts_are_the_lists_the_build_tests():
    """Each code list is written once (dbt_project.yml vars): the door maps what boards type onto it,
    and every fact table's blocking test of that column reads the same variable."""
    import yaml

    from ingest.parse import BREAKDOWNS, STATUSES
    from zonestat import reference
    from zonestat.config import DBT_PROJECT_DIR

    assert set(STATUSES.values()) == set(reference.report_statuses())
    assert set(BREAKDOWNS.values()) == set(reference.breakdowns())
    assert {b for i in reference.indicators().values() for b in i.breakdowns} <= set(reference.breakdowns())
    facts = yaml.safe_load((DBT_PROJECT_DIR / "models" / "marts" / "_facts.yml").read_text(encoding="utf-8"))
    for model in facts["models"]:
        tests = {c["name"]: c.get("data_tests", []) for c in model["columns"]}
        for column, list_var in (("breakdown", "breakdowns"), ("status", "report_statuses")):
            assert {"door_list": {"arguments": {"list_var": list_var}}} in tests[column], (model["name"], column)
        # indicators and periods: the seed and the years the door reads build dim_indicator and dim_period
        assert any("relationships" in t and t["relationships"]["arguments"]["to"] == "ref('dim_period')"
                   for t in tests["period_key"]), model["name"]
        assert any("relationships" in t and t["relationships"]["arguments"]["to"] == "ref('dim_indicator')"
                   for t in tests["indicator_code"]), model["name"]

@pytest.mark.slow
def test_a_submission_the_build_refuses_is_named_with_the_command_that_takes_it_out(zhome):
    """Should a file ever pass the door and fail a blocking test (here its landed period is made one
    dim_period lacks, as a door bug would), the refresh names it, and withdrawing it lets the next pass."""
    import subprocess
    import sys
    from pathlib import Path

    import pyarrow.parquet as pq

    from ingest import land
    from ingest.pipeline import ingest_inbox
    from zonestat.submission_files import write_xlsx

    def report(name, period):
        write_xlsx(zhome.inbox / name, {"ma_tinh": "34", "ky_bao_cao": period},
                   [{"ma_chi_tieu": "INV_NEW_PROJ", "phan_to": "TONG", "don_vi": "dự án", "gia_tri": "21"}])

    report("good.xlsx", "2019-11")
    report("slipped-through.xlsx", "2019-12")
    ingest_inbox(zhome)
    ledger = land.read_table(zhome.landing, "submissions")
    slipped = ledger[ledger.file_name == "slipped-through.xlsx"].submission_id.item()
    path = zhome.landing / "submissions" / f"{slipped}.parquet"
    table = pq.read_table(path)
    pq.write_table(table.set_column(table.schema.get_field_index("period"), "period", [["2099-12"]]), path)

    zonestat = str(Path(sys.executable).with_name("zonestat"))
    failed = subprocess.run([zonestat, "refresh"], capture_output=True, text=True)
    assert failed.returncode == 1 and "the published warehouse was not replaced" in failed.stdout
    assert f"zonestat withdraw {slipped[:12]}" in failed.stdout and "slipped-through.xlsx" in failed.stdout
    assert subprocess.run([zonestat, "withdraw", slipped[:12], "--reason", "period 2099"]).returncode == 0
    again = subprocess.run([zonestat, "refresh"], capture_output=True, text=True)
    assert again.returncode == 0, again.stdout[-3000:]
    # the console says what happened, not Dagster's every engine event
    assert " - DEBUG - " not in failed.stdout + failed.stderr + again.stdout + again.stderr


def test_validate_s_door_without_gx_finds_what_gx_finds(tmp_path):
    """`zonestat validate` checks files at the door without GX (its import alone costs seconds):
    the same checks, evaluated in pandas, give the same findings as GX on mutated submissions and
    on files that break every kind of expectation the door uses; and so does GX in the door's own
    process, where a refresh runs it."""
    from expectations.door_process import DoorProcess
    from expectations.submission_checks import DoorValidator, add_door_findings, check_without_gx, door_checks
    from ingest.pipeline import read_submission
    from ingest.receive import sha256
    from tests.fixtures.workbooks import row, workbook

    rng = random.Random(7)
    paths = []
    for i in range(60):
        paths.append(tmp_path / f"mutant-{i:02d}.xlsx")
        mutated(rng, paths[-1])
    # what the mutations rarely make: a repeated figure, a count with decimals, a rate typed as a
    # fraction, a future period, a report without figures
    workbook(tmp_path / "twice.xlsx", [row("INV_NEW_PROJ", "21"), row("INV_NEW_PROJ", "22"),
                                       row("INV_NEW_PROJ", "2,5", breakdown="TN"),
                                       row("LAB_SI_RATE", "0,924", unit="%")],
             meta=[("ma_tinh", "34"), ("ky_bao_cao", "2026-12"), ("trang_thai", "uoc")])
    workbook(tmp_path / "empty.xlsx", [], meta=[("ma_tinh", "34"), ("ky_bao_cao", "2019-11"), ("trang_thai", "uoc")])
    paths += [tmp_path / "twice.xlsx", tmp_path / "empty.xlsx"]

    def parsed():
        return [read_submission(p.read_bytes(), p.name, sha256(p.read_bytes())) for p in paths]

    today = date(2026, 11, 20)
    with_gx, without_gx, in_door_process = parsed(), parsed(), parsed()
    DoorValidator().validate(with_gx, today=today)
    check_without_gx(without_gx, today=today)
    with contextlib.closing(DoorProcess()) as door:
        add_door_findings(in_door_process, door.unexpected, today)
    found = set()
    for a, b, c in zip(with_gx, without_gx, in_door_process):
        assert sorted(map(repr, a.findings)) == sorted(map(repr, b.findings)), a.file_name
        assert [repr(f) for f in a.findings] == [repr(f) for f in c.findings], a.file_name
        found |= {f.rule for f in a.findings}
    expectations = {c.expectation for c in door_checks() if c.rule in found}
    assert expectations == {c.expectation for c in door_checks()}, expectations  # every kind was exercised


def test_a_door_process_that_died_is_an_error_that_says_so():
    """The door's GX process killed mid-refresh (a real SIGKILL): the batch fails with a message
    that names it, instead of the refresh waiting for an answer that never comes."""
    from expectations.door_process import DoorProcess, DoorValidationFailed

    door = DoorProcess()
    try:
        os.kill(door.pid, signal.SIGKILL)
        while door.alive():
            time.sleep(0.05)
        with pytest.raises(DoorValidationFailed, match="door's GX process ended"):
            door.unexpected({"figures": pd.DataFrame({"value": [1.0]})}, date(2026, 11, 20), ["a.xlsx"])
    finally:
        door.close()


def test_one_door_process_serves_every_home_s_ingest_each_with_its_own_data_docs(tmp_path):
    """A process that ingests for several homes (the tests, a long-lived worker) starts GX's process
    once; each batch's Data Docs go to its own home."""
    from expectations.door_process import door_process
    from ingest.pipeline import ingest_paths
    from tests.fixtures.workbooks import row, workbook
    from zonestat.config import Home

    pids = []
    for name in ("hanoi", "haiphong"):
        home = Home(tmp_path / name).ensure()
        report = workbook(tmp_path / f"{name}.xlsx", [row("INV_NEW_PROJ", "21")])
        summary = ingest_paths(home, [report], say=lambda line: None)
        assert len(summary.accepted) == 1, summary
        pids.append(door_process().pid)
        pages = "".join(p.read_text(encoding="utf-8", errors="replace")
                        for p in (home.gx / "data_docs").rglob("*.html"))
        assert f"{name}.xlsx" in pages and ({"hanoi", "haiphong"} - {name}).pop() + ".xlsx" not in pages
    assert pids[0] == pids[1]
