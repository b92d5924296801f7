-- One row per identified member per local business day with a purchase or a return,
-- till and online together.
with

lines as (
    select * from {{ ref('int_sales_lines') }}
    where member_id is not null
),

daily as (
    select
        -- ids
        member_id,
        -- dates
        sales_date,
        -- counts
        count(distinct case when not is_return then purchase_id end) as purchases,
        count(distinct case when not is_return and sales_source = 'pos' then purchase_id end) as store_purchases,
        count(distinct case when not is_return and sales_source = 'online' then purchase_id end) as online_purchases,
        count(distinct case when is_return then purchase_id end) as return_events,
        sum(case when not is_return then 1 else 0 end) as lines_bought,
        sum(case when is_return then 1 else 0 end) as lines_returned,
        -- amounts
        sum(case when not is_return then net_amount else 0 end) as gross_spend,
        -sum(case when is_return then net_amount else 0 end) as refunded_amount,
        sum(net_amount) as net_spend,
        sum(case when sales_source = 'pos' then net_amount else 0 end) as store_net_spend,
        sum(case when sales_source = 'online' then net_amount else 0 end) as online_net_spend
    from lines
    group by member_id, sales_date
)

select * from daily
