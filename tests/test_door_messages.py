"""The door's message catalogue: every message in Vietnamese and English, each code in the code defined."""

import re
import string
from pathlib import Path

import pytest

from ingest.messages import catalogue, msg

ROOT = Path(__file__).resolve().parent.parent


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


@pytest.mark.parametrize("code", sorted(catalogue()))
def test_each_message_renders_in_both_languages_with_the_same_placeholders(code):
    entry = catalogue()[code]
    assert placeholders(entry["vi"]) == placeholders(entry["en"]), code
    message = msg(code, **{name: f"<{name}>" for name in placeholders(entry["en"])})
    for text in (message.vi, message.en):
        assert "{" not in text and "}" not in text
    assert message.vi != message.en or code in {"figure.in_column", "figure.of_indicator"}


def test_every_message_code_the_code_names_is_in_the_catalogue():
    used = set()
    for path in [*ROOT.glob("ingest/*.py"), *ROOT.glob("expectations/*.py")]:
        used |= set(re.findall(r'msg\(\s*"([a-z0-9_.]+)"', path.read_text(encoding="utf-8")))
        used |= set(re.findall(r'_refuse\(file_name, "([a-z0-9_.]+)"', path.read_text(encoding="utf-8")))
    assert used and used <= set(catalogue()), used - set(catalogue())


def test_nested_messages_render_in_the_language_of_their_parent():
    problem = msg("number.not_a_number", text="21abc")
    outer = msg("figure.in_column", column="gia_tri", problem=problem)
    assert outer.vi == "gia_tri: '21abc' không phải là số" and outer.en == "gia_tri: '21abc' is not a number"


def test_an_unknown_code_fails_where_it_is_raised():
    with pytest.raises(KeyError):
        msg("no.such.message")


def test_an_unknown_status_is_refused_at_its_cell_naming_the_statuses_of_the_project(tmp_path):
    from tests.fixtures.workbooks import good, parse
    from zonestat.reference import report_statuses

    sub = parse(good(tmp_path, "tam_tinh.xlsx", status="tam_tinh"))
    [finding] = [f for f in sub.findings if f.rule == "submission.status_valid"]
    assert sub.rejected and (finding.sheet, finding.cell, finding.found) == ("ThongTin", "B3", "tam_tinh")
    statuses = ", ".join(report_statuses())
    assert finding.expected == statuses
    assert finding.text.en.endswith(f"trang_thai 'tam_tinh' is none of the statuses {statuses}")
    assert finding.text.vi.endswith(f"trang_thai 'tam_tinh' không thuộc các trạng thái {statuses}")


def test_a_figure_without_an_indicator_code_is_an_error_at_its_cell_not_a_skipped_row(tmp_path):
    """A row with a figure but no indicator code is not taken for a heading or a totals row."""
    from tests.fixtures.workbooks import parse, row, workbook

    sub = parse(workbook(tmp_path / "no_code.xlsx", [row("INV_NEW_PROJ", "21"), row("", "12")]))
    [finding] = [f for f in sub.findings if f.rule == "figure.indicator_known"]
    assert sub.rejected and finding.severity == "error"
    assert (finding.sheet, finding.cell) == ("SoLieu", "A3")
    assert finding.text.en.endswith(msg("figure.indicator_missing").en)
    assert finding.text.vi.endswith(msg("figure.indicator_missing").vi)
