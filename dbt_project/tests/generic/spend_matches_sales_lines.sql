{#- A member's net spend equals the sum of their sales lines (till and online), to the
    cent: the member marts aggregate through fct_member_daily_sales, this test does not. -#}
{% test spend_matches_sales_lines(model, column_name) %}
with lines as (
    select member_id, sum(net_amount) as net_spend
    from {{ ref('int_sales_lines') }}
    where member_id is not null
    group by member_id
)
select m.member_id, m.{{ column_name }}, lines.net_spend
from {{ model }} as m
left join lines on m.member_id = lines.member_id
where abs(m.{{ column_name }} - coalesce(lines.net_spend, 0)) >= 0.01
{% endtest %}
