"""Files as real spreadsheet programs write them (tests/fixtures/real_files, made by LibreOffice and
gnumeric with make_fixtures.py): formats decided from bytes, number and date cells, the layout of
official reports, text exports, and messages boards can read."""

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from ingest import land
from ingest.pipeline import ingest_paths, read_submission
from ingest.receive import sha256
from tests.fixtures.real_files.make_fixtures import HA_TINH_2020, OFFICIAL_ROWS
from tests.fixtures.workbooks import parse

FILES = Path(__file__).parent / "fixtures" / "real_files"
HA_TINH_WORKBOOKS = {"ha_tinh_2020_libreoffice.xlsx": "xlsx", "ha_tinh_2020_libreoffice.xls": "xls",
                     "ha_tinh_2020_libreoffice.ods": "ods", "ha_tinh_2020_gnumeric.xls": "xls",
                     "ha_tinh_2020_gnumeric.xlsx": "xlsx"}
HA_TINH_TEXTS = ["ha_tinh_2020_libreoffice_utf8.csv", "ha_tinh_2020_libreoffice_utf16.csv",
                 "ha_tinh_2020_unicode_text.txt"]


def figures_as_read(sub) -> list[tuple]:
    def claim(x):
        return None if x != x else round(float(x), 6)

    return [(r.indicator, r.zone_name, r.breakdown, round(float(r.value), 6), claim(r.growth_pct), claim(r.share_pct))
            for r in sub.figures.itertuples()]


@pytest.mark.parametrize("name", [*HA_TINH_WORKBOOKS, *HA_TINH_TEXTS])
def test_the_ha_tinh_report_reads_the_same_from_every_program_and_format(name):
    sub = parse(FILES / name)
    assert not sub.rejected, [f.message for f in sub.findings]
    assert sub.file_kind == HA_TINH_WORKBOOKS.get(name, "csv")
    assert (sub.metadata.reporter_code, sub.metadata.reporter_name, sub.metadata.reporter_vintage) == \
        ("42", "Hà Tĩnh", 2008)
    assert (sub.metadata.period, sub.metadata.status) == ("2020-12", "chinh_thuc")
    assert figures_as_read(sub) == [tuple(f) for f in HA_TINH_2020]
    assert not any(f.severity == "warning" for f in sub.findings), [f.message for f in sub.findings]


@pytest.mark.parametrize("name", HA_TINH_WORKBOOKS)
def test_percent_cells_mean_percentages_with_the_tolerance_of_their_printed_digits(name):
    figures = parse(FILES / name).figures.set_index(["indicator", "breakdown"])
    assert figures.loc[("INV_NEW_CAP", "TN"), "growth_pct"] == 18.5
    assert figures.loc[("INV_NEW_CAP", "TN"), "growth_tolerance"] == pytest.approx(0.05)
    assert figures.loc[("INV_NEW_PROJ", "TONG"), "growth_tolerance"] == pytest.approx(0.5)  # 25%
    assert figures.loc[("TRD_EXPORT", "TONG"), "growth_tolerance"] == pytest.approx(0.005)  # 12,75%
    assert figures.loc[("LAB_SI_RATE", "TONG"), "value"] == 92.4  # a percent indicator typed as 92,4%
    assert figures.loc[("INV_NEW_CAP", "TN"), "growth_as_typed"] == "18,5%"


@pytest.mark.parametrize("name", HA_TINH_WORKBOOKS)
def test_the_official_layout_is_read_and_what_is_not_a_figure_is_named(name):
    sub = parse(FILES / name)
    figures = sub.figures
    assert set(figures["source_sheet"]) == {"Số liệu năm 2020"}  # found by its folded name, named as the file has it
    assert figures["source_row"].min() == 10 and OFFICIAL_ROWS["hidden"][0] in set(figures["source_row"])
    assert figures.loc[figures.source_row == 10, "source_cell"].item() == "G10"  # a formula's cached value
    notes = {f.rule: f for f in sub.findings}
    assert {r for r, f in notes.items() if f.severity == "info"} == {
        "layout.column_numbers", "layout.headings", "layout.totals", "layout.footer"}
    assert notes["layout.headings"].cell == "rows 9, 18, 21, 24"
    assert notes["layout.totals"].cell == "row 27" and "Tổng cộng" not in set(figures["indicator_label"])
    assert notes["layout.footer"].cell == "rows 29-31, 33"
    assert notes["layout.column_numbers"].cell == "row 8"
    for note in notes.values():
        assert note.sheet == "Số liệu năm 2020" and note.message_vi and note.message_vi != note.message
    assert sub.metadata.prepared_on == date(2021, 1, 15)  # a date cell in ngay_lap


@pytest.mark.parametrize("real, renamed", [("ha_tinh_2020_libreoffice.xls", "bao_cao.xlsx"),
                                           ("ha_tinh_2020_libreoffice.ods", "bao_cao.xls"),
                                           ("ha_tinh_2020_libreoffice.xlsx", "bao_cao"),
                                           ("ha_tinh_2020_unicode_text.txt", "bao_cao.csv")])
def test_the_format_comes_from_the_bytes_not_the_name(tmp_path, real, renamed):
    path = tmp_path / renamed
    shutil.copy(FILES / real, path)
    sub = parse(path)
    assert not sub.rejected and figures_as_read(sub) == [tuple(f) for f in HA_TINH_2020]
    assert sub.file_kind == HA_TINH_WORKBOOKS.get(real, "csv")


@pytest.mark.parametrize("name, what", [("html_page_named.xls", "HTML"), ("printed.pdf", "PDF")])
def test_files_that_are_not_tables_are_named_exactly(name, what):
    sub = parse(FILES / name)
    finding = sub.findings[0]
    assert sub.rejected and finding.rule == "file.format"
    assert what in finding.message and what in finding.message_vi and ".xlsx" in finding.message


@pytest.mark.parametrize("suffix", ["xlsx", "xls", "ods"])
def test_a_period_typed_as_a_date_is_the_period_the_board_meant(suffix):
    whole_year = parse(FILES / f"period_date_31-12-2020.{suffix}")
    assert not whole_year.rejected, [f.message for f in whole_year.findings]
    assert (whole_year.metadata.period, whole_year.metadata.period_is_whole_year) == ("2020-12", True)
    june = parse(FILES / f"period_month_06-2020.{suffix}")
    assert not june.rejected and june.metadata.period == "2020-06"


@pytest.mark.parametrize("suffix", ["xlsx", "xls", "ods"])
def test_a_year_typed_into_a_date_cell_is_caught_and_told_how_to_retype(suffix):
    sub = parse(FILES / f"year_in_date_cell.{suffix}")
    assert sub.rejected and sub.metadata.period is None
    [finding] = [f for f in sub.findings if f.severity == "error"]  # one finding, not a second about the reporter
    assert (finding.rule, finding.sheet, finding.cell) == ("submission.period_valid", "Thông tin", "B2")
    assert "2020" in finding.message and "12/07/1905" in finding.message and "Text" in finding.message
    assert "ô định dạng ngày tháng" in finding.message_vi and "gõ lại 2020" in finding.message_vi


@pytest.mark.slow
def test_real_files_go_through_the_door_into_landing_and_quarantine(tmp_path, zhome):
    paths = [FILES / n for n in (*HA_TINH_WORKBOOKS, *HA_TINH_TEXTS, "year_in_date_cell.xls", "html_page_named.xls")]
    summary = ingest_paths(zhome, paths)
    assert len(summary.accepted) == 8 and len(summary.rejected) == 2
    figures = land.read_table(zhome.landing, "figures")
    assert len(figures) == 8 * len(HA_TINH_2020)
    findings = land.read_table(zhome.landing, "findings")
    period = findings[findings.rule == "submission.period_valid"].iloc[0]
    assert "12/07/1905" in period.message and "ô định dạng ngày tháng" in period.message_vi
    rejected = sha256((FILES / "year_in_date_cell.xls").read_bytes())
    quarantined = json.loads((zhome.quarantine / rejected / "findings.json").read_text())
    assert quarantined["findings"][0]["message_vi"].startswith("ky_bao_cao: năm 2020")


def run_validate(*args: str) -> subprocess.CompletedProcess:
    zonestat = Path(sys.executable).with_name("zonestat")
    return subprocess.run([str(zonestat), "validate", *args], capture_output=True, text=True)


@pytest.mark.slow
def test_validate_shows_the_claims_as_read_and_each_duplicate_once():
    ods = str(FILES / "ha_tinh_2020_libreoffice.ods")
    result = run_validate(ods, ods, "--json")
    assert result.returncode == 0, result.stderr
    [report] = json.loads(result.stdout)
    assert report["same_bytes_as"] == ["ha_tinh_2020_libreoffice.ods"] and report["file_kind"] == "ods"
    capital = next(f for f in report["figures"] if f["indicator"] == "INV_NEW_CAP" and f["breakdown"] == "TN")
    assert (capital["growth_pct"], capital["growth_as_typed"]) == (18.5, "18,5%")
    share = next(f for f in report["figures"] if f["indicator"] == "INV_NEW_PROJ" and f["breakdown"] == "TN")
    assert (share["share_pct"], share["cell"]) == (60.0, "Số liệu năm 2020!G11")
    assert not any(f["rule"] == "figure.unique" for f in report["findings"])
    assert all(f["message"] and f["message_vi"] for f in report["findings"])


@pytest.mark.slow
def test_validate_speaks_vietnamese_by_default_and_english_on_request():
    year = str(FILES / "year_in_date_cell.ods")
    vietnamese = run_validate(year)
    assert vietnamese.returncode == 1 and "bị từ chối" in vietnamese.stdout and "gõ lại 2020" in vietnamese.stdout
    skipped = run_validate(str(FILES / "ha_tinh_2020_libreoffice.ods"))
    assert "Số liệu năm 2020!dòng 9, 18, 21, 24" in skipped.stdout  # locations in Vietnamese too
    english = run_validate(year, "--lang", "en")
    assert "rejected (1 figure, 1 finding)" in english.stdout and "type 2020 again" in english.stdout


def test_a_rate_typed_as_a_fraction_is_flagged_where_no_format_says_otherwise(tmp_path):
    path = tmp_path / "typed.csv"  # a CSV typed by hand: no cell formats
    path.write_text("ma_tinh;ky_bao_cao;ma_chi_tieu;phan_to;don_vi;gia_tri;tang_truong;ty_trong\n"
                    "42;2020;INV_NEW_PROJ;TONG;dự án;15;0,185;\n"
                    "42;2020;INV_NEW_PROJ;TN;dự án;9;0,5;60\n"
                    "42;2020;LAB_SI_RATE;TONG;%;0,924;;\n", encoding="utf-8")
    sub = parse(path)
    flagged = {(f.rule, f.cell) for f in sub.findings if f.severity == "warning"}
    assert flagged == {("figure.tang_truong_maybe_fraction", "line 2"), ("figure.gia_tri_maybe_fraction", "line 4")}
    assert not sub.rejected  # a warning: the board may really mean 0,185%


@pytest.mark.parametrize("parts, what", [({"xl/workbook.bin": b""}, ".xlsb"), ({"word/document.xml": b""}, "Word")])
def test_other_office_files_are_named(tmp_path, parts, what):
    import zipfile

    path = tmp_path / "bao_cao.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in {"[Content_Types].xml": b"<Types/>", **parts}.items():
            archive.writestr(name, data)
    finding = parse(path).findings[0]
    assert finding.rule == "file.format" and what in finding.message


def test_a_password_protected_workbook_is_named():
    # Excel saves an encrypted .xlsx as a compound file holding an 'EncryptedPackage' stream.
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le")
    sub = read_submission(data, "bao_cao.xlsx", sha256(data))
    assert sub.findings[0].rule == "file.encrypted" and "password" in sub.findings[0].message


@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_a_cell_far_from_the_table_in_xls_or_ods_is_refused_before_any_dense_read(suffix):
    path = FILES / f"far_cell.{suffix}"  # LibreOffice's file: a 4-row report and one cell at IV65536
    assert path.stat().st_size < 12_000
    sub = parse(path)
    [finding] = sub.findings
    assert sub.rejected and (finding.rule, finding.sheet, finding.cell) == ("file.too_large", "Số liệu", "IV65536")
    assert "16,777,216" in finding.message and "IV65536" in finding.message_vi


def test_an_ods_with_basic_macros_or_a_zip_bomb_inside_is_refused(tmp_path, monkeypatch):
    import zipfile

    def with_part(name: str, part: str, data: bytes) -> Path:
        path = tmp_path / name
        shutil.copy(FILES / "ha_tinh_2020_libreoffice.ods", path)
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(part, data)  # where LibreOffice keeps a document's Basic library
        return path

    assert parse(with_part("macros.ods", "Basic/script-lc.xml", b"<library:libraries/>")).findings[0].rule == "file.macros"
    monkeypatch.setenv("ZONESTAT_MAX_UNZIPPED_MB", "1")
    bomb = with_part("bomb.ods", "Pictures/scan.bmp", b"\x00" * 2_000_000)
    assert bomb.stat().st_size < 50_000 and parse(bomb).findings[0].rule == "file.zip_bomb"


def test_an_xls_with_a_vba_project_or_a_broken_compound_file_is_named(tmp_path):
    data = bytearray((FILES / "ha_tinh_2020_libreoffice.xls").read_bytes())
    # Excel keeps an .xls's macros in a '_VBA_PROJECT_CUR' storage: rename a directory entry to it
    # (64 bytes of UTF-16 name, then its length in bytes with the terminator).
    entry = bytes(data).index("\x05SummaryInformation".encode("utf-16-le"))
    name = "_VBA_PROJECT_CUR".encode("utf-16-le")
    data[entry:entry + 64] = name.ljust(64, b"\x00")
    data[entry + 64:entry + 66] = (len(name) + 2).to_bytes(2, "little")
    assert read_submission(bytes(data), "macros.xls", "x").findings[0].rule == "file.macros"

    broken = (FILES / "ha_tinh_2020_libreoffice.xls").read_bytes()[:3000]  # cut off while uploading
    [finding] = read_submission(broken, "cut.xls", "y").findings
    assert finding.rule == "file.corrupt" and "cut.xls" in finding.message and ".xls" in finding.message


def test_a_report_the_door_cannot_place_says_what_it_found_instead(capsys):
    """LibreOffice's files: a table under its own column names, and a workbook of one 'Sheet'."""
    from zonestat import cli

    header, sheets = parse(FILES / "own_header.ods").findings[0], parse(FILES / "one_sheet.xls").findings[0]
    assert (header.rule, header.sheet, header.cell) == ("file.header", "Số liệu", "rows 1-3")
    assert "2: STT | Chỉ tiêu | Đơn vị | Số liệu" in header.found
    assert sheets.rule == "file.sheets" and "Sheet" in sheets.message_vi and sheets.found == "Sheet"

    assert cli.main(["validate", str(FILES / "own_header.ods"), str(FILES / "one_sheet.xls")]) == 1
    shown = capsys.readouterr().out.splitlines()
    assert shown[1].split()[0] == "Lỗi" and "dòng 1-3" in shown[1]
    assert shown[2].strip().startswith("tìm thấy: 1: BÁO CÁO") and "Chỉ tiêu" in shown[2]
    assert cli.main(["validate", "--lang", "en", str(FILES / "own_header.ods")]) == 1
    shown = capsys.readouterr().out.splitlines()
    assert shown[1].split()[0] == "error" and shown[2].strip().startswith("found: 1: BÁO CÁO")


@pytest.mark.parametrize("label", ["Tổng cộng", "Cộng", "TỔNG CỘNG", "Cộng:"])
def test_a_totals_row_however_labelled_is_not_a_figure(label):
    from ingest.layout import TOTALS, non_figure_row

    assert non_figure_row(["", label, "", "dự án", 15], "", lambda: True, in_footer=False) == TOTALS


def test_two_versions_of_one_report_validated_together_are_checked_apart(tmp_path):
    from expectations.file_rules import findings_of_files

    header = "ma_tinh;ky_bao_cao;ma_chi_tieu;phan_to;don_vi;gia_tri\n"
    first, corrected = tmp_path / "ha_tinh_2020.csv", tmp_path / "ha_tinh_2020_sua.csv"
    first.write_text(header + "42;2020;INV_NEW_PROJ;TONG;dự án;15\n42;2020;INV_NEW_PROJ;TN;dự án;9\n"
                              "42;2020;INV_NEW_PROJ;NN;dự án;3\n", encoding="utf-8")  # 9 + 3 is not 15
    corrected.write_text(header + "42;2020;INV_NEW_PROJ;TONG;dự án;15\n42;2020;INV_NEW_PROJ;TN;dự án;9\n"
                                  "42;2020;INV_NEW_PROJ;NN;dự án;6\n", encoding="utf-8")
    subs = [parse(first), parse(corrected)]
    found = findings_of_files(subs)
    # as each alone: the first's three lines broken, the corrected one clean (not one report of six lines)
    assert list(found) == [subs[0].submission_id]
    assert found[subs[0].submission_id]["source_cells"].tolist() == ["line 2, line 3, line 4"]
    alone = findings_of_files(subs[:1])[subs[0].submission_id]
    assert found[subs[0].submission_id][["rule_id", "source_cells", "message"]].equals(
        alone[["rule_id", "source_cells", "message"]])
