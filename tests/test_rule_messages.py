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
