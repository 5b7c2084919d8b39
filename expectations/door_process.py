"""The door's GX validation in a process of its own.

Importing Great Expectations takes seconds of one core, and a refresh of one new file spent them
before its dbt build could start. In a process of its own the import runs on another core: while
the parse workers read the first files, and, for `zonestat refresh`, while it loads Dagster
(`start_early`). The process builds the suites once and validates every batch of the refresh, each
as one GX run, and sends back the failing rows; the refresh turns them into findings
(submission_checks.add_door_findings). It ends when the refresh closes it, or when the refresh's
process dies and its end of the socket closes.

The frames cross as pickles over a socket pair: only the columns GX reads (submission_checks._as_shown).
"""

from __future__ import annotations

import atexit
import contextlib
import pickle
import socket
import subprocess
import sys
import traceback
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_early: dict[Path | None, DoorProcess] = {}


class DoorValidationFailed(RuntimeError):
    """GX failed on a batch in the door's process (its traceback is the message)."""


class DoorProcess:
    """A DoorValidator (submission_checks) in a child process; `unexpected` as DoorValidator's."""

    def __init__(self, data_docs: Path | None = None):
        self.data_docs = data_docs
        ours, theirs = socket.socketpair()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "expectations.door_process", str(theirs.fileno()), str(data_docs or "")],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        theirs.close()
        self._socket = ours
        self._to, self._from = ours.makefile("wb"), ours.makefile("rb")

    @property
    def pid(self) -> int:
        return self._process.pid

    def alive(self) -> bool:
        return self._process.poll() is None

    def unexpected(self, frames: dict[str, pd.DataFrame], today: date, files: list[str]) -> list[tuple[str, object]]:
        try:
            pickle.dump((frames, today, files), self._to, protocol=pickle.HIGHEST_PROTOCOL)
            self._to.flush()
            done, answer = pickle.load(self._from)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            raise DoorValidationFailed(f"the door's GX process ended (exit code {self._process.poll()}): "
                                       f"{type(exc).__name__}: {exc}") from exc
        if not done:
            raise DoorValidationFailed(answer)
        return answer

    def close(self) -> None:
        """End the process. Whatever it was asked is answered by then (Data Docs written), and one
        started early but not needed may still be importing GX: it is not waited for."""
        for stream in (self._to, self._from, self._socket):
            with contextlib.suppress(OSError):  # what is left unsent to a process that died
                stream.close()
        self._process.terminate()
        self._process.wait()


def start_early(data_docs: Path | None) -> None:
    """Start the door's process now, for the next `door_process(data_docs)` of this process to take."""
    if data_docs not in _early:
        _early[data_docs] = early = DoorProcess(data_docs)
        atexit.register(early.close)  # when the refresh did not need it


def door_process(data_docs: Path | None) -> DoorProcess:
    """The door's process for Data Docs in `data_docs`: the one started early, or a new one."""
    early = _early.pop(data_docs, None)
    if early is not None and early.alive():
        return early
    return DoorProcess(data_docs)


def _serve(fd: int, data_docs: Path | None) -> None:
    from expectations.submission_checks import DoorValidator

    with socket.socket(fileno=fd) as channel, channel.makefile("rb") as requests, channel.makefile("wb") as answers:
        validator = DoorValidator(data_docs)
        while True:
            try:
                frames, today, files = pickle.load(requests)
            except EOFError:  # the refresh closed its end, or died
                return
            try:
                answer = (True, validator.unexpected(frames, today, files))
            except Exception:  # noqa: BLE001 - the refresh decides; its process has the context
                answer = (False, traceback.format_exc())
            try:
                pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
                answers.flush()
            except BrokenPipeError:  # the refresh died while this batch was checked
                return


if __name__ == "__main__":
    _serve(int(sys.argv[1]), Path(sys.argv[2]) if sys.argv[2] else None)
