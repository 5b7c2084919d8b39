-- Trade figures as reported (current version); see _marts.yml for the grain and columns.
{{ fact_table('trade') }}
