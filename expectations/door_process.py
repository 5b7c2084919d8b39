"""The door's GX validation in a process of its own.

Importing Great Expectations takes seconds of one core, and a refresh of one new file spent them
before its dbt build could start. In a process of its own the import runs on another core: while
the parse workers read the first files, and, for `zonestat refresh`, while it loads Dagster
(`start_early`). One such process serves every ingest of the process that started it, each batch
as one GX run, the suites built once per home (whose Data Docs folder each batch names), and
sends back the failing rows; the ingest turns them into findings (submission_checks.add_door_findings).
It ends with the process that started it: at its exit, or, when that one is killed, as its end of
the socket closes.

The frames cross as pickles over a socket pair: only the columns GX reads (submission_checks._as_shown).
"""

from __future__ import annotations

import atexit
import contextlib
import pickle
import socket
import subprocess
import sys
import threading
import traceback
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_shared: DoorProcess | None = None
_starting = threading.Lock()


class DoorValidationFailed(RuntimeError):
    """GX failed on a batch in the door's process (its traceback is the message)."""


class DoorProcess:
    """DoorValidator (submission_checks) in a child process, for batches of any home; `unexpected`
    as DoorValidator's, with the batch's Data Docs folder. `data_docs`: the home whose suites it
    builds before the first batch asks."""

    def __init__(self, data_docs: Path | None = None):
        ours, theirs = socket.socketpair()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "expectations.door_process", str(theirs.fileno()), str(data_docs or "")],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        theirs.close()
        self._socket = ours
        self._to, self._from = ours.makefile("wb"), ours.makefile("rb")
        self._turn = threading.Lock()  # one batch at a time on the socket

    @property
    def pid(self) -> int:
        return self._process.pid

    def alive(self) -> bool:
        return self._process.poll() is None

    def unexpected(self, frames: dict[str, pd.DataFrame], today: date, files: list[str],
                   data_docs: Path | None = None) -> list[tuple[str, object]]:
        with self._turn:
            try:
                pickle.dump((frames, today, files, data_docs), self._to, protocol=pickle.HIGHEST_PROTOCOL)
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


def door_process(data_docs: Path | None = None) -> DoorProcess:
    """This process's door process: the one running, or a new one (its suites first built for
    `data_docs`), which ends when this process does."""
    global _shared
    with _starting:
        if _shared is None or not _shared.alive():
            _shared = DoorProcess(data_docs)
            atexit.register(_shared.close)
        return _shared


def start_early(data_docs: Path | None) -> None:
    """Start the door's process now, its suites built for `data_docs`, for this process's next ingest."""
    door_process(data_docs)


def _serve(fd: int, data_docs: Path | None) -> None:
    from expectations.submission_checks import DoorValidator

    with socket.socket(fileno=fd) as channel, channel.makefile("rb") as requests, channel.makefile("wb") as answers:
        validator = DoorValidator(data_docs)  # GX imported, the suites built, before the first batch
        while True:
            try:
                frames, today, files, docs = pickle.load(requests)
            except EOFError:  # the process that started this one closed its end, or died
                return
            try:
                if docs != validator.data_docs_dir:  # another home's batch: its own Data Docs
                    validator = DoorValidator(docs)
                answer = (True, validator.unexpected(frames, today, files))
            except Exception:  # noqa: BLE001 - the ingest decides; its process has the context
                answer = (False, traceback.format_exc())
            try:
                pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
                answers.flush()
            except BrokenPipeError:  # the ingest died while this batch was checked
                return


if __name__ == "__main__":
    _serve(int(sys.argv[1]), Path(sys.argv[2]) if sys.argv[2] else None)
