{#- Cross-database helpers that dbt itself does not ship (DESIGN.md "Scale beyond one machine").
    Each is dispatched, so another adapter can override it without touching the models. -#}

{#- A 64-bit float. dbt.type_float() is FLOAT, which DuckDB reads as a 4-byte REAL: too coarse
    for income totals in euros. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'cohesion')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{#- Comma-separated list of the non-NULL text expressions, '' when all are NULL. Written with
    CASE and ANSI trim because concat_ws and concat treat NULL differently across engines. -#}
{% macro flag_list(expressions) -%}
    {%- set parts = [] -%}
    {%- for e in expressions -%}
        {%- do parts.append("case when " ~ e ~ " is null then '' else " ~ e ~ " || ',' end") -%}
    {%- endfor -%}
    {%- if parts | length == 0 -%}
        ''
    {%- elif parts | length == 1 -%}
        trim(trailing ',' from {{ parts[0] }})
    {%- else -%}
        trim(trailing ',' from {{ dbt.concat(parts) }})
    {%- endif -%}
{%- endmacro %}
