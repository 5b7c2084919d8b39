-- Figures as landed: canonical units already, one row per figure of a submission version.
{{ landing_figures(source('landing', 'figures')) }}
