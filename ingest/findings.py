"""A finding: what is wrong with a received file, where, and what was expected."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.messages import Message
from zonestat import reference

ERROR, WARNING, INFO = "error", "warning", "info"
assert set(reference.severities()) == {ERROR, WARNING, INFO}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    text: Message  # rendered in Vietnamese and English from the door's message catalogue
    sheet: str = ""  # the sheet's name as the file names it
    cell: str = ""  # 'C12', 'line 7' in a text table, 'rows 9, 18-20' or 'rows 1-30' for rows, '' for the file
    expected: str = ""
    found: str = ""

    @property
    def message(self) -> str:
        return self.text.en

    @property
    def message_vi(self) -> str:
        return self.text.vi

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message,
                "message_vi": self.message_vi, "sheet": self.sheet, "cell": self.cell,
                "expected": self.expected, "found": self.found}


class RejectedFile(Exception):
    """The file cannot be read at all; carries the finding that says why."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding
