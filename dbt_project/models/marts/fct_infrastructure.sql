-- Infrastructure figures as reported (current version); see _facts.yml for the grain and columns.
{{ fact_table('infrastructure') }}
