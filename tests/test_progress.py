"""Progress on the console: a bar on a terminal (a real pseudo-terminal here), lines in a log."""

import io
import os

from zonestat.progress import Progress


def test_a_log_gets_a_line_every_few_seconds_and_one_at_the_end(monkeypatch):
    monkeypatch.setenv("ZONESTAT_PROGRESS_SECONDS", "0")
    lines: list[str] = []
    progress = Progress("reading new files", 3, "files", say=lines.append, stream=io.StringIO())
    for _ in range(3):
        progress.advance()
    progress.finish()
    assert lines[:2] == ["reading new files: 1 of 3 files (33%) in 0 s", "reading new files: 2 of 3 files (67%) in 0 s"]
    assert lines[2] == "reading new files: 3 files in 0 s" and len(lines) == 3


def test_a_log_is_not_flooded(monkeypatch):
    monkeypatch.setenv("ZONESTAT_PROGRESS_SECONDS", "3600")
    lines: list[str] = []
    progress = Progress("reading new files", 5000, "files", say=lines.append, stream=io.StringIO())
    for _ in range(5000):
        progress.advance()
    progress.finish()
    assert lines == ["reading new files: 5,000 files in 0 s"]


def _drain(leader: int) -> str:
    """Everything written to the terminal. A pty hands writes back in as many reads as it likes; once
    the follower is closed and all is read, Linux answers EIO."""
    chunks = []
    try:
        while chunk := os.read(leader, 4096):
            chunks.append(chunk)
    except OSError:
        pass
    os.close(leader)
    return b"".join(chunks).decode()


def test_a_terminal_gets_a_bar_redrawn_in_place():
    leader, follower = os.openpty()
    with os.fdopen(follower, "w") as terminal:
        lines: list[str] = []
        progress = Progress("writing sample submissions", 4, "months", say=lines.append, stream=terminal)
        for _ in range(4):
            progress.advance()
        progress.finish()
    shown = _drain(leader)
    assert shown.count("\r") >= 4 and "[" + "#" * 30 + "] 4/4 months" in shown
    assert "[" + "#" * 8 + "." * 22 + "] 1/4 months" in shown
    assert lines == ["writing sample submissions: 4 months in 0 s"]  # the closing line still goes to the log
