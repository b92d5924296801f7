{#- Fails with one row per duplicated combination of `columns` (like dbt_utils', without the
    package download, which would need the network). -#}
{% test unique_combination_of_columns(model, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
