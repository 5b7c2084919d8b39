"""One figure row of a submission as the parser reads it, declared once (FigureRow).

Each field says where it goes: `Landed` fields are kept in the landing (ingest/land.py derives
the figures' Parquet schema from them, and load_postgres the PostgreSQL table); the others only
the door's checks read (expectations/submission_checks.py), and the `*_problem` fields say why
a cell could not be read.

A column boards fill in their files and the warehouse keeps as typed is one text field marked
`FromFile` with the header names boards give it, anywhere in the record: the parser reads it
(ingest/parse.py), the landing keeps it, and dbt carries it on to the facts and the revision
history, as it carries every landed column that its staging does not name
(dbt_project/macros/landing_files.sql). Its type and description go into the facts' contract
(dbt_project/models/marts/_facts.yml).
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, NamedTuple, TypeVar

import pyarrow as pa

from ingest.messages import Message

T = TypeVar("T")
LANDED = "landed"
Landed = Annotated[T, LANDED]


class FromFile:
    """A landed text column read as typed from the figures table: the folded header names that name
    it ('Người liên hệ' folds to nguoi_lien_he). Empty cells are NULL, as in files without the column."""

    def __init__(self, *headers: str):
        self.headers = headers


class FigureRow(NamedTuple):
    submission_id: Landed[str]
    source_sheet: Landed[str]  # '' in a CSV
    source_cell: Landed[str]  # the value's cell: C12, or 'line 12' in a CSV
    source_row: Landed[int]
    indicator: Landed[str | None]
    indicator_label: Landed[str]
    zone_name: Landed[str]
    zone_key: Landed[str]
    zone_kind: Landed[str]
    breakdown: Landed[str]
    value: Landed[float | None]  # in the canonical unit
    unit: Landed[str | None]
    value_as_typed: Landed[float | None]
    unit_as_typed: Landed[str]
    rounding_tolerance: Landed[float | None]
    text_as_typed: Landed[str | None]
    growth_pct: Landed[float | None]
    share_pct: Landed[float | None]
    growth_tolerance: Landed[float | None]
    share_tolerance: Landed[float | None]
    note: Landed[str]  # the board's note, with the value's own qualifier ('trên', 'khoảng') in front
    # What the door reads of how each cell was typed and read.
    unit_family: str | None
    period_year: int | None
    value_maybe_fraction: bool
    growth_maybe_fraction: bool
    share_maybe_fraction: bool
    growth_as_typed: str | None
    share_as_typed: str | None
    fractional_count: bool
    # Why a cell could not be read: a catalogue message.
    value_problem: Message | None
    unit_problem: Message | None
    growth_problem: Message | None
    share_problem: Message | None


_ARROW = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}


def arrow_field(name: str, hint: object) -> pa.Field | None:
    """The field's Arrow column; None for a problem message, which stays beside the columns."""
    kinds = [t for t in typing.get_args(hint) if t is not type(None)] \
        if typing.get_origin(hint) in (typing.Union, types.UnionType) else [hint]
    if kinds == [Message]:
        return None
    if len(kinds) != 1 or kinds[0] not in _ARROW:
        raise TypeError(f"FigureRow.{name}: {hint} has no landing type (str, int, float or bool, or None)")
    return pa.field(name, _ARROW[kinds[0]])


def _markers(hint: object) -> tuple:
    return typing.get_args(hint)[1:] if typing.get_origin(hint) is Annotated else ()


def _unmarked(hint: object) -> object:
    return typing.get_args(hint)[0] if typing.get_origin(hint) is Annotated else hint


_HINTS = typing.get_type_hints(FigureRow, include_extras=True)
_COLUMNS = {name: arrow_field(name, _unmarked(_HINTS[name])) for name in FigureRow._fields}
_LANDED = {name for name in FigureRow._fields
           if any(m == LANDED or isinstance(m, FromFile) for m in _markers(_HINTS[name]))}

# The landing's figures (ingest/land.py), what the door reads beside them, and the problems.
FIGURES_SCHEMA = pa.schema([_COLUMNS[name] for name in FigureRow._fields if name in _LANDED])
DOOR_SCHEMA = pa.schema([f for name, f in _COLUMNS.items() if f is not None and name not in _LANDED])
PROBLEM_FIELDS = tuple(name for name, f in _COLUMNS.items() if f is None)


def from_file_columns(hints: dict[str, object]) -> dict[str, tuple[str, ...]]:
    """The landed columns read as typed from the file (field -> the header names boards give it),
    of FigureRow's annotated fields `hints`: text only, which is what the parser reads them as."""
    fields = {name: m.headers for name, hint in hints.items() for m in _markers(hint) if isinstance(m, FromFile)}
    for name in fields:
        column = arrow_field(name, _unmarked(hints[name]))
        if column is None or column.type != pa.string():
            raise TypeError(f"FigureRow.{name}: a column read as typed from the file is text (str | None)")
    return fields


FROM_FILE = from_file_columns(_HINTS)
