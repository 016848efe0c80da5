{#-
    Fails for every row whose column lies outside [min_value, max_value] (either bound optional;
    inclusive by default). Same name and arguments as dbt_utils.accepted_range.
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true, where=none) %}

select *
from {{ model }}
where
    {% if where %}({{ where }}) and {% endif %}
    (
        1 = 0
        {%- if min_value is not none %}
        or {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        or {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}
        {%- endif %}
    )

{% endtest %}
