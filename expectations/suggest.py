"""Suggested corrections: the smallest set of cells whose change satisfies every broken rule.

In the spirit of Fellegi-Holt error localisation: for one report, every relation of the
catalogue is instantiated on its cells; the cells to change must hit every broken relation,
and their new values must satisfy all relations they touch, broken or not. Sets of one cell
are tried first, then two, then three. Candidate values are the typing slips boards make: a
figure 1000 times too large or small, a thousands separator typed for the decimal mark, two
adjacent digits transposed, a lost or extra minus sign. Suggestions never change the data.
"""

from __future__ import annotations

import itertools
import multiprocessing
import re
from collections import namedtuple
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import pandas as pd

from expectations.catalogue import Rule, load, the_rule
from expectations.relations import percent_tolerance
from zonestat.config import worker_processes
from zonestat.notation import is_whole, printed_decimals, read_text_number, rounding_tolerance, vn_format
from zonestat.units import WHOLE_FAMILIES, unit_family

MAX_CELLS_CHANGED = 3
MAX_EVALUATIONS = 200_000
MAX_ALTERNATIVES = 3  # other corrections as likely as the one proposed, named beside it

# The rules this module evaluates on its own (beside the catalogue's fixed relations, which
# _relations_of takes from each rule), with their ids and thresholds from the catalogue.
ZONE_SUM = the_rule("hierarchy", level="zone")
SHARE = the_rule("share")
GROWTH = the_rule("growth")
HISTORY = the_rule("magnitude", against="history")


@dataclass(frozen=True)
class Candidate:
    value: float  # canonical unit
    text: str  # as the board should have typed it
    reason_en: str
    reason_vi: str
    slip: str = ""  # the class of typing slip (SLIPS)
    tolerance: float | None = None  # the rounding of the corrected figure as it would be printed, canonical unit


# The typing slips a correction may undo, most likely first: where corrections of as few cells
# fit, the one of the likelier slips is proposed, and only those as likely are named beside it.
# Corrections of several cells combine only the slips in MULTI_CELL_SLIPS: the others offer tens of
# values per cell, and their products would crowd out the search.
SLIPS = ("separator", "scale_down", "scale_up", "fraction", "transposition", "sign", "neighbour", "comma_lost",
         "digit_dropped", "digit_repeated")
MULTI_CELL_SLIPS = {"separator", "scale_down", "scale_up", "fraction", "transposition", "sign", "neighbour"}


@dataclass
class Constraint:
    """A relation between cells of one report; `check` gets {cell key: value}."""

    rule_id: str
    cells: tuple[str, ...]
    check: Callable[[dict[str, float]], bool]
    # How far from exact a sum is (0 when it holds to the last digit): among corrections that fit
    # within the rounding, the one that makes the sums exact is the one proposed.
    residual: Callable[[dict[str, float]], float] | None = None


@dataclass
class Suggestion:
    cells: dict[str, Candidate]  # cell key -> correction
    fixes: list[tuple[str, tuple[str, ...]]]  # the broken relations it repairs: rule id and cells
    # Other corrections of as few cells that fit as well (a zone sum off by 90 that either of two
    # zones' transposed digits explains): the figures alone cannot tell which, and the board is
    # told so rather than shown one guess as the answer.
    alternatives: list[dict[str, Candidate]] = field(default_factory=list)


# A correction must leave a figure plausible against its own history (not as far from its
# series' usual level as magnitude.against_history flags) and against its peers (not that far
# below the smallest or above the largest figure of the period's other reporters of its kind).
# A whole count changed in scale (1000-fold by a separator, a unit or a lost comma) needs that
# history to say so: the corrected count within EVIDENCE_FACTOR of the usual level.
IMPLAUSIBLE_FACTOR = HISTORY.spec["factor"][0]
EVIDENCE_FACTOR = 30


def candidates(text: str, value: float, count: bool = False, percent: bool = False,
               neighbours: tuple[str, ...] = (), usual: float | None = None,
               peers: tuple[float, float] | None = None) -> list[Candidate]:
    """The corrections worth trying for one cell, from its text as typed; `neighbours` are the
    texts of the figures in the rows above and below (a figure typed in the neighbouring row);
    `usual` is the median of the cell's series in other periods, when it has enough history;
    `peers` the smallest and largest figure other reporters of its kind printed for the period.

    A count (projects, licences, workers) is a whole number: no correction of it may be
    fractional ('449 -> 0,449' for a bloc's 449 foreign projects is not a slip anyone makes), and
    none may multiply it by 1000 unless it is itself fractional ('72,015' workers for 72.015).
    A broken sum alone is no evidence that a whole count is 1000 times off: its history must be.
    (A fractional count is its own evidence.)"""
    reading = read_text_number(text) if isinstance(text, str) else None
    typed = reading.vn if reading and reading.vn is not None else None
    factor = value / typed if typed not in (None, 0) else 1.0
    out: dict[float, Candidate] = {}

    def add(new_typed: float | None, new_text: str, slip: str, printed: int | None = None) -> None:
        """`printed`: the decimals new_text shows, when known without reading it again."""
        if new_typed is None:
            return
        new_value = new_typed * factor
        if count and (not is_whole(new_value) or (abs(new_value) > abs(value) * 999 and is_whole(value))):
            return
        off_usual = max(new_value / usual, usual / new_value) if usual and usual > 0 and new_value > 0 else None
        if off_usual is not None and off_usual >= IMPLAUSIBLE_FACTOR:
            return
        if peers and new_value > 0 and not peers[0] / IMPLAUSIBLE_FACTOR < new_value < peers[1] * IMPLAUSIBLE_FACTOR:
            return
        rescaled = value > 0 and new_value > 0 and max(new_value / value, value / new_value) >= EVIDENCE_FACTOR
        if count and is_whole(value) and rescaled and (off_usual is None or off_usual > EVIDENCE_FACTOR):
            return
        if abs(new_value - value) > 1e-12 * max(1.0, abs(value)) and new_value not in out:
            if printed is None:
                printed = printed_decimals(read_text_number(new_text), new_typed, "vn")
            out[new_value] = Candidate(new_value, new_text, *SLIP_REASONS[slip], slip,
                                       rounding_tolerance(printed) * abs(factor))

    digits = text.strip() if isinstance(text, str) else ""
    if digits.count(".") >= 1 and "," not in digits and reading and reading.vn is not None:
        head, _, tail = digits.rpartition(".")
        tail = tail.rstrip("0")
        swapped = f"{head},{tail}" if tail else head  # '1.502.000' -> '1.502', '81.770.544' -> '81.770,544'
        swapped_reading = read_text_number(swapped)
        add(swapped_reading.vn if swapped_reading else None, swapped, "separator")
    if typed is not None:
        decimals = len(digits.rsplit(",", 1)[1]) if "," in digits else 0
        add(typed / 1000, vn_format(typed / 1000, min(decimals + 3, 6), trim=True), "scale_down")
        add(typed * 1000, vn_format(typed * 1000, max(decimals - 3, 0), trim=True), "scale_up")
        if percent and 0 < abs(typed) < 1:
            add(typed * 100, vn_format(typed * 100, max(decimals - 2, 0), trim=True), "fraction")
        add(-typed, vn_format(-typed, decimals, trim=True), "sign")
        positions = [i for i, ch in enumerate(digits) if ch.isdigit()]
        for a, b in zip(positions, positions[1:]):
            if b == a + 1 and digits[a] != digits[b]:
                swapped = digits[:a] + digits[b] + digits[a] + digits[b + 1:]
                swapped_reading = read_text_number(swapped)
                add(swapped_reading.vn if swapped_reading else None, swapped, "transposition")
        for slip, number, places in _keyboard_slips("".join(digits[i] for i in positions), decimals):
            new_typed = (-1 if typed < 0 else 1) * int(number) / 10 ** places
            add(new_typed, vn_format(new_typed, places), slip, places)
    for neighbour in neighbours:
        moved = read_text_number(neighbour) if isinstance(neighbour, str) else None
        if moved is not None and moved.vn is not None:
            add(moved.vn, neighbour, "neighbour")
    return list(out.values())


def _keyboard_slips(number: str, decimals: int) -> list[tuple[str, str, int]]:
    """The digit strings a board meant, with their decimal places: a digit dropped ('1.873' for
    18.573: any digit anywhere), a digit typed twice ('185.573'), the decimal comma lost ('15' for 1,5)."""
    out = [("digit_dropped", number[:i] + d + number[i:], decimals) for i in range(len(number) + 1) for d in "0123456789"
           if not (i == 0 and d == "0")]
    out += [("digit_repeated", number[:i] + number[i + 1:], decimals) for i in range(1, len(number))
            if number[i] == number[i - 1]]
    if decimals == 0:
        out += [("comma_lost", number, places) for places in range(1, len(number))]
    return out


SLIP_REASONS = {
    "separator": ("a thousands separator typed where the decimal mark belongs (1000 times too large)",
                  "gõ dấu phân cách hàng nghìn vào chỗ dấu thập phân (lớn gấp 1000 lần)"),
    "scale_down": ("1000 times too large (wrong unit or scale)", "lớn gấp 1000 lần (sai đơn vị hoặc quy mô)"),
    "scale_up": ("1000 times too small (wrong unit or scale)", "nhỏ hơn 1000 lần (sai đơn vị hoặc quy mô)"),
    "fraction": ("a percentage typed as a fraction", "tỷ lệ phần trăm gõ dưới dạng số thập phân"),
    "sign": ("the sign is wrong", "sai dấu"),
    "transposition": ("two adjacent digits transposed", "hai chữ số liền nhau bị đảo chỗ"),
    "neighbour": ("the figure of the neighbouring row typed here", "gõ nhầm số liệu của dòng bên cạnh"),
    "comma_lost": ("the decimal comma left out", "thiếu dấu phẩy thập phân"),
    "digit_dropped": ("a digit left out", "thiếu một chữ số"),
    "digit_repeated": ("a digit typed twice", "một chữ số bị gõ hai lần"),
}


def _close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol + 1e-9 * max(abs(a), abs(b))


CELL_COLUMNS = ["figure_key", "submission_id", "zone_key", "indicator_code", "breakdown", "unit", "value", "rounding_tolerance",
                "vnd_factor", "share_pct_claimed", "share_tolerance", "growth_pct_claimed", "growth_tolerance",
                "text_as_typed", "source_sheet", "source_cell"]


Cell = namedtuple("Cell", CELL_COLUMNS, defaults=("", ""))  # where the cell is: for the neighbouring rows


def report_cells(cells: pd.DataFrame | list[tuple]) -> list[Cell]:
    """A report's cells as plain rows: iterating Arrow-backed frames cell by cell is slow.

    Takes a frame, or tuples in CELL_COLUMNS order straight from DuckDB (the fastest way: the
    engine converts half a million cells of a bad night this way).
    """
    if isinstance(cells, pd.DataFrame):
        cells = zip(*(cells[c].tolist() for c in CELL_COLUMNS))  # one vectorised conversion per column
    return list(map(Cell._make, cells))


def _values_of(rows: list[Cell]) -> dict[str, float]:
    """The report's figures by cell key (cells without a value left out)."""
    return {row.figure_key: float(row.value) for row in rows if row.value is not None and row.value == row.value}


def broken_relations(constraints: list[Constraint], values: dict[str, float]) -> list[Constraint]:
    """The relations whose cells all have a value and that do not hold."""
    return [c for c in constraints if all(k in values for k in c.cells) and not c.check(values)]


def by_report(cells: list[Cell]) -> dict[str, list[Cell]]:
    """Cells of several reports, each report's together, in submission id order."""
    reports: dict[str, list[Cell]] = {}
    for row in cells:
        reports.setdefault(row.submission_id, []).append(row)
    return dict(sorted(reports.items()))


def build_constraints(cells: pd.DataFrame | list[Cell], context: dict[str, dict],
                      focus: set[str] | None = None) -> list[Constraint]:
    """Every relation of the catalogue on the cells of one report.

    `context` carries figures from outside the report that some rules compare with:
    last year's value and its rounding tolerance per cell key (growth, a pair) and the usual level
    per cell key (history).

    `focus`: the cells of the report's findings. Then only the relations the search can need are
    built: those on the focus cells, and, for the ones of them that are broken, every relation on
    any of their cells (a correction may change any cell of a broken relation, and must keep every
    relation on that cell), so a report of twenty zones with one slip in one zone does not build
    the relations of the other nineteen. The search finds the same correction as with every
    relation, as long as each broken relation has a finding.
    """
    rows = report_cells(cells) if isinstance(cells, pd.DataFrame) else cells
    by_term: dict[tuple[str, str, str], Cell] = {}
    for row in rows:
        by_term[(row.zone_key, row.indicator_code, row.breakdown)] = row
    if focus is None:
        return _constraints(rows, by_term, context, None)
    values = _values_of(rows)
    first = _constraints(rows, by_term, context, focus)
    suspects = set(focus)
    for c in broken_relations(first, values):
        suspects.update(c.cells)
    return _constraints(rows, by_term, context, suspects)


def _constraints(rows: list[Cell], by_term: dict, context: dict[str, dict], keep: set[str] | None) -> list[Constraint]:
    """The relations on the report's cells; with `keep`, only those on at least one of those cells."""
    if keep is None:
        zones = sorted({z for z, _, _ in by_term})
    else:
        zones = sorted({row.zone_key for row in rows if row.figure_key in keep})
    out: list[Constraint] = []
    for rule in load():
        out += _relations_of(rule, by_term, zones, keep)
    out += _zone_hierarchy(by_term, sorted({z for z, _, _ in by_term}), keep)
    out += _claims(rows, by_term, context, keep)
    explained = context.get("explained", ())  # relations the report computed on another base: no slip to find
    return [c for c in out if frozenset(c.cells) not in explained] if explained else out


def _relations_of(rule: Rule, by_term: dict, zones: list[str], keep: set[str] | None = None) -> list[Constraint]:
    out = []
    for rel in rule.relations:
        for zone in zones:
            rows = [by_term.get((zone, t.indicator, t.breakdown)) for t in rel.terms]
            if any(r is None for r in rows):
                continue
            if keep is not None and not any(r.figure_key in keep for r in rows):
                continue
            keys = tuple(r.figure_key for r in rows)
            if rel.comparison in ("=", "<="):
                mixed = len({r.unit for r in rows}) > 1
                factors = [r.vnd_factor if mixed else 1.0 for r in rows]
                tol = sum(r.rounding_tolerance * f for r, f in zip(rows, factors))
                coefs = [t.coef for t in rel.terms]
                fx = rule.fx_relative if mixed else 0.0

                def linear(v, keys=keys, coefs=coefs, factors=factors, tol=tol, fx=fx, cmp=rel.comparison):
                    sides = [c * v[k] * f for k, c, f in zip(keys, coefs, factors)]
                    diff = sum(sides)
                    scale = max(abs(sum(s for s in sides if s > 0)), abs(sum(s for s in sides if s < 0)))
                    allowed = tol + fx * scale + 1e-9 * scale
                    return abs(diff) <= allowed if cmp == "=" else diff <= allowed

                def off(v, keys=keys, coefs=coefs, factors=factors, cmp=rel.comparison):
                    diff = sum(c * v[k] * f for k, c, f in zip(keys, coefs, factors))
                    return abs(diff) if cmp == "=" else max(diff, 0.0)
                out.append(Constraint(rule.id, keys, linear, off))
            elif rel.comparison == "ratio":
                rate, num, den = rows
                same = num.unit == den.unit
                fn, fd = (1.0, 1.0) if same else (num.vnd_factor, den.vnd_factor)

                def ratio(v, keys=keys, rate=rate, num=num, den=den, fn=fn, fd=fd):
                    d = v[keys[2]] * fd
                    if d == 0:
                        return True
                    n = v[keys[1]] * fn
                    # a corrected rate is rounded as it would be printed ('0,54' -> '54': to the unit)
                    tol = percent_tolerance(v.get((TOLERANCE, keys[0]), rate.rounding_tolerance),
                                            n, num.rounding_tolerance * fn, d, den.rounding_tolerance * fd)
                    return _close(v[keys[0]], 100 * n / d, tol)
                out.append(Constraint(rule.id, keys, ratio))
            elif rel.comparison == "range":
                low, high = rule.spec["range_vnd_bn"]
                num, den = rows
                rough = rule.spec["rough_vnd_per_usd"] / 1000  # VND bn per USD mn, without the year's rate
                factor = rough if num.unit == "USD_mn" and num.vnd_factor == 1.0 else num.vnd_factor

                def in_range(v, keys=keys, factor=factor, low=low, high=high):
                    if v[keys[1]] == 0:
                        return True
                    per = v[keys[0]] * factor / v[keys[1]]
                    return not ((per > high and low <= per / 1000 <= high) or (0 < per < low and low <= per * 1000 <= high))
                out.append(Constraint(rule.id, keys, in_range))
    return out


def _zone_hierarchy(by_term: dict, zones: list[str], keep: set[str] | None = None) -> list[Constraint]:
    from zonestat import reference

    additive = reference.additive_indicators()
    out = []
    terms = None if keep is None else {(i, b) for (z, i, b), r in by_term.items() if r.figure_key in keep}
    for (zone, indicator, breakdown), row in by_term.items():
        if zone != "" or indicator not in additive or (terms is not None and (indicator, breakdown) not in terms):
            continue
        parts = [by_term[(z, indicator, breakdown)] for z in zones
                 if z and (z, indicator, breakdown) in by_term and by_term[(z, indicator, breakdown)].unit == row.unit]
        if not parts:
            continue
        keys = (row.figure_key, *(p.figure_key for p in parts))
        if keep is not None and not keep.intersection(keys):
            continue
        tol = row.rounding_tolerance + sum(p.rounding_tolerance for p in parts)

        def sums(v, keys=keys, tol=tol):
            return _close(v[keys[0]], sum(v[k] for k in keys[1:]), tol)

        def off(v, keys=keys):
            return abs(v[keys[0]] - sum(v[k] for k in keys[1:]))
        out.append(Constraint(ZONE_SUM.id, keys, sums, off))
    return out


def _share(row: Cell, by_term: dict) -> Constraint | None:
    """A claimed share (ty_trong) against the cell and its zone's total, when both are there."""
    if pd.isna(row.share_pct_claimed) or row.breakdown == "TONG":
        return None
    total = by_term.get((row.zone_key, row.indicator_code, "TONG"))
    if total is None or total.unit != row.unit:
        return None
    keys = (row.figure_key, total.figure_key)

    def share(v, keys=keys, claimed=row.share_pct_claimed, tol=row.share_tolerance,
              t1=row.rounding_tolerance, t2=total.rounding_tolerance):
        if v[keys[1]] == 0:
            return True
        return _close(claimed, 100 * v[keys[0]] / v[keys[1]], percent_tolerance(tol, v[keys[0]], t1, v[keys[1]], t2))
    return Constraint(SHARE.id, keys, share)


def _claims(rows: list[Cell], by_term: dict, context: dict[str, dict], keep: set[str] | None = None) -> list[Constraint]:
    out = []
    last_year = context.get("last_year", {})
    typical = context.get("typical", {})
    for row in rows:
        share = _share(row, by_term)
        if keep is not None and row.figure_key not in keep:
            # a share also relates the cell to its zone's total: kept when the total is
            if share is not None and share.cells[1] in keep:
                out.append(share)
            continue
        if share is not None:
            out.append(share)
        if pd.notna(row.growth_pct_claimed) and row.figure_key in last_year:
            last, last_tol = last_year[row.figure_key]

            def growth(v, key=row.figure_key, claimed=row.growth_pct_claimed, tol=row.growth_tolerance,
                       t1=row.rounding_tolerance, last=last, last_tol=last_tol):
                if last == 0:
                    return True
                return _close(claimed, 100 * (v[key] / last - 1), percent_tolerance(tol, v[key], t1, last, last_tol))
            out.append(Constraint(GROWTH.id, (row.figure_key,), growth))
        if row.figure_key in typical:
            usual = typical[row.figure_key]

            def history(v, key=row.figure_key, usual=usual, low=HISTORY.spec["factor"][0],
                        high=HISTORY.spec["factor"][1]):
                if usual <= 0 or v[key] <= 0:
                    return True
                r = v[key] / usual
                return not (low <= r <= high or low <= 1 / r <= high)
            out.append(Constraint(HISTORY.id, (row.figure_key,), history))
    return out


def search(cells: pd.DataFrame | list[Cell], constraints: list[Constraint], usual: dict[str, float] | None = None,
           peers: dict[str, tuple[float, float]] | None = None) -> Suggestion | None:
    """The smallest set of cell corrections that satisfies every constraint it can, or None.

    First one correction for all the broken relations together. When there is none, the broken
    relations that share no cell are taken as independent errors: each group of them (linked by
    shared cells) is localised on its own, so that a group no typing slip explains (a growth
    claim the board miscalculated) does not keep the report's other errors from a suggestion.
    (Not the other way round: three capital cells each 1000 times too large are each a group of
    their own, but only corrected together do they keep their total equal to its parts.)
    """
    rows = report_cells(cells) if isinstance(cells, pd.DataFrame) else cells
    values = _values_of(rows)
    typed = _AsTyped(rows, usual, peers)
    usable = [c for c in constraints if all(k in values for k in c.cells)]
    broken = broken_relations(usable, values)
    if not broken:
        return None
    touching: dict[str, list[Constraint]] = {}
    for c in usable:
        for k in c.cells:
            touching.setdefault(k, []).append(c)
    whole = _localise(broken, touching, values, typed)
    if whole is None:
        # A growth claim also breaks when last year's figure is the wrong one (its own report's
        # error): linked through a zone total to this report's error, it would keep that error
        # from a suggestion. The report's other relations are localised without requiring it.
        this_year = [c for c in broken if c.rule_id not in LAST_YEAR_RULES]
        if this_year and len(this_year) < len(broken):
            whole = _localise(this_year, touching, values, typed)
    groups = _linked(broken)
    if whole is not None or len(groups) == 1:
        return whole
    parts = [p for p in (_localise(group, touching, values, typed) for group in groups) if p is not None]
    if len(parts) <= 1:
        return parts[0] if parts else None
    combined = {k: cand for p in parts for k, cand in p.cells.items()}
    trial = dict(values)
    trial.update({k: cand.value for k, cand in combined.items()})
    if not all(c.check(trial) for k in combined for c in touching[k]):
        return None  # two corrections meet in a relation that holds now and would not after both
    alternatives = [{k: c for q in parts for k, c in (alt if q is p else q.cells).items()}
                    for p in parts for alt in p.alternatives][:MAX_ALTERNATIVES]
    return Suggestion(combined, [f for p in parts for f in p.fixes], alternatives)


TOLERANCE = "tolerance"  # trial[(TOLERANCE, key)]: the rounding of a corrected cell
LAST_YEAR_RULES = {GROWTH.id}
_ROW = re.compile(r"(\d+)$")


class _AsTyped:
    """What the candidates of a cell depend on: its text, whether it is a count or a percentage, and
    the texts of the figures in the rows just above and below it in the same sheet. Looked up for
    the suspect cells only: a report has hundreds of cells and a broken relation a few."""

    def __init__(self, rows: list[Cell], usual: dict[str, float] | None = None,
                 peers: dict[str, tuple[float, float]] | None = None):
        self.rows = {row.figure_key: row for row in rows}
        self.usual = usual or {}
        self.peers = peers or {}
        self.place: dict[str, tuple[str, int]] = {}
        for row in rows:
            number = _ROW.search(row.source_cell or "")
            if number:
                self.place[row.figure_key] = (row.source_sheet, int(number.group(1)))
        self.at = {place: self.rows[key] for key, place in self.place.items()}

    def of(self, key: str) -> dict:
        row = self.rows.get(key)
        if row is None:
            return {"text": ""}
        sheet, number = self.place.get(key, ("", None))
        near = [self.at.get((sheet, number + step)) for step in (-1, 1)] if number is not None else []
        family = unit_family(row.unit)
        return {"text": row.text_as_typed, "count": family in WHOLE_FAMILIES, "percent": family == "percent",
                "neighbours": tuple(n.text_as_typed for n in near if n is not None), "usual": self.usual.get(key),
                "peers": self.peers.get(key)}


def _residual(relations, values: dict) -> float:
    """How far from exact the sums among `relations` are under `values`."""
    return sum(c.residual(values) for c in relations if c.residual is not None)


def _rank(correction: dict[str, Candidate]) -> int:
    return sum(SLIPS.index(c.slip) for c in correction.values())


def _linked(broken: list[Constraint]) -> list[list[Constraint]]:
    """The broken relations in groups that share cells (through any chain of relations)."""
    groups: list[tuple[set[str], list[Constraint]]] = []
    for c in broken:
        keys, members = set(c.cells), [c]
        for group in [g for g in groups if g[0] & keys]:
            groups.remove(group)
            keys |= group[0]
            members = group[1] + members
        groups.append((keys, members))
    return [members for _, members in groups]


def _localise(broken: list[Constraint], touching: dict[str, list[Constraint]], values: dict[str, float],
              typed: _AsTyped) -> Suggestion | None:
    """The fewest cells whose correction repairs every relation in `broken` and keeps every
    other relation on those cells; among those, the likeliest slips (SLIPS)."""
    # The cells in the most broken relations first; among equals by key, so that when two
    # corrections fit equally (a zone total off by 90 that either of two zones' transposed
    # digits explains) the same one is proposed on every run and on every worker process
    # (a set's order changes with each process's string hashing).
    suspects = sorted({k for c in broken for k in c.cells}, key=lambda k: (-sum(k in c.cells for c in broken), k))
    options = {k: candidates(value=values[k], **typed.of(k)) for k in suspects}
    combinable = {k: [c for c in cands if c.slip in MULTI_CELL_SLIPS] for k, cands in options.items()}
    fixes = [(c.rule_id, c.cells) for c in broken]
    evaluations = 0
    fits: list[tuple[dict[str, Candidate], float]] = []  # each correction, and how far from exact it leaves the sums
    for size in range(1, MAX_CELLS_CHANGED + 1):
        choices = options if size == 1 else combinable
        for subset in itertools.combinations(suspects, size):
            if evaluations > MAX_EVALUATIONS or len(fits) > 4 * MAX_ALTERNATIVES:
                break
            chosen = set(subset)
            if not all(chosen & set(c.cells) for c in broken):
                continue  # a correction must touch every broken relation
            affected = {id(c): c for k in subset for c in touching[k]}.values()
            for combo in itertools.product(*(choices[k] for k in subset)):
                evaluations += 1
                if evaluations > MAX_EVALUATIONS or len(fits) > 4 * MAX_ALTERNATIVES:
                    break
                trial = dict(values)
                trial.update({k: cand.value for k, cand in zip(subset, combo)})
                trial.update({(TOLERANCE, k): cand.tolerance for k, cand in zip(subset, combo)})
                if all(c.check(trial) for c in affected):
                    fits.append((dict(zip(subset, combo)), _residual(affected, trial)))
        if fits or evaluations > MAX_EVALUATIONS:
            break  # larger corrections are not minimal
    if not fits:
        return None
    # The likeliest slips first, then the one that leaves the sums nearest to exact; among fits
    # alike in both, the search's order (stable), and the others are named as as likely.
    fits.sort(key=lambda fit: (_rank(fit[0]), round(fit[1], 9)))
    best = (_rank(fits[0][0]), round(fits[0][1], 9))
    likeliest = [f for f, residual in fits if (_rank(f), round(residual, 9)) == best]
    return Suggestion(likeliest[0], fixes, likeliest[1:MAX_ALTERNATIVES + 1])


PARALLEL_FROM = 200  # reports: below this many, starting worker processes costs more than it saves


def _search_report(item: tuple[str, list[Cell], dict, set[str] | None]) -> tuple[str, Suggestion | None]:
    submission_id, rows, context, focus = item
    return submission_id, search(rows, build_constraints(rows, context, focus), context.get("usual"), context.get("peers"))


def search_reports(reports: list[tuple[str, list[Cell], dict, set[str] | None]]) -> dict[str, Suggestion | None]:
    """The search for many reports (submission id, cells, context, focus), on every core when there are many.

    Reports are independent, and the search is Python, bound to one core in one process: a bad
    night has a thousand reports to correct (bench quality).
    """
    workers = worker_processes()
    if len(reports) < PARALLEL_FROM or workers < 2:
        return dict(map(_search_report, reports))
    context = multiprocessing.get_context("spawn")  # no fork of a threaded (Dagster) parent
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return dict(pool.map(_search_report, reports, chunksize=max(1, len(reports) // (8 * workers))))
