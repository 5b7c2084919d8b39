"""The publish audit (orchestration/publish.py's audit) on tiny tables: what blocks a publication,
and what it reports as changed. The same SQL runs on PostgreSQL's schemas (tests/test_postgres.py
publishes through it); here two DuckDB schemas stand for the build and the last publication."""

import duckdb
import pytest

from orchestration.publish import GUARDED_FACTS, REQUIRED_TABLES, audit
from zonestat.warehouse import as_warehouse

FACT = GUARDED_FACTS[0]


@pytest.fixture
def w():
    """Schemas `built` and `published`, each with every required table: one fact row of submission a
    (its current version), its history, and the ledger."""
    con = duckdb.connect()
    for schema in ("built", "published"):
        con.execute(f"create schema {schema}")
        for table in REQUIRED_TABLES:
            con.execute(f"create table {schema}.{table} (x integer)")
        for table in GUARDED_FACTS:
            con.execute(f"create or replace table {schema}.{table} (figure_key varchar, submission_id varchar)")
        con.execute(f"insert into {schema}.{FACT} values ('k1', 'a')")
        con.execute(f"create or replace table {schema}.fct_figure_revisions (submission_id varchar, is_current boolean)")
        con.execute(f"insert into {schema}.fct_figure_revisions values ('a', true)")
        con.execute(f"create or replace table {schema}.fct_submissions (submission_id varchar, outcome varchar)")
        con.execute(f"insert into {schema}.fct_submissions values ('a', 'accepted')")
    return as_warehouse(con)


def run(w):
    return audit(w, ("built", None), ("published", None))


def test_the_same_build_passes_and_changes_nothing(w):
    counts, problems, changes = run(w)
    assert problems == [] and counts[FACT] == 1
    assert changes == ["new submissions since the last publication: 0 accepted, 0 rejected"]


def test_a_first_publication_needs_only_every_required_table(w):
    counts, problems, changes = audit(w, ("built", None), None)
    assert problems == [] and changes == []
    w.execute("drop table built.dim_period")
    assert audit(w, ("built", None), None)[1] == [
        "table dim_period is missing from the build (did dbt or the quality engine fail?)"]


def test_new_submissions_and_row_changes_are_reported(w):
    w.execute("insert into built.fct_submissions values ('b', 'accepted'), ('c', 'rejected')")
    w.execute(f"insert into built.{FACT} values ('k2', 'b')")
    w.execute("insert into built.fct_figure_revisions values ('b', true)")
    counts, problems, changes = run(w)
    assert problems == []
    assert changes[0] == "new submissions since the last publication: 1 accepted, 1 rejected"
    assert f"{FACT}: 1 -> 2 rows (+1)" in changes and "fct_submissions: 1 -> 3 rows (+2)" in changes


def test_history_that_shrinks_blocks(w):
    w.execute("delete from built.fct_figure_revisions")
    assert "fct_figure_revisions lost rows: the revision history must never shrink" in run(w)[1]


def test_a_published_figure_may_disappear_only_when_its_version_was_superseded(w):
    w.execute(f"delete from built.{FACT}")
    assert run(w)[1] == [f"{FACT}: 1 published rows would disappear without a superseding submission to explain it"]
    # a later version of the report came in: submission a is history now, its figure rightly gone
    w.execute("update built.fct_figure_revisions set is_current = false")
    w.execute("insert into built.fct_figure_revisions values ('b', true)")
    assert run(w)[1] == []


def test_what_a_killed_publish_left_is_swept_and_the_publications_stay(tmp_path):
    from orchestration.disk import remove_leftovers
    from orchestration.publish import SNAPSHOT_RECORD
    from zonestat.config import Home

    h = Home(tmp_path / "home").ensure()
    kept = [h.snapshot("20261203T010000000000Z"), h.snapshots / SNAPSHOT_RECORD, h.published_db]
    left = [h.snapshots / f".{h.snapshot('20261203T020000000000Z').name}.tmp",
            h.snapshots / f".{h.snapshot('20261203T020000000000Z').name}.tmp.wal",
            h.snapshots / f".{SNAPSHOT_RECORD}.4242.tmp",  # the record of the newest, half written
            h.root / f".{h.published_db.name}.4242.tmp"]
    for path in kept + left:
        path.write_bytes(b"x")
    assert sorted(remove_leftovers(h)) == sorted(left)
    assert all(path.exists() for path in kept) and not any(path.exists() for path in left)
