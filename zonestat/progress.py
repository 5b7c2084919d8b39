"""Progress of the long steps on the console: a bar on a terminal, a line now and then otherwise.

A nightly run's log is read in a file or in the Dagster UI, where a bar redrawn with carriage
returns is noise: there a line says how far the step is every few seconds
(ZONESTAT_PROGRESS_SECONDS), and once more when it is done.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from zonestat.settings import setting

BAR_WIDTH = 30


def line_interval() -> float:
    return float(setting("ZONESTAT_PROGRESS_SECONDS"))


class Progress:
    """`what` counted in `unit` up to `total`. `say` writes a line (a logger's info, or print); on a
    terminal (`stream` is a tty) a bar is drawn in place instead and `say` is used only at the end."""

    def __init__(self, what: str, total: int, unit: str, say: Callable[[str], object] | None = None,
                 stream: TextIO | None = None):
        self.what, self.total, self.unit = what, total, unit
        self.stream = stream or sys.stderr
        self.say = say or (lambda line: print(line, file=self.stream, flush=True))
        self.done = 0
        self.started = self.last_line = time.monotonic()
        self.bar = self.stream.isatty()

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.bar:
            filled = round(BAR_WIDTH * self.done / self.total) if self.total else BAR_WIDTH
            self.stream.write(f"\r{self.what} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                              f"{self.done:,}/{self.total:,} {self.unit} {now - self.started:.0f} s")
            self.stream.flush()
        elif now - self.last_line >= line_interval() and self.done < self.total:
            self.last_line = now
            self.say(f"{self.what}: {self.done:,} of {self.total:,} {self.unit} "
                     f"({100 * self.done / self.total:.0f}%) in {now - self.started:.0f} s")

    def finish(self) -> None:
        if self.bar:
            self.stream.write("\n")
        self.say(f"{self.what}: {self.done:,} {self.unit} in {time.monotonic() - self.started:.0f} s")
