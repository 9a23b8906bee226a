{#- Each non-NULL value lies within the bounds of its unit (`bounds`: unit -> [min, max], either
    may be null for an open side). A unit without bounds fails too: a new unit needs a range.
    Returns the offending rows. -#}
{% test within_plausible_range(model, column_name, unit_column, bounds) %}
select *
from {{ model }}
where {{ column_name }} is not null
    and (
        {{ unit_column }} not in ({% for unit in bounds %}'{{ unit }}'{% if not loop.last %}, {% endif %}{% endfor %})
        {%- for unit, limits in bounds.items() %}
        {%- if limits[0] is not none %}
        or ({{ unit_column }} = '{{ unit }}' and {{ column_name }} < {{ limits[0] }})
        {%- endif %}
        {%- if limits[1] is not none %}
        or ({{ unit_column }} = '{{ unit }}' and {{ column_name }} > {{ limits[1] }})
        {%- endif %}
        {%- endfor %}
    )
{% endtest %}
