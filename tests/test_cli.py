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
    from zonestat.cli import _current_versions_changed

    # submission id -> (reporter, period, file name, is_current, is_withdrawn), as _ledger reads it
    before = {"a": ("Hà Nội", "2019-01", "a.xlsx", True, False), "b": ("Huế", "2019-01", "b.xlsx", True, False),
              "r": (None, None, "not-a-table.pdf", False, False)}
    after = before | {"a": ("Hà Nội", "2019-01", "a.xlsx", False, False), "c": ("Hà Nội", "2019-01", "c.xlsx", True, False),
                      "b": ("Huế", "2019-01", "b.xlsx", False, True), "d": ("Huế", "2019-02", "d.xlsx", True, False)}
    assert _current_versions_changed(before, after) == ["Hà Nội 2019-01: a.xlsx -> c.xlsx",
                                                        "Huế 2019-01: b.xlsx -> none (withdrawn)"]
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
        cli.me.cache_clear()
        assert cli.me() == says
    cli.me.cache_clear()
