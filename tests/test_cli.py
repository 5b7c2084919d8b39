"""The command line as a reader of --help sees it."""

import argparse

from zonestat.cli import build_parser


def test_every_option_has_help_and_names_its_default():
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert {"refresh", "sample", "validate", "withdraw", "restore", "findings", "ui"} <= set(commands)
    for name, command in commands.items():
        shown = " ".join(command.format_help().split())
        for action in command._actions:
            if not action.option_strings or action.dest == "help":
                continue
            assert action.help, (name, action.option_strings)
            if action.default is not None and action.default is not False:
                assert f"(default: {action.default})" in shown, (name, action.option_strings)


def test_the_summary_names_reports_now_standing_on_another_file():
    from zonestat.cli import LedgerEntry, _current_versions_changed

    def entry(reporter: str | None, period: str | None, name: str, current: bool, withdrawn: bool = False):
        return LedgerEntry(reporter and f"province:2008:{reporter}", reporter and {"01": "Hà Nội", "46": "Huế"}[reporter],
                           period, name, current, withdrawn)

    before = {"a" * 64: entry("01", "2019-01", "bao_cao.xlsx", True), "b" * 64: entry("46", "2019-01", "b.xlsx", True),
              "r" * 64: entry(None, None, "not-a-table.pdf", False)}
    after = before | {"a" * 64: entry("01", "2019-01", "bao_cao.xlsx", False),
                      "c" * 64: entry("01", "2019-01", "bao_cao.xlsx", True),  # a correction, the same file name
                      "b" * 64: entry("46", "2019-01", "b.xlsx", False, withdrawn=True),
                      "d" * 64: entry("46", "2019-02", "d.xlsx", True)}  # a new report: counted with the rows
    assert _current_versions_changed(before, after) == [
        f"Hà Nội 2019-01: bao_cao.xlsx ({'a' * 12}) -> bao_cao.xlsx ({'c' * 12})",
        f"Huế 2019-01: b.xlsx ({'b' * 12}) -> none (withdrawn)"]
    assert _current_versions_changed({}, after) == []  # the first publication: all new, no report changed


def test_messages_name_zonestat_as_it_was_started(tmp_path, monkeypatch):
    from zonestat import cli

    script = tmp_path / ".venv" / "bin" / "zonestat"
    script.parent.mkdir(parents=True)
    script.write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # not on PATH: as after `make`, without activating .venv
    for started, says in ((script, ".venv/bin/zonestat"), (tmp_path / "pytest", "zonestat")):
        monkeypatch.setattr("sys.argv", [str(started)])
        cli.zonestat_command.cache_clear()
        assert cli.zonestat_command() == says
    cli.zonestat_command.cache_clear()


def test_validate_of_a_path_that_does_not_exist_says_so(tmp_path, capsys):
    from zonestat.cli import main

    assert main(["validate", str(tmp_path / "bao_cao.xlsx")]) == 2
    assert f"no such file: {tmp_path / 'bao_cao.xlsx'}" in capsys.readouterr().err


def test_a_rule_finding_of_validate_names_its_sheet_as_a_door_finding_does():
    import pandas as pd

    from zonestat.cli import _rule_findings

    finding = dict.fromkeys(("message", "message_vi", "expected", "found", "suggestion", "suggestion_vi",
                             "suggested_cells", "suggested_values"))
    rows = [finding | {"rule_id": "balance.inv", "severity": "error", "source_cells": "Biểu 1, 2!G11, Biểu 1, 2!G12"},
            finding | {"rule_id": "growth.inv", "severity": "warning", "source_cells": "Số liệu!G9"}]
    found = _rule_findings(pd.DataFrame(rows), {"Biểu 1, 2", "Biểu 1", "Số liệu"})
    assert [(f["sheet"], f["cell"]) for f in found] == [("Biểu 1, 2", "Biểu 1, 2!G11, Biểu 1, 2!G12"),
                                                        ("Số liệu", "Số liệu!G9")]
    [in_a_csv] = _rule_findings(pd.DataFrame([rows[0] | {"source_cells": "line 5, line 6"}]), {""})
    assert (in_a_csv["sheet"], in_a_csv["cell"]) == ("", "line 5, line 6")


def test_a_postgresql_that_cannot_be_reached_is_said_in_a_line(tmp_path, monkeypatch, capsys):
    from zonestat.cli import main

    monkeypatch.setenv("ZONESTAT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ZONESTAT_DBT_TARGET", "postgres")
    for name, value in (("ZONESTAT_PG_HOST", "127.0.0.1"), ("ZONESTAT_PG_PORT", "1"), ("ZONESTAT_PG_USER", "zonestat")):
        monkeypatch.setenv(name, value)  # port 1: nothing listens there
    for command in ("refresh", "findings"):
        assert main([command]) == 2
        said = capsys.readouterr().err
        assert said.startswith(f"zonestat {command}: cannot connect to PostgreSQL at 127.0.0.1:1, database zonestat")
        assert "Traceback" not in said and "ZONESTAT_PG_PORT" in said
    monkeypatch.setenv("ZONESTAT_DBT_TARGET", "oracle")
    assert main(["findings"]) == 2
    assert "ZONESTAT_DBT_TARGET='oracle': zonestat builds on duckdb or postgres" in capsys.readouterr().err
