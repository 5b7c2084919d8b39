-- The nation: the sum of every reporting province.
{{ rollup([]) }}
