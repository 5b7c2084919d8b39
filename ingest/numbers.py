"""The door's reading of a figure typed as text: its value under the file's notation
(zonestat/notation.py reads both), or the message that says why it cannot be taken."""

from __future__ import annotations

from ingest.messages import Message, msg
from zonestat.notation import TextNumber


def resolve(reading: TextNumber, notation: str) -> tuple[float | None, Message | None]:
    """The value under the file's notation, or an explanation of why it cannot be taken."""
    if notation == "vn":
        if reading.vn is None:
            return None, msg("number.not_vietnamese", text=reading.text)
        return reading.vn, None
    if reading.vn is not None and reading.en is not None and reading.vn != reading.en:
        return None, msg("number.ambiguous", text=reading.text, vn=f"{reading.vn:g}", en=f"{reading.en:g}")
    if reading.en is None:
        return None, msg("number.not_english", text=reading.text)
    return reading.en, None
