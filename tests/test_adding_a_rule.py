"""The README's "Adding a rule": a rule of a kind the catalogue already has is one entry in
expectations/catalogue.yaml, and the checks find it with its messages and a suggested correction."""

from expectations import file_rules
from tests.fixtures.catalogue import catalogue_with
from tests.fixtures.workbooks import parse, row, workbook

# An example entry, appended to the catalogue for this test only.
NEW_RULE = """
  - id: bound.disbursed_within_implemented_example
    kind: bound
    severity: warning
    message_en: "disbursed capital ({lhs}) is above implemented capital ({rhs})"
    message_vi: "vốn giải ngân ({lhs}) lớn hơn vốn thực hiện ({rhs})"
    breakdowns: [TONG, TN, NN]
    lhs: {indicator: INV_DISB_CAP}
    rhs: {indicator: INV_IMPL_CAP}
    tolerance: {printed: true}
"""


def test_a_rule_of_a_known_kind_is_one_catalogue_entry(tmp_path, monkeypatch):
    with catalogue_with(NEW_RULE, tmp_path, monkeypatch):
        sub = parse(workbook(tmp_path / "report.xlsx", [row("INV_IMPL_CAP", "120,5", "tỷ đồng", "TN"),
                                                        row("INV_DISB_CAP", "1.305", "tỷ đồng", "TN")]))
        found = file_rules.findings_of_files([sub])[sub.submission_id]
    [finding] = found[found["rule_id"] == "bound.disbursed_within_implemented_example"].to_dict("records")
    assert finding["severity"] == "warning"
    # each message in its language's notation: 1.305 typed in a Vietnamese file is 1,305 to an English reader
    assert finding["message"] == "disbursed capital (1,305) is above implemented capital (120.5)"
    assert finding["message_vi"] == "vốn giải ngân (1.305) lớn hơn vốn thực hiện (120,5)"
    assert str(finding["suggestion"]).startswith("Probably: "), finding["suggestion"]  # the search knows it too
