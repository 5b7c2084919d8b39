"""Nothing a file can do stops the run: files that crash, hang or swamp their reader, links, files
that cannot be opened or are still being written, and impossible numbers."""

import json
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from ingest import land
from ingest.pipeline import ingest_inbox, ingest_paths
from ingest.receive import sha256
from tests.fixtures.real_files.make_fixtures import HA_TINH_2020

REAL = Path(__file__).parent / "fixtures" / "real_files"
GOOD = REAL / "ha_tinh_2020_libreoffice.xlsx"


def rewrite(source: Path, target: Path, change: dict) -> Path:
    """`source` with some zip parts changed by functions of their bytes, as a hostile sender would."""
    with zipfile.ZipFile(source) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, change[name](data) if name in change else data)
    return target


def outcome(zhome, path: Path) -> tuple[str, list[dict]]:
    digest = sha256(path.read_bytes())
    ledger = land.read_table(zhome.landing, "submissions").set_index("submission_id")
    findings = json.loads((zhome.quarantine / digest / "findings.json").read_text())["findings"] \
        if (zhome.quarantine / digest).exists() else []
    return ledger.loc[digest, "outcome"], findings


@pytest.mark.slow
@pytest.mark.parametrize("far_cell", ["XFD100000", "CV1048576"])
def test_a_cell_far_from_the_table_is_refused_before_any_dense_read(tmp_path, zhome, far_cell):
    book = openpyxl.Workbook()
    book.active.title = "ThongTin"
    book.create_sheet("SoLieu")[far_cell] = 1
    book.save(tmp_path / "far.xlsx")
    assert (tmp_path / "far.xlsx").stat().st_size < 6000
    summary = ingest_paths(zhome, [tmp_path / "far.xlsx", GOOD])
    assert len(summary.accepted) == 1 and len(summary.rejected) == 1
    state, findings = outcome(zhome, tmp_path / "far.xlsx")
    assert state == "rejected" and (findings[0]["rule"], findings[0]["cell"], findings[0]["sheet"]) == \
        ("file.too_large", far_cell, "SoLieu")


@pytest.mark.slow
def test_a_file_that_crashes_its_reader_is_quarantined_and_the_run_goes_on(tmp_path, zhome):
    # A shared-string count of four billion makes calamine reserve 96 GB and abort the process.
    crash = rewrite(GOOD, tmp_path / "crash.xlsx", {"xl/sharedStrings.xml": lambda x: re.sub(
        rb'count="\d+" uniqueCount="\d+"', b'count="4000000000" uniqueCount="4000000000"', x)})
    summary = ingest_paths(zhome, [crash, REAL / "ha_tinh_2020_libreoffice.ods"])
    assert len(summary.accepted) == 1 and len(summary.rejected) == 1
    state, findings = outcome(zhome, crash)
    assert state == "rejected" and findings[0]["rule"] == "file.unreadable"
    assert "crash.xlsx" in findings[0]["message"] and "SIGABRT" in findings[0]["message"]
    assert (zhome.quarantine / sha256(crash.read_bytes()) / "crash.xlsx").read_bytes() == crash.read_bytes()


def test_a_limit_changed_after_the_readers_started_applies_to_the_next_read(tmp_path, zhome, monkeypatch):
    """Readers are forked from a server that outlives one ingest: they read the limits as they are now."""
    first = ingest_paths(zhome, [GOOD])  # starts the fork server with the default limits
    assert len(first.accepted) == 1
    monkeypatch.setenv("ZONESTAT_MAX_FILE_MB", "0.001")  # 1 KB: the workbook is larger
    again = shutil.copy(REAL / "ha_tinh_2020_libreoffice.ods", tmp_path / "again.ods")
    second = ingest_paths(zhome, [Path(again)])
    assert len(second.rejected) == 1 and outcome(zhome, Path(again))[1][0]["rule"] == "file.too_large"


def test_a_reader_past_its_time_is_stopped_and_the_file_named(tmp_path, zhome, monkeypatch):
    monkeypatch.setenv("ZONESTAT_READ_SECONDS", "0.001")  # every file is too slow: each one is stopped alone
    summary = ingest_paths(zhome, [GOOD, REAL / "ha_tinh_2020_libreoffice.xls"])
    assert len(summary.rejected) == 2 and summary.findings_by_rule == {"file.unreadable": 2}
    _, findings = outcome(zhome, GOOD)
    assert "0.001 seconds" in findings[0]["message"] and "giây" in findings[0]["message_vi"]


@pytest.mark.slow
def test_unclosed_tags_cost_time_linear_in_the_file(tmp_path, zhome):
    # 200,000 unclosed <c> tags after a formula: a backtracking regular expression takes hours on this.
    hostile = rewrite(GOOD, tmp_path / "tags.xlsx", {"xl/worksheets/sheet3.xml": lambda x: x.replace(
        b"<sheetData>", b"<sheetData><row r=\"1\"><c r=\"A1\"><f>1+1</f>" + b"<c r=\"B1\">" * 200_000, 1)})
    assert hostile.stat().st_size < 20_000
    started = time.monotonic()
    summary = ingest_paths(zhome, [hostile, GOOD])
    assert len(summary.accepted) == 1 and outcome(zhome, hostile)[1][0]["rule"] == "file.corrupt"
    assert time.monotonic() - started < 120  # the quadratic scan this replaces needed hours


@pytest.mark.slow
def test_links_in_the_inbox_are_refused_without_being_read(tmp_path, zhome):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(GOOD, outside / "report.xlsx")
    inbox = zhome.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "passwd.csv").symlink_to("/etc/passwd")
    (inbox / "report.xlsx").symlink_to(outside / "report.xlsx")
    (inbox / "folder").symlink_to(outside, target_is_directory=True)
    (inbox / "province").mkdir()
    shutil.copy(REAL / "ha_tinh_2020_libreoffice.ods", inbox / "province" / "real.ods")  # subfolders are read
    summary = ingest_inbox(zhome)
    assert len(summary.accepted) == 1 and summary.findings_by_rule.get("file.link") == 3
    ledger = land.read_table(zhome.landing, "submissions")
    links = ledger[ledger.file_kind == "link"]
    assert sorted(links.file_name) == ["folder", "passwd.csv", "report.xlsx"]
    assert set(links.outcome) == {"rejected"} and set(links.archive_path) == {""}
    archived = [p for p in zhome.archive.rglob("*") if p.is_file()]
    assert len(archived) == 1 and archived[0].suffix == ".ods"  # nothing behind a link was copied
    for submission_id in links.submission_id:
        assert [p.name for p in (zhome.quarantine / submission_id).iterdir()] == ["findings.json"]
    again = ingest_inbox(zhome)
    assert again.already_known == 4 and not again.accepted and not again.rejected


def test_hidden_and_lock_files_are_skipped_with_a_reason(zhome):
    zhome.inbox.mkdir(parents=True, exist_ok=True)
    shutil.copy(GOOD, zhome.inbox / "~$report.xlsx")
    shutil.copy(GOOD, zhome.inbox / ".report.xlsx")
    summary = ingest_inbox(zhome)
    assert summary.received == 0 and sorted(summary.skipped) == [
        ".report.xlsx: .report.xlsx: a hidden file (its name starts with a dot); skipped",
        "~$report.xlsx: ~$report.xlsx: an Excel lock file (a workbook is open), not a report; skipped"]


@pytest.mark.slow
def test_a_file_still_being_written_waits_for_a_later_run(zhome, monkeypatch):
    monkeypatch.setenv("ZONESTAT_INBOX_SETTLE_SECONDS", "1.5")
    zhome.inbox.mkdir(parents=True, exist_ok=True)
    whole = (REAL / "ha_tinh_2020_libreoffice_utf8.csv").read_bytes()
    half = whole.index(b"\n", len(whole) // 2) + 1
    path = zhome.inbox / "upload.csv"
    path.write_bytes(whole[:half])

    def finish_the_upload():
        time.sleep(0.5)
        with open(path, "ab") as upload:
            upload.write(whole[half:])

    writer = threading.Thread(target=finish_the_upload)
    writer.start()
    first = ingest_inbox(zhome)
    writer.join()
    assert first.received == 0 and "still being written" in first.skipped[0]
    time.sleep(1.6)
    second = ingest_inbox(zhome)
    assert len(second.accepted) == 1 and second.figures_landed == len(HA_TINH_2020)


def test_a_file_gone_or_unreadable_is_named_and_the_others_go_on(tmp_path, zhome):
    # One path for every file the process cannot open (removed since listed, no read permission):
    # tests run as root, which reads any file, so the removed file stands for both.
    summary = ingest_paths(zhome, [tmp_path / "removed-since-listed.xlsx", GOOD])
    assert len(summary.accepted) == 1 and len(summary.rejected) == 1
    ledger = land.read_table(zhome.landing, "submissions").set_index("file_name")
    assert ledger.loc["removed-since-listed.xlsx", "outcome"] == "rejected"
    findings = land.read_table(zhome.landing, "findings")
    assert "cannot be opened" in findings[findings.rule == "file.unreadable"].iloc[0].message


@pytest.mark.parametrize("value, unit, problem", [
    (1e308, "tỷ USD", "beyond any possible value"), ("1e6", "dự án", "is not a number"),
    ("9.99e999", "dự án", "is not a number"), ("21abc", "dự án", "is not a number"), ("5 1", "dự án", "is not a number")])
def test_impossible_numbers_are_errors_naming_their_cell(tmp_path, value, unit, problem):
    from tests.fixtures.workbooks import parse, row, workbook

    code = "INV_NEW_CAP" if "USD" in unit else "INV_NEW_PROJ"
    sub = parse(workbook(tmp_path / "a.xlsx", [row(code, value, unit, breakdown="NN" if "USD" in unit else "TONG")]))
    finding = next(f for f in sub.findings if f.rule == "figure.value_readable")
    assert sub.rejected and finding.cell == "F2" and problem in finding.message
    assert sub.figures["value"].isna().all()


def test_a_fractional_count_is_a_warning(tmp_path):
    from tests.fixtures.workbooks import parse, row, workbook

    sub = parse(workbook(tmp_path / "a.xlsx", [row("INV_NEW_PROJ", "0,449"), row("LAB_WORKERS", "72,5", "nghìn người")]))
    warnings = [(f.rule, f.cell) for f in sub.findings if f.severity == "warning"]
    assert warnings == [("figure.count_whole", "F2")] and not sub.rejected


@pytest.mark.slow
def test_validate_of_a_crashing_file_answers_with_a_finding(tmp_path):
    crash = rewrite(GOOD, tmp_path / "crash.xlsx", {"xl/sharedStrings.xml": lambda x: re.sub(
        rb'count="\d+" uniqueCount="\d+"', b'count="4000000000" uniqueCount="4000000000"', x)})
    zonestat = Path(sys.executable).with_name("zonestat")
    result = subprocess.run([str(zonestat), "validate", "--json", str(crash), str(GOOD)], capture_output=True, text=True)
    assert result.returncode == 1, result.stderr[-2000:]
    crashed, good = json.loads(result.stdout)
    assert crashed["status"] == "rejected" and "SIGABRT" in crashed["findings"][0]["message"]
    assert good["status"] == "accepted"


def test_the_ingest_step_names_what_it_skipped(zhome):
    from dagster import DagsterInstance, materialize

    from orchestration.assets import landing
    from orchestration.resources import ZonestatHome

    zhome.inbox.mkdir(parents=True, exist_ok=True)
    shutil.copy(GOOD, zhome.inbox / "~$report.xlsx")
    with DagsterInstance.ephemeral() as instance:
        result = materialize([landing], instance=instance, resources={"zonestat_home": ZonestatHome(root=str(zhome.root))})
    meta = result.asset_materializations_for_node("landing")[0].metadata
    assert "an Excel lock file" in meta["files_skipped"].value[0]


def test_cells_without_references_far_down_are_refused_before_any_dense_read(tmp_path, zhome):
    # A cell's r="" is optional: 100 cells in row 900,000 name no reference a quick search could see.
    far = rewrite(GOOD, tmp_path / "unnamed.xlsx", {"xl/worksheets/sheet3.xml": lambda x: re.sub(
        rb"<sheetData>.*</sheetData>", b'<sheetData><row r="900000">' + b"<c><v>1</v></c>" * 100 + b"</row></sheetData>",
        x, flags=re.S)})
    summary = ingest_paths(zhome, [far, REAL / "ha_tinh_2020_libreoffice.ods"])
    assert len(summary.accepted) == 1 and outcome(zhome, far)[1][0]["rule"] == "file.too_large"


@pytest.mark.slow
def test_a_file_renamed_while_the_inbox_waits_for_it_is_taken_under_its_new_name(zhome, monkeypatch):
    monkeypatch.setenv("ZONESTAT_INBOX_SETTLE_SECONDS", "1")
    zhome.inbox.mkdir(parents=True, exist_ok=True)
    upload = zhome.inbox / "report.xlsx.part"
    upload.write_bytes(GOOD.read_bytes())
    renamer = threading.Timer(0.3, lambda: upload.rename(zhome.inbox / "report.xlsx"))
    renamer.start()
    first = ingest_inbox(zhome)  # the .part file vanished while it was waited for: no crash
    renamer.join()
    time.sleep(1.1)
    second = ingest_inbox(zhome)
    assert len(first.accepted) + len(second.accepted) == 1
