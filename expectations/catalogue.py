"""Load the rule catalogue (catalogue.yaml) and expand each rule into concrete relations.

A relation is what both evaluators work on: the SQL detector (quality.py), which runs every
relation over the whole warehouse, and the suggestion search (suggest.py), which re-checks
the relations of one report while trying corrections. The rule itself is written once, as data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from zonestat import reference

CATALOGUE = Path(__file__).with_name("catalogue.yaml")
KINDS = ("balance", "bound", "ratio", "share", "growth", "hierarchy", "monotonic", "magnitude", "plausibility",
         "reference")


@dataclass(frozen=True)
class Term:
    indicator: str
    breakdown: str
    coef: float = 1.0


@dataclass(frozen=True)
class Relation:
    """One concrete relation between figures of the same report, zone and period."""

    rule_id: str
    relation_id: int
    terms: tuple[Term, ...]  # linear: sum(coef * value) (= or <=) 0; ratio: (rate, numerator, denominator)
    comparison: str  # "=", "<=", "ratio", "range"


@dataclass
class Rule:
    id: str
    kind: str
    severity: str
    message_en: str
    message_vi: str
    spec: dict
    relations: list[Relation] = field(default_factory=list)

    @property
    def fx_relative(self) -> float:
        return float(self.spec.get("tolerance", {}).get("fx_relative", 0.0))

    @property
    def relative(self) -> float:
        return float(self.spec.get("tolerance", {}).get("relative", 0.0))


def _fill(term: dict, indicator: str | None, breakdown: str | None) -> tuple[str, str]:
    return term.get("indicator", indicator), term.get("breakdown", breakdown)


def _expansions(spec: dict) -> list[tuple[str | None, str | None]]:
    if "indicators" in spec:
        return [(i, None) for i in spec["indicators"]]
    if "breakdowns" in spec:
        return [(None, b) for b in spec["breakdowns"]]
    return [(None, None)]


@lru_cache(maxsize=1)
def load() -> tuple[Rule, ...]:
    """The catalogue, validated and expanded. Raises ValueError on a malformed rule."""
    raw = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    indicators = reference.indicators()
    rules, next_id, seen = [], 1, set()
    for spec in raw["rules"]:
        rule = Rule(spec["id"], spec["kind"], spec["severity"], spec["message_en"], spec["message_vi"], spec)
        if rule.kind not in KINDS or rule.severity not in reference.severities() or rule.id in seen:
            raise ValueError(f"catalogue rule {rule.id}: bad kind/severity or duplicate id")
        seen.add(rule.id)
        for indicator, breakdown in _expansions(spec):
            if rule.kind == "balance":
                total = Term(*_fill(spec["total"], indicator, breakdown), 1.0)
                parts = tuple(Term(*_fill(p, indicator, breakdown), -1.0) for p in spec["parts"])
                terms, comparison = (total, *parts), "="
            elif rule.kind == "bound":
                terms = (Term(*_fill(spec["lhs"], indicator, breakdown), 1.0),
                         Term(*_fill(spec["rhs"], indicator, breakdown), -1.0))
                comparison = "<="
            elif rule.kind == "ratio":
                terms = tuple(Term(*_fill(spec[k], indicator, breakdown)) for k in ("rate", "numerator", "denominator"))
                comparison = "ratio"
            elif rule.kind == "magnitude" and "numerator" in spec:
                terms = tuple(Term(*_fill(spec[k], indicator, breakdown)) for k in ("numerator", "denominator"))
                comparison = "range"
            else:
                continue  # kinds evaluated over all figures rather than fixed terms
            for term in terms:
                if term.indicator not in indicators or term.breakdown not in indicators[term.indicator].breakdowns:
                    raise ValueError(f"catalogue rule {rule.id}: {term.indicator}/{term.breakdown} is not in the indicators")
            rule.relations.append(Relation(rule.id, next_id, terms, comparison))
            next_id += 1
        rules.append(rule)
    return tuple(rules)


def by_id() -> dict[str, Rule]:
    return {r.id: r for r in load()}


def the_rule(kind: str, **spec: object) -> Rule:
    """The one rule of a kind (with these values in its declaration): for the code that evaluates
    a kind of rule itself, which then names no rule id or threshold of its own."""
    [rule] = [r for r in load() if r.kind == kind and all(r.spec.get(k) == v for k, v in spec.items())]
    return rule
