"""Sample data end to end: consistent reports raise no error; every injected error is found,
by a rule of the right kind, and the suggestion restores the original figure."""

import csv
from datetime import date

import pytest

from ingest.numbers import read_text_number
from tests.conftest import query, run_refresh
from zonestat.sample import generate

# Thái Bình and Hưng Yên merge into Hưng Yên (33) in July 2025; Hải Dương into Hải Phòng (31).
PROVINCES = "30,31,33,34,01,10,15"


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory):
    import os

    from zonestat.config import Home

    root = tmp_path_factory.mktemp("sample") / "home"
    home = Home(root).ensure()
    saved = {k: os.environ.get(k) for k in ("ZONESTAT_HOME", "DAGSTER_HOME")}
    manifest = root / "manifest.csv"
    stats = generate(home.inbox, seed=7, years=(2024, 2025), provinces=PROVINCES, months=(3, 6, 9, 12),
                     inject_errors=0.5, manifest=manifest, today=date(2026, 11, 22))
    assert run_refresh(home)
    yield home, list(csv.DictReader(open(manifest, encoding="utf-8"))), stats
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_consistent_reports_raise_no_error(sample_warehouse):
    home, manifest, _ = sample_warehouse
    corrupted = {m["file"] for m in manifest}
    errors = query(home.published_db, """
        select f.rule_id, s.file_name, f.source_cells, f.message from dq_findings f
        join fct_submissions s using (submission_id) where f.severity = 'error'""")
    clean = errors[~errors["file_name"].isin(corrupted)]
    assert clean.empty, clean.to_string()


def test_every_injected_error_is_found_by_the_right_kind_and_mostly_restored(sample_warehouse):
    home, manifest, stats = sample_warehouse
    assert stats["injected_errors"] >= 10
    findings = query(home.published_db, """
        select f.kind, f.source_cells, f.suggested_cells, f.suggested_values, s.file_name
        from dq_findings f join fct_submissions s using (submission_id) where f.severity = 'error'""")
    restored = 0
    for m in manifest:
        ref = m["cell"] if m["sheet"] == "" else f"{m['sheet']}!{m['cell']}"
        own = findings[(findings["file_name"] == m["file"])
                       & findings["source_cells"].str.split(", ").map(lambda cells: ref in cells)]
        assert not own.empty, f"injected {m['error_kind']} at {m['file']} {ref} was not found"
        assert set(own["kind"]) & {"balance", "hierarchy", "magnitude"}, (m, set(own["kind"]))
        suggested = own.dropna(subset=["suggested_cells"])
        for cells, values in zip(suggested["suggested_cells"], suggested["suggested_values"]):
            proposal = dict(zip(cells.split(", "), values.split(", ")))
            if ref in proposal and read_text_number(proposal[ref]).vn == pytest.approx(float(m["original_value"])):
                restored += 1
                break
    assert restored / len(manifest) >= 0.9, f"{restored} of {len(manifest)} restored"
