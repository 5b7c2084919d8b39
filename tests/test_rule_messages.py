"""Every rule's messages, in both languages, for every way the rule can fire, name every figure:
an unfilled placeholder renders as '?' ("LAB_WORKERS TN: ? is about 929 times its usual level")."""

import pandas as pd
import pytest

from expectations.catalogue import load
from expectations.engine import _explain

# What the rule queries return beside a broken relation's cells (expectations/quality.py).
FIRED = {"indicators": "INV_NEW_PROJ", "breakdowns": "TONG", "found": 182.0, "expected": 181.0, "cell_value": 182.0,
         "imbalance": 1.0, "low": 1.0, "high": 60000.0, "previous_period": "2019-06", "last_period": "2018-09",
         "last_value": 150.0, "missing_members": "Hà Nội", "n_missing": 1, "n_members_known": 11,
         "period_key": "2019-09", "zone_key": "", "reporter_name": "Bắc Ninh (24)",
         "predecessor_blocs": "Bắc Giang (-), Bắc Ninh (DBSH)", "other_rate": 53.58, "rate_missing": False}


def ways_to_fire():
    for rule in load():
        yield rule.id, {}
        if "missing_message_en" in rule.spec or rule.kind in ("ratio", "balance", "share"):
            yield rule.id, {"rate_missing": True}  # cannot be checked: a rate, last year or members missing
        if "other_base" in rule.spec:
            yield rule.id, {"other_rate_holds": True}


@pytest.mark.parametrize("rule_id, how", list(ways_to_fire()), ids=lambda x: str(x))
def test_every_message_names_every_figure(rule_id, how):
    explained = _explain(pd.DataFrame([FIRED | {"rule_id": rule_id} | how])).iloc[0]
    for text in (explained["message"], explained["message_vi"]):
        assert "?" not in text and "{" not in text, (rule_id, how, text)


@pytest.mark.parametrize("cells, in_vietnamese", [
    ("line 105, line 104", "dòng 105, dòng 104"),  # a CSV's lines
    ("rows 9, 18, 21", "dòng 9, 18, 21"),
    ("lines 1-3", "dòng 1-3"),
    ("2024-03 line 5, line 7", "2024-03 dòng 5, dòng 7"),  # a cell of another period, with its period
    ("SoLieu!F12, F13", "SoLieu!F12, F13"),  # a workbook's cells stay as they are
])
def test_a_location_reads_in_vietnamese(cells, in_vietnamese):
    from zonestat.text import location_vi

    assert location_vi(cells) == in_vietnamese


def test_a_csv_finding_and_its_correction_name_lines_in_vietnamese(tmp_path):
    """A CSV's figures are at lines: the Vietnamese suggestion says 'dòng', not 'line'."""
    from expectations import file_rules
    from tests.fixtures.workbooks import parse

    lines = ["ma_tinh,ky_bao_cao,trang_thai,ma_chi_tieu,phan_to,don_vi,gia_tri",
             "34,2019-11,uoc,LAB_WORKERS,TONG,người,5376",
             "34,2019-11,uoc,LAB_WORKERS,TN,người,2941",  # 2914, two digits swapped
             "34,2019-11,uoc,LAB_WORKERS,NN,người,2462"]
    path = tmp_path / "bao_cao.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    sub = parse(path)
    [finding] = file_rules.findings_of_files([sub])[sub.submission_id].to_dict("records")
    assert finding["source_cells"] == "line 2, line 3, line 4"
    assert finding["suggestion"].startswith("Probably: line 3: 2941 → 2914")
    assert finding["suggestion_vi"].startswith("Có thể: dòng 3: 2941 → 2914"), finding["suggestion_vi"]


def test_a_year_without_a_rate_says_where_to_put_one():
    explained = _explain(pd.DataFrame([FIRED | {"rule_id": "reference.exchange_rate_missing"}])).iloc[0]
    assert "ZONESTAT_HOME/rates/" in explained["message"] and "ZONESTAT_HOME/rates/" in explained["message_vi"]


@pytest.mark.parametrize("outcome, severities, says", [
    ("rejected", ["error"], "Tệp bị từ chối"),  # refused
    ("accepted", ["error", "info"], "Tệp đã được tiếp nhận, nhưng có 1 lỗi số liệu"),  # accepted, errors to check
    ("accepted", ["warning", "info"], "Tệp đã được tiếp nhận; các lưu ý"),  # accepted with notes
])
def test_a_feedback_workbook_s_conclusion_matches_the_outcome(outcome, severities, says):
    from expectations.feedback import Finding, Report, _conclusion

    findings = [Finding(s, "balance", "balance.x", "SoLieu!F2", "...", None, None, None) for s in severities]
    assert _conclusion(Report("a.xlsx", "province:2008:34", "Thái Bình", "2019-11", "uoc", outcome, findings)) \
        .startswith(says)
