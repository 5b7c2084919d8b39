"""Vietnamese number notation, the file's notation as a whole, and unit normalisation."""

import pytest

from ingest import numbers
from zonestat import units
from zonestat.notation import file_notation, printed_decimals, read_text_number, rounding_tolerance


@pytest.mark.parametrize("text, value", [
    ("1.162,79", 1162.79), ("3.300", 3300), ("5,890", 5.89), ("4.466,777", 4466.777),
    ("4.466, 777", 4466.777), ("81.770.544", 81770544), ("-12,5", -12.5), ("1.095.829", 1095829), ("51", 51),
])
def test_vietnamese_notation(text, value):
    reading = read_text_number(text)
    assert numbers.resolve(reading, "vn") == (pytest.approx(value), None)


def test_glued_unit_and_qualifier_are_split_off():
    reading = read_text_number("trên 3.684,6ha")
    assert (reading.vn, reading.glued_unit, reading.qualifier) == (3684.6, "ha", "trên")


def test_english_notation_is_an_error_in_a_vietnamese_file():
    reading = read_text_number("3.5")
    value, problem = numbers.resolve(reading, "vn")
    assert value is None and "Vietnamese notation" in problem.en and "cách viết Việt Nam" in problem.vi


def test_file_notation_decides_and_ambiguous_cells_are_not_guessed():
    english = [read_text_number(t) for t in ("1,234.5", "3.5", "3.300")]
    assert file_notation(english) == "en"
    value, problem = numbers.resolve(read_text_number("3.300"), "en")
    assert value is None and "ambiguous" in problem.en
    assert numbers.resolve(read_text_number("1,234.5"), "en") == (1234.5, None)


def test_printed_precision_gives_the_rounding_tolerance():
    reading = read_text_number("68")
    assert rounding_tolerance(printed_decimals(reading, 68.0, "vn")) == 0.5
    reading = read_text_number("18,5")
    assert rounding_tolerance(printed_decimals(reading, 18.5, "vn")) == pytest.approx(0.05)


@pytest.mark.parametrize("typed, canonical, factor", [
    ("tỷ đồng", "VND_bn", 1), ("tỷ VNĐ", "VND_bn", 1), ("tỉ đồng", "VND_bn", 1), ("tỷ đ", "VND_bn", 1),
    ("triệu đồng", "VND_bn", 0.001), ("triệu USD", "USD_mn", 1), ("tr.USD", "USD_mn", 1), ("Triệu USD", "USD_mn", 1),
    ("tỷ USD", "USD_mn", 1000), ("nghìn người", "persons", 1000), ("ngàn người", "persons", 1000),
    ("người", "persons", 1), ("triệu đồng/người/tháng", "VND_mn_per_person_month", 1), ("%", "percent", 1),
    ("ha", "ha", 1), ("dự án", "count", 1), ("lượt", "count", 1), ("giấy phép", "count", 1),
])
def test_unit_spellings(typed, canonical, factor):
    unit = units.lookup(typed)
    assert (unit.canonical, unit.factor) == (canonical, factor)


def test_unknown_unit():
    assert units.lookup("thùng") is None
