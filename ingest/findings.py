"""A finding: what is wrong with a received file, where, and what was expected."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str
    sheet: str = ""
    cell: str = ""  # 'C12' in a workbook, 'line 7' in a CSV, '' for the whole file
    expected: str = ""
    found: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class RejectedFile(Exception):
    """The file cannot be read at all; carries the finding that says why."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding
