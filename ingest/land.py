"""Landing: immutable Parquet, one file per submission version, read by dbt as sources.

landing/submissions/<sha256>.parquet  the ledger: one row per received file, accepted or not
landing/figures/<sha256>.parquet      the figures of an accepted submission
landing/findings/<sha256>.parquet     what the door found (warnings of accepted files too)
landing/withdrawals/<event>.parquet   an operator withdrew or restored a submission, when and why
landing/fx_rates/<sha256>.parquet      a file of exchange rates taken in (ingest/rates.py)

Each folder also holds an empty `_schema.parquet` so the warehouse builds before any file
has arrived. The ledger row is written last: it is the commit marker of a received file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.figure_record import FIGURES_SCHEMA
from ingest.receive import write_whole

LEDGER_SCHEMA = pa.schema([
    ("submission_id", pa.string()), ("file_name", pa.string()), ("file_kind", pa.string()),
    ("received_at", pa.timestamp("us", tz="UTC")), ("size_bytes", pa.int64()),
    ("archive_path", pa.string()), ("outcome", pa.string()),
    ("n_figures", pa.int64()), ("n_errors", pa.int64()), ("n_warnings", pa.int64()),
    ("reporter_id", pa.string()), ("reporter_kind", pa.string()), ("reporter_code", pa.string()),
    ("reporter_vintage", pa.int64()), ("reporter_name", pa.string()),
    ("period", pa.string()), ("period_text", pa.string()), ("period_year", pa.int64()),
    ("period_month", pa.int64()), ("period_is_whole_year", pa.bool_()),
    ("status", pa.string()), ("prepared_on", pa.date32()), ("preparer", pa.string()), ("board", pa.string()),
])
FINDINGS_SCHEMA = pa.schema([
    ("submission_id", pa.string()), ("file_name", pa.string()), ("rule", pa.string()),
    ("severity", pa.string()), ("sheet", pa.string()), ("cell", pa.string()),
    ("message", pa.string()), ("message_vi", pa.string()), ("expected", pa.string()), ("found", pa.string()),
])
# An operator's withdrawal or restoration of a submission, one file per event (zonestat withdraw/restore).
WITHDRAWALS_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("submission_id", pa.string()), ("action", pa.string()),
    ("reason", pa.string()), ("event_at", pa.timestamp("us", tz="UTC")), ("event_by", pa.string()),
])
# Exchange rates a user supplied (ingest/rates.py), one file per rates file received.
FX_RATES_SCHEMA = pa.schema([
    ("file_id", pa.string()), ("file_name", pa.string()), ("received_at", pa.timestamp("us", tz="UTC")),
    ("year", pa.int64()), ("vnd_per_usd", pa.float64()), ("basis", pa.string()), ("source", pa.string()),
])
TABLES = {"submissions": LEDGER_SCHEMA, "figures": FIGURES_SCHEMA, "findings": FINDINGS_SCHEMA,
          "withdrawals": WITHDRAWALS_SCHEMA, "fx_rates": FX_RATES_SCHEMA}


def ensure_layout(landing: Path) -> None:
    for table, schema in TABLES.items():
        folder = landing / table
        folder.mkdir(parents=True, exist_ok=True)
        marker = folder / "_schema.parquet"
        if not marker.exists() or not pq.read_schema(marker).equals(schema):  # a column added since
            pq.write_table(schema.empty_table(), marker)


def landed_files(landing: Path, table: str) -> list[Path]:
    """A landing table's files, one per submission (or event), in name order; not the empty `_schema` file."""
    folder = landing / table
    return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("_")) if folder.exists() else []


def landed_ids(landing: Path) -> set[str]:
    """Submission ids already in the ledger: receiving their bytes again changes nothing."""
    return {p.stem for p in landed_files(landing, "submissions")}


def staged_path(landing: Path, submission_id: str) -> Path:
    """Where a worker writes a submission's figures before the door has accepted it."""
    return landing / ".staging" / f"{submission_id}.parquet"


def stage_figures(landing: Path, submission_id: str, figures: pa.Table) -> None:
    """Write the figures in the worker that parsed them; published by `write` on acceptance."""
    path = staged_path(landing, submission_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_parquet(path, TABLES["figures"], figures)


def write(landing: Path, table: str, submission_id: str, rows: pa.Table | pd.DataFrame | list[dict]) -> Path:
    """Write one immutable Parquet file; an existing one is never rewritten."""
    schema = TABLES[table]
    path = landing / table / f"{submission_id}.parquet"
    if path.exists():
        return path
    staged = staged_path(landing, submission_id)
    if table == "figures" and staged.exists():
        os.replace(staged, path)
        return path
    _write_parquet(path, schema, rows)
    return path


def discard_staged(landing: Path, submission_id: str) -> None:
    staged_path(landing, submission_id).unlink(missing_ok=True)


def _write_parquet(path: Path, schema: pa.Schema, rows: pa.Table | pd.DataFrame | list[dict]) -> None:
    if isinstance(rows, pa.Table):
        arrow = rows.cast(schema)
    elif isinstance(rows, pd.DataFrame):
        frame = rows.reindex(columns=schema.names)
        arrow = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    else:  # a few rows: straight to Arrow, pandas would cost more than the write
        arrow = pa.Table.from_pylist([{k: r.get(k) for k in schema.names} for r in rows], schema=schema)
    write_whole(path, lambda partial: pq.write_table(arrow, partial))


def read_files(files: list[Path], table: str) -> pa.Table:
    """Landed files of one table in its current columns: a file written before a column existed
    reads it as null."""
    schema = TABLES[table]
    return pa.concat_tables([pq.read_table(f, schema=schema) for f in files]) if files else schema.empty_table()


def read_table(landing: Path, table: str) -> pd.DataFrame:
    return read_files(landed_files(landing, table), table).to_pandas()
