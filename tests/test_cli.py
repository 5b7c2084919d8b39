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
