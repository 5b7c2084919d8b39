"""Exchange rates users supply: CSV files in ZONESTAT_HOME/rates/, with the reference seed's columns.

The seed (dbt_project/seeds/fx_rates.csv) holds the published yearly VND/USD rates it was given;
a ministry needs later years' rates without editing code. A rates file names each year's rate
and where it comes from:

    year,vnd_per_usd,basis,source
    2024,25.300,annual average,State Bank of Viet Nam

Each file is checked like a submission, line by line (a year in the warehouse's range, a rate in
VND per USD that can be one, a source), and kept as it came: an accepted file is landed
(landing/fx_rates/<sha256>.parquet), a file with an error goes to quarantine/rates/ with its
findings, in Vietnamese and English, and the other files go on. For a year, the most recently
received file's rate is used, before the seed's.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

from ingest import land
from ingest.findings import ERROR, Finding, RejectedFile
from ingest.messages import msg
from ingest.read_csv import read_csv
from ingest.receive import arrived_at, sha256, write_once
from zonestat import reference
from zonestat.config import Home
from zonestat.notation import read_text_number
from zonestat.text import key

COLUMNS = ("year", "vnd_per_usd", "basis", "source")
PLAUSIBLE_VND_PER_USD = (1_000, 100_000)


@dataclass
class RatesOutcome:
    accepted: list[str] = field(default_factory=list)
    rejected: dict[str, list[Finding]] = field(default_factory=dict)


def read_rates(data: bytes, file_name: str) -> tuple[list[dict], list[Finding]]:
    """The rows of a rates file, and what is wrong with it (a finding per bad cell)."""
    try:
        lines = read_csv(data, file_name).rows  # the door's reading of a text table: encoding, separator
    except RejectedFile as empty:
        return [], [empty.finding]
    header = [key(h) for h in (lines[0] if lines else [])]
    if not set(COLUMNS) <= set(header):
        return [], [Finding("rates.columns", ERROR, msg("rates.columns", file=file_name, columns=", ".join(COLUMNS)),
                            cell="line 1", found=", ".join(lines[0]) if lines else "")]
    first, last = reference.period_years()
    rows, findings, seen = [], [], {}
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        value = dict(zip(header, (c.strip() for c in cells)))
        # a source with a comma, unquoted, spills into a cell without a column name: never cut short
        if any(c.strip() for name, c in zip_longest(header, cells, fillvalue="") if not name):
            findings.append(Finding("rates.cells", ERROR, msg("rates.cells", file=file_name, line=number,
                                                              found=len(cells), expected=sum(map(bool, header))),
                                    cell=f"line {number}", found=", ".join(cells)))
            continue
        year_text, rate_text = value.get("year", ""), value.get("vnd_per_usd", "")

        def problem(column: str, code: str, **params) -> None:
            findings.append(Finding(f"rates.{column}", ERROR, msg(code, file=file_name, line=number, **params),
                                    cell=f"line {number}, {column}", found=value.get(column, "")))

        year = int(year_text) if year_text.isdigit() else None
        if year is None or not first - 1 <= year <= last:
            problem("year", "rates.year", text=year_text, first=first - 1, last=last)
        elif year in seen:
            problem("year", "rates.year_twice", year=year, first_line=seen[year])
        else:
            seen[year] = number
        reading = read_text_number(rate_text)
        low, high = PLAUSIBLE_VND_PER_USD
        # 25.300 (Vietnamese) and 25300.00 (as the seed writes it) are both 25,300 VND per USD:
        # the notation whose reading can be a rate
        rate = next((r for r in ((reading.vn, reading.en) if reading else ()) if r is not None and low <= r <= high), None)
        if rate is None:
            problem("vnd_per_usd", "rates.rate", text=rate_text, low=f"{low:,}".replace(",", "."),
                    high=f"{high:,}".replace(",", "."))
        if not value.get("source"):
            problem("source", "rates.source")
        rows.append({"year": year, "vnd_per_usd": rate, "basis": value.get("basis", ""), "source": value.get("source")})
    if not rows and not findings:
        findings.append(Finding("rates.columns", ERROR, msg("rates.empty", file=file_name)))
    return rows, findings


def _listed(home: Home) -> list[Path]:
    """The rates folder's CSV files, links among them."""
    return sorted(home.rates.glob("*.csv")) if home.rates.exists() else []


def _quarantined(home: Home, file_id: str) -> Path:
    return home.quarantine / "rates" / file_id[:12]


def pending(home: Home) -> list[tuple[Path, bytes | None, str]]:
    """The rates files not taken in yet (neither landed nor in quarantine): (path, bytes, sha256),
    and a link with no bytes: it is refused without being read."""
    out = []
    for path in _listed(home):
        if path.is_symlink():  # as in the inbox: never followed out of the folder
            out.append((path, None, ""))
            continue
        data = path.read_bytes()
        file_id = sha256(data)
        if not (home.landing / "fx_rates" / f"{file_id}.parquet").exists() and not _quarantined(home, file_id).exists():
            out.append((path, data, file_id))
    return out


def ingest_rates(home: Home) -> RatesOutcome:
    """Land the rates files not landed yet; quarantine those with an error, with their findings."""
    outcome = RatesOutcome()
    land.ensure_layout(home.landing)
    for path, data, file_id in pending(home):
        if data is None:
            outcome.rejected[path.name] = [_link_refused(path)]
            continue
        quarantined = _quarantined(home, file_id)
        rows, findings = read_rates(data, path.name)
        if findings:
            write_once(quarantined / path.name, data)
            write_once(quarantined / "findings.json", json.dumps(
                {"file_name": path.name, "status": "rejected", "findings": [f.as_dict() for f in findings]},
                ensure_ascii=False, indent=2).encode("utf-8"))
            outcome.rejected[path.name] = findings
            continue
        land.write(home.landing, "fx_rates", file_id,
                   [r | {"file_id": file_id, "file_name": path.name, "received_at": arrived_at(path)} for r in rows])
        outcome.accepted.append(path.name)
    return outcome


def _link_refused(path: Path) -> Finding:
    return Finding("file.link", ERROR, msg("rates.link", file=path.name, target=os.readlink(path)))


def refused_since(home: Home, when: float) -> list[str]:
    """The first finding of each rates file quarantined since `when` (a time.time()), which names
    the file, and of each link in the rates folder, refused at every refresh while it stays there
    (nothing of it is quarantined): what a refresh's summary says beside the submissions it rejected."""
    folder = home.quarantine / "rates"
    found = []
    for record in sorted(folder.glob("*/findings.json")) if folder.exists() else []:
        if record.stat().st_mtime >= when:
            found.append(json.loads(record.read_text(encoding="utf-8"))["findings"][0]["message"])
    return found + [_link_refused(p).message for p in _listed(home) if p.is_symlink()]


def write_rates(path: Path, rates: dict[int, float], basis: str, source: str) -> Path:
    """A rates file in the format above (the sample writes its synthetic rates with this)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as out:  # quoted where a text holds a comma
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([year, f"{rate:.2f}", basis, source] for year, rate in sorted(rates.items()))
    return path
