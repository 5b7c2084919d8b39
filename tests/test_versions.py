"""Which version of a report is current: status, then the date prepared, then each file's own arrival.
A content hash never decides silently: versions that nothing orders get a finding naming the one kept.
Operators take a version out (withdraw) and put it back (restore); nothing is deleted."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from ingest import land
from ingest.receive import sha256
from tests.fixtures.homes import module_home, query, run_refresh
from zonestat.submission_files import write_xlsx


def report(path, projects: int, status: str = "uoc", prepared: str | None = None, period: str = "2019-11"):
    meta = {"ma_tinh": "34", "ky_bao_cao": period, "trang_thai": status, "ngay_lap": prepared}
    return write_xlsx(path, meta, [{"ma_chi_tieu": "INV_NEW_PROJ", "phan_to": "TONG", "don_vi": "dự án",
                                    "gia_tri": str(projects)}])


def current_projects(home, period: str = "2019-11") -> list:
    return query(home.published_db, f"""select value from fct_investment where reporter_code = '34'
        and period_key = '{period}' and indicator_code = 'INV_NEW_PROJ' and breakdown = 'TONG'""")["value"].tolist()


@pytest.fixture(scope="module")
def two_reports(tmp_path_factory):
    """Two reports, each sent twice in one run: November's versions ordered by arrival alone, December's
    by the date each was prepared."""
    with module_home(tmp_path_factory, "versions") as home:
        report(home.inbox / "b-first.xlsx", 21)
        report(home.inbox / "a-correction.xlsx", 22)  # arrives later, although its name sorts first
        report(home.inbox / "prepared-15.xlsx", 30, prepared="15/12/2019", period="2019-12")
        # arrives later, prepared earlier
        report(home.inbox / "prepared-10.xlsx", 31, prepared="2019-12-10", period="2019-12")
        assert run_refresh(home)
        yield home


@pytest.mark.slow
def test_a_correction_sent_the_same_day_wins_by_its_own_arrival(two_reports):
    assert current_projects(two_reports) == [22]
    ledger = query(two_reports.published_db, "select file_name, received_at, revision_number from fct_submissions "
                                             "where period_key = '2019-11' order by received_at")
    assert list(ledger.file_name) == ["b-first.xlsx", "a-correction.xlsx"]
    assert ledger.received_at.is_unique


@pytest.mark.slow
def test_the_date_prepared_orders_versions_before_arrival_and_is_in_the_warehouse(two_reports):
    assert current_projects(two_reports, "2019-12") == [30]
    prepared = query(two_reports.published_db, "select file_name, prepared_on, is_current from fct_submissions "
                                               "where period_key = '2019-12' order by file_name").to_dict("records")
    assert [(r["file_name"], str(r["prepared_on"])[:10], r["is_current"]) for r in prepared] == [
        ("prepared-10.xlsx", "2019-12-10", False), ("prepared-15.xlsx", "2019-12-15", True)]


@pytest.mark.slow
def test_versions_nothing_orders_get_a_finding_naming_the_one_kept(zhome):
    report(zhome.inbox / "one.xlsx", 40)
    report(zhome.inbox / "two.xlsx", 41)
    from ingest.pipeline import ingest_inbox

    ingest_inbox(zhome)
    # As on a share with coarse timestamps (FAT, SMB: two seconds): both files arrived at the same time.
    ledger = zhome.landing / "submissions"
    files = [p for p in ledger.glob("*.parquet") if not p.name.startswith("_")]
    same = pq.read_table(files[0]).column("received_at")[0]
    for path in files:
        table = pq.read_table(path)
        pq.write_table(table.set_column(table.schema.get_field_index("received_at"), "received_at",
                                        [[same.as_py()] * len(table)]).cast(land.LEDGER_SCHEMA), path)
    assert run_refresh(zhome)
    kept = query(zhome.published_db, "select file_name from fct_submissions where is_current")["file_name"].item()
    finding = query(zhome.published_db, "select * from dq_findings where rule_id = 'submission.versions_unordered'")
    assert len(finding) == 1 and finding.severity.item() == "warning"
    assert finding.message.item().startswith(f"{kept} is kept") and "content hash" in finding.message.item()
    assert "được giữ làm bản hiện hành" in finding.message_vi.item()


def zonestat(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).with_name("zonestat")), *args], capture_output=True, text=True)


@pytest.mark.slow
def test_an_operator_withdraws_and_restores_a_submission(zhome):
    first = report(zhome.inbox / "first.xlsx", 50)
    wrong = report(zhome.inbox / "wrong.xlsx", 5000)  # the later version, typed wrong
    only = zhome.inbox / "only.xlsx"  # the only version of another report
    write_xlsx(only, {"ma_tinh": "34", "ky_bao_cao": "2019-05"}, [
        {"ma_chi_tieu": "INV_NEW_PROJ", "phan_to": "TONG", "don_vi": "dự án", "gia_tri": "7"},
        {"ma_chi_tieu": "LAB_WORKERS", "phan_to": "TONG", "don_vi": "người", "gia_tri": "900"}])
    assert run_refresh(zhome)
    assert current_projects(zhome) == [5000]
    in_facts = "select count(*) as n from {} where period_key = '2019-05'"
    assert [query(zhome.published_db, in_facts.format(t))["n"][0] for t in ("fct_investment", "fct_labour")] == [1, 1]
    wrong_id = sha256(wrong.read_bytes())

    unknown = zonestat("withdraw", "ffff", "--reason", "x")
    assert unknown.returncode == 2 and "no submission" in unknown.stderr
    done = zonestat("withdraw", wrong_id[:10], "--reason", "5000 projects: a typing slip, confirmed by phone")
    assert done.returncode == 0 and "withdrawn" in done.stdout
    assert zonestat("withdraw", sha256(only.read_bytes())[:12], "--reason", "sent by mistake").returncode == 0
    # The same bytes dropped in again after the withdrawal are the same submission: still withdrawn.
    (zhome.inbox / "wrong-again.xlsx").write_bytes(wrong.read_bytes())
    refreshed = zonestat("refresh")
    assert refreshed.returncode == 0, refreshed.stdout[-3000:]
    # the summary says which reports now stand on another file, though no table lost a row for one
    only_id, first_id = sha256(only.read_bytes()), sha256(first.read_bytes())
    assert "Current version changed for 2 reports:\n" \
        f"  Thái Bình 2019-05: only.xlsx ({only_id[:12]}) -> none (withdrawn)\n" \
        f"  Thái Bình 2019-11: wrong.xlsx ({wrong_id[:12]}) -> first.xlsx ({first_id[:12]})\n" \
        in refreshed.stdout, refreshed.stdout[-3000:]
    assert current_projects(zhome) == [50]
    ledger = query(zhome.published_db, "select * from fct_submissions order by file_name").set_index("file_name")
    assert ledger.loc["wrong.xlsx", "is_withdrawn"] and not ledger.loc["wrong.xlsx", "is_current"]
    assert ledger.loc["wrong.xlsx", "withdrawal_reason"] == "5000 projects: a typing slip, confirmed by phone"
    assert not pd.isna(ledger.loc["wrong.xlsx", "withdrawn_at"]) and pd.isna(ledger.loc["first.xlsx", "withdrawn_at"])
    assert ledger.loc["first.xlsx", "is_current"]
    history = query(zhome.published_db, "select value, is_withdrawn from fct_figure_revisions "
                                        "where indicator_code = 'INV_NEW_PROJ' and period_key = '2019-11' "
                                        "order by value")
    assert history.to_dict("records") == [{"value": 50, "is_withdrawn": False}, {"value": 5000, "is_withdrawn": True}]
    assert (zhome.archive / wrong_id[:2] / f"{wrong_id}.xlsx").exists()
    # The only version of a report, withdrawn: its figures leave every fact table.
    assert [query(zhome.published_db, in_facts.format(t))["n"][0] for t in ("fct_investment", "fct_labour")] == [0, 0]

    assert zonestat("restore", wrong_id[:10]).returncode == 0
    refreshed = zonestat("refresh")
    assert refreshed.returncode == 0, refreshed.stdout[-3000:]
    assert "Current version changed for 1 report:\n" \
        f"  Thái Bình 2019-11: first.xlsx ({first_id[:12]}) -> wrong.xlsx ({wrong_id[:12]})\n" \
        in refreshed.stdout, refreshed.stdout[-3000:]
    assert current_projects(zhome) == [5000]
    assert first.exists()
