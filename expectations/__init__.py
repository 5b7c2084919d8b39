"""Expectations: the checks at the door (GX suites on each submission) and the rule catalogue
run in the warehouse (catalogue.yaml -> quality engine -> dq_rule_findings -> dbt's dq_findings)."""
