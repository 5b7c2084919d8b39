"""Children die with their parent: a killed refresh must not leave a `dbt build` writing the work
database behind it (the next refresh would find the database locked, or half-written by a ghost).

`zonestat-dbt` is the dbt that zonestat runs: it asks the kernel to kill it when the process that
started it dies (Linux's parent-death signal, which survives the exec), then has dbt run by that
process's dbt server (orchestration/dbt_server.py), or becomes dbt when it has none.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

_PR_SET_PDEATHSIG = 1
LINUX = sys.platform.startswith("linux")  # the parent-death signal (and dbt_server's abstract sockets) are Linux's


def die_with_parent() -> None:
    """From now on, this process is killed when its parent dies (Linux; a no-op elsewhere)."""
    if LINUX:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def dbt_main() -> None:
    """The `zonestat-dbt` command: dbt, bound to the life of the process that started it.

    `--version` answers from the installed package without starting dbt: dagster-dbt asks it
    before every build, and dbt's own answer starts all of dbt and looks up the latest release on
    the internet, which a machine without access waits for."""
    if sys.argv[1:] == ["--version"]:
        from importlib.metadata import version

        print(f"Core:\n  - installed: {version('dbt-core')}")
        return
    die_with_parent()
    from zonestat import target

    if target.on_postgres():  # dbt's profile has no session settings: libpq reads them from here
        os.environ["PGOPTIONS"] = f"{os.environ.get('PGOPTIONS', '')} {target.pg_session_options()}".strip()
    from orchestration.dbt_server import run_in_server

    code = run_in_server(sys.argv[1:])  # in a fork of the dbt this process's parent started early
    if code is not None:
        sys.exit(code)
    dbt = str(Path(sys.executable).with_name("dbt"))
    os.execv(dbt, [dbt, *sys.argv[1:]])
