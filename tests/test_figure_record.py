"""The figure row's declaration (ingest/figure_record.py): the landing's columns are taken from the
record by name, and a declaration the parser could not honour is refused when it is read."""

import datetime as dt
from typing import Annotated

import pytest

from ingest import layout
from ingest.figure_record import FIGURES_SCHEMA, PROBLEM_FIELDS, FigureRow, FromFile, arrow_field, from_file_columns
from ingest.figure_table import FigureTable
from ingest.messages import msg


def _row(**given) -> FigureRow:
    typed = {"source_row": 12, "period_year": 2019}
    values = {name: typed.get(name, f"<{name}>") for name in FigureRow._fields}
    for name in ("value", "value_as_typed", "rounding_tolerance", "growth_pct", "share_pct", "growth_tolerance",
                 "share_tolerance"):
        values[name] = float(len(name))
    for name in ("value_maybe_fraction", "growth_maybe_fraction", "share_maybe_fraction", "fractional_count"):
        values[name] = True
    return FigureRow(**(values | dict.fromkeys(PROBLEM_FIELDS) | given))


def test_each_landed_column_holds_its_own_field():
    row = _row(unit_problem=msg("unit.unknown", unit="tấn"))
    table = FigureTable.from_records([row, _row()])
    landed = table.landed().to_pylist()[0]
    assert landed == {name: getattr(row, name) for name in FIGURES_SCHEMA.names}
    assert table.table.column("unit_family").to_pylist() == ["<unit_family>", "<unit_family>"]
    assert table.problems["unit_problem"] == {0: row.unit_problem} and table.problems["value_problem"] == {}
    assert len(FigureTable.empty()) == 0


def test_a_field_without_a_landing_type_is_refused():
    with pytest.raises(TypeError, match="FigureRow.prepared: .* has no landing type"):
        arrow_field("prepared", dt.date)


def test_a_column_from_the_file_is_text():
    assert from_file_columns({"contact": Annotated[str | None, FromFile("nguoi_lien_he", "lien_he")]}) == \
        {"contact": ("nguoi_lien_he", "lien_he")}
    with pytest.raises(TypeError, match="FigureRow.workers: a column read as typed from the file is text"):
        from_file_columns({"workers": Annotated[int | None, FromFile("so_lao_dong")]})


def test_a_column_from_the_file_cannot_take_over_a_header_the_layout_reads():
    with pytest.raises(ValueError, match="FigureRow.remark: 'ghi_chu' is already a column"):
        layout.with_file_columns(layout.HEADER_NAMES, {"remark": ("ghi_chu",)})
    assert layout.with_file_columns({"khu": "khu"}, {"contact": ("nguoi_lien_he",)}) == \
        {"khu": "khu", "nguoi_lien_he": "contact"}
