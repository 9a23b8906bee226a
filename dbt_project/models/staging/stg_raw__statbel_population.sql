-- Residents on 1 January: the detailed TF_SOC_POP_STRUCT files and Statbel's per-commune totals
-- table (population_total only, years the detailed files may lack); per period and measure one
-- file wins (macros/stage_canonical.sql).
{{ stage_canonical([source('raw', 'statbel_population'), source('raw', 'statbel_population_totals')]) }}
