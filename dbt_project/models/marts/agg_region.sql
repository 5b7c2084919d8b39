-- Per socio-economic region (a 2025 province takes the region of the province whose code it kept).
{{ rollup(['region']) }}
