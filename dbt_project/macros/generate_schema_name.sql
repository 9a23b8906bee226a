{#- A model's schema is exactly the custom schema of its layer (`published`, `staging`, ...),
    never dbt's default `<target schema>_<custom>`: the published file and the other stages
    read these names. Without a custom schema, the target's schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
