"""Load the rule catalogue (catalogue.yaml) and expand each rule into concrete relations.

A relation is what both evaluators work on: the rules' dbt models (dbt_project/models/quality, which
read the catalogue as the tables CATALOGUE_TABLES), which run every relation over the whole
warehouse, and the suggestion search (suggest.py), which re-checks the relations of one report
while trying corrections. The rule itself is written once, as data.
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


# The rules' detection as dbt models (dbt_project/models/quality), by what each detects: a kind of
# rule, or for the kinds that two models share, a kind and which of its forms (Rule.detected_as).
# Each model reads the rules that name it in the table dq_rules (CATALOGUE_TABLES).
RULE_MODELS = {"dq_broken_sums": ("balance", "bound"), "dq_broken_ratios": ("ratio",), "dq_broken_shares": ("share",),
               "dq_out_of_range": ("plausibility", "magnitude per unit"),
               "dq_far_from_usual_level": ("magnitude against history",),
               "dq_broken_zone_totals": ("hierarchy of zones",), "dq_broken_bloc_totals": ("hierarchy of blocs",),
               "dq_year_to_date_falls": ("monotonic",), "dq_broken_growth_claims": ("growth",),
               "dq_reference_gaps": ("reference",)}


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
    def detected_as(self) -> str:
        """What a model detects this rule as (RULE_MODELS): its kind, and which form of it where the
        kind has two."""
        if self.kind == "hierarchy":  # zones to their province, or members to their bloc
            return "hierarchy of zones" if self.spec["level"] == "zone" else "hierarchy of blocs"
        if self.kind == "magnitude":  # a figure per unit, or a figure against its own history
            return "magnitude per unit" if "numerator" in self.spec else "magnitude against history"
        return self.kind

    @property
    def model(self) -> str:
        """The dbt model that detects this rule (RULE_MODELS)."""
        return next(model for model, detects in RULE_MODELS.items() if self.detected_as in detects)

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
    for number, spec in enumerate(raw["rules"], 1):
        name = f"{CATALOGUE.name}, rule {number} ({spec.get('id', 'without an id')})"
        try:
            rule, next_id = _expand(spec, indicators, next_id)
        except ValueError as wrong:
            raise ValueError(f"{name}: {wrong}") from None
        if rule.id in seen:
            raise ValueError(f"{name}: another rule has the id {rule.id}")
        seen.add(rule.id)
        rules.append(rule)
    return tuple(rules)


# A hierarchy rule's levels and a reference rule's subjects (Rule.model, dq_reference_gaps).
LEVELS = ("zone", "bloc")
SUBJECTS = ("exchange_rates", "bloc_membership")


def _needs(spec: dict) -> tuple[str, ...]:
    """What a rule of its kind declares besides id, kind, severity and messages: checked when the
    catalogue loads, so that a missing field is refused then, not in the middle of a refresh where
    the rules run (expectations/quality.py, engine.py)."""
    kind = spec.get("kind")
    needs = {"balance": ("total", "parts"), "bound": ("lhs", "rhs"), "ratio": ("rate", "numerator", "denominator"),
             "plausibility": ("indicator", "range"), "hierarchy": ("level",), "reference": ("about",)}.get(kind, ())
    if kind == "ratio" and "other_base" in spec:  # a rate printed on another base of the report
        needs += ("other_base_en", "other_base_vi", "other_base_message_en", "other_base_message_vi")
    if kind == "magnitude":
        needs += ("numerator", "denominator", "range_vnd_bn", "rough_vnd_per_usd") if "numerator" in spec else ("factor",)
    if kind == "growth" or (kind == "hierarchy" and spec.get("level") == "bloc"):
        needs += ("missing_message_en", "missing_message_vi")  # when last year's figure or a member is missing
    return needs


def _expand(spec: dict, indicators: dict, next_id: int) -> tuple[Rule, int]:
    """One declared rule, checked, with its relations (numbered from next_id); and the next number."""
    needs = _needs(spec)
    for field_name in ("id", "kind", "severity", "message_en", "message_vi", *needs):
        if field_name not in spec:
            raise ValueError(f"it has no `{field_name}`, which a rule of its kind needs")
    rule = Rule(spec["id"], spec["kind"], spec["severity"], spec["message_en"], spec["message_vi"], spec)
    if rule.kind not in KINDS:
        raise ValueError(f"the kind {rule.kind!r} is none of {', '.join(KINDS)}")
    if rule.severity not in reference.severities():
        raise ValueError(f"the severity {rule.severity!r} is none of {', '.join(reference.severities())}")
    for field_name, choices in (("level", LEVELS), ("about", SUBJECTS)):
        if field_name in needs and spec[field_name] not in choices:
            raise ValueError(f"the {field_name} {spec[field_name]!r} is none of {', '.join(choices)}")
    if rule.kind == "plausibility" and spec["indicator"] not in indicators:
        raise ValueError(f"{spec['indicator']} is not an indicator of the reference (dbt_project/seeds/indicators.csv)")
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
                raise ValueError(f"{term.indicator}/{term.breakdown} is not an indicator and breakdown of "
                                 "the reference (dbt_project/seeds/indicators.csv)")
        rule.relations.append(Relation(rule.id, next_id, terms, comparison))
        next_id += 1
    return rule, next_id


def by_id() -> dict[str, Rule]:
    return {r.id: r for r in load()}


def the_rule(kind: str, **spec: object) -> Rule:
    """The one rule of a kind (with these values in its declaration): for the code that evaluates
    a kind of rule itself, which then names no rule id or threshold of its own."""
    [rule] = [r for r in load() if r.kind == kind and all(r.spec.get(k) == v for k, v in spec.items())]
    return rule


# The catalogue as the rules' dbt models read it (the sources quality.dq_rules and
# quality.dq_rule_terms, which expectations/quality.py's write_catalogue writes before each build):
# each table's columns and their SQL types. dq_rules: every rule, its kind, the model that detects
# it (Rule.model), the range a plausibility or magnitude rule gives its figures (for a figure
# against its history, how many times its usual level) and how much history that needs, its
# relative tolerance, and what a reference rule is about;
# dq_rule_terms: the terms of the relations of fixed figures (balance, bound, ratio, magnitude
# range), a row each.
CATALOGUE_TABLES = {
    "dq_rules": {"rule_id": "varchar", "kind": "varchar", "model": "varchar", "indicator_code": "varchar",
                 "low": "double precision", "high": "double precision", "rough_vnd_per_usd": "double precision",
                 "min_history": "integer", "relative": "double precision", "about": "varchar"},
    "dq_rule_terms": {"relation_id": "integer", "rule_id": "varchar", "comparison": "varchar", "n_terms": "integer",
                      "fx_relative": "double precision", "indicator_code": "varchar", "breakdown": "varchar",
                      "coef": "double precision", "position": "integer"},
}


def catalogue_rows(table: str, rules: list[Rule] | tuple[Rule, ...]):
    """The rows of one of CATALOGUE_TABLES for these rules, as a pandas frame."""
    import pandas as pd

    rows = []
    for rule in rules:
        if table == "dq_rules":
            low, high = rule.spec.get("range") or rule.spec.get("range_vnd_bn") or rule.spec.get("factor") or (None, None)
            rows.append((rule.id, rule.kind, rule.model, rule.spec.get("indicator"), low, high,
                         rule.spec.get("rough_vnd_per_usd"), rule.spec.get("min_history"), rule.relative,
                         rule.spec.get("about")))
        for rel in rule.relations if table == "dq_rule_terms" else ():
            terms = list(rel.terms)
            if rule.kind == "ratio" and "other_base" in rule.spec:  # the base a report may have taken instead
                terms.append(Term(rule.spec["other_base"]["indicator"], rel.terms[0].breakdown))
            rows += [(rel.relation_id, rule.id, rel.comparison, len(rel.terms), rule.fx_relative, t.indicator,
                      t.breakdown, t.coef, position) for position, t in enumerate(terms)]
    types = {"integer": "Int32", "double precision": "float64", "varchar": "object"}  # Int32: with nulls
    return pd.DataFrame(rows, columns=list(CATALOGUE_TABLES[table])).astype(
        {column: types[kind] for column, kind in CATALOGUE_TABLES[table].items()})
