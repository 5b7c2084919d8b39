"""Every variation listed in submission-format.md, as real files written with openpyxl."""

import unicodedata

import openpyxl
import pytest

from tests.fixtures.workbooks import parse, row, workbook


def test_header_names_with_diacritics_case_and_spaces(tmp_path):
    header = ["  Mã chỉ tiêu ", "Chỉ tiêu", "KHU", "Phân tổ", "Đơn vị", "GIÁ TRỊ", "Tăng trưởng", "Tỷ trọng", "Ghi chú"]
    meta = [(" Mã tỉnh", "34"), ("KỲ BÁO CÁO", "2019-11")]
    sub = parse(workbook(tmp_path / "a.xlsx", [row()], header=header, meta=meta))
    assert not sub.rejected, sub.findings
    assert sub.figures.loc[0, "value"] == 21 and sub.metadata.reporter_name == "Thái Bình"


def test_title_rows_empty_rows_columns_and_merged_title(tmp_path):
    rows = [row(), [None] * 9, row("INV_ADJ_PROJ", "30", "lượt")]
    sub = parse(workbook(tmp_path / "a.xlsx", rows, title_rows=2, merge_title=True, leading_cols=2))
    assert not sub.rejected, sub.findings
    assert list(sub.figures["indicator"]) == ["INV_NEW_PROJ", "INV_ADJ_PROJ"]
    assert list(sub.figures["source_cell"]) == ["H4", "H6"]  # two empty columns, two title rows, the header


@pytest.mark.parametrize("unit", ["tỷ đồng", "tỷ VNĐ", "tỉ đồng", "tỷ đ"])
def test_vnd_unit_spellings(tmp_path, unit):
    sub = parse(workbook(tmp_path / "a.xlsx", [row("INV_NEW_CAP", "4.466,777", unit)]))
    assert not sub.rejected and sub.figures.loc[0, "unit"] == "VND_bn"
    assert sub.figures.loc[0, "value"] == pytest.approx(4466.777) and sub.figures.loc[0, "unit_as_typed"] == unit


@pytest.mark.parametrize("unit, factor", [("triệu USD", 1), ("tr.USD", 1), ("Triệu USD", 1), ("tỷ USD", 1000)])
def test_usd_unit_spellings(tmp_path, unit, factor):
    sub = parse(workbook(tmp_path / "a.xlsx", [row("TRD_EXPORT", "1.162,79", unit)]))
    assert sub.figures.loc[0, "unit"] == "USD_mn" and sub.figures.loc[0, "value"] == pytest.approx(1162.79 * factor)


@pytest.mark.parametrize("unit", ["nghìn người", "ngàn người"])
def test_thousands_spellings(tmp_path, unit):
    sub = parse(workbook(tmp_path / "a.xlsx", [row("LAB_WORKERS", "72", unit)]))
    assert sub.figures.loc[0, "value"] == 72000 and sub.figures.loc[0, "unit"] == "persons"


def test_unit_glued_to_the_number(tmp_path):
    sub = parse(workbook(tmp_path / "a.xlsx", [row("INF_AREA", "3.684,6ha", "")]))
    assert not sub.rejected, sub.findings
    assert sub.figures.loc[0, "value"] == pytest.approx(3684.6) and sub.figures.loc[0, "unit"] == "ha"


def test_unit_outside_the_indicators_family_is_an_error_naming_the_cell(tmp_path):
    sub = parse(workbook(tmp_path / "a.xlsx", [row("TRD_EXPORT", "12", "người")]))
    finding = next(f for f in sub.findings if f.rule == "figure.unit_fits_indicator")
    assert sub.rejected and finding.sheet == "SoLieu" and finding.cell == "E2"


def test_numeric_cells_are_taken_as_they_are(tmp_path):
    sub = parse(workbook(tmp_path / "a.xlsx", [row("INV_NEW_CAP", 4466.777, "tỷ đồng")]))
    assert sub.figures.loc[0, "value"] == pytest.approx(4466.777)


def test_ambiguous_text_number_is_an_error_with_its_cell(tmp_path):
    rows = [row("INV_NEW_CAP", "1,234.5", "tỷ đồng"), row("INV_NEW_PROJ", "3.300", "dự án")]
    sub = parse(workbook(tmp_path / "a.xlsx", rows))
    finding = next(f for f in sub.findings if f.rule == "figure.value_readable")
    assert finding.cell == "F3" and "ambiguous" in finding.message


def test_nfd_text_is_normalised(tmp_path):
    nfd = unicodedata.normalize("NFD", "Thái Bình")
    meta = [("tinh", nfd), ("ky_bao_cao", "2019-11")]
    zone = unicodedata.normalize("NFD", "KCN Tiền Hải")
    sub = parse(workbook(tmp_path / "a.xlsx", [row(zone=zone), row(zone="")], meta=meta))
    assert not sub.rejected, sub.findings
    assert sub.metadata.reporter_code == "34"
    assert sub.figures.loc[0, "zone_name"] == "KCN Tiền Hải" and sub.figures.loc[0, "zone_key"] == "33:tien-hai"


def encode_cp1258(text: str) -> bytes:
    """As legacy Windows systems write Vietnamese: a precomposed base letter plus a combining tone mark."""
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            head = unicodedata.normalize("NFC", base + marks[0]) if len(marks) > 1 else base
            tail = marks[1:] if len(marks) > 1 else marks
            out += (head + "".join(tail)).encode("cp1258")
    return out


def test_windows_1258_csv_is_detected_and_composed(tmp_path):
    text = "ma_tinh;ky_bao_cao;ma_chi_tieu;khu;phan_to;don_vi;gia_tri\n34;2019-11;INV_NEW_PROJ;KCN Tiền Hải;TONG;dự án;21\n"
    path = tmp_path / "a.csv"
    path.write_bytes(encode_cp1258(text))
    assert b"KCN Ti" in path.read_bytes() and "Tiền".encode("utf-8") not in path.read_bytes()
    sub = parse(path)
    assert not sub.rejected, sub.findings
    assert sub.figures.loc[0, "zone_name"] == "KCN Tiền Hải" and sub.figures.loc[0, "unit"] == "count"
    assert sub.figures.loc[0, "source_cell"] == "line 2"


@pytest.mark.parametrize("sep, bom", [(",", False), (";", True), ("\t", False)])
def test_csv_separators_and_bom(tmp_path, sep, bom):
    lines = [sep.join(["ma_tinh", "ky_bao_cao", "trang_thai", "ma_chi_tieu", "phan_to", "don_vi", "gia_tri"]),
             sep.join(["34", "2019", "chinh_thuc", "TRD_EXPORT", "TONG", "triệu USD", '"1.162,79"'])]
    path = tmp_path / "a.csv"
    path.write_bytes(("\ufeff" if bom else "").encode() + "\n".join(lines).encode("utf-8"))
    sub = parse(path)
    assert not sub.rejected, sub.findings
    assert sub.metadata.period == "2019-12" and sub.metadata.status == "chinh_thuc"
    assert sub.figures.loc[0, "value"] == pytest.approx(1162.79)


def test_csv_rows_that_disagree_on_metadata_are_rejected(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("ma_tinh,ky_bao_cao,ma_chi_tieu,don_vi,gia_tri\n34,2019,INV_NEW_PROJ,dự án,1\n"
                    "35,2019,INV_ADJ_PROJ,lượt,2\n", encoding="utf-8")
    sub = parse(path)
    assert sub.rejected and any(f.rule == "csv.metadata_disagrees" for f in sub.findings)


def test_formula_cells_take_the_cached_value(tmp_path):
    path = workbook(tmp_path / "a.xlsx", [row("INV_NEW_PROJ", "=10+11", "dự án")])
    # openpyxl writes formulas without results; add the cached value as Excel would have saved it.
    import zipfile
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/") and b"10+11" in parts[n])
    parts[sheet] = parts[sheet].replace(b"<f>10+11</f><v></v>", b"<f>10+11</f><v>21</v>").replace(
        b"<f>10+11</f><v />", b"<f>10+11</f><v>21</v>").replace(b"<f>10+11</f></c>", b"<f>10+11</f><v>21</v></c>")
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    sub = parse(path)
    assert not sub.rejected, sub.findings
    assert sub.figures.loc[0, "value"] == 21


def test_formula_without_cached_value_is_an_error(tmp_path):
    sub = parse(workbook(tmp_path / "a.xlsx", [row("INV_NEW_PROJ", "=10+11", "dự án")]))
    finding = next(f for f in sub.findings if f.rule == "figure.value_readable")
    assert sub.rejected and finding.cell == "F2" and "cached value" in finding.message


def test_reporter_code_checked_against_the_periods_vintage(tmp_path):
    sub = parse(workbook(tmp_path / "a.xlsx", [row()], meta=[("ma_tinh", "34"), ("ky_bao_cao", "2026-03")]))
    finding = next(f for f in sub.findings if f.rule == "submission.reporter_valid")
    assert sub.rejected and "vintage 2025" in finding.message and finding.cell == "B1"


def test_code_15_is_yen_bai_in_2019_and_lao_cai_in_2026(tmp_path):
    old = parse(workbook(tmp_path / "a.xlsx", [row()], meta=[("ma_tinh", "15"), ("ky_bao_cao", "2019")]))
    new = parse(workbook(tmp_path / "b.xlsx", [row()], meta=[("ma_tinh", "15"), ("ky_bao_cao", "2026-03")]))
    assert (old.metadata.reporter_name, old.metadata.reporter_vintage) == ("Yên Bái", 2008)
    assert (new.metadata.reporter_name, new.metadata.reporter_vintage) == ("Lào Cai", 2025)


def test_door_checks(tmp_path):
    rows = [row("NOT_AN_INDICATOR", "1"), row("INV_NEW_PROJ", "1", breakdown="LDNN"),
            row("INV_NEW_PROJ", "-5"), row("INV_ADJ_CAP", "-5", "tỷ đồng"), row("LAB_SI_RATE", "120", "%"),
            row("INV_ADJ_PROJ", "3", "lượt"), row("INV_ADJ_PROJ", "4", "lượt")]
    sub = parse(workbook(tmp_path / "a.xlsx", rows))
    rules = {(f.rule, f.cell) for f in sub.findings}
    assert ("figure.indicator_known", "A2") in rules
    assert ("figure.breakdown_allowed", "D3") in rules
    assert ("figure.non_negative", "F4") in rules
    assert not any(cell == "F5" for _, cell in rules)  # a net adjustment may be negative
    assert ("figure.percent_range", "F6") in rules
    assert ("figure.unique", "A8") in rules


def test_period_in_the_future_is_rejected(tmp_path):
    sub = parse(workbook(tmp_path / "a.xlsx", [row()], meta=[("ma_tinh", "33"), ("ky_bao_cao", "2031-01")]))
    assert any(f.rule == "submission.period_not_future" for f in sub.findings)


def test_no_header_names_the_rows_searched_and_what_they_hold(tmp_path):
    sub = parse(workbook(tmp_path / "a.xlsx", [row()], header=["code", "value"], title_rows=1))
    [finding] = sub.findings
    assert (finding.rule, finding.sheet, finding.cell) == ("file.header", "SoLieu", "rows 1-3")
    assert finding.found.startswith("1: BÁO CÁO SỐ LIỆU KCN") and "2: code | value" in finding.found
    assert "ma_chi_tieu" in finding.message_vi and "dòng tiêu đề" in finding.message_vi


def test_missing_sheets_are_named_with_the_sheets_the_file_has(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Hướng dẫn"
    book.create_sheet("Số liệu")
    book.save(tmp_path / "a.xlsx")
    [finding] = parse(tmp_path / "a.xlsx").findings
    assert finding.rule == "file.sheets" and "ThongTin" in finding.message and "Hướng dẫn, Số liệu" in finding.message


def test_a_count_typed_whole_is_exact_unless_the_board_marks_it_approximate(tmp_path):
    """182 projects is 182, not anything from 181.5 to 182.5: four zones adding to 181 must not pass."""
    rows = [row(value="182"), row(value="trên 180", breakdown="TN"), row(value="72.015", unit="người", indicator="LAB_WORKERS"),
            row(value="72", unit="nghìn người", indicator="LAB_WORKERS", breakdown="LDVN"),
            row(value="4.466,777", unit="tỷ đồng", indicator="INV_NEW_CAP"),
            row(indicator="INV_ADJ_PROJ", value="30", unit="lượt"),
            row(indicator="INV_ADJ_PROJ", value="12", unit="lượt", breakdown="TN")[:8] + ["số liệu ước tính, khoảng"]]
    tolerance = {(f.indicator, f.breakdown): f.rounding_tolerance for f in parse(workbook(tmp_path / "t.xlsx", rows)).figures.itertuples()}
    assert tolerance[("INV_NEW_PROJ", "TONG")] == 0 and tolerance[("LAB_WORKERS", "TONG")] == 0
    assert tolerance[("INV_ADJ_PROJ", "TONG")] == 0
    assert tolerance[("INV_NEW_PROJ", "TN")] == 0.5  # 'trên 180': more than 180
    assert tolerance[("INV_ADJ_PROJ", "TN")] == 0.5  # the note says approximate
    assert tolerance[("LAB_WORKERS", "LDVN")] == 500  # 72 thousand: rounded to the thousand
    assert tolerance[("INV_NEW_CAP", "TONG")] == 0.0005  # money keeps half its last printed digit
