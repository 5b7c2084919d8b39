"""A relation's formula is written once (dbt_project/macros/rules.sql): as SQL for the detection and
on numbers for the suggestion search, it gives the same value."""

import duckdb

from expectations.relations import percent_tolerance, percent_tolerance_sql


def test_the_percentage_tolerance_is_the_same_in_sql_and_on_numbers():
    con = duckdb.connect()
    for values in ({"printed": 0.05, "part": 81770.544, "part_tol": 0.0005, "whole": 120000.0, "whole_tol": 0.5},
                   {"printed": 0.5, "part": -12.3, "part_tol": 0.05, "whole": -0.7, "whole_tol": 0.05}):
        columns = ", ".join(f"{value!r}::double as {name}" for name, value in values.items())
        formula = percent_tolerance_sql(*values)
        in_sql = con.execute(f"select {formula} from (select {columns})").fetchall()[0][0]
        assert in_sql == percent_tolerance(**values), (formula, values)
