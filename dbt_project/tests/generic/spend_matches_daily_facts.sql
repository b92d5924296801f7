{#- A member's lifetime net spend equals the sum of their daily facts, to the cent. -#}
{% test spend_matches_daily_facts(model, column_name) %}
with facts as (
    select member_id, sum(net_spend) as net_spend
    from {{ ref('fct_member_daily_sales') }}
    group by member_id
)
select m.member_id, m.{{ column_name }}, facts.net_spend
from {{ model }} as m
left join facts on m.member_id = facts.member_id
where abs(m.{{ column_name }} - coalesce(facts.net_spend, 0)) >= 0.01
{% endtest %}
