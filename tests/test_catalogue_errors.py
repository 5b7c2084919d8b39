"""A malformed rule in expectations/catalogue.yaml is refused when the catalogue loads, with a
message that names the rule and what is wrong with it, not in the middle of a refresh."""

import pytest

from expectations import catalogue
from tests.fixtures.catalogue import catalogue_with

GOOD = """
  - id: bound.example
    kind: bound
    severity: warning
    message_en: "disbursed ({lhs}) above implemented ({rhs})"
    message_vi: "giải ngân ({lhs}) lớn hơn thực hiện ({rhs})"
    lhs: {indicator: INV_DISB_CAP, breakdown: TONG}
    rhs: {indicator: INV_IMPL_CAP, breakdown: TONG}
"""


def load_with(tmp_path, monkeypatch, entry: str):
    """The catalogue with `entry` appended as its last rule."""
    with catalogue_with(entry, tmp_path, monkeypatch):
        return catalogue.load()


def test_a_well_formed_rule_loads(tmp_path, monkeypatch):
    rules = load_with(tmp_path, monkeypatch, GOOD)
    assert rules[-1].id == "bound.example" and len(rules[-1].relations) == 1


@pytest.mark.parametrize(("change", "says"), [
    (("kind: bound", "kind: bounds"), "the kind 'bounds' is none of balance, bound, ratio"),
    (("severity: warning", "severity: fatal"), "the severity 'fatal' is none of error, warning, info"),
    (("id: bound.example", "id: balance.total_domestic_foreign"), "another rule has the id balance.total_domestic_foreign"),
    (("INV_IMPL_CAP", "INV_IMPL_CAPITAL"), "INV_IMPL_CAPITAL/TONG is not an indicator and breakdown of the reference"),
    (("breakdown: TONG}\n    rhs", "breakdown: LDNN}\n    rhs"), "INV_DISB_CAP/LDNN is not an indicator and breakdown"),
    (("    rhs: {indicator: INV_IMPL_CAP, breakdown: TONG}\n", ""), "it has no `rhs`, which a rule of its kind needs"),
    (("    message_vi:", "    message_vn:"), "it has no `message_vi`"),
    (("- id: bound.example\n    kind: bound", "- kind: bound"), "rule 22 (without an id): it has no `id`"),
])
def test_a_malformed_rule_is_refused_by_name_with_what_is_wrong(tmp_path, monkeypatch, change, says):
    old, new = change
    assert old in GOOD
    number = len(catalogue.load()) + 1
    with pytest.raises(ValueError) as refused:
        load_with(tmp_path, monkeypatch, GOOD.replace(old, new))
    assert str(refused.value).startswith(f"catalogue.yaml, rule {number} (")
    assert number == 22
    assert says in str(refused.value), str(refused.value)


def test_a_kind_read_when_the_rules_run_is_checked_when_the_catalogue_loads(tmp_path, monkeypatch):
    plausibility = """
  - id: plausibility.example
    kind: plausibility
    severity: warning
    message_en: "{value} is outside {low} to {high}"
    message_vi: "{value} nằm ngoài {low} đến {high}"
    indicator: LAB_AVG_INCOME
"""
    with pytest.raises(ValueError, match=r"\(plausibility.example\): it has no `range`"):
        load_with(tmp_path, monkeypatch, plausibility)
    with pytest.raises(ValueError, match="LAB_AVG_WAGE is not an indicator of the reference"):
        load_with(tmp_path, monkeypatch, plausibility.replace("LAB_AVG_INCOME", "LAB_AVG_WAGE") + "    range: [1, 2]\n")


@pytest.mark.parametrize(("entry", "says"), [
    ("  - {id: hierarchy.example, kind: hierarchy, severity: error, message_en: a, message_vi: b}\n",
     "it has no `level`"),
    ("  - {id: hierarchy.example, kind: hierarchy, level: region, severity: error, message_en: a, message_vi: b}\n",
     "the level 'region' is none of zone, bloc"),
    ("  - {id: hierarchy.example, kind: hierarchy, level: bloc, severity: error, message_en: a, message_vi: b}\n",
     "it has no `missing_message_en`"),
    ("  - {id: reference.example, kind: reference, about: provinces, severity: info, message_en: a, message_vi: b}\n",
     "the about 'provinces' is none of exchange_rates, bloc_membership"),
])
def test_a_rule_s_level_or_subject_is_one_the_rules_know(tmp_path, monkeypatch, entry, says):
    with pytest.raises(ValueError, match=says):
        load_with(tmp_path, monkeypatch, entry)
