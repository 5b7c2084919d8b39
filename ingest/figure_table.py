"""A submission's figures as a worker reads them: Arrow columns, and the rare problem messages.

A reader worker sends each submission's figures to the parent, which checks a batch of them at the
door and lands the accepted ones. Arrow columns cost a worker a fraction of a pandas frame to
build, cross the process pipe as buffers, and are written to the landing as they are. The door's
checks need pandas: the parent builds one frame per batch (`figures_frame`), not one per file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ingest.figure_record import DOOR_SCHEMA, FIGURES_SCHEMA, PROBLEM_FIELDS, FigureRow
from ingest.messages import Message

_SCHEMA = pa.schema([*FIGURES_SCHEMA, *DOOR_SCHEMA])


@dataclass
class FigureTable:
    table: pa.Table  # FIGURES_SCHEMA then DOOR_SCHEMA
    problems: dict[str, dict[int, Message]]  # column -> row -> message, for the rows that have one

    @classmethod
    def from_records(cls, records: list[FigureRow]) -> FigureTable:
        columns = dict(zip(FigureRow._fields, zip(*records))) if records else dict.fromkeys(FigureRow._fields, ())
        arrays = [pa.array(columns[f.name], type=f.type) for f in _SCHEMA]
        problems = {name: {row: m for row, m in enumerate(columns[name]) if m is not None} for name in PROBLEM_FIELDS}
        return cls(pa.Table.from_arrays(arrays, schema=_SCHEMA), problems)

    @classmethod
    def empty(cls) -> FigureTable:
        return cls.from_records([])

    def __len__(self) -> int:
        return self.table.num_rows

    def landed(self) -> pa.Table:
        """The columns the landing keeps."""
        return self.table.select(FIGURES_SCHEMA.names)


def figures_frame(tables: list[FigureTable]) -> pd.DataFrame:
    """One pandas frame of many submissions' figures, in order, with a fresh index."""
    frame = pa.concat_tables([t.table for t in tables]).to_pandas()
    offsets = np.cumsum([0, *(len(t) for t in tables)])
    for name in PROBLEM_FIELDS:
        column = np.full(len(frame), None, dtype=object)
        for table, offset in zip(tables, offsets):
            for row, problem in table.problems[name].items():
                column[offset + row] = problem
        frame[name] = column
    return frame
