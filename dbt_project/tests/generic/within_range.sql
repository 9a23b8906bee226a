{#- Each non-NULL value lies within [low, high] (either may be none for an open side).
    Returns the offending rows. -#}
{% test within_range(model, column_name, low=none, high=none) %}
select *
from {{ model }}
where {{ column_name }} is not null
    and (
        false
        {%- if low is not none %} or {{ column_name }} < {{ low }}{% endif %}
        {%- if high is not none %} or {{ column_name }} > {{ high }}{% endif %}
    )
{% endtest %}
