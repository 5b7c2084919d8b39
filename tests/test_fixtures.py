"""The shared fixtures put the process environment back, so no test depends on the one before it."""

from __future__ import annotations

import os

from tests.fixtures.homes import environment_kept
from zonestat.config import Home


def test_a_prepared_home_leaves_no_trace_in_the_environment(tmp_path):
    from orchestration import environment

    before = dict(os.environ)
    with environment_kept():
        os.environ.pop("DBT_SEND_ANONYMOUS_USAGE_STATS", None)  # prepare sets it only when missing
        environment.prepare(Home(tmp_path / "home"))
        assert os.environ["ZONESTAT_HOME"] == str(tmp_path / "home")
        assert os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"
    assert dict(os.environ) == before
